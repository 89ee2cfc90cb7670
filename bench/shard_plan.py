"""A class of 10,000 on many machines: the predicted wall time and imbalance of the shard split.

    python bench/shard_plan.py                 # 10,000 submissions, N = 10, 50, 200 workers
    python bench/shard_plan.py --size 2000 --workers 4 16
    python bench/shard_plan.py --measure       # first measure each protocol's cost (a reference check each)

The class mixes the five protocols (--mix, default as a department's courses would: many terminal
clients, fewer GUI ones). Each submission costs its protocol's seconds (conformance/grade/shard.py
COST_S, or the ones --measure finds: `chatconform check` on the reference, as grade runs it); a
worker grades its shard with `grade -j 4` (--per-machine: how many submissions' worth at once, default
the speed-up bench/grade_class.py measures on 2 cores). Printed per N: the busiest and the lightest shard, the
imbalance (busiest / mean - 1) and the predicted wall time (the busiest shard / per-machine).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from conformance.grade import shard  # noqa: E402

MIX = {"cnlab": 0.35, "jsonl": 0.2, "sendto": 0.15, "chat10": 0.15, "brace": 0.15}


def measure() -> dict:
    """Each protocol's reference checked as grade checks a submission (-j 2, diagnosis on): seconds."""
    costs = {}
    for protocol in shard.COST_S:
        with tempfile.TemporaryDirectory() as tmp:
            began = time.monotonic()
            subprocess.run([sys.executable, "-m", "conformance", "check", protocol, str(ROOT / "reference" / protocol),
                            "--json", str(Path(tmp) / "r.json"), "-j", "2"], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            costs[protocol] = round(time.monotonic() - began, 1)
            print(f"  {protocol:<7} {costs[protocol]:6.1f} s", flush=True)
    return costs


def synthetic(size: int, costs: dict) -> dict:
    names = []
    for protocol, share in MIX.items():
        names += [protocol] * round(size * share)
    names = (names + ["cnlab"] * size)[:size]
    return {f"student_{i:05d}": costs[protocol] for i, protocol in enumerate(names)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--per-machine", type=float, default=2.5,
                        help="how many submissions' worth one worker grades at once (default 2.5: a 2-core "
                             "worker at grade -j 4, as the launchers run it, measured by bench/grade_class.py)")
    parser.add_argument("--measure", action="store_true", help="measure each protocol's cost first")
    args = parser.parse_args()
    costs = dict(shard.COST_S)
    if args.measure:
        print("each protocol's reference, checked as grade checks a submission:")
        costs = measure()
        print("  (conformance/grade/shard.py COST_S: " + json.dumps(costs) + ")")
    klass = synthetic(args.size, costs)
    total = sum(klass.values())
    print(f"\n{args.size} submissions ({', '.join(f'{p} {s:.0%}' for p, s in MIX.items())}), "
          f"{total / 3600:.1f} h of checks in all; a worker grades {args.per_machine:g} at once")
    print(f"{'N':>5} {'busiest':>9} {'lightest':>9} {'imbalance':>10} {'wall':>9} {'split in':>9}")
    for count in args.workers:
        began = time.perf_counter()
        loads = shard.loads(klass, count)
        took = time.perf_counter() - began
        mean = total / count
        print(f"{count:5} {max(loads) / 60:8.1f}m {min(loads) / 60:8.1f}m {max(loads) / mean - 1:10.2%} "
              f"{max(loads) / args.per_machine / 60:8.1f}m {took * 1000:7.0f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
