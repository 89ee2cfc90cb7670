"""A control group per candidate: a bound on its processes and on its memory as a whole.

Per-process limits (RLIMIT_AS) let a candidate hold their sum over many processes, and RLIMIT_NPROC
does not apply to root at all. A control group does both for the whole candidate, forks and
setsid() included: `pids.max` and the memory limit, under the harness's own group, in cgroup v2
or in v1's `pids` and `memory` hierarchies, where the harness may create groups there (root in
a container, or a delegated v2 subtree). Where it may not, `available()` is False and the per-process
limits are what holds (the report header says so).
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
MAX_PROCESSES = 256            # processes and threads of one candidate, all together
MAX_MEMORY = 1024 ** 3         # bytes of memory of one candidate, all its processes together
PREFIX = "chatconform-"


def _own_paths() -> dict:
    """hierarchy (controller name, or '' for v2) -> this process's path in it, from /proc/self/cgroup."""
    out = {}
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return out
    for line in lines:
        _, controllers, path = line.split(":", 2)
        for name in controllers.split(",") if controllers else [""]:
            out[name] = path.lstrip("/")
    return out


@functools.lru_cache(maxsize=None)
def parents() -> dict:
    """'pids' and 'memory' -> the folder candidates' groups are made in; empty where none can be made."""
    own = _own_paths()
    if (ROOT / "cgroup.controllers").exists():   # cgroup v2 only: both controllers in one tree
        base = ROOT / own.get("", "")
        try:
            enabled = (base / "cgroup.subtree_control").read_text().split()
        except OSError:
            return {}
        found = {c: base for c in ("pids", "memory") if c in enabled}
    else:
        found = {c: ROOT / c / own[c] for c in ("pids", "memory") if c in own and (ROOT / c).is_dir()}
    if set(found) != {"pids", "memory"}:
        return {}
    try:   # can groups be made here?
        for controller, base in found.items():
            probe = base / f"{PREFIX}probe-{os.getpid()}"
            probe.mkdir(exist_ok=True)
            probe.rmdir()
    except OSError:
        return {}
    return found


def available() -> bool:
    return bool(parents())


def _folders(token: str) -> list[Path]:
    return sorted({base / f"{PREFIX}{token}" for base in parents().values()})


def create(token: str) -> bool:
    """Make the candidate's group with its limits (before it starts). False where there is none."""
    if not available():
        return False
    v2 = (ROOT / "cgroup.controllers").exists()
    limits = {"pids": ("pids.max", MAX_PROCESSES),
              "memory": ("memory.max" if v2 else "memory.limit_in_bytes", MAX_MEMORY)}
    try:
        for controller, base in parents().items():
            folder = base / f"{PREFIX}{token}"
            folder.mkdir(exist_ok=True)
            name, value = limits[controller]
            (folder / name).write_text(str(value))
        return True
    except OSError:
        remove(token)
        return False


def join(token: str) -> None:
    """In the candidate's process before exec: move into its group (what it starts stays there)."""
    for folder in _folders(token):
        try:
            with open(folder / "cgroup.procs", "w") as f:
                f.write("0")   # 0: the writing process itself
        except OSError:
            pass


def members(token: str) -> set[int]:
    pids = set()
    for folder in _folders(token):
        try:
            pids |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
        except (OSError, ValueError):
            pass
    return pids


def remove(token: str) -> None:
    """Remove the group once it is empty (its processes killed)."""
    for folder in _folders(token):
        try:
            folder.rmdir()
        except OSError:
            pass


def describe() -> str:
    if available():
        return f"a control group per candidate (at most {MAX_PROCESSES} processes, {MAX_MEMORY // 1024 ** 2} MiB in all)"
    return "no control groups here: limits per process only (no bound on the number of processes as root)"
