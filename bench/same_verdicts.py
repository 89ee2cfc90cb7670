"""The same verdicts before and after a change: every fixture (and each protocol's reference) checked
by this checkout and by another revision (a git worktree), with the same seed, and their --json
documents compared test by test: outcome, failed and evaluated requirements, and the message with its
numbers masked (waits measured on a busy machine differ from run to run, the words must not). The
bundled examples (`chatconform check` with no arguments: cnlab's select_client and thread_not_daemon)
are among the fixtures.

    python bench/same_verdicts.py --base REV [--protocol P ...] [--only LABEL ...] [--jobs N] [--seed S]

Prints one line per submission that differs and a count; exit 1 if any differs.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from conformance import protocols  # noqa: E402
from conformance.selftest.fixtures import check_args, fixtures, materialize, role_args  # noqa: E402

NUMBER = re.compile(r"\d+(\.\d+)?")


def masked(message: str) -> str:
    """The first line up to its ", but ": what was expected, where (whether a wait ran out or was seen
    to be pointless, and after how long, is timing), numbers masked."""
    return NUMBER.sub("#", message.split("\n")[0].split(", but ")[0])


def comparable(document: dict) -> dict:
    """What must not change: per test id, its outcome, requirements and masked message."""
    return {test["id"]: (test["outcome"], sorted(test.get("failed_requirements") or []),
                         sorted(test.get("evaluated") or []), masked(test.get("message") or ""))
            for test in document.get("tests", [])}


def check(tree: Path, protocol: str, submission: Path, extra: list, seed: str, out: Path) -> dict:
    report = out / "report.json"
    env = {**os.environ, "PYTHONPATH": str(tree)}   # that tree's chatconform, not the installed one
    subprocess.run([sys.executable, "-m", "conformance", "check", protocol, str(submission), "--json", str(report),
                    "--seed", seed, "--no-diagnose", *extra], cwd=tree, env=env, capture_output=True, timeout=1800)
    return json.loads(report.read_text()) if report.exists() else {}


def submissions(names: list) -> list:
    """(label, protocol, folder, extra options) for each reference and fixture of the protocols."""
    out = []
    for name in names:
        described = protocols.get(name)
        scale = described.selftest_scale_args()
        out.append((f"{name}/reference", name, ROOT / "reference" / name, [*described.selftest_reference_args, *scale]))
        for fixture in fixtures(name):
            out.append((f"{name}/{fixture.name}", name, fixture, [*check_args(fixture), *role_args(fixture), *scale]))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the revision to compare with (e.g. a commit before a redesign)")
    parser.add_argument("--protocol", action="append", choices=protocols.NAMES)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", default="11")
    parser.add_argument("--only", action="append", default=[], help="only submissions whose label holds this")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="chatconform-same-") as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), args.base], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            rows = [row for row in submissions(args.protocol or list(protocols.NAMES))
                    if not args.only or any(part in row[0] for part in args.only)]

            def compare(row):
                label, protocol, folder, extra = row
                scratch = Path(tempfile.mkdtemp(dir=tmp))
                written = materialize(folder, scratch) if folder.parent.parent.name == "fixtures" else folder
                documents = []
                for tree in (base, ROOT):
                    out = Path(tempfile.mkdtemp(dir=tmp))
                    submission = tree / written.relative_to(ROOT) if written.is_relative_to(ROOT) else written
                    documents.append(check(tree, protocol, submission, extra, args.seed, out))
                before, after = (comparable(d) for d in documents)
                return label, before, after

            differ = 0
            with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
                for label, before, after in pool.map(compare, rows):
                    if not before or before != after:
                        differ += 1
                        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
                        print(f"DIFFERS {label}: {changed[:5] or 'no report'}", flush=True)
                        for key in changed[:3]:
                            print(f"   before {before.get(key)}\n   after  {after.get(key)}")
            print(f"{len(rows) - differ} of {len(rows)} submissions: the same verdicts, requirements and messages "
                  f"(base {args.base}, seed {args.seed})")
            return 1 if differ else 0
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
