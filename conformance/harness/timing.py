"""Where a test's time goes (`check --profile`): each wait of the harness is booked under what it
waited for, so that a cut is aimed at the largest cost that is ours:

- `start:…`      a program coming up: the candidate until it first waits for input (Python's start,
                 the sandbox, the injections), a reference server until it listens, a GUI and its probe;
- `candidate:…`  an answer the candidate owes (a line, bytes on the wire, an exit);
- `window:…`     a deliberate window, each by name: a quiet window that proves nothing happens, a settle
                 window that proves the program is ready (their length is the method, not slowness);
- `harness:…`    the harness's own work that is worth naming (stopping programs).

The rest of a test's duration (fixtures, reports, pytest itself) is its `other`. Bookings nest: an
inner one's time is its own, not its outer one's. Only the test's own thread books (the readers'
threads do not wait on the test's behalf). Off unless profiling: then `booked` costs nothing."""
from __future__ import annotations

import functools
import threading
import time
from contextlib import contextmanager

from .state import current

_stack: list = []   # [key, started, inner seconds] of the open bookings, outermost first


def begin() -> None:
    """A test starts: its ledger is empty (when the run profiles)."""
    if current().spent is not None:
        current().spent = {}
        _stack.clear()


@contextmanager
def booked(kind: str, name: str):
    ledger = current().spent
    if ledger is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    if _stack and _stack[-1][0].startswith("window:"):
        yield   # what a window waits on inside it is the window's time: its length is the method
        return
    entry = [f"{kind}:{name}", time.monotonic(), 0.0]
    _stack.append(entry)
    try:
        yield
    finally:
        if _stack and _stack[-1] is entry:
            _stack.pop()
            took = time.monotonic() - entry[1]
            ledger[entry[0]] = ledger.get(entry[0], 0.0) + took - entry[2]
            if _stack:
                _stack[-1][2] += took


def books(kind: str, name: str):
    """A method decorator: each call booked under kind:name."""
    def wrap(function):
        @functools.wraps(function)
        def booking(*args, **kwargs):
            with booked(kind, name):
                return function(*args, **kwargs)
        return booking
    return wrap


def ledger() -> dict:
    """The running test's bookings so far, seconds rounded to the millisecond."""
    return {key: round(seconds, 3) for key, seconds in (current().spent or {}).items()}
