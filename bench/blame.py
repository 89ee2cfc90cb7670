"""Blame, measured: every broken fixture checked, and how many are charged with every planted ID and
nothing else (the goal: 100 % per protocol), and how many report another requirement as passed that
its tests never evaluated (the goal: 0).

    python bench/blame.py [--protocol P] [--jobs 3]
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from conformance.protocols import NAMES as PROTOCOLS  # noqa: E402
from conformance.selftest.checks import check, failed_requirements  # noqa: E402
from conformance.selftest.fixtures import check_args, fixtures, materialize, role_args  # noqa: E402


def judge(fixture: Path) -> tuple:
    """(fixture, planted IDs, charged IDs, IDs shown passed that a failed test of theirs never reached)."""
    planted = sorted(json.loads((fixture / "expected.json").read_text()))
    with tempfile.TemporaryDirectory(prefix="chatconform-blame-") as tmp:
        folder = materialize(fixture, Path(tmp))
        _, document, _ = check(fixture.parent.name, folder, Path(tmp), *check_args(fixture), *role_args(fixture),
                               "-n", "2")
    if not document.get("tests"):
        return fixture, planted, ["(no result: " + document.get("error", "?")[:80] + ")"], []
    charged = failed_requirements(document)
    # a requirement shown passed must have been judged by some test: one that passed, or one that judged it
    # (evaluated) before failing on another requirement
    judged = {r for t in document["tests"] for r in (t["requirements"] if t["outcome"] == "passed"
                                                       else t.get("evaluated", []))}
    unreached = sorted(r for r, verdict in document["requirements"].items() if verdict == "passed" and r not in judged)
    return fixture, planted, charged, unreached


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=PROTOCOLS, action="append")
    parser.add_argument("--jobs", type=int, default=3)
    args = parser.parse_args()
    began, ok = time.monotonic(), True
    for protocol in args.protocol or PROTOCOLS:
        broken = [f for f in fixtures(protocol) if json.loads((f / "expected.json").read_text())]
        with ThreadPoolExecutor(args.jobs) as pool:
            results = list(pool.map(judge, broken))
        exact = [r for r in results if r[1] == r[2]]
        print(f"{protocol}: {len(exact)} of {len(results)} broken fixtures charged with exactly their planted IDs "
              f"({100 * len(exact) / max(1, len(results)):.0f} %); passed but never evaluated: "
              f"{sum(bool(r[3]) for r in results)}")
        for fixture, planted, charged, unreached in results:
            if planted != charged or unreached:
                ok = False
                print(f"  {fixture.name}: planted {planted}, charged {charged}"
                      + (f", shown passed unevaluated {unreached}" if unreached else ""))
    print(f"{time.monotonic() - began:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
