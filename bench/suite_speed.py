"""How fast are the suites, side by side with today's one-test-at-a-time and the course's checker?

    python bench/suite_speed.py                 # the cnlab client suite on the reference, -j auto
    python bench/suite_speed.py --runs 20       # 20 runs in a row: any verdict that changes is flaky
    python bench/suite_speed.py --role all      # client and server suites together
    python bench/suite_speed.py --broken        # what a broken submission costs against the reference
    python bench/suite_speed.py --protocols     # every protocol's suites (all roles): -j 1 against -j auto

Goals (issue 29, on 2 cores): the cnlab client suite on the reference at least 20x the course's
checker's checks per second (61 checks in at most 7 s); every other protocol's suites at least 1.5x
faster than one test at a time (-j 1, the old default); a broken submission (three broken
fixtures, a client that crashes at start-up, one that hangs) at most 2x the reference's wall time.
The course's checker (a pexpect script and a fresh JVM server per test) is timed when
CHATCONFORM_COURSE_CHECKER names a command that runs it; otherwise its documented speed is used
(17 tests in about 46 s: ../shared/specs/README.md).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the reference server with a known user limit, so the server suite's BUSY test runs too
BUSY = ["--server-cmd", "{python} server.py --host {host} --port {port} --max-clients 4", "--server-max-clients", "4"]


# what a broken submission costs: (label, how to make the submission in a scratch folder)
BROKEN = [("fixture blocks_on_input", "cnlab/blocks_on_input"), ("fixture paraphrased_messages",
          "cnlab/paraphrased_messages"), ("fixture stays_after_busy", "cnlab/stays_after_busy"),
          ("crashes at start-up", "hostile/syntax_error.py"), ("hangs", "hostile/hangs.py")]


COURSE_CHECKS_PER_S = 17 / 46   # the course's checker, as documented where it cannot be run here


def one_run(role: str, workers: str, submission: Path = ROOT / "reference" / "cnlab", protocol: str = "cnlab",
            extra: tuple | None = None) -> tuple[float, dict]:
    extra = BUSY if extra is None else extra
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        start = time.monotonic()
        subprocess.run([sys.executable, "-m", "conformance", "check", protocol, str(submission), "--role", role,
                        "--json", str(report), "-j", workers, *extra], cwd=ROOT, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        wall = time.monotonic() - start
        return wall, json.loads(report.read_text())


def broken_table(workers: str) -> int:
    """The whole cnlab client suite on the reference and on each broken submission: wall time and
    the ratio to the reference's."""
    sys.path.insert(0, str(ROOT))
    from conformance.selftest.fixtures import materialize
    rows = [("reference", ROOT / "reference" / "cnlab")]
    with tempfile.TemporaryDirectory() as tmp:
        for label, source in BROKEN:
            path = ROOT / "fixtures" / source
            if path.suffix == ".py":   # a hostile program: the client of a folder of its own
                folder = Path(tmp) / path.stem
                folder.mkdir()
                (folder / "client.py").write_text(path.read_text())
            else:
                folder = materialize(path, Path(tmp))
            rows.append((label, folder))
        print(f"{'submission':<30} {'wall s':>7} {'ratio':>6} {'failed':>6}  slowest test")
        reference_wall, worst = None, 0.0
        for label, folder in rows:
            wall, document = one_run("client", workers, folder)
            reference_wall = reference_wall or wall
            ratio = wall / reference_wall
            worst = max(worst, ratio)
            slowest = max(document["tests"], key=lambda t: t["duration_s"])
            print(f"{label:<30} {wall:7.1f} {ratio:6.2f} {document['summary']['failed']:6}  "
                  f"{slowest['id']} {slowest['duration_s']:.1f}s", flush=True)
    print(f"goal (a broken submission costs at most 2x the reference): {'met' if worst <= 2 else 'NOT met'} "
          f"(worst {worst:.2f}x)")
    return 0 if worst <= 2 else 1


def course_checker() -> tuple[float, str]:
    """The course's checker's checks per second: timed where CHATCONFORM_COURSE_CHECKER runs it (its
    output's last line that counts tests, e.g. `17 passed`), else the documented figure."""
    command = os.environ.get("CHATCONFORM_COURSE_CHECKER")
    if not command:
        return COURSE_CHECKS_PER_S, "documented: 17 tests in about 46 s"
    start = time.monotonic()
    out = subprocess.run(command, shell=True, capture_output=True, text=True).stdout
    wall = time.monotonic() - start
    counted = [int(n) for n in re.findall(r"(\d+) (?:passed|failed|tests?)", out)]
    checks = sum(counted[-2:]) if counted else 17
    return checks / wall, f"timed here: {checks} checks in {wall:.1f} s"


def protocols_table(jobs: str) -> int:
    """Every protocol's suites on its reference, one test at a time (-j 1) and at -j JOBS."""
    sys.path.insert(0, str(ROOT))
    from conformance import protocols
    print(f"{'protocol':<9} {'tests':>5} {'-j 1 s':>8} {f'-j {jobs} s':>9} {'speed-up':>9}  verdicts the same")
    worst = None
    for name in protocols.NAMES:
        described = protocols.get(name)
        extra = tuple(described.selftest_reference_args)
        walls, docs = {}, {}
        for j in ("1", jobs):
            walls[j], docs[j] = one_run("all", j, ROOT / "reference" / name, name, extra)
        same = {t["id"]: t["outcome"] for t in docs["1"]["tests"]} == {t["id"]: t["outcome"] for t in docs[jobs]["tests"]}
        speedup = walls["1"] / walls[jobs]
        if name != "cnlab":
            worst = speedup if worst is None else min(worst, speedup)
        print(f"{name:<9} {len(docs[jobs]['tests']):5} {walls['1']:8.1f} {walls[jobs]:9.1f} {speedup:8.2f}x  "
              f"{'yes' if same else 'NO'}", flush=True)
    print(f"goal (every other protocol at least 1.5x faster than -j 1): {'met' if worst and worst >= 1.5 else 'NOT met'} "
          f"(least {worst:.2f}x)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--role", choices=("client", "server", "all"), default="client")
    parser.add_argument("-j", "-n", "--jobs", dest="workers", default="auto",
                        help="check's -j for each run (default auto, check's own default)")
    parser.add_argument("--broken", action="store_true", help="the second table: broken submissions")
    parser.add_argument("--protocols", action="store_true", help="every protocol's suites: -j 1 against -j JOBS")
    args = parser.parse_args()
    if args.broken:
        return broken_table(args.workers)
    if args.protocols:
        return protocols_table(args.workers)
    walls, verdicts = [], collections.defaultdict(collections.Counter)
    for i in range(args.runs):
        wall, document = one_run(args.role, args.workers)
        walls.append(wall)
        for test in document["tests"]:
            verdicts[test["id"]][test["outcome"]] += 1
        s = document["summary"]
        print(f"run {i + 1:2}: {len(document['tests'])} checks in {wall:.2f} s wall "
              f"({s['passed']} passed, {s['failed']} failed, {s['skipped']} skipped, {s['error']} error)", flush=True)
    flaky = {test: dict(c) for test, c in verdicts.items() if len(c) > 1}
    not_passing = {test: dict(c) for test, c in verdicts.items() if set(c) != {"passed"}}
    print(f"\nchecks per run: {len(verdicts)}; wall time: median {statistics.median(walls):.2f} s, "
          f"max {max(walls):.2f} s over {args.runs} run(s); role {args.role}, -j {args.workers}")
    print(f"flaky verdicts: {len(flaky)}" + "".join(f"\n  {t}: {c}" for t, c in sorted(flaky.items())))
    print(f"tests not passing every run: {len(not_passing)}"
          + "".join(f"\n  {t}: {c}" for t, c in sorted(not_passing.items())))
    if args.role == "client":
        course, how = course_checker()
        ours = len(verdicts) / statistics.median(walls)
        print(f"the course's checker: {course:.2f} checks/s ({how}); chatconform: {ours:.2f} checks/s = "
              f"{ours / course:.1f}x")
        met = ours / course >= 20 and statistics.median(walls) <= 7
        print(f"goal (>= 20x the course's checker, {len(verdicts)} checks in <= 7 s): {'met' if met else 'NOT met'}")
    return 0 if not flaky else 1


if __name__ == "__main__":
    sys.exit(main())
