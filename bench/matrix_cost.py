"""What an interop matrix costs: a class of self-test fixtures (each student a client and a server),
`chatconform matrix` run on it, and the cost of a class of 30 predicted from the cells measured.

    python bench/matrix_cost.py [--protocol jsonl] [--students 5] [--jobs N] [--predict 30]

Prints the wall time, the cells, each cell's median and worst time, the CPU the machine used (the
floor on its cores), the verdicts, and the prediction: (students + 1)^2 cells (the reference on both
sides) at the measured wall time per cell."""
from __future__ import annotations

import argparse
import json
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
from conformance.selftest.fixtures import FIXTURES, fixtures, materialize  # noqa: E402


def build(protocol: str, into: Path, students: int) -> None:
    """Students alternate: a correct fixture, a broken client, a broken server, ..."""
    every = fixtures(protocol)
    correct = [f for f in every if not json.loads((f / "expected.json").read_text())]
    clients = [f for f in every if f.name.startswith("client_")]
    servers = [f for f in every if f.name.startswith("server_")]
    pools = [correct, clients, servers]
    work = into.parent / "materialized"
    work.mkdir(parents=True, exist_ok=True)
    for i in range(students):
        pool = pools[i % 3] or correct
        fixture = pool[(i // 3) % len(pool)]
        folder = materialize(fixture, work)
        shutil.copytree(folder, into / f"s{i:02d}_{fixture.name}",
                        ignore=shutil.ignore_patterns("expected.json", "mutation.json"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", default="jsonl", choices=("jsonl", "sendto", "chat10"))
    parser.add_argument("--students", type=int, default=5)
    parser.add_argument("--jobs", type=int, help="matrix -j (default: its own)")
    parser.add_argument("--predict", type=int, default=30, help="the class size to predict (default 30)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chatconform-bench-matrix-") as tmp:
        klass, out = Path(tmp) / "class", Path(tmp) / "matrix"
        klass.mkdir()
        build(args.protocol, klass, args.students)
        argv = [sys.executable, "-m", "conformance", "matrix", args.protocol, str(klass), "-o", str(out), "--quiet"]
        if args.jobs:
            argv += ["-j", str(args.jobs)]
        began, cpu = time.monotonic(), machine.cpu_seconds()[0]
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
        wall, used = time.monotonic() - began, machine.cpu_seconds()[0] - cpu
        if proc.returncode not in (0, 1):
            print(proc.stdout + proc.stderr)
            return 1
        doc = json.loads((out / "matrix.json").read_text())
    cells = doc["cells"]
    ran = [c for c in cells if not c.get("not_run")]
    took = sorted(c["duration_s"] for c in ran)
    verdicts = {v: sum(c["verdict"] == v for c in cells) for v in ("passed", "failed", "unsupported", "error")}
    print(f"{args.protocol} matrix of {args.students} students + the reference: {len(cells)} cells "
          f"({len(cells) - len(ran)} not run: dead servers), -j {args.jobs or 'auto'}, {machine.cores()} cores")
    print(f"wall {wall:.0f} s; per cell median {statistics.median(took):.1f} s, worst {took[-1]:.1f} s; "
          f"CPU of the machine {used:.0f} s ({used / max(1, len(ran)):.1f} s a cell; "
          f"{100 * used / machine.cores() / wall:.0f} % of the cores)")
    print("verdicts: " + ", ".join(f"{n} {v}" for v, n in verdicts.items())
          + f"; {len(doc['findings'])} finding(s) on the text")
    n = (args.predict + 1) ** 2
    print(f"a class of {args.predict}: {n} cells, predicted {n * wall / len(ran) / 60:.0f} min wall on this machine "
          f"({n * used / len(ran) / machine.cores() / 60:.0f} min if the cores were the only limit)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
