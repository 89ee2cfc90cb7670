"""What this machine allows: how many tests `check` runs at once by default (-j auto).

The suites mostly wait (settle and quiet windows, answers a candidate owes), so a core carries more
than one test; memory bounds it too (an xdist worker with its candidates and servers, a GUI
candidate's toolkit). The cores are the ones this process may use (its CPU affinity and a container's
CPU quota), the memory what the kernel says is available."""
from __future__ import annotations

import math
import os
from pathlib import Path

JOBS_PER_CORE = 2           # measured: bench/profile_check.py -j N on 2 cores (docs/checking.md)
MEMORY_PER_JOB = 400 << 20  # a worker, its candidates and servers, a GUI toolkit among them
MAX_JOBS = 8                # beyond it, starting the workers costs more than the waits they overlap
AUTO_JOBS_HELP = (f"{JOBS_PER_CORE} per core this process may use, at most one per "
                  f"{MEMORY_PER_JOB >> 20} MiB of available memory and at most {MAX_JOBS}")


def cores() -> int:
    """The cores this process may use: its affinity, and a cgroup v2 CPU quota where one is set."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()
        if quota != "max":
            count = min(count, max(1, math.ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return count


def available_memory() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def auto_jobs() -> int:
    jobs = JOBS_PER_CORE * cores()
    memory = available_memory()
    if memory is not None:
        jobs = min(jobs, memory // MEMORY_PER_JOB)
    return max(1, min(jobs, MAX_JOBS))


def auto_grade_jobs(check_workers: int) -> int:
    """Submissions graded at once: 4 tests per core in all, each check running `check_workers`
    (measured with 2: bench/grade_class.py -j 2, 4, 6 on 2 cores graded a class of 60 in 329, 241 and
    243 s, with the same verdicts), at least one submission per core, at most what memory holds."""
    jobs = max(cores(), JOBS_PER_CORE * cores() * 2 // max(1, check_workers))
    memory = available_memory()
    if memory is not None:
        jobs = min(jobs, memory // (MEMORY_PER_JOB * max(1, check_workers)))
    return max(1, jobs)


def cpu_seconds() -> tuple[float, float]:
    """(busy, idle) CPU seconds of the whole machine since boot, from /proc/stat ((0, 0) where there is
    none). The benches' measure of what a run costs: a candidate killed with its sandbox is reaped by
    init, so its CPU shows in no rusage of ours."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    except (OSError, ValueError, IndexError):
        return 0.0, 0.0
    idle = fields[3] + fields[4]   # idle, iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, idle / tick
