"""Checking fast: how many tests a check runs at once by default (-j auto) and where a test's time
goes (--profile): bookings that nest, windows that keep what they wait on, nothing when off."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conformance import check_options
from conformance.harness import containment, machine, procstate, state, timing
from conformance.selftest.checks import ROOT, check


@pytest.fixture
def profiling():
    before = state.current()
    state.activate(state.RunState(spent={}))
    timing.begin()
    yield state.current()
    state.activate(before)


def test_bookings_nest_and_each_keeps_its_own_time(profiling):
    with timing.booked("start", "candidate"):
        time.sleep(0.02)
        with timing.booked("candidate", "a line"):
            time.sleep(0.03)
    spent = timing.ledger()
    assert spent["candidate:a line"] >= 0.03
    assert 0.02 <= spent["start:candidate"] < 0.03 + 0.02   # its inner booking is not its own


def test_what_a_window_waits_on_is_the_windows_time(profiling):
    with timing.booked("window", "quiet (wire)"):
        with timing.booked("candidate", "the wire"):
            time.sleep(0.02)
    assert list(timing.ledger()) == ["window:quiet (wire)"]


def test_nothing_is_booked_when_not_profiling():
    before = state.current()
    state.activate(state.RunState())
    try:
        with timing.booked("start", "candidate"):
            pass
        assert timing.ledger() == {}
    finally:
        state.activate(before)


@pytest.mark.parametrize("cores, memory, jobs", [(2, 24 << 30, 4), (1, 24 << 30, 2), (16, 24 << 30, machine.MAX_JOBS),
                                                 (8, 1 << 30, 2), (2, 100 << 20, 1), (4, None, 8)])
def test_auto_jobs_follow_the_cores_and_the_memory(monkeypatch, cores, memory, jobs):
    monkeypatch.setattr(machine, "cores", lambda: cores)
    monkeypatch.setattr(machine, "available_memory", lambda: memory)
    assert machine.auto_jobs() == jobs


def test_j_takes_a_number_auto_or_the_old_0():
    assert check_options.jobs_of("3") == 3 and check_options.jobs_of("0") == 1 and check_options.jobs_of(1) == 1
    assert check_options.jobs_of("auto") == machine.auto_jobs()
    with pytest.raises(ValueError, match="-j takes a number or auto"):
        check_options.jobs_of("many")


@pytest.mark.timeout(120)
def test_a_profiled_check_says_where_each_tests_time_went(tmp_path):
    """--profile: every test of the JSON document carries its bookings, and they fit in its duration."""
    code, document, output = check("cnlab", ROOT / "reference" / "cnlab", tmp_path, "--role", "client", "--profile",
                                   "--test", "cnlab/client/RI4-in-use", "--test", "cnlab/client/RC1-quit", "-j", "2")
    assert code == 0, output
    assert len(document["tests"]) >= 2
    for test in document["tests"]:
        profile = test["profile"]
        assert "start:candidate until ready for input" in profile and "harness:stopping programs" in profile
        assert all(key.split(":")[0] in ("start", "candidate", "window", "harness") for key in profile)
        assert sum(profile.values()) <= test["duration_s"] + 0.01
    code, plain, _ = check("cnlab", ROOT / "reference" / "cnlab", tmp_path, "--role", "client", "-k", "RI4")
    assert plain["tests"] and all("profile" not in test for test in plain["tests"])


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_mistyped_test_id_is_a_usage_error_at_any_j(tmp_path, jobs):
    """Not a harness fault: with -j 2 every worker once raised its own usage error, and xdist called that
    the harness failing."""
    code, document, output = check("cnlab", ROOT / "reference" / "cnlab", tmp_path, "--role", "client",
                                   "--test", "cnlab/client/RI4-in-uze", "--test", "cnlab/client/RC1-qit", "-j", jobs)
    assert code == 2, output
    assert document["error"] == "no test with id cnlab/client/RC1-qit, cnlab/client/RI4-in-uze", output
    assert "harness failed" not in output


@pytest.mark.timeout(120)
def test_a_test_worker_that_dies_makes_the_run_an_error_not_a_verdict(tmp_path):
    """-j 2: a worker killed in the middle of a test (the OOM killer, say) leaves no verdict for that
    test; the run says so and exits 2, the test is not silently dropped."""
    (tmp_path / "client.py").write_text("import time\nwhile True:\n    time.sleep(0.05)\n")
    report = tmp_path / "report.json"
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "check", "cnlab", str(tmp_path), "--json",
                             str(report), "-j", "2", "--test", "cnlab/client/RI4-in-use", "--test",
                             "cnlab/client/RC1-quit"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    deadline = time.monotonic() + 60
    victim = None
    while victim is None and time.monotonic() < deadline:
        victim = next((pid for pid in procstate.descendants(proc.pid) if worker_running_a_candidate(pid)), None)
        time.sleep(0.05)   # polling for a worker to be inside a test: there is no event to wait on
    assert victim, "no test worker started a candidate within 60 s"
    os.kill(victim, signal.SIGKILL)
    output, _ = proc.communicate(timeout=100)
    document = json.loads(report.read_text())
    assert proc.returncode == 2, output
    assert "a test worker of the harness died while it ran" in document["error"], output
    assert "harness died" in output


def worker_running_a_candidate(pid: int) -> bool:
    """An xdist worker (python -c …execnet…) whose test has started the candidate (client.py)."""
    return "sys.stdin.readline" in containment.command_line(pid) and \
        any("client.py" in containment.command_line(child) for child in procstate.descendants(pid))


def test_no_path_of_a_grader_tmpdir_reaches_the_document_at_j_2(tmp_path):
    """Each -j worker makes its own scratch copy, under TMPDIR, wherever a grader points it: the
    traceback of a candidate that crashes names its file, not the grader's folders."""
    tmpdir, submission = tmp_path / "graders-big-disk", tmp_path / "student"
    tmpdir.mkdir()
    submission.mkdir()
    (submission / "client.py").write_text("raise SystemExit(undefined_name)\n")
    code, document, output = check("cnlab", submission, tmp_path, "--role", "client", "--test", "cnlab/client/RC1-quit",
                                   "--test", "cnlab/client/RI4-in-use", "-j", "2", env={"TMPDIR": str(tmpdir)})
    assert code == 1, output
    text = json.dumps(document)
    assert "NameError" in text and str(tmpdir) not in text and "chatconform-scratch" not in text
