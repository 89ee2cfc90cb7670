"""Failure reports (requirement sentence, expected/actual, transcript, rerun), the --json document and
the requirements table."""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

from .. import stash
from ..harness import containment, settings, timing, variation
from ..harness.programs import HarnessError
from ..harness.failure import CheckFailure
from ..harness.gui import screenshot_dir
from ..harness.state import current
from ..harness.transcript import LEGEND, Transcript, clip
from .identity import NONE_MATCHED, rerun_command, unknown_tests


def failure_text(item, exc: CheckFailure, transcript: Transcript | None, rerun: str, notes: list) -> str:
    stable, _, ids = stash.record(item).identity
    spec = requirement_sentences(item.config)
    about = exc.blamed(ids)
    out = [f"{stable}"]
    for req in about:
        level, sentence = spec[req]
        out.append(f"  {req} ({level}): {sentence}")
        if level == "SHOULD":
            beyond = stash.results(item.config).should.get(req)
            out.append("    A warning (SHOULD), not a MUST failure" + (f"; it goes beyond the text: {beyond}"
                                                                     if beyond else "."))
    out += ["", exc.describe(), ""]
    out += notes
    if transcript is not None:
        out += ["Transcript (seconds since the test started):", LEGEND, clip(transcript.render(), MAX_REPORT_TRANSCRIPT, CUT), ""]
    out += ["Rerun just this test:", f"  {rerun}"]
    return "\n".join(out)


def exited_notes(item) -> list:
    """A candidate that died during the test explains most failures: say so, with its last words."""
    notes = []
    for term in stash.record(item).terminals:
        if not term.alive():
            tail = "\n".join(term.all_lines()[-15:]).strip()
            notes += [f"Note: the candidate exited during the test ({term.exit_description()}). "
                      f"Its last output:", tail or "[nothing]", ""]
    return notes


NO_MODULE = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")


def missing_package(item, transcript: Transcript | None) -> str | None:
    """A package a candidate imports that is installed neither here nor in its submission (a course's
    click, colorama, aioconsole): the name of its top module, where the transcript shows the import fail.
    A module of the submission's own that is missing (a file left out) stays the student's."""
    found = NO_MODULE.search(transcript.render()) if transcript is not None else None
    if not found:
        return None
    top = found.group(1).split(".")[0]
    ctx = stash.context(item.config)
    folders = [Path(p) for p in (ctx.submission, ctx.partner) if p] if ctx else []
    for folder in folders:
        root = folder if folder.is_dir() else folder.parent
        if any(root.rglob(f"{top}.py")) or any(p.is_dir() for p in root.rglob(top)):
            return None
    return top


# What one test may put into the --json report: the whole document stays small (≤ 2 MB for a suite)
# whatever the candidate prints. Cut in the middle, saying how much.
MAX_REPORT_MESSAGE = 6000
MAX_REPORT_TRANSCRIPT = 16000
CUT = "\n… {} characters more, cut …\n"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if os.environ.get(settings.FAULT_VARIABLE) == "report":   # the self-test's injected harness fault
        raise RuntimeError("a harness fault injected by the self-test")
    record = stash.record(item)
    if record.identity is None:
        return report
    stable, role, ids = record.identity
    rerun = rerun_command(item.config, stable)
    transcript = record.transcript
    info = {"id": stable, "requirements": ids, "role": role, "rerun": rerun, "evaluated": list(current().evaluated),
            "unexercised": list(current().unexercised)}
    if report.failed and call.excinfo is not None:
        exc = call.excinfo.value
        missing = missing_package(item, transcript) if isinstance(exc, CheckFailure) else None
        if missing:   # the grader's configuration, not the student's program: no verdict
            info["harness_fault"] = True
            info["message"] = (f"chatconform could not run this test: the candidate imports {missing!r}, which is neither "
                               f"installed for the Python that runs it nor part of the submission: a package the "
                               f"course allows is the grader's to install (e.g. pip install {missing}; then run "
                               "again); a file the student left out is theirs to add. Nothing is charged here")
            report.longrepr = f"{info['message']}\n\nRerun: {rerun}"
        elif isinstance(exc, CheckFailure):
            info["check_failure"] = True
            info["failed_requirements"] = exc.blamed(ids)
            notes = (exited_notes(item) if report.when == "call" else []) + \
                (safely(gui_notes, item) if not variation.replaying() else [])   # a replay keeps the first run's screenshot
            info["message"] = clip("\n".join([exc.describe(), ""] + notes).strip(), MAX_REPORT_MESSAGE, CUT)
            report.longrepr = failure_text(item, exc, transcript, rerun, notes)
        elif isinstance(exc, pytest.fail.Exception):   # pytest-timeout's bound: the test ran too long
            info["message"] = f"{type(exc).__name__}: {exc}{stopped_at(call.excinfo)}"
        else:
            # anything else is the harness's own fault (a bug, the machine): no verdict on the candidate,
            # one clear line and the test an error, never a failure charged to the student
            info["harness_fault"] = True
            info["message"] = (f"chatconform could not run this test: {exc}" if isinstance(exc, HarnessError) else
                               f"the harness failed in this test (no verdict): {one_line(call.excinfo)}")
            report.longrepr = f"{info['message']}\n\nRerun: {rerun}"
    if transcript is not None and (report.when == "call" or report.failed):
        info["transcript"] = clip(transcript.render(), MAX_REPORT_TRANSCRIPT, CUT)
    if report.when == "teardown" and current().spent is not None:
        info["profile"] = timing.ledger()
    report.chatconform = info
    if report.when == "teardown":   # the test is over: its terminals, GUIs and transcript can go
        record.terminals, record.guis, record.transcript = [], [], None
    return report


def pytest_runtest_setup(item):
    current().evaluated.clear()   # what this test judges, it records anew
    current().unexercised.clear()
    timing.begin()


def pytest_runtest_logreport(report):
    config = current().config   # (this hook is given no config)
    if config is not None and getattr(report, "chatconform", None) is not None:
        stash.results(config).add(report)
        # only the controller writes the document: -j workers share its path (a race on its .part file)
        if report.when == "teardown" and config.option.chatconform_json_every_test and config.option.chatconform_json \
                and not hasattr(config, "workerinput"):
            write_document(config.option.chatconform_json, {**stash.results(config).document(), "partial": True})


def write_document(path: str, document: dict) -> None:
    """Atomically: a reader (a platform's watcher, a batch runner) never sees half a document."""
    with open(path + ".part", "w", encoding="utf-8") as f:
        json.dump(document, f, indent=2, ensure_ascii=False)
    os.replace(path + ".part", path)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if stash.context(config) is None or hasattr(config, "workerinput"):
        return
    results = stash.results(config)
    if session.exitstatus == pytest.ExitCode.INTERRUPTED or session.shouldstop or session.shouldfail:
        results.interrupted()
    faults = current().faults
    if faults:
        results.interrupted()   # what a fault stopped is an error, never passed
    if results.summary()["error"] and session.exitstatus in (0, 1):
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR   # some test could not be run: no verdict (exit 2)
    elif session.exitstatus == pytest.ExitCode.TESTS_FAILED and results.failed_beyond_text_only():
        session.exitstatus = pytest.ExitCode.OK   # only warnings beyond the text: they cost nothing
    document = results.document()
    why = faults[0] if faults else None
    if why is None and not any(r.finished for r in results.records.values()) and \
            session.exitstatus != pytest.ExitCode.INTERRUPTED:
        none_matched = session.exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED
        if NONE_MATCHED in config.stash:
            why = config.stash[NONE_MATCHED]
        elif none_matched and config.option.chatconform_tests:   # -j N: no worker kept one of the --test ids
            why = unknown_tests(config.option.chatconform_tests)
            print(f"chatconform: error: {why}", file=sys.stderr)
        else:
            why = "no test was run" + (" (none matched the selection)" if none_matched else "")
    if why is not None:   # no verdict: exit 2, and the document says why (a batch runner shows "error")
        document.update(error=why, exit_status=2)
        if session.exitstatus in (0, 1, pytest.ExitCode.NO_TESTS_COLLECTED):
            session.exitstatus = pytest.ExitCode.INTERNAL_ERROR
    if config.option.chatconform_json:
        write_document(config.option.chatconform_json, document)


@pytest.hookimpl(optionalhook=True)
def pytest_handlecrashitem(crashitem, report, sched):
    """-j N: a worker died in a test (killed, out of memory). That test has no verdict, and the run none
    either: an error, never a pass or a failure charged to the student (xdist's own report of it carries
    none of the harness's record, so the document would leave the test out)."""
    fault = f"a test worker of the harness died while it ran {crashitem.split('::')[-1]}, so that test has no verdict"
    current().faults.append(fault)
    print(f"chatconform: error: {fault}. This is chatconform's fault, not the submission's; run again.", file=sys.stderr)


@pytest.hookimpl(tryfirst=True)
def pytest_internalerror(excrepr, excinfo):
    """A fault of the harness (or of pytest, or a crashed worker): one clear line, exit 2, no traceback.
    The whole traceback goes to CHATCONFORM_TRACEBACK's file, when that is set, for whoever debugs it."""
    config = current().config
    if config is None:
        return None
    if hasattr(config, "workerinput"):
        return None   # the controller reports it (xdist forwards a worker's internal error)
    line = one_line(excinfo)
    current().faults.append(f"the harness failed: {line}")
    print(f"chatconform: error: the harness failed, so there is no verdict: {line}. This is chatconform's fault, "
          "not the submission's; run again, and report it if it stays.", file=sys.stderr)
    if os.environ.get("CHATCONFORM_TRACEBACK"):
        with open(os.environ["CHATCONFORM_TRACEBACK"], "a", encoding="utf-8") as f:
            f.write(str(excrepr) + "\n")
    return True


def stopped_at(excinfo) -> str:
    """Where a test that ran past its bound was stopped (its innermost frames): every wait is bounded,
    so this names the one that was not."""
    entries = [e for e in excinfo.traceback if not str(e.path).endswith(("pytest_timeout.py", "outcomes.py"))]
    frames = [f"{os.path.basename(str(e.path))}:{e.lineno + 1} {e.name}" for e in entries[-4:]]
    return f" (stopped in {' < '.join(reversed(frames))})" if frames else ""


def one_line(excinfo) -> str:
    """`ErrorType: message (at file.py:line)`, for a fault, or for xdist's copy of a worker's fault."""
    exc = excinfo.value
    text = str(exc)
    if isinstance(exc, AssertionError) and "Traceback (most recent call last)" in text:   # a worker's, as text
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        last = next((ln for ln in reversed(lines) if ": " in ln and not ln.startswith("File ")), lines[-1])
        places = [ln for ln in lines if ln.startswith("File ") and "conformance" in ln]
        where = places[-1].split(",")[:2] if places else []
        return last.removeprefix("E ").strip() + (f" (at {os.path.basename(where[0][6:-1])}:{where[1].split()[-1]})"
                                                  if len(where) == 2 else "")
    frames = [e for e in excinfo.traceback if "conformance" in str(e.path)]
    where = f" (at {os.path.basename(str(frames[-1].path))}:{frames[-1].lineno + 1})" if frames else ""
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}{where}"


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    """pytest's terminal reporter prints every internal error as a traceback: here it is one line."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or stash.context(config) is None:
        return
    config.pluginmanager.unregister(reporter)
    reporter.pytest_internalerror = lambda excrepr: True
    config.pluginmanager.register(reporter, "terminalreporter")


def pytest_terminal_summary(terminalreporter, config):
    if stash.context(config) is None or hasattr(config, "workerinput"):
        return
    results = stash.results(config)
    verdicts = results.by_requirement()
    if not verdicts:
        return
    tr = terminalreporter
    tr.section("requirements")
    spec = requirement_sentences(config)
    for req in sorted(verdicts, key=spec_order(spec)):
        level, sentence = spec[req]
        verdict = "warning" if verdicts[req] == "failed" and level == "SHOULD" else verdicts[req]
        tr.write_line(f"{verdict:>13}  {req:<6} {level:<6} {sentence[:90]}")
    counts = results.summary()
    tr.write_line(f"chatconform {results.protocol}: {counts['passed']} passed, {counts['failed']} failed, "
                  f"{counts['skipped']} skipped, {counts['error']} error; seed {results.seed}")
    if results.failed_beyond_text_only() and not counts["error"]:
        warned = list(results.warnings())
        tr.write_line(f"passed, with warnings: {', '.join(warned)} {'goes' if len(warned) == 1 else 'go'} beyond the "
                      "assignment's text and cost nothing (exit status 0)")
    gui_skips = [r for r in results.records.values() if r.outcome == "skipped" and r.message.startswith("GUI test")]
    if gui_skips:
        tr.write_line(f"!!! {len(gui_skips)} GUI TEST(S) NOT RUN: {gui_skips[0].message.split(': ', 1)[-1]}. "
                      "The GUI client is NOT graded: install Xvfb and run again. !!!", red=True, bold=True)
    if counts["error"]:
        tr.write_line(f"{counts['error']} test(s) could not be run (see ERROR above): this is no verdict on the "
                      "submission; fix the cause and run again (exit status 2)")


def requirement_sentences(config) -> dict:
    """ID -> (level, sentence): the protocol's requirements and the harness's own (HC1)."""
    return {**stash.context(config).descriptor.requirements, **containment.REQUIREMENTS}


def spec_order(spec: dict):
    order = {req: i for i, req in enumerate(spec)}
    return lambda req: order.get(req, len(order))


def safely(describe, item) -> list:
    """Notes for a report; a fault while gathering them costs the notes, never the run."""
    try:
        return describe(item)
    except Exception as exc:   # noqa: BLE001 - whatever a half-started candidate left behind
        return [f"(the GUI could not be described: {type(exc).__name__}: {exc})", ""]


def gui_notes(item) -> list:
    """For a failed GUI test: each GUI's widget tree, its uncaught exceptions and a screenshot."""
    notes = []
    record = stash.record(item)
    for n, app in enumerate(record.guis, 1):
        notes += app.report(screenshot_dir() / f"{record.identity[0].replace('/', '_')}-{n}.png")
    return notes
