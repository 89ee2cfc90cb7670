"""Diagnoses, measured: every broken fixture checked with its diagnosis, against the cause its
mutation.json plants. Per protocol: the share whose top diagnosis names the planted cause (goal
>= 90 %), the share of shown diagnoses that are right (precision, goal >= 95 %: a failed test's first
cause is the planted one), the extra wall time over the same check with --no-diagnose (goal
<= 50 %), and that every verdict is still exactly what the fixture's manifest says (a diagnosis never
changes a verdict).

    python bench/diagnoses.py [--protocol P] [--fixture NAME] [--jobs 2] [--no-baseline] [--save DIR]
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
from conformance.diagnose.engine import top_cause  # noqa: E402
from conformance.protocols import NAMES as PROTOCOLS  # noqa: E402
from conformance.selftest.checks import check  # noqa: E402
from conformance.selftest.fixtures import check_args, fixtures, materialize, role_args  # noqa: E402


def planted_cause(fixture: Path) -> str | None:
    path = fixture / "mutation.json"
    return json.loads(path.read_text()).get("cause") if path.exists() else None


def measure(fixture: Path, baseline: bool, save: Path | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="chatconform-diag-") as tmp:
        folder = materialize(fixture, Path(tmp))
        extra = [*check_args(fixture), *role_args(fixture), "--seed", "4242"]
        began = time.monotonic()
        _, document, _ = check(fixture.parent.name, folder, Path(tmp), *extra)
        with_diagnosis = time.monotonic() - began
        without = None
        if baseline:
            began = time.monotonic()
            check(fixture.parent.name, folder, Path(tmp), *extra, "--no-diagnose")
            without = time.monotonic() - began
    if save:
        (save / fixture.parent.name).mkdir(parents=True, exist_ok=True)
        (save / fixture.parent.name / f"{fixture.name}.json").write_text(json.dumps(document, indent=1))
    failed = [t for t in document.get("tests", []) if t["outcome"] in ("failed", "error")]
    planted = planted_cause(fixture)
    shown = [t["diagnoses"][0]["cause"] for t in failed if t.get("diagnoses")]
    spent = sum(t.get("diagnosis_s", 0.0) for t in failed)
    charged = sorted({r for t in failed for r in t["failed_requirements"]})
    manifest = sorted(json.loads((fixture / "expected.json").read_text()))
    return {"fixture": fixture.name, "planted": planted, "top": top_cause(failed), "shown": shown,
            "right": sum(c == planted for c in shown), "time": with_diagnosis,
            # without a --no-diagnose run: the run's wall time less the time its replays and diagnoses took
            "baseline": without if without is not None else with_diagnosis - spent, "failed": len(failed),
            "verdict_kept": charged == manifest}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=PROTOCOLS, action="append")
    parser.add_argument("--fixture", action="append", help="only these fixtures (repeatable)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-baseline", action="store_true", help="skip the --no-diagnose runs: the time without "
                        "diagnoses is the run's less what its replays and diagnoses took (each test's diagnosis_s)")
    parser.add_argument("--save", type=Path, help="keep each --json document here")
    args = parser.parse_args()
    began, totals = time.monotonic(), {"top": 0, "n": 0, "right": 0, "shown": 0}
    for protocol in args.protocol or PROTOCOLS:
        broken = [f for f in fixtures(protocol) if planted_cause(f) and (not args.fixture or f.name in args.fixture)]
        if not broken:
            continue
        with ThreadPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(lambda f: measure(f, not args.no_baseline, args.save), broken))
        top = sum(r["top"] == r["planted"] for r in rows)
        kept = sum(r["verdict_kept"] for r in rows)
        shown = sum(len(r["shown"]) for r in rows)
        right = sum(r["right"] for r in rows)
        line = (f"{protocol}: top diagnosis names the planted cause in {top} of {len(rows)} broken fixtures "
                f"({100 * top / len(rows):.0f} %); shown diagnoses right: {right} of {shown} "
                f"({100 * right / max(1, shown):.0f} %); verdicts as the manifest says: {kept} of {len(rows)}")
        spent, base = sum(r["time"] for r in rows), sum(r["baseline"] for r in rows)
        line += (f"; wall time {spent:.0f} s with diagnoses, {base:.0f} s without (+{100 * (spent - base) / base:.0f} %"
                 + (", measured with --no-diagnose runs)" if not args.no_baseline else ", the replays' own time taken off)"))
        print(line, flush=True)
        for r in rows:
            if r["top"] != r["planted"] or r["right"] < len(r["shown"]) or not r["verdict_kept"]:
                wrong = sorted({c for c in r["shown"] if c != r["planted"]})
                print(f"  {r['fixture']}: planted {r['planted']}, top {r['top']}"
                      + (f", also shown first: {', '.join(wrong)}" if wrong else "")
                      + ("" if r["verdict_kept"] else ", VERDICT DIFFERS FROM THE MANIFEST"), flush=True)
        totals["top"] += top
        totals["n"] += len(rows)
        totals["right"] += right
        totals["shown"] += shown
    if totals["n"]:
        print(f"all: top {totals['top']} of {totals['n']} ({100 * totals['top'] / totals['n']:.0f} %), precision "
              f"{totals['right']} of {totals['shown']} ({100 * totals['right'] / max(1, totals['shown']):.0f} %); "
              f"{time.monotonic() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
