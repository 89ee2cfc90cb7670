"""One run, one state: everything a run learns and changes while it runs, in one object.

The pytest side (conformance/run/context.py) makes a `RunState` when a run is configured, keeps it in
the run's stash and makes it current; the harness and the diagnosis reach it through `current()`. A
diagnosis's replay runs in a state of its own (`replaying()`): a new object that shares what belongs
to the whole run and starts empty in what belongs to one test, so nothing is swapped back by hand.

The pointer to the current state is the one module-level run state left: the harness runs in reader
threads, signal handlers and exit hooks, and in the self-test's tools outside any pytest run, where
nothing could hand it a state. Outside a run, `current()` is a state with the defaults.
"""
from __future__ import annotations

import dataclasses
import time
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class RunState:
    # --- the whole run ----------------------------------------------------------------------------
    timeout_scale: float = 1.0     # every wait is scaled by it (settings.wait)
    active: dict = field(default_factory=dict)   # the variation in force: {"delivery": "separate"} (variation.py)
    replaying: bool = False        # a diagnosis's replay is running: its failure report is never shown
    shown_paths: list = field(default_factory=list)   # (prefix, replacement): how reports name paths (results.py)
    temporary: list = field(default_factory=list)     # patterns of temporary folders, removed from every text
    clock: dict = field(default_factory=lambda: {"started": time.monotonic(), "replays": 0.0})   # replay budget
    spawned: set = field(default_factory=set)   # the harness's own children: their owners wait for them
    config: object = None          # the run's pytest config (a report hook receives none)
    interruptions: list = field(default_factory=list)   # Ctrl-C or SIGTERM seen: tests only clean up
    faults: list = field(default_factory=list)   # the harness's own internal errors: no verdict (exit 2)
    # --- the running test (each part reset where its owner says; a replay starts them empty) ------
    actors: list = field(default_factory=list)    # the pids of its programs (waiting.py)
    blind: bool = False            # one of its programs' waiting cannot be judged (waiting.py)
    sockets: list = field(default_factory=list)   # the harness's own connections (waiting.py)
    seen: dict = field(default_factory=dict)      # what it did that a variation could change (variation.py)
    evaluated: list = field(default_factory=list)   # requirements evaluated and met so far (failure.about)
    unexercised: list = field(default_factory=list)   # requirements of its that it never put to the test
    logs: list = field(default_factory=list)      # (label, start, read) of its background programs' output
    spent: dict | None = None      # --profile: where its time went (timing.py); None: not profiling


TEST_FIELDS = ("actors", "blind", "sockets", "seen", "evaluated", "logs")

_current = [RunState()]


def current() -> RunState:
    return _current[0]


def activate(state: RunState) -> RunState:
    """Make `state` the current one (a new run); returns it."""
    _current[0] = state
    return state


@contextmanager
def replaying(active: dict, time_factor: float):
    """A replay of the running test in a state of its own: the run's shared parts, `active` as the
    variation, the waits `time_factor` times longer, and a running test's parts empty. The state it
    replaced is current again afterwards, as it was."""
    before = current()
    fresh = {name: type(getattr(before, name))() for name in TEST_FIELDS}
    replay = dataclasses.replace(before, timeout_scale=before.timeout_scale * time_factor, active=dict(active), spent=None,
                                 replaying=True, **fresh)
    _current[0] = replay
    try:
        yield replay
    finally:
        _current[0] = before
