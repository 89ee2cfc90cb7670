"""What a run keeps on pytest's objects, in their `stash` (never attributes hung on them): on the config,
the run's state, its context and its results; on each test item, one record of the running test.
Shared by the run's plugins (conformance/run/) and the diagnosis (conformance/diagnose/)."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

STATE = pytest.StashKey[object]()        # harness.state.RunState: the run's state
CONTEXT = pytest.StashKey[object]()      # run.context.RunContext, or None without --protocol
RESULTS = pytest.StashKey[object]()      # harness.results.Results: the records of the run's tests
GUI_MISSING = pytest.StashKey[str]()     # why GUI tests cannot run here (no Xvfb)


@dataclass
class ItemRecord:
    """One test item's own: its identity, and what its fixtures started and found while it ran."""
    identity: tuple | None = None        # (stable id, role, requirement IDs) (run/identity.py)
    transcript: object = None            # its Transcript
    findings: object = None              # its soft Findings
    post_checks: list = field(default_factory=list)   # run after the body passed
    terminals: list = field(default_factory=list)     # the programs it started on terminals
    guis: list = field(default_factory=list)          # the GUI programs it started
    server_pgid: int | None = None        # the candidate server's process group (memory checks)
    seen: dict | None = None              # what the diagnosis observed when it failed (None: not yet)


TEST = pytest.StashKey[ItemRecord]()


def record(item) -> ItemRecord:
    """The item's record (made on first use)."""
    return item.stash.setdefault(TEST, ItemRecord())


def context(config):
    """The run's context, or None (no --protocol, or not configured yet)."""
    return config.stash.get(CONTEXT, None)


def results(config):
    return config.stash[RESULTS]
