"""How fast is the cnlab client suite against reference/cnlab, and is it stable?

    python bench/suite_speed.py                 # one run: checks and wall time
    python bench/suite_speed.py --runs 20       # 20 runs in a row: any verdict that changes is flaky
    python bench/suite_speed.py --role all      # client and server suites together
    python bench/suite_speed.py --broken        # second table: what a broken submission costs

Targets: at least 50 checks in at most 10 s on a 2-core machine (issue 2); a broken submission
(three broken fixtures, a client that crashes at start-up, one that hangs) costs at most 2x the
reference's wall time for the whole client suite (issue 13).
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
# the reference server with a known user limit, so the server suite's BUSY test runs too
BUSY = ["--server-cmd", "{python} server.py --host {host} --port {port} --max-clients 4", "--server-max-clients", "4"]


# what a broken submission costs: (label, how to make the submission in a scratch folder)
BROKEN = [("fixture blocks_on_input", "cnlab/blocks_on_input"), ("fixture paraphrased_messages",
          "cnlab/paraphrased_messages"), ("fixture stays_after_busy", "cnlab/stays_after_busy"),
          ("crashes at start-up", "hostile/syntax_error.py"), ("hangs", "hostile/hangs.py")]


def one_run(role: str, workers: str, submission: Path = ROOT / "reference" / "cnlab") -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        start = time.monotonic()
        subprocess.run([sys.executable, "-m", "conformance", "check", "cnlab", str(submission), "--role", role,
                        "--json", str(report), "-n", workers, *BUSY], cwd=ROOT, stdout=subprocess.DEVNULL,
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--role", choices=("client", "server", "all"), default="client")
    parser.add_argument("-n", "--workers", default="0", help="pytest-xdist workers for each run (default 0)")
    parser.add_argument("--broken", action="store_true", help="the second table: broken submissions")
    args = parser.parse_args()
    if args.broken:
        return broken_table(args.workers)
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
          f"max {max(walls):.2f} s over {args.runs} run(s); role {args.role}, workers {args.workers}")
    print(f"flaky verdicts: {len(flaky)}" + "".join(f"\n  {t}: {c}" for t, c in sorted(flaky.items())))
    print(f"tests not passing every run: {len(not_passing)}"
          + "".join(f"\n  {t}: {c}" for t, c in sorted(not_passing.items())))
    target_met = len(verdicts) >= 50 and max(walls) <= 10 if args.role == "client" else True
    print(f"target (>= 50 checks in <= 10 s): {'met' if target_met else 'NOT met'}")
    return 0 if not flaky else 1


if __name__ == "__main__":
    sys.exit(main())
