"""Experiments: a failed test replayed with its seed (the same names, messages and cuts) and one
variable changed. The variable that makes it pass is evidence of the cause.

The harness reads ACTIVE where a variable acts: the wire peers (how bytes are cut into reads), the
waits (`settings.timeout_scale`), the terminal (the typing pace). `--experiment VAR=VALUE` sets one for
a whole run, so a student can see the difference for themselves. SEEN records what the running test
did that a variable could change (it cut a message, joined two in one write, cut a UTF-8 character,
typed lines), so that only replays that can change something are run.
"""
from __future__ import annotations

ACTIVE: dict = {}
SEEN: dict = {}
REPLAYING = False   # a diagnosis's replay is running (its failure report is never shown)

# variable -> (what it changes, the cause a pass under it points at, how the evidence reads)
VARIABLES = {
    "delivery=char-safe": ("no read ends inside a UTF-8 character", "decode-per-chunk",
                           "passes when no read ends inside a UTF-8 character, fails when one does"),
    "delivery=separate": ("every message arrives in its own read", "one-recv-one-message",
                          "passes when every message arrives in its own read, fails when messages are cut or "
                          "joined as TCP may deliver them"),
    "time=x3": ("three times the time for every wait", "slow-to-answer",
                "passes when it is given three times the time, fails in the time a person would wait"),
    "typing=slow": ("the user types a line only every 1.5 s", "drops-input",
                    "passes when the user types slowly, fails when lines are typed as soon as the program is "
                    "ready for them"),
}
MAX_REPLAYS = 2
MAX_TEST_SECONDS = 12.0   # a failed test that took longer is not replayed (bounded cost)
TYPING_GAP = 1.5
SEPARATE_GAP = 0.1


def begin_test() -> None:
    SEEN.clear()


def time_factor(variable: str | None) -> int:
    """How much longer every wait (and a test's own bound) is under `variable`: 3 for time=x3."""
    return 3 if variable == "time=x3" else 1


def set_active(spec: str | None) -> None:
    ACTIVE.clear()
    if spec:
        name, _, value = spec.partition("=")
        ACTIVE[name] = value


def active(name: str) -> str | None:
    return ACTIVE.get(name)


def saw(what: str, amount: int = 1) -> None:
    SEEN[what] = SEEN.get(what, 0) + amount


def replays_for(seen: dict, failure: dict) -> list:
    """The variables worth a replay of this failed test, most telling first, at most MAX_REPLAYS."""
    order = []
    if seen.get("utf8"):
        order.append("delivery=char-safe")
    if seen.get("cut") or seen.get("joined"):
        order.append("delivery=separate")
    text = failure.get("what") or ""
    # more time can help only where the wait ran out, never where the programs were blocked for good
    if ("within" in text or "came only after" in text) and "blocked waiting" not in text:
        order.append("time=x3")
    if seen.get("typed", 0) >= 2 and "from the candidate on wire" in text:   # a typed line never sent
        order.append("typing=slow")
    return order[:MAX_REPLAYS]


def char_safe(pieces: list) -> list:
    """The same writes with every cut moved forward out of a UTF-8 character."""
    data = b"".join(pieces)
    out, start, at = [], 0, 0
    for piece in pieces[:-1]:
        at += len(piece)
        cut = at
        while cut < len(data) and 0x80 <= data[cut] < 0xC0:   # a continuation byte: still inside
            cut += 1
        if cut > start:
            out.append(data[start:cut])
            start = cut
    out.append(data[start:])
    return [p for p in out if p]


def note_plan(messages: list, pieces: list) -> None:
    """What a delivery plan did: cut a message, joined messages in one write, cut inside a character."""
    data, at, ends = b"".join(messages), 0, set()
    for message in messages:
        at += len(message)
        ends.add(at)
    at = 0
    for piece in pieces[:-1]:
        at += len(piece)
        if at not in ends:
            saw("cut")
        if at < len(data) and 0x80 <= data[at] < 0xC0:
            saw("utf8")
    if len(pieces) < len(messages):
        saw("joined")
