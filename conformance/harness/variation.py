"""What a run varies, and what the running test did that a variation could change.

The harness owns this record; a diagnosis (conformance/diagnose/) reads it and sets the variable of its
replays, so the core never imports the diagnosis. A variable acts where the harness does the thing it
changes: the wire peers (how bytes are cut into reads), the terminal (the typing pace), the waits
(time=x3 multiplies `settings.timeout_scale`). `--experiment VAR=VALUE` sets one for a whole run, so a
student can see the difference for themselves. SEEN records what the running test did that a variable
could change (it cut a message, joined two in one write, cut a UTF-8 character, typed lines), so that
only replays that can change something are run.
"""
from __future__ import annotations

from .state import current

TYPING_GAP = 1.5     # typing=slow: a line only every 1.5 s
SEPARATE_GAP = 0.1   # delivery=separate: the program reads one write before the next comes
# The variation in force, whether a replay is running and what the running test did: in the run's
# state (state.py); a replay has a state of its own.


def begin_test() -> None:
    current().seen.clear()


def parse(spec: str | None) -> dict:
    """--experiment VAR=VALUE as the variation in force: {VAR: VALUE} (nothing for None)."""
    if not spec:
        return {}
    name, _, value = spec.partition("=")
    return {name: value}


def active(name: str) -> str | None:
    return current().active.get(name)


def time_factor(variable: str | None) -> int:
    """How much longer every wait (and a test's own bound) is under `variable`: 3 for time=x3."""
    return 3 if variable == "time=x3" else 1


def replaying() -> bool:
    return current().replaying


def saw(what: str, amount: int = 1) -> None:
    seen = current().seen
    seen[what] = seen.get(what, 0) + amount


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
