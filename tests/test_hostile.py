"""The hostile corpus (fixtures/hostile/, its manifest.json) against a few cnlab client tests each:
a verdict (never a harness crash), nothing left running, the harness's memory and report bounded.
bench/hostile.py runs the same over the whole suite, and with the harness SIGKILLed."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.system import NOT_TESTED

from conformance.harness import containment
from conformance.selftest import hostile
from conformance.selftest.checks import ROOT
MANIFEST = json.loads((hostile.CORPUS / "manifest.json").read_text())
TESTS = ["cnlab/client/RI2-welcome", "cnlab/client/RA1-login", "cnlab/client/RC1-quit"]
# a flooding case keeps a core busy for its whole run: on a loaded machine it takes over a minute
pytestmark = pytest.mark.timeout(300)


@pytest.mark.parametrize("case", sorted(MANIFEST["cases"]))
def test_hostile_case_is_contained(case):
    row = hostile.run_case(case, MANIFEST["cases"][case], MANIFEST["bounds"], sigkill=False, tests=TESTS)
    assert not row["problems"], row


@pytest.mark.parametrize("case", ["setsid_escapee", "forks_many"])
@pytest.mark.skipif(containment.mode() != "bubblewrap",
                    reason=f"{NOT_TESTED}: the fallback containment cannot end a detached grandchild of a SIGKILLed "
                           "harness (docs/containment.md): needs bwrap (apt-get install bubblewrap)")
def test_nothing_survives_a_sigkilled_harness(case):
    row = hostile.run_case(case, MANIFEST["cases"][case], MANIFEST["bounds"], sigkill=True, tests=TESTS)
    assert row["survivors"] == 0, row


@pytest.mark.skipif(containment.mode() != "bubblewrap",
                    reason=f"{NOT_TESTED}: without a sandbox a candidate can read the machine (the report says so: "
                           "docs/containment.md): needs bwrap (apt-get install bubblewrap)")
def test_a_candidate_sees_only_itself(tmp_path):
    """A client that reads a classmate's file, the rubric, the grade output, a file in the grader's
    home, chatconform's source and /proc/1/environ before its welcome: each read is refused (no such
    file) and no byte of any of it, nor of the harness's environment, reaches the report."""
    import os
    import subprocess
    import sys
    marker = "MARKER" + os.urandom(6).hex()
    paths, klass, _, _ = hostile.reading_world(tmp_path, marker)
    reader = next(klass.glob("Mallory*"))
    report = tmp_path / "report.json"
    try:
        proc = subprocess.run([sys.executable, "-m", "conformance", "check", "cnlab", str(reader), "--json", str(report),
                               "--test", "cnlab/client/RI2-welcome"], cwd=ROOT, capture_output=True, text=True,
                              timeout=120, env={**os.environ, "CHATCONFORM_BENCH_SECRET": marker})
    finally:
        Path(paths["grader-home"]).unlink(missing_ok=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = report.read_text()
    printed = hostile.printed(json.loads(text))
    for label in paths:
        assert f"DENIED {label} FileNotFoundError" in printed and f"READ {label}" not in printed, label
    assert marker not in text and "thin front over pytest" not in text and marker not in proc.stdout
