"""Where a check's time goes, before cutting it: one `chatconform check --profile` and a table.

    python bench/profile_check.py                               # the cnlab client suite on the reference
    python bench/profile_check.py --protocol jsonl --role server
    python bench/profile_check.py -j 1                          # one test at a time (the old default)

First what starting one candidate costs, part by part (median of 15: Python alone, with the harness's
environment and injections, inside the sandbox); then, summed over the tests, each kind of time
the harness books (timing.py): `start:` programs coming up, `candidate:` answers the candidate owes,
`window:` deliberate quiet and settle windows, `harness:` stopping programs; `other` is the rest of
each test's duration (fixtures, reports, pytest). Last, the wall time against the sum of the tests'
durations: what running tests side by side saves.
"""
from __future__ import annotations

import argparse
import collections
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from conformance.harness import machine  # noqa: E402


def children_cpu() -> float:
    """The whole machine's busy CPU seconds (machine.cpu_seconds): a sandboxed candidate is reaped by
    init, not by us, so no rusage of ours holds its CPU. Run on an otherwise idle machine."""
    return machine.cpu_seconds()[0]


def started(argv: list, env=None, cwd=None, runs: int = 15) -> tuple[float, float]:
    """(median wall seconds, mean CPU seconds) of starting a program that ends at once."""
    times = []
    cpu = children_cpu()
    for _ in range(runs):
        began = time.monotonic()
        subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        times.append(time.monotonic() - began)
    return statistics.median(times), (children_cpu() - cpu) / runs


def start_costs() -> list:
    """(what, median seconds) of starting `python3 -c pass` as a candidate is started."""
    from conformance.harness import containment
    from conformance.harness.programs import environment
    python = sys.executable
    rows = [("python -c pass", started([python, "-c", "pass"])),
            ("+ the candidate's environment", started([python, "-c", "pass"], env=environment())),
            ("+ injections (partial_send)", started([python, "-c", "pass"], env=environment(inject=("partial_send",)))),
            ("+ injections (gui_probe, no GUI)", started([python, "-c", "pass"], env=environment(inject=("gui_probe",))))]
    with tempfile.TemporaryDirectory() as folder:
        if containment.mode() == "bubblewrap":
            argv = containment.command([python, "-c", "pass"], folder)
            rows.append(("+ the sandbox (bubblewrap)", started(argv, env=environment(inject=("partial_send",)),
                                                               cwd=folder)))
        else:
            rows.append((f"(no sandbox here: {containment.mode()})", (0.0, 0.0)))
    return rows


def run_check(protocol: str, submission: Path, role: str, jobs: str, extra: list) -> tuple[float, float, dict]:
    """(wall seconds, CPU seconds of it and every process it started, the --json document)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        began, cpu = time.monotonic(), children_cpu()
        subprocess.run([sys.executable, "-m", "conformance", "check", protocol, str(submission), "--role", role,
                        "--profile", "--json", str(report), "-j", jobs, *extra], cwd=ROOT,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.monotonic() - began, children_cpu() - cpu, json.loads(report.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", default="cnlab")
    parser.add_argument("--submission", help="default: reference/PROTOCOL")
    parser.add_argument("--role", default="client")
    parser.add_argument("-j", "--jobs", default="auto", help="check's -j (default: its own default)")
    parser.add_argument("--per-test", action="store_true", help="also one line per test")
    parser.add_argument("extra", nargs="*", help="more options for check (after --)")
    args = parser.parse_args()
    submission = Path(args.submission) if args.submission else ROOT / "reference" / args.protocol

    print("starting one candidate (15 times):     wall (median)   CPU (mean)")
    costs = start_costs()
    for what, (seconds, cpu) in costs:
        print(f"  {what:<36} {seconds * 1000:7.1f} ms {cpu * 1000:9.1f} ms")

    wall, cpu, document = run_check(args.protocol, submission, args.role, args.jobs, args.extra)
    tests = document["tests"]
    totals: collections.Counter = collections.Counter()
    for test in tests:
        profile = test.get("profile", {})
        totals.update(profile)
        totals["other (fixtures, reports, pytest)"] += max(0.0, test["duration_s"] - sum(profile.values()))
    busy = sum(t["duration_s"] for t in tests)
    print(f"\n{args.protocol} {args.role} suite on {submission.name}: {len(tests)} tests, "
          f"{document['summary']}, -j {args.jobs}")
    print(f"  {'where the time went (summed over tests)':<52} {'s':>7} {'share':>6} {'per test':>9}")
    for key, seconds in totals.most_common():
        print(f"  {key:<52} {seconds:7.2f} {seconds / busy:6.0%} {seconds / len(tests) * 1000:7.0f}ms")
    print(f"  {'sum of the tests durations':<52} {busy:7.2f}")
    print(f"  {'wall time of the whole check (start to exit)':<52} {wall:7.2f}   "
          f"({len(tests) / wall:.1f} checks/s; the sum of durations / wall = {busy / wall:.2f})")
    print(f"  {'CPU time of the whole check (every process)':<52} {cpu:7.2f}   (the floor on 2 cores: {cpu / 2:.2f} s)")
    print(f"  {'a candidate starting (the last row above)':<52} {costs[-1][1][1]:7.3f}   "
          f"(this check's CPU is {cpu / costs[-1][1][1]:.0f} such starts)")
    if args.per_test:
        for test in sorted(tests, key=lambda t: -t["duration_s"]):
            top = sorted(test.get("profile", {}).items(), key=lambda kv: -kv[1])[:3]
            print(f"  {test['duration_s']:6.2f}s {test['id']:<48} " + ", ".join(f"{k} {v:.2f}" for k, v in top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
