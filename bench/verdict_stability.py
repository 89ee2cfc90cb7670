"""Are verdicts on correct programs stable under load? Runs every correct fixture and every reference
K times, each with a fresh seed, while another process keeps one core busy, and counts the tests
that did not pass (goal: 0).

    python bench/verdict_stability.py [--runs 10] [--protocol cnlab] [--no-load]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.selfcheck import check, check_args, fixtures, materialize, role_args  # noqa: E402
from tests.test_selftest import REFERENCE_SERVER, TIMEOUT_SCALE  # noqa: E402


def spin(stop) -> None:
    while not stop.is_set():
        sum(range(10_000))


def correct_submissions(protocols) -> list:
    out = []
    for protocol in protocols:
        out.append((protocol, ROOT / "reference" / protocol, REFERENCE_SERVER[protocol]))
        for fixture in fixtures(protocol):
            if json.loads((fixture / "expected.json").read_text()) == []:   # a correct variant too
                out.append((protocol, fixture, check_args(fixture) + role_args(fixture)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--protocol", action="append", help="only these protocols (repeatable)")
    parser.add_argument("--no-load", action="store_true", help="do not keep a core busy")
    args = parser.parse_args()
    protocols = args.protocol or sorted(REFERENCE_SERVER)
    stop = multiprocessing.Event()
    load = None if args.no_load else multiprocessing.Process(target=spin, args=(stop,), daemon=True)
    if load:
        load.start()
    bad: Counter = Counter()
    total = 0
    started = time.monotonic()
    try:
        for run in range(args.runs):
            for protocol, submission, extra in correct_submissions(protocols):
                seed = str(random.SystemRandom().randrange(1, 10 ** 6))
                with tempfile.TemporaryDirectory() as tmp:
                    code, document, output = check(protocol, materialize(submission, Path(tmp)), Path(tmp), *extra,
                                                   *TIMEOUT_SCALE[protocol], "--seed", seed, forked=True)
                tests = document.get("tests", [])
                total += len(tests)
                for test in tests:   # skipped tests (no Xvfb, a bonus) are no verdict: not counted
                    if test["outcome"] in ("failed", "error"):
                        bad[(submission.name, test["id"])] += 1
                        print(f"  run {run + 1}: {protocol} {submission.name} {test['id']} {test['outcome']} "
                              f"(--seed {seed}): {(test['message'] or '').splitlines()[:1]}")
                if not tests:
                    bad[(submission.name, "no report")] += 1
                    print(f"  run {run + 1}: {protocol} {submission.name}: no report (exit {code})")
    finally:
        stop.set()
    print(f"{args.runs} runs, {total} verdicts on correct programs, {sum(bad.values())} non-passing, "
          f"{'one core busy' if load else 'no load'}, {time.monotonic() - started:.0f} s")
    for (name, test), count in bad.most_common():
        print(f"  {count}x {name} {test}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
