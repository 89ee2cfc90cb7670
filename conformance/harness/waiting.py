"""When waiting is pointless: stop, and say why.

An expectation (a line to be printed, bytes on the wire, a connection, an exit) that fails need not
cost its whole window: it cannot be met any more once every program the test involves is *blocked
for good*: each of their threads is asleep in a call that only input can end (read,
recv, accept, select/poll/epoll without a timeout, a lock wait without a timeout, a wait for a
child) or sleeps past the window; nothing ran between two looks a settle window apart (same state,
call and CPU time per thread: input arriving would have woken a thread); what they sent and what
the harness sent them is through (empty TCP send queues), and the harness has taken in everything
they wrote. The harness gives them nothing while it waits, so nothing will come: the expectation
fails at once, with the same message and a note of why. (Bytes that no thread waits for, such as a
message on a socket while the program blocks reading the keyboard, do not keep a wait alive: nothing
will read them.)

Where that cannot be seen (no /proc, an unknown machine, a server outside the run, a GUI program
whose toolkit talks over other channels), `Hopeless` never fires and waits run their full length.
Quiet windows (which prove that nothing happens) never use it: their length is the verdict.
"""
from __future__ import annotations

import time

from . import procstate, settings
from .state import current

# The running test's programs (callables: a pid, or None where it cannot be seen), whether one of them
# cannot be judged, and the harness's own connections: in the run's state (state.py).


def begin_test() -> None:
    run = current()
    run.actors.clear()
    run.sockets.clear()
    run.blind = False


def connection(sock) -> None:
    """A connection of the harness's in the running test: what it sent must be through before a
    wait may give up."""
    current().sockets.append(sock)


def _sent_through() -> bool:
    for sock in current().sockets:
        try:
            if procstate.int_ioctl(sock.fileno(), procstate.SIOCOUTQ):
                return False
        except (OSError, ValueError):
            continue   # closed
    return True


def involve(pid_of) -> None:
    """A program of the running test (pid_of() -> its pid, or None where it cannot be seen)."""
    current().actors.append(pid_of)


def blind() -> None:
    """The running test involves a program whose waiting cannot be judged: never give up early."""
    current().blind = True


class Hopeless:
    """hopeless() is True once every program of the test has been blocked for good, unchanged, for
    the settle window, and `drained()` says the harness has taken in all they sent its way."""

    def __init__(self, drained=lambda: True, until: float | None = None):
        self.drained = drained
        self.until = until
        self.last = None
        self.since = 0.0

    def __call__(self) -> bool:
        run = current()
        if run.blind or not run.actors:
            return False
        pids = [pid_of() for pid_of in run.actors]
        if None in pids:
            return False
        until = self.until if self.until is not None else time.monotonic() + settings.wait(settings.EVENT)
        snapshot = procstate.blocked_snapshot(pids, until)
        if snapshot is None or not _sent_through() or not self.drained():
            self.last = None
            return False
        now = time.monotonic()
        if snapshot != self.last:
            self.last, self.since = snapshot, now
            return False
        return now - self.since >= settings.wait(settings.SETTLE)


def explain(waited: float) -> str:
    several = len(current().actors) > 1
    return (f"the program{'s' if several else ''} of this test {'were' if several else 'was'} blocked waiting for "
            f"input that the test was not going to give (seen in /proc {waited:.2f}s into the wait), so it could "
            "not come any more (docs/harness.md: When waiting is pointless)")
