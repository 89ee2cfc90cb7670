"""Checking fast: how many tests a check runs at once by default (-j auto) and where a test's time
goes (--profile): bookings that nest, windows that keep what they wait on, nothing when off."""
from __future__ import annotations

import json
import sys
import time

import pytest

from conformance import check_options
from conformance.harness import machine, state, timing
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
