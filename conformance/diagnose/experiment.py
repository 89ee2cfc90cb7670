"""Experiments: a failed test replayed with its seed (the same names, messages and cuts) and one
variable changed. The variable that makes it pass is evidence of the cause.

Where a variable acts, and the record of what the running test did that one could change, belong to
the harness (`conformance/harness/variation.py`); this module chooses the replays worth running.
"""
from __future__ import annotations

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
