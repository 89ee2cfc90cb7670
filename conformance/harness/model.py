"""Model-based server tests: random sessions of several raw clients against the live server, drawn and
shrunk by Hypothesis, each judged by a history checker (`<protocol>/model.py`).

A *script* is a list of steps, each a small JSON object (`{"do": "send", "who": 1, "how": "pipelined"}`);
a protocol's model draws them (`steps()`), runs one on a fresh server and returns a `Violation` or
None (`run(script)`). `explore` asks Hypothesis for scripts under the run's seed, and when one fails,
lets Hypothesis shrink it to a minimal one: the witness. Every script is run at most once (a cache):
the live server is not a pure function, and Hypothesis must see the same answer for the same script.
The exploration is bounded by examples and by wall time, and shrinking by wall time of its own once a
script fails (half for Hypothesis's shrinker, half for dropping steps); when the time is up, scripts not yet run count as passing, so shrinking ends with the
shortest failing script found by then."""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field

from .failure import CheckFailure


@dataclass
class Violation:
    requirement: str        # the ID the broken property belongs to
    what: str               # one sentence: what went wrong
    expected: str = ""
    actual: str = ""
    script: list = field(default_factory=list)


class Found(Exception):
    """Raised inside Hypothesis's test function: this script fails."""

    def __init__(self, violation: Violation):
        super().__init__(violation.what)
        self.violation = violation


def explore(steps, run, seed: int, examples: int, budget_s: float,
            shrink_s: float | None = None) -> tuple[Violation | None, int]:
    """(the minimal failing script's violation or None, how many scripts were run). `budget_s` bounds
    the search; once a script fails, shrinking has `shrink_s` more (default: as much again)."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as seeded

    cache: dict = {}
    deadline = [time.monotonic() + budget_s]
    shrink_s = budget_s if shrink_s is None else shrink_s

    def outcome(script: list) -> Violation | None:
        key = json.dumps(script, sort_keys=True)
        if key not in cache:
            if time.monotonic() > deadline[0]:
                return None   # out of time: not run, counts as passing (shrinking stops here)
            cache[key] = run(script)
            if cache[key] is not None and not any(v is not None for k, v in cache.items() if k != key):
                deadline[0] = time.monotonic() + shrink_s / 2   # the first failure: Hypothesis's shrinking
        return cache[key]

    @seeded(seed)
    @settings(max_examples=examples, deadline=None, database=None, derandomize=False, report_multiple_bugs=False,
              phases=(Phase.generate, Phase.shrink), verbosity=Verbosity.quiet,
              suppress_health_check=list(HealthCheck))
    @given(steps)
    def check(script):
        found = outcome(script)
        if found is not None:
            found.script = script
            raise Found(found)

    try:
        check()
    except Found as exc:
        deadline[0] = time.monotonic() + shrink_s / 2   # the rest of the shrinking's time: dropping steps
        return fewer_steps(exc.violation, outcome), len(cache)
    return None, len(cache)


def fewer_steps(found: Violation, outcome) -> Violation:
    """Hypothesis's witness with the steps dropped whose removal keeps the failure (the same
    requirement), in runs of half the script, then a quarter, down to single steps, while the shrinking's
    time lasts: steps that did nothing (a connect past the limit) or did not matter, which Hypothesis,
    drawing the length first, seldom removes."""
    script, size = found.script, max(1, len(found.script) // 2)
    while size >= 1:
        start = 0
        while start < len(script):
            shorter = script[:start] + script[start + size:]
            again = outcome(shorter) if shorter else None
            if again is not None and again.requirement == found.requirement:
                again.script, found, script = shorter, again, shorter
            else:
                start += size
        size //= 2
    return found


def run_session(session_class, script: list, fresh, limit: int, broken_wire: str,
                judged: set | None = None) -> Violation | None:
    """Run one script on a fresh server: fresh() -> (connect, settle, stop); at most `limit` members (the
    server's user limit where the grader gave it). A wire that fails under the session (a send refused,
    a reset) is charged to `broken_wire`, the protocol's relay requirement. A session that passes adds
    the requirements it judged (Session.held) to `judged`: a model test that fails on one property has
    judged the others where its sessions passed, so they are not `not evaluated`."""
    connect, settle, stop = fresh()
    try:
        session = session_class(connect, settle, limit)
        session.run(script)
        if judged is not None:
            judged.update(session.judged)
    except Broken as exc:
        return exc.violation
    except CheckFailure as exc:
        return Violation(broken_wire, f"The session broke: {exc.what}", actual=str(exc.actual or "")[:300])
    finally:
        stop()
    return None


def shown(script: list) -> str:
    """A script as numbered lines a person can follow."""
    return "\n".join(f"{i + 1:>3}. " + ", ".join(f"{k}={v}" for k, v in step.items()) for i, step in enumerate(script))


def failure(violation: Violation, seed: int, runs: int, witness_file: str | None) -> CheckFailure:
    replay = f"Replay exactly this script: add --replay {witness_file}" if witness_file else \
        f"Replay exactly this script: save {json.dumps(violation.script)} as witness.json and add --replay witness.json"
    return CheckFailure(
        f"{violation.what}\nFound by a random session (seed {seed}, {runs} scripts run), shrunk to "
        f"{len(violation.script)} step(s):\n{shown(violation.script)}\n{replay}",
        expected=violation.expected, actual=violation.actual, requirement=violation.requirement)


def save_witness(path: str, protocol: str, violation: Violation, seed: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        json.dump({"protocol": protocol, "seed": seed, "requirement": violation.requirement,
                   "script": violation.script}, out, indent=1, ensure_ascii=False)


def load_witness(path: str) -> list:
    with open(path, encoding="utf-8") as source:
        document = json.load(source)
    script = document.get("script") if isinstance(document, dict) else document
    if not isinstance(script, list) or not all(isinstance(step, dict) and "do" in step for step in script):
        raise ValueError(f"{path} holds no script (a list of steps, each with 'do')")
    return script


def witness_path(json_report: str | None, test: str, seed: int) -> str | None:
    """Where a witness is written: beside the --json document (none without one: the failure shows it)."""
    if not json_report:
        return None
    return os.path.join(os.path.dirname(os.path.abspath(json_report)), f"witness-{test.removeprefix('test_')}-{seed}.json")


class Broken(Exception):
    """Raised by a protocol's session where a property fails: carries its Violation."""

    def __init__(self, requirement: str, what: str, expected: str = "", actual=""):
        super().__init__(what)
        self.violation = Violation(requirement, what, expected, str(actual))


def short(text: str) -> str:
    """A message's text for a report: long ones cut, with their length."""
    return text if len(text) <= 60 else f"{text[:40]}…[{len(text)} chars]"


# The fault profiles every model draws besides the chopping and coalescing it already does:
SLOW_GAP = 0.2           # "delays every write by 200 ms": a request written in SLOW_PIECES writes this far apart
SLOW_PIECES = 4          # (a peer's pace, not a wait for anything: not scaled by --timeout-scale)
STALL_WINDOW = 4096      # "stalls reading": a member joins with this receive buffer and stops reading...
SHRINK_S = 15.0          # shrinking's own time once a script fails (a model's BUDGET_S + this stay within
                         # the suite's test bound of 60 s)
FLOOD = 30               # ...while another sends this many 20,000-character messages (600 kB): more than
                         # the stalled member's buffers and the server's send buffer for it can hold


def cut(data: bytes, pieces: int = SLOW_PIECES) -> list:
    """`data` in `pieces` writes of about equal size, cut anywhere (inside a UTF-8 character too)."""
    size = -(-len(data) // pieces)
    return [data[i:i + size] for i in range(0, len(data), size)]


def push(wire, data: bytes, requirement: str, what: str, in_session: bool = True) -> None:
    """Send `data` (a flood's message); a server that stops taking it has blocked on someone else: a
    Broken in a model's session, a CheckFailure in a test of its own (`in_session` False)."""
    from . import settings
    if not wire.send_within(data, settings.wait(settings.EVENT)):
        expected = "the server keeps reading every client that sends"
        actual = f"it took none of the next {len(data)} bytes for {settings.wait(settings.EVENT):.1f}s"
        if in_session:
            raise Broken(requirement, what, expected, actual)
        raise CheckFailure(what, expected=expected, actual=actual, requirement=requirement)


def trickle(wire, pieces: list) -> None:
    """All but the last piece, SLOW_GAP apart: the slow writer's request stays unfinished; the
    caller proves the others are served meanwhile, then writes the last piece."""
    for piece in pieces[:-1]:
        wire.send_raw(piece)
        time.sleep(SLOW_GAP)   # the fault's shape (a slow peer), not synchronisation


WHO = object()   # in a model's step fields: the member the step acts on (see scripts)


def scripts(kinds: tuple, fields: dict, max_members: int, longest: int = 20):
    """The strategy of a protocol's scripts: two connects, then 1–`longest` steps. `kinds` are the
    step kinds, repeated to weigh them (toward those that move state); `fields[kind]` the strategies
    of a step's other fields, WHO for the member it acts on: an index (modulo the members of the
    time) or, half the time, -1, the member that acted last (so that a member renames or sends and
    then leaves as often as chance allows). The length is drawn first and uniformly (a list
    strategy's lengths favour short ones), and still shrinks to one step."""
    from hypothesis import strategies as st
    who = st.one_of(st.just(-1), st.integers(0, max_members - 1))

    def step(kind):
        parts = {name: who if strategy is WHO else strategy for name, strategy in fields.get(kind, {}).items()}
        return st.fixed_dictionaries({"do": st.just(kind), **parts})
    steps = st.sampled_from(kinds).flatmap(step)
    script = st.integers(1, longest).flatmap(lambda n: st.lists(steps, min_size=n, max_size=n))
    return script.map(lambda s: [{"do": "connect"}, {"do": "connect"}] + s)


class Session:
    """What every protocol's session keeps: who is connected (`members`) and who ever was
    (`everyone`), what each text is owed (`owed`, protocol-shaped) and how it was sent (`how`), and
    the member that acted last (`who` = -1). `connect()` gives a raw client, `settle()` waits for the
    server's settle window."""

    CZECH = "Žluťoučký kůň úpěl ďábelské ódy"

    def __init__(self, connect, settle, limit: int, max_members: int):
        self.connect_wire, self.settle, self.limit = connect, settle, min(limit, max_members)
        self.members: list = []
        self.everyone: list = []
        self.owed: dict = {}
        self.how: dict = {}
        self.counter = 0
        self.last = None
        self.judged: set = set()   # the requirements this session has put to the test and found met

    def held(self, *requirements: str) -> None:
        self.judged.update(requirements)

    def catch_up(self, stalled, take, missing, requirement: str, noun: str, shown=lambda: "") -> bool:
        """A member that stopped reading reads again: take() until missing() is empty (True), or until
        the server is found to have dropped it (False: allowed, and what it got stands; it is no
        member any more). What never came while it stays connected breaks `requirement`."""
        while left := missing():
            try:
                take()
            except CheckFailure:
                if stalled.wire.eof:
                    self.members.remove(stalled)
                    return False
                raise Broken(requirement, f"Client {stalled.index} stopped reading for a while; once it read "
                                          f"again, {len(left)} {noun} never came, and the server did not close it.",
                             expected=", ".join(short(t) for t in left[:5]), actual=shown()) from None
        return True

    RELAY, FRAMING_ID, FRAMING_HOWS = "", "", ("split", "pipelined", "long", "slow")

    def judged_texts(self) -> None:
        """Once the history checker passes: the relay requirement (RELAY) is judged where a text was
        owed to someone, the framing one (FRAMING_ID) where one was split, pipelined, long or slow."""
        if self.owed and self.RELAY:
            self.held(self.RELAY)
        if self.FRAMING_ID and any(how in self.FRAMING_HOWS for how in self.how.values()):
            self.held(self.FRAMING_ID)

    def pick(self, who: int):
        """The member a step's `who` names: -1 the one that acted last (if still there), else by index
        modulo the members of the time; None when there is no one."""
        if not self.members:
            return None
        if who == -1 and self.last in self.members:
            return self.last
        return self.members[who % len(self.members)]

    def text(self, how: str, sender) -> str:
        """A new text, unique in the session (its tag), shaped by how it is sent."""
        self.counter += 1
        tag = f"m{self.counter}c{sender.index}"
        return {"short": tag, "czech": f"{tag} {self.CZECH}", "long": (tag + " " + "x" * 20_000)[:20_000],
                "split": f"{tag} {self.CZECH} ✓", "pipelined": tag}[how]
