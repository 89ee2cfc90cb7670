"""The suite's side of diagnoses: a failed test is replayed (same seed, one variable changed) before
its reports are logged, and its diagnosis rides on its failed report: under the failure in the
terminal, in `--json` (`diagnoses`, `experiments`), in feedback pages and platform files.

The verdict is the first run's, always: replays only feed the diagnosis, and a fault while
diagnosing costs the diagnosis, never the verdict."""
from __future__ import annotations

import time
from pathlib import Path

import pytest
from _pytest.runner import runtestprotocol

from .. import stash
from ..harness import state, variation
from ..harness.failure import CheckFailure
from . import code, engine, experiment, observe

REPLAY_BUDGET = 0.75   # of the test's timeout: the first run and its replays must end well inside it
RUN_SHARE = 0.3        # replays may add at most this share to the run's own time so far (plus RUN_GRACE s,
RUN_GRACE = 2.5        # so that a rerun of one failed test is diagnosed too)


def enabled(config) -> bool:
    """Diagnoses are made: a run with --protocol, without --no-diagnose, with no variation in force
    (--experiment, or a replay running)."""
    return (stash.context(config) is not None and not config.getoption("chatconform_no_diagnose")
            and not state.current().active)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    exc = call.excinfo.value if call.excinfo is not None else None
    record = stash.record(item)
    if isinstance(exc, CheckFailure) and record.seen is None and enabled(item.config):
        try:
            record.seen = observe.capture(item, exc)   # now, while the programs still run
        except Exception:   # noqa: BLE001 - an observation lost costs a diagnosis, never the verdict
            record.seen = {}
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    begin_test()
    record = stash.record(item)
    if not enabled(item.config) or record.identity is None:
        return None   # pytest's own protocol
    ihook = item.ihook
    ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    record.seen = None
    began = time.monotonic()
    reports = runtestprotocol(item, nextitem=nextitem, log=False)
    failed = [r for r in reports if r.failed and (getattr(r, "chatconform", None) or {}).get("check_failure")]
    if failed:
        try:
            attach(item, nextitem, failed[-1], time.monotonic() - began)
        except Exception as exc:   # noqa: BLE001 - see the module's docstring
            failed[-1].chatconform["diagnosis_error"] = f"{type(exc).__name__}: {exc}"
    record.seen = None
    for report in reports:
        ihook.pytest_runtest_logreport(report=report)
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def begin_test() -> None:
    """What a run of a test records for its diagnosis starts empty (the first run and each replay)."""
    variation.begin_test()
    observe.begin_test()


def attach(item, nextitem, report, first_run: float) -> None:
    info = report.chatconform
    seen = stash.record(item).seen or {}
    did = dict(state.current().seen)
    limit = float(item.config.getini("timeout") or 60) * REPLAY_BUDGET
    replays: dict = {}
    began = time.monotonic()
    ctx = stash.context(item.config)
    markers, rules = ctx.descriptor.diagnosis()
    folder = ctx.copy or ctx.submission
    facts = code.facts(str(folder), markers) if folder else ()
    program = ctx.programs.get(info.get("role") or "")
    entry = code.entry_file(program.template, program.cwd) if program is not None and folder else None
    used = code.imported_files(str(folder), entry) if entry is not None and entry.is_file() and Path(folder).is_dir() \
        else set()
    if used:   # only the files the failed program runs: a copy it never imports (refrac.py) is not where it fails
        facts = tuple(f for f in facts if f.file in used)

    def diagnosis() -> list:
        return engine.diagnose(info.get("failed_requirements", []), info.get("message", ""), seen, replays, facts,
                               rules, rerun=info.get("rerun", ""), role=info.get("role"))

    diagnoses = diagnosis()
    # replays only where what was seen does not already prove a mechanism, within the test's bound and
    # within the run's share (a failing run costs at most 1.3 times its own time, plus 2.5 s)
    if first_run <= experiment.MAX_TEST_SECONDS and not engine.proved(diagnoses):
        for variable in experiment.replays_for(did, seen):
            cost = first_run * variation.time_factor(variable) + 0.5
            now = time.monotonic()
            clock = state.current().clock
            own = now - clock["started"] - clock["replays"]
            if first_run + (now - began) + cost > limit or clock["replays"] + cost > RUN_SHARE * own + RUN_GRACE:
                break
            replays[variable] = replay(item, nextitem, variable)
            clock["replays"] += time.monotonic() - now
            if variable == "delivery=char-safe" and replays[variable]:
                break   # the smaller change already makes it pass: whole messages would prove nothing more
        if replays:
            diagnoses = diagnosis()
    info["diagnoses"] = diagnoses
    info["diagnosis_s"] = round(time.monotonic() - began, 3)
    info["experiments"] = {variable: "passed" if ok else "failed" for variable, ok in replays.items()}
    if diagnoses and isinstance(report.longrepr, str):
        lines = engine.render(diagnoses)
        text = report.longrepr
        at = text.find("Transcript (seconds")
        report.longrepr = (text[:at] + "\n".join(lines) + "\n" + text[at:]) if at >= 0 else \
            text + "\n\n" + "\n".join(lines)


def replay(item, nextitem, variable: str) -> bool:
    """The test once more, the same seed, with `variable` changed, in a state of its own: did it pass?"""
    with state.replaying(variation.parse(variable), variation.time_factor(variable)):
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
    return any(r.when == "call" and r.passed for r in reports) and not any(r.failed for r in reports)
