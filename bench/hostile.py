"""Hostile candidates against the whole cnlab client suite: per case the wall time, the exit status,
what is left running afterwards, the harness's peak RSS and the size of the --json report, checked
against fixtures/hostile/manifest.json. With --sigkill the harness is SIGKILLed a few seconds into
the run instead, and only the survivors count. With --reading, candidates that try to read what a
grading machine holds (a classmate's file, the rubric, the grade output, a file in the grader's
home, chatconform's own source, /proc/1/environ) in a real `grade` run: each must get "no such file"
or "permission denied", and no byte of any of it may reach the run's reports (marker strings).

    python bench/hostile.py [--case NAME ...] [--sigkill] [--test ID ...]
    python bench/hostile.py --reading
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from conformance.selftest.hostile import CORPUS, run_case, run_reading  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", action="append", help="only these cases (repeatable)")
    parser.add_argument("--sigkill", action="store_true", help="SIGKILL the harness 6 s into each run")
    parser.add_argument("--test", action="append", default=[], help="only these test IDs (repeatable)")
    parser.add_argument("--reading", action="store_true", help="the candidates that try to read (a grade run)")
    args = parser.parse_args()
    if args.reading:
        rows, problems = run_reading()
        for what, read, how in rows:
            print(f"{what:<22} {'READ' if read else 'not reached':<12} {how}")
        print(f"{sum(not r for _, r, _ in rows)} of {len(rows)} targets out of reach; "
              + ("; ".join(problems) if problems else "no marker in any report"))
        return 1 if problems else 0
    manifest = json.loads((CORPUS / "manifest.json").read_text())
    cases = args.case or list(manifest["cases"])
    print(f"{'case':<18} {'wall s':>7} {'exit':>4} {'left':>4} {'RSS MB':>7} {'report MB':>9}  verdict")
    bad = 0
    for name in cases:
        row = run_case(name, manifest["cases"][name], manifest["bounds"], args.sigkill, args.test)
        bad += bool(row["problems"])
        print(f"{name:<18} {row['wall_s']:7.1f} {row['exit']:>4} {row['survivors']:>4} {row['rss_mb']:7.0f} "
              f"{row['report_mb']:9.2f}  {'; '.join(row['problems']) or 'ok'}", flush=True)
    print(f"{len(cases) - bad} of {len(cases)} cases within the goals"
          + (" (harness SIGKILLed: survivors only)" if args.sigkill else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
