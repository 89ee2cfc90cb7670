"""Failure reports (requirement sentence, expected/actual, transcript, rerun), the --json document and
the requirements table."""
from __future__ import annotations

import json
import os

import pytest

from ..harness import containment
from ..harness.candidate import HarnessError
from ..harness.failure import CheckFailure
from ..harness.gui import screenshot_dir
from ..harness.transcript import LEGEND, Transcript, clip
from .context import config_holder
from .identity import rerun_command


def failure_text(item, exc: CheckFailure, transcript: Transcript | None, rerun: str, notes: list) -> str:
    stable, _, ids = item.chatconform_id
    spec = requirement_sentences(item.config)
    about = exc.blamed(ids)
    out = [f"{stable}"]
    for req in about:
        level, sentence = spec[req]
        out.append(f"  {req} ({level}): {sentence}")
    out += ["", exc.describe(), ""]
    out += notes
    if transcript is not None:
        out += ["Transcript (seconds since the test started):", LEGEND, clip(transcript.render(), MAX_REPORT_TRANSCRIPT, CUT), ""]
    out += ["Rerun just this test:", f"  {rerun}"]
    return "\n".join(out)


def exited_notes(item) -> list:
    """A candidate that died during the test explains most failures: say so, with its last words."""
    notes = []
    for term in getattr(item, "chatconform_terminals", []):
        if not term.alive():
            tail = "\n".join(term.all_lines()[-15:]).strip()
            notes += [f"Note: the candidate exited during the test ({term.exit_description()}). "
                      f"Its last output:", tail or "[nothing]", ""]
    return notes


# What one test may put into the --json report: the whole document stays small (≤ 2 MB for a suite)
# whatever the candidate prints. Cut in the middle, saying how much.
MAX_REPORT_MESSAGE = 6000
MAX_REPORT_TRANSCRIPT = 16000
CUT = "\n… {} characters more, cut …\n"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    identity = getattr(item, "chatconform_id", None)
    if identity is None:
        return report
    stable, role, ids = identity
    rerun = rerun_command(item.config, stable)
    transcript = getattr(item, "chatconform_transcript", None)
    info = {"id": stable, "requirements": ids, "role": role, "rerun": rerun}
    if report.failed and call.excinfo is not None:
        exc = call.excinfo.value
        if isinstance(exc, CheckFailure):
            info["check_failure"] = True
            info["failed_requirements"] = exc.blamed(ids)
            notes = (exited_notes(item) if report.when == "call" else []) + gui_notes(item)   # teardown killed it
            info["message"] = clip("\n".join([exc.describe(), ""] + notes).strip(), MAX_REPORT_MESSAGE, CUT)
            report.longrepr = failure_text(item, exc, transcript, rerun, notes)
        else:
            info["message"] = f"{type(exc).__name__}: {exc}"
            if isinstance(exc, HarnessError):   # the harness or the machine, not the candidate: no traceback
                report.longrepr = f"chatconform could not run this test: {exc}\n\nRerun: {rerun}"
    if transcript is not None and (report.when == "call" or report.failed):
        info["transcript"] = clip(transcript.render(), MAX_REPORT_TRANSCRIPT, CUT)
    report.chatconform = info
    if report.when == "teardown":   # the test is over: its terminals, GUIs and transcript can go
        for name in ("chatconform_terminals", "chatconform_guis", "chatconform_transcript"):
            item.__dict__.pop(name, None)
    return report


def pytest_runtest_logreport(report):
    config = config_holder.get("config")
    if config is not None and getattr(report, "chatconform", None) is not None:
        config.chatconform_results.add(report)
        if report.when == "teardown" and config.option.chatconform_json_every_test and config.option.chatconform_json:
            write_document(config.option.chatconform_json, {**config.chatconform_results.document(), "partial": True})


def write_document(path: str, document: dict) -> None:
    """Atomically: a reader (a platform's watcher, a batch runner) never sees half a document."""
    with open(path + ".part", "w", encoding="utf-8") as f:
        json.dump(document, f, indent=2, ensure_ascii=False)
    os.replace(path + ".part", path)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if config.chatconform is None or hasattr(config, "workerinput"):
        return
    if session.exitstatus == pytest.ExitCode.INTERRUPTED or session.shouldstop or session.shouldfail:
        config.chatconform_results.interrupted()
    if config.chatconform_results.summary()["error"] and session.exitstatus in (0, 1):
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR   # some test could not be run: no verdict (exit 2)
    if config.option.chatconform_json:
        write_document(config.option.chatconform_json, config.chatconform_results.document())


def pytest_terminal_summary(terminalreporter, config):
    if config.chatconform is None or hasattr(config, "workerinput"):
        return
    results = config.chatconform_results
    verdicts = results.by_requirement()
    if not verdicts:
        return
    tr = terminalreporter
    tr.section("requirements")
    spec = requirement_sentences(config)
    for req in sorted(verdicts, key=spec_order(spec)):
        level, sentence = spec[req]
        tr.write_line(f"{verdicts[req]:>7}  {req:<6} {level:<6} {sentence[:90]}")
    counts = results.summary()
    tr.write_line(f"chatconform {results.protocol}: {counts['passed']} passed, {counts['failed']} failed, "
                  f"{counts['skipped']} skipped, {counts['error']} error; seed {results.seed}")
    gui_skips = [r for r in results.records.values() if r.outcome == "skipped" and r.message.startswith("GUI test")]
    if gui_skips:
        tr.write_line(f"!!! {len(gui_skips)} GUI TEST(S) NOT RUN: {gui_skips[0].message.split(': ', 1)[-1]}. "
                      "The GUI client is NOT graded: install Xvfb and run again. !!!", red=True, bold=True)
    if counts["error"]:
        tr.write_line(f"{counts['error']} test(s) could not be run (see ERROR above): this is no verdict on the "
                      "submission; fix the cause and run again (exit status 2)")


def requirement_sentences(config) -> dict:
    """ID -> (level, sentence): the protocol's requirements and the harness's own (HC1)."""
    return {**config.chatconform.spec.REQUIREMENTS, **containment.REQUIREMENTS}


def spec_order(spec: dict):
    order = {req: i for i, req in enumerate(spec)}
    return lambda req: order.get(req, len(order))


def gui_notes(item) -> list:
    """For a failed GUI test: each GUI's widget tree, its uncaught exceptions and a screenshot."""
    notes = []
    for n, app in enumerate(getattr(item, "chatconform_guis", []), 1):
        notes += app.report(screenshot_dir() / f"{item.chatconform_id[0].replace('/', '_')}-{n}.png")
    return notes
