"""Running the suite on a submission as a user would, and reading back what failed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


def check(protocol: str, submission: Path, tmp_path: Path, *extra: str) -> tuple[int, dict, str]:
    """(exit status, --json document, console output) of `python -m conformance check`."""
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "conformance", "check", protocol, str(submission),
                           "--json", str(report), *extra], cwd=ROOT, capture_output=True, text=True, timeout=900)
    document = json.loads(report.read_text()) if report.exists() else {}
    return proc.returncode, document, proc.stdout + proc.stderr


def failed_requirements(document: dict) -> list:
    return sorted({req for test in document["tests"] if test["outcome"] in ("failed", "error")
                   for req in test["failed_requirements"]})


def explain(document: dict) -> str:
    return "\n".join(f"  {t['outcome']:7} {t['id']}: {t['message'].splitlines()[0] if t['message'] else ''}"
                     for t in document.get("tests", []) if t["outcome"] != "passed")


def fixtures(protocol: str) -> list:
    return sorted(p.parent for p in (FIXTURES / protocol).glob("*/expected.json"))
