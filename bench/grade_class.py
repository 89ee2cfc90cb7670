"""Grading a class, timed: 60 submissions: the real-style class of fixtures/class (the course's package
layout, files of other names, a GUI entry point beside a helper module, a nested zip, the course's
check repository beside a client, a student without a program, one named by --layout), then the
fixtures (correct and broken, several protocols) and hostile programs that hang, flood or fork,
graded with `python -m conformance grade --layout fixtures/class/layouts.toml` (its own -j unless given).
Prints the wall time, the CPU time the machine used meanwhile (the floor on this many cores), the per-submission
median and worst, the largest process's peak memory, any process left running, and every verdict
that differs from its fixture's manifest.

    python bench/grade_class.py [--jobs 4] [--check-workers 2] [--size 60] [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from conformance.harness import machine  # noqa: E402
from conformance.selftest import realclass  # noqa: E402
from conformance.selftest.fixtures import FIXTURES, fixtures, materialize  # noqa: E402

HOSTILE = ["hangs", "flood_lines", "flood_no_newline", "forks_many", "closes_stdio", "setsid_escapee"]
MIX = {"cnlab": 22, "brace": 14, "sendto": 5, "jsonl": 4}   # fixtures per protocol, after the real-style class (the rest: hostile)


def build(into: Path, size: int) -> dict:
    """The class folder; returns slug -> expected failed IDs (None: must fail, any IDs). The real-style
    students are checked against their own manifest (realclass.differences)."""
    expected = {}
    n = len(realclass.build(into))
    work = into.parent / "materialized"
    shutil.rmtree(work, ignore_errors=True)
    for protocol in MIX:
        (work / protocol).mkdir(parents=True)
    for protocol, count in MIX.items():
        for fixture in fixtures(protocol)[:count]:
            if n >= size - len(HOSTILE):
                break
            folder = materialize(fixture, work / protocol)
            name = f"{protocol}_{fixture.name}_{n}_assignsubmission_file_"
            shutil.copytree(folder, into / name, ignore=shutil.ignore_patterns("expected.json", "mutation.json"))
            expected[f"{protocol}_{fixture.name}"] = sorted(json.loads((fixture / "expected.json").read_text()))
            n += 1
    for case in HOSTILE:
        folder = into / f"hostile_{case}_{n}_assignsubmission_file_"
        folder.mkdir()
        shutil.copy(FIXTURES / "hostile" / f"{case}.py", folder / "client.py")
        expected[f"hostile_{case}"] = None
        n += 1
    return expected


def survivors(marker: str) -> list:
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout.splitlines()
    return [line for line in ps if marker in line and "ps -eo" not in line]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, help="grade -j (default: grade's own choice)")
    parser.add_argument("--check-workers", type=int, help="grade --check-workers (default: grade's own, 2)")
    parser.add_argument("--size", type=int, default=60)
    parser.add_argument("--keep", help="keep the class and its grades in this folder")
    args = parser.parse_args()
    base = Path(args.keep or tempfile.mkdtemp(prefix="chatconform-bench-class-"))
    src, out = base / "class", base / "grades"
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    src.mkdir(parents=True)
    expected = build(src, args.size)
    began, machine_before = time.monotonic(), machine.cpu_seconds()
    chosen = (["-j", str(args.jobs)] if args.jobs else []) + \
        (["--check-workers", str(args.check_workers)] if args.check_workers else [])
    proc = subprocess.run([sys.executable, "-m", "conformance", "grade", str(src), "-o", str(out), *chosen,
                           "--no-progress", "--layout", str(realclass.CLASS / "layouts.toml")],
                          cwd=ROOT, capture_output=True, text=True)
    wall = time.monotonic() - began
    busy, idle = (after - before for after, before in zip(machine.cpu_seconds(), machine_before))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mb = usage.ru_maxrss / 1024
    documents = [json.loads(p.read_text()) for p in (out / "results").glob("*.json")]
    times = sorted((d.get("grading_s", 0.0), d["student"]) for d in documents)
    real = realclass.manifest()["students"]
    wrong = realclass.differences(out, real)
    for d in documents:
        key = d["student"]
        if key in {realclass.student_of(name) for name in real}:
            continue   # the Moodle-style folder name gives back "<protocol>_<fixture>"
        failed = sorted({r for t in d.get("tests", []) for r in t["failed_requirements"]
                         if t["outcome"] in ("failed", "error")})
        want = expected.get(key)
        ok = (bool(failed) or "error" in d or "budget_exceeded" in d) if want is None else \
            (failed == want and "error" not in d)
        if not ok:
            wrong.append(f"{key}: failed {failed}{' ' + d.get('error', '') if 'error' in d else ''}, expected "
                         f"{'a failure' if want is None else want}")
    left = survivors(str(src)) + survivors("chatconform-scratch")
    print(f"class of {len(documents)} submissions (the real-style class {len(real)}, then {', '.join(f'{p} {c}' for p, c in MIX.items())}, hostile "
          f"{len(HOSTILE)}), -j {args.jobs}: exit {proc.returncode}")
    print(f"wall time {wall:.0f} s ({wall / 60:.1f} min); per submission median {statistics.median(t for t, _ in times):.1f} s, "
          f"worst {times[-1][0]:.1f} s ({times[-1][1]})")
    cpu = usage.ru_utime + usage.ru_stime
    print(f"CPU time of the machine {busy:.0f} s: at least {busy / machine.cores():.0f} s on {machine.cores()} cores; "
          f"they were {100 * busy / (busy + idle):.0f} % busy (accounted to grade's processes: {cpu:.0f} s, user "
          f"{usage.ru_utime:.0f} s, system {usage.ru_stime:.0f} s; a candidate killed with its sandbox is not among them)")
    print(f"largest process's peak memory {peak_mb:.0f} MiB; processes left running: {len(left)}")
    print(f"verdicts differing from the manifests: {len(wrong)}")
    for line in wrong + left:
        print("  " + line)
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 0 if not wrong and not left and proc.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
