"""The harness's timing constants; every wait goes through `wait()`, scaled by the run's --timeout-scale."""
from __future__ import annotations

import threading
import time

from .state import current


def wait(seconds: float) -> float:
    """A timeout or quiet window, scaled by --timeout-scale (the run's state; a replay's may be longer)."""
    return seconds * current().timeout_scale


# Base values (seconds) before scaling.
STARTUP = 5.0    # a candidate's first output or connection (interpreter start-up included)
EVENT = 2.0      # an answer to something the harness just did
BULK = 10.0      # one message of many megabytes pushed through the candidate: a server that a stalled
                 # client blocks never delivers it (and the wait gives up early once nothing can come),
                 # a loaded machine only delays it, and 300 answers in a row must not hang on one slow one
QUIET = 0.25     # a window in which nothing may happen
EXIT = 2.0       # a process asked (or required) to exit
SETTLE = 0.03    # asleep this long with no input waiting: the program is ready to be typed into
SERVER_SETTLE = 0.2    # a server's settle window where /proc cannot show that it has taken a message in
SETTLE_FALLBACK = 0.5   # no output this long: ready, where /proc cannot tell or the program never sleeps
IDLE_WINDOW = 0.5   # a server with no clients is watched this long for the CPU time it uses ...
IDLE_CPU = 0.2      # ... and may use at most this share of one core (a spinning loop uses all of it)


POLL = 0.015       # how often a wait that may be pointless looks at /proc (waiting.Hopeless)
PROC_POLL = 0.01   # how often settling looks at /proc (a third of the settle window)


def wait_until(cond: threading.Condition, predicate, timeout: float, hopeless=None) -> bool | None:
    """Wait on `cond` (notified whenever new input arrives) until predicate() holds: True; False on
    timeout; None as soon as hopeless() says it cannot hold any more (waiting.Hopeless)."""
    deadline = time.monotonic() + timeout
    while True:
        with cond:
            if predicate():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            cond.wait(min(remaining, POLL) if hopeless is not None else remaining)
            if predicate():
                return True
        if hopeless is not None and hopeless():
            with cond:
                return True if predicate() else None


# The self-test injects harness faults through this variable ("report": in the report hook, "test":
# inside a test, "probe": in the GUI probe's tree command): they must come out as exit 2 and one line,
# never as a verdict.
FAULT_VARIABLE = "CHATCONFORM_INJECT_FAULT"
