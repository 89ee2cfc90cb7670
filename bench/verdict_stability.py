"""Are verdicts stable under load? Runs every correct fixture and every reference K times, each with
a fresh seed, while another process keeps one core busy, and counts the tests that did not pass
(goal: 0). `--fixture` adds broken fixtures by name (their planted failures are expected): a *flip*
is a test whose outcome was not the same in every run (goal: 0); `--test ROLE/ID` narrows each run
to those tests (e.g. client/RT3-cut-mid-line).

    python bench/verdict_stability.py [--runs 10] [--protocol cnlab] [--no-load]
    python bench/verdict_stability.py --runs 10 --protocol sendto --all-fixtures --no-load   # -j auto (default)
    python bench/verdict_stability.py --runs 20 --protocol cnlab --fixture reuses_socket_after_reject \
        --test client/RT3-cut-mid-line --only-named
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

from conformance.selftest.checks import check  # noqa: E402
from conformance.selftest.fixtures import check_args, fixtures, materialize, role_args  # noqa: E402
from conformance import protocols as registry  # noqa: E402


def spin(stop) -> None:
    while not stop.is_set():
        sum(range(10_000))


def submissions(protocols, named=(), only_named=False) -> list:
    """(protocol, folder, extra arguments, correct?): the references and correct fixtures (unless
    only_named), and the fixtures named."""
    out = []
    for protocol in protocols:
        if not only_named:
            out.append((protocol, ROOT / "reference" / protocol, registry.get(protocol).selftest_reference_args, True))
        for fixture in fixtures(protocol):
            correct = json.loads((fixture / "expected.json").read_text()) == []   # a correct variant too
            if fixture.name in named or (correct and not only_named):
                out.append((protocol, fixture, check_args(fixture) + role_args(fixture), correct))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--protocol", action="append", help="only these protocols (repeatable)")
    parser.add_argument("--no-load", action="store_true", help="do not keep a core busy")
    parser.add_argument("--fixture", action="append", default=[], help="also this (broken) fixture (repeatable)")
    parser.add_argument("--only-named", action="store_true", help="only the fixtures named, no reference")
    parser.add_argument("--test", action="append", default=[], help="only this test, as ROLE/ID (repeatable)")
    parser.add_argument("--all-fixtures", action="store_true", help="every fixture of the protocols, broken ones too")
    parser.add_argument("-j", "--jobs", default="auto", help="check's -j: tests at once in each check (default auto, "
                        "check's own default)")
    args = parser.parse_args()
    if args.all_fixtures:
        args.fixture = [f.name for protocol in (args.protocol or registry.NAMES) for f in fixtures(protocol)]
    protocols = args.protocol or sorted(registry.NAMES)
    stop = multiprocessing.Event()
    load = None if args.no_load else multiprocessing.Process(target=spin, args=(stop,), daemon=True)
    if load:
        load.start()
    bad: Counter = Counter()
    outcomes: dict = {}   # (submission, test id) -> set of outcomes seen
    total = 0
    started = time.monotonic()
    try:
        for run in range(args.runs):
            for protocol, submission, extra, correct in submissions(protocols, args.fixture, args.only_named):
                seed = str(random.SystemRandom().randrange(1, 10 ** 6))
                narrow = [a for t in args.test for a in ("--test", t if t.startswith(protocol + "/") else f"{protocol}/{t}")]
                with tempfile.TemporaryDirectory() as tmp:
                    code, document, output = check(protocol, materialize(submission, Path(tmp)), Path(tmp), *extra,
                                                   *registry.get(protocol).selftest_scale_args(), "--seed", seed, *narrow, "-j", args.jobs,
                                                   forked=True)
                tests = document.get("tests", [])
                total += len(tests)
                for test in tests:   # skipped tests (no Xvfb, a bonus) are no verdict: not counted
                    outcomes.setdefault((submission.name, test["id"]), set()).add(test["outcome"])
                    if correct and test["outcome"] in ("failed", "error"):
                        bad[(submission.name, test["id"])] += 1
                        print(f"  run {run + 1}: {protocol} {submission.name} {test['id']} {test['outcome']} "
                              f"(--seed {seed}): {(test['message'] or '').splitlines()[:1]}")
                if not tests:
                    bad[(submission.name, "no report")] += 1
                    print(f"  run {run + 1}: {protocol} {submission.name}: no report (exit {code})")
    finally:
        stop.set()
    flips = sorted(key for key, seen in outcomes.items() if len(seen - {"skipped"}) > 1)
    print(f"{args.runs} runs, {total} verdicts, {sum(bad.values())} non-passing on correct programs, "
          f"{len(flips)} flips, {'one core busy' if load else 'no load'}, -j {args.jobs}, "
          f"{time.monotonic() - started:.0f} s")
    for (name, test), count in bad.most_common():
        print(f"  {count}x {name} {test}")
    for name, test in flips:
        print(f"  flip: {name} {test}: {sorted(outcomes[(name, test)])}")
    return 1 if bad or flips else 0


if __name__ == "__main__":
    sys.exit(main())
