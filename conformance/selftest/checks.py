"""Running `python -m conformance check` as a user would, and reading back what failed. Shared by
tests/ and bench/."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ..resources import CHECKOUT as ROOT

_server = []   # this process's CheckServer (checkserver.py), started on first use


def check(protocol: str, submission: Path, tmp_path: Path, *extra: str, env: dict | None = None,
          forked: bool = False) -> tuple[int, dict, str]:
    """(exit status, --json document, console output) of `python -m conformance check`. `forked`:
    run it in a child of this worker's check server (the same CLI, without an interpreter start and
    imports per run); CHATCONFORM_SELFTEST_FORK=0 turns that off."""
    report = tmp_path / "report.json"
    # one test at a time unless a caller asks for more: the self-test runs its own checks side by side
    jobs = [] if {"-j", "-n", "--jobs", "--workers"} & set(extra) else ["-j", "1"]
    argv = ["check", protocol, str(submission), "--json", str(report), *jobs, *extra]
    environment = {**os.environ, **(env or {})}
    if forked and os.environ.get("CHATCONFORM_SELFTEST_FORK") != "0":
        from .checkserver import CheckServer
        if not _server:
            _server.append(CheckServer())
        output_file = tmp_path / "output.txt"
        code = _server[0].run(argv, environment, ROOT, output_file, timeout=900)
        output = output_file.read_text(errors="replace") if output_file.exists() else ""
    else:
        proc = subprocess.run([sys.executable, "-m", "conformance", *argv], cwd=ROOT, capture_output=True,
                              text=True, timeout=900, env=environment)
        code, output = proc.returncode, proc.stdout + proc.stderr
    document = json.loads(report.read_text()) if report.exists() else {}
    return code, document, output


def failed_requirements(document: dict) -> list:
    return sorted({req for test in document["tests"] if test["outcome"] in ("failed", "error")
                   for req in test["failed_requirements"]})


EVIDENCE_LINES = 16   # of a transcript's end, for a verdict the self-test did not expect


def explain(document: dict, evidence_for=()) -> str:
    """One line per test that did not pass; a failure of a requirement in `evidence_for` (one the
    self-test did not expect) also shows its transcript's end, so that a rare one in CI can be judged."""
    lines = []
    for test in document.get("tests", []):
        if test["outcome"] == "passed":
            continue
        lines.append(f"  {test['outcome']:7} {test['id']}: {test['message'].splitlines()[0] if test['message'] else ''}")
        if set(test.get("failed_requirements", ())) & set(evidence_for):
            tail = (test.get("transcript") or "").splitlines()[-EVIDENCE_LINES:]
            lines.extend(f"      | {line[:200]}" for line in tail)
    return "\n".join(lines)
