"""The model-based server test across seeds: does it pass every correct program and the reference every
time (no flip), find the interleaving-only bugs every time, and how short are its witnesses?

    python bench/model_stability.py [--protocol jsonl] [--seeds 20] [--examples N] [--programs reference threaded ...]

Each run is `chatconform check PROTOCOL PROGRAM --test PROTOCOL/server/<ID>-model --seed S` (`-j 1`, one
test). With --examples, each run draws that many scripts, its search time growing with them (the slow
profile: e.g. --seeds 1 --examples 2000 --programs reference)."""
from __future__ import annotations

import argparse
import json
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from conformance.selftest.fixtures import fixtures, materialize, role_args  # noqa: E402

TESTS = {"jsonl": "jsonl/server/JS3-model", "sendto": "sendto/server/SS4-model", "chat10": "chat10/server/CS3-model",
         "cnlab": "cnlab/server/SV7-model"}


def programs(protocol: str, names: list, into: Path) -> dict:
    """name -> (folder, what it must do: 'pass' or the ID it must fail): the reference, every correct
    fixture with a server of its own, and the interleaving-only ones."""
    out = {}
    for fixture in fixtures(protocol):
        expected = json.loads((fixture / "expected.json").read_text())
        manifest = fixture / "mutation.json"
        only = manifest.exists() and json.loads(manifest.read_text()).get("interleaving_only")
        if names and fixture.name not in names or role_args(fixture) == ["--role", "client"]:
            continue   # (a correct client's variant: its server is its base's)
        if (not expected or only) and (folder := materialize(fixture, into)).joinpath("server.py").exists():
            out[fixture.name] = (folder, expected[0] if expected else "pass")
    if not names or "reference" in names:
        out["reference"] = (ROOT / "reference" / protocol, "pass")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--protocol", choices=sorted(TESTS), default="jsonl")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--examples", type=int, help="scripts drawn per run (default: the test's own)")
    parser.add_argument("--programs", nargs="*", default=[], help="fixture names and/or reference (default: the "
                        "reference, every correct jsonl fixture and the interleaving-only ones)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chatconform-bench-model-") as tmp:
        chosen = programs(args.protocol, args.programs, Path(tmp))
        model_test = TESTS[args.protocol]
        print(f"{model_test}: {len(chosen)} programs x {args.seeds} seeds"
              + (f", {args.examples} scripts a run" if args.examples else ""))
        lengths, bad = [], 0
        for name, (folder, want) in chosen.items():
            outcomes, shrunk, took = [], [], []
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                report = Path(tmp) / "report.json"
                argv = [sys.executable, "-m", "conformance", "check", args.protocol, str(folder), "--role", "server",
                        "--test", model_test, "--seed", str(seed), "-j", "1", "--no-diagnose", "--json", str(report)]
                given = ROOT / "fixtures" / args.protocol / name / "args.txt"   # the fixture's own options
                argv += shlex.split(given.read_text()) if given.exists() else []
                if args.examples:
                    argv += ["--model-examples", str(args.examples)]
                began = time.monotonic()
                subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
                took.append(time.monotonic() - began)
                test = json.loads(report.read_text())["tests"][0]
                failed = test["failed_requirements"]
                outcomes.append("pass" if test["outcome"] == "passed" else failed[0] if failed else test["outcome"])
                found = re.search(r"shrunk to (\d+) step", test.get("message", ""))
                if found:
                    shrunk.append(int(found.group(1)))
            right = sum(o == want for o in outcomes)
            bad += right != len(outcomes)
            lengths += shrunk
            print(f"  {name:<40} must {want:<5} right {right}/{len(outcomes)}"
                  + (f", others: {sorted(set(o for o in outcomes if o != want))}" if right != len(outcomes) else "")
                  + (f"; witness median {statistics.median(shrunk)} steps (max {max(shrunk)})" if shrunk else "")
                  + f"; {statistics.median(took):.1f} s a run")
        if lengths:
            print(f"witnesses: median {statistics.median(lengths)} steps (the two opening connects included), "
                  f"{len(lengths)} in all")
        print(f"programs not right every time: {bad}")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
