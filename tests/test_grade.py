"""Grading a class: collecting (LMS names, nested zips, unsafe archives), protocol detection, scores,
each platform's file against its documented shape, and a small class graded in parallel (fixed-port
submissions side by side), resumed, and its HTML report opened in a real headless browser."""
from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
import sys
import time
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from conformance import protocols
from conformance.grade import collect, detect, report, rubric
from conformance.grade import run as run_module
from conformance.grade.emit import FORMATS, kelvin
from conformance.selftest import realclass
from conformance.selftest.checks import ROOT
from tests.system import headless_chromium, need

REFERENCE = ROOT / "reference"


@pytest.mark.parametrize("protocol", protocols.NAMES)
def test_each_reference_is_detected(protocol):
    found, how = detect.detect(REFERENCE / protocol)
    assert found == protocol, how
    assert how.startswith("detected from the code")


def test_a_fixture_of_another_style_is_detected():
    assert detect.detect(ROOT / "fixtures" / "brace" / "qtcpsocket_list")[0] == "brace"
    assert detect.detect(ROOT / "fixtures" / "cnlab" / "asyncio_client")[0] == "cnlab"


def lms_archive(tmp_path: Path) -> Path:
    client = (REFERENCE / "cnlab" / "client.py").read_bytes()
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("hw/client.py", client)
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("Ada Lovelace_12345_assignsubmission_file_/client.py", client)
        z.writestr("12345-67890 - Grace Hopper - Dec 1, 2026 1103 AM/client.py", client)
        z.writestr("turingalan_LATE_222_333_client-1.py", client)
        z.write(inner, "Edsger Dijkstra_777_assignsubmission_file_/submission.zip")
        z.writestr("__MACOSX/._junk", b"")
    return archive


def test_lms_names_nested_zips_and_canvas_files(tmp_path):
    subs = collect.collect(lms_archive(tmp_path), tmp_path / "work")
    by_name = {s.student: s for s in subs}
    assert sorted(by_name) == ["Ada Lovelace", "Edsger Dijkstra", "Grace Hopper", "turingalan"]
    assert {s.naming for s in subs} == {"Moodle", "Brightspace", "Canvas"}
    for sub in subs:
        assert (sub.folder / "client.py").is_file(), sub
    assert len({s.slug for s in subs}) == 4


def test_an_unsafe_archive_is_refused(tmp_path):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("../escape.py", "print('out')")
    with pytest.raises(collect.CollectError, match="unsafe path"):
        collect.collect(archive, tmp_path / "work")


def document(outcomes: dict, protocol: str = "cnlab") -> dict:
    """A result document as `check --json` writes it, for these requirement verdicts."""
    tests = [{"id": f"{protocol}/client/{req}-x", "requirements": [req], "role": "client", "outcome": outcome,
              "duration_s": 0.1, "message": f"{req} went wrong\nExpected: a\nActual:   \x1b[31mb\x1b[0m"
              if outcome != "passed" else "", "transcript": "+ 0.1s wire#1< HELLO-FROM x\n" if outcome != "passed"
              else "", "failed_requirements": [req] if outcome in ("failed", "error") else [],
              "rerun": f"python -m conformance check {protocol} sub --test x"} for req, outcome in outcomes.items()]
    return {"protocol": protocol, "submission": "/x", "seed": 1, "duration_s": 12.5, "tests": tests,
            "summary": {}, "requirements": dict(outcomes), "student": "Ada", "slug": "Ada"}


def test_scores_follow_the_rubric(tmp_path):
    plain = rubric.score(document({"RA1": "passed", "RA8": "passed", "RI4": "failed"}), rubric.Rubric())
    assert (plain["score"], plain["max_score"]) == (1.5, 2.5)          # MUST 1, SHOULD 0.5
    path = tmp_path / "rubric.toml"
    path.write_text('[defaults]\nMUST = 2\n[points]\nRI4 = 5\n[hidden]\nids = ["RI4"]\nuntil = 2999-01-01T00:00:00Z\n')
    custom = rubric.load(path)
    scored = rubric.score(document({"RA1": "passed", "RA8": "passed", "RI4": "failed"}), custom)
    assert (scored["score"], scored["max_score"]) == (2.5, 7.5)
    assert custom.is_hidden("RI4") and not custom.is_hidden("RA1")
    text = report.feedback(document({"RA1": "passed", "RI4": "failed"}), scored, custom)
    assert "RI4" not in text   # hidden until the due date


CASES = {"all passed": {"RA1": "passed", "RI4": "passed"}, "one failed": {"RA1": "passed", "RI4": "failed"},
         "error": {"RA1": "error"}, "not evaluated": {"RA1": "passed", "RI4": "not evaluated"}}
UNCHECKABLE = {"protocol": "cnlab", "error": "no cnlab client found in the submission", "exit_status": 2}
HIDDEN = '[hidden]\nids = ["RI4"]\nuntil = 2999-01-01T00:00:00Z\n'


def emitted(fmt: str, doc: dict, rub=None):
    rub = rub or rubric.Rubric()
    return FORMATS[fmt][0](doc, rubric.score(doc, rub), rub)


def hidden_rubric(tmp_path, until=True):
    path = tmp_path / "rubric.toml"
    path.write_text(HIDDEN if until else '[hidden]\nids = ["RI4"]\n')
    return rubric.load(path)


# Gradescope's autograder specifications ("Output format" of results.json): top-level score,
# execution_time, output, visibility, stdout_visibility, tests; per test score, max_score, status,
# name, name_format, number, output, output_format, tags, visibility, extra_data; visibility one of
# hidden, after_due_date, after_published, visible.
GRADESCOPE_TEST_KEYS = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format",
                        "tags", "visibility", "extra_data"}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


@pytest.mark.parametrize("case", CASES)
def test_gradescope_results_json(case):
    doc = document(CASES[case])
    out = emitted("gradescope", doc)
    json.dumps(out)
    assert isinstance(out["score"], float) and isinstance(out["execution_time"], float)
    assert out["visibility"] in VISIBILITY
    for test in out["tests"]:
        assert set(test) <= GRADESCOPE_TEST_KEYS and test["visibility"] in VISIBILITY
        assert test["status"] in ("passed", "failed") and 0 <= test["score"] <= test["max_score"]
        assert isinstance(test["number"], str) and isinstance(test["output"], str)
        if test["status"] == "failed":
            assert "went wrong" in test["output"] or "not evaluated" in test["output"]   # the student sees why
    assert out["score"] == sum(t["score"] for t in out["tests"])


def test_gradescope_hides_as_documented(tmp_path):
    doc = document(CASES["one failed"])
    dated = {t["number"]: t for t in emitted("gradescope", doc, hidden_rubric(tmp_path))["tests"]}
    assert dated["RI4"]["visibility"] == "after_due_date" and "went wrong" not in dated["RI4"]["output"]
    always = {t["number"]: t for t in emitted("gradescope", doc, hidden_rubric(tmp_path, until=False))["tests"]}
    assert always["RI4"]["visibility"] == "hidden"


# classroom-resources/autograding-grading-reporter: src/main.js decodes the base64 JSON of
# <RUNNER>_RESULTS; notify-classroom.js adds up tests[].score and posts only when max_score > 0;
# the console prints each test's test_code; the runner's status is pass, fail or error.
@pytest.mark.parametrize("case", CASES)
def test_classroom_runner_result(case):
    doc = document(CASES[case])
    out = emitted("classroom", doc)
    assert out["version"] == 1 and out["status"] in ("pass", "fail", "error")
    assert out["max_score"] > 0 or case == "error"   # a harness fault's requirement is not graded: no points either way
    assert all(isinstance(t["score"], (int, float)) and t["status"] in ("pass", "fail", "error") and t["name"]
               for t in out["tests"])
    if case == "all passed":
        assert out["status"] == "pass" and sum(t["score"] for t in out["tests"]) == out["max_score"]
    for test in out["tests"]:
        if test["status"] != "pass":   # why, and a runnable rerun, where the reporter prints them
            assert test["test_code"].startswith("python -m conformance check cnlab sub --test")
            assert "went wrong" in test["test_code"] or "not evaluated" in test["test_code"]


FAULT = {"RA1": "passed", "RI4": "error"}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_harness_fault_is_not_graded_in_every_format(fmt):
    """A requirement whose test hit a harness fault is not graded: left out of the maximum (never a 0),
    named, and said to be chatconform's fault; the rest is scored as usual."""
    doc = document(FAULT)
    doc["tests"][1]["message"] = "the GUI probe failed on 'tree' (a fault of chatconform's, not of the program): boom"
    scored = rubric.score(doc, rubric.Rubric())
    assert (scored["score"], scored["max_score"]) == (1.0, 1.0) and "RI4" in scored["not_checked"]
    assert scored["harness_fault"].startswith("the GUI probe failed")
    out = emitted(fmt, doc)
    text = out if isinstance(out, str) else json.dumps(out)
    assert "RI4" in text and ("fault of chatconform" in text or "harness fault" in text), text[:2000]
    if fmt == "prairielearn":
        assert out["gradable"] is False
    if fmt == "gradescope":
        assert out["score"] == 1.0 and "Not graded" in out["output"]
        assert sum(t["max_score"] for t in out["tests"]) == 1.0


def test_a_harness_fault_is_listed_apart_on_the_class_page(tmp_path):
    doc = document(FAULT)
    doc["tests"][1]["outcome"] = "error"
    doc["summary"] = {"passed": 1, "failed": 0, "skipped": 0, "error": 1}
    doc["tests"][1]["message"] = "the GUI probe failed on 'tree' (a fault of chatconform's, not of the program): boom"
    assert run_module.status(doc).startswith("error: could not be graded: harness fault")
    report.write_all(tmp_path, [doc], rubric.Rubric())
    index = (tmp_path / "index.html").read_text()
    assert "Could not be graded: harness fault" in index and "not graded" in index
    feedback = (tmp_path / "feedback" / "Ada.md").read_text()
    assert "no verdict on your code" in feedback and "0 /" not in feedback


def test_warnings_beyond_the_text_cost_nothing(tmp_path):
    """A SHOULD beyond the assignment's text is 0 of 0 points and a submission whose only non-passes
    are such warnings has status passed (with warnings); a rubric can still give it points."""
    doc = document({"JS3": "passed", "JS14": "failed"}, protocol="jsonl")
    doc["warnings"] = {"JS14": "the text names no address to listen on"}
    scored = rubric.score(doc, rubric.Rubric())
    assert (scored["score"], scored["max_score"]) == (1.0, 1.0) and scored["requirements"]["JS14"]["verdict"] == "warning"
    assert run_module.status(doc) == "passed (with warnings)"
    path = tmp_path / "rubric.toml"
    path.write_text("[points]\nJS14 = 2\n")
    assert (rubric.score(doc, rubric.load(path))["max_score"]) == 3.0
    feedback = report.feedback(doc, scored, rubric.Rubric())
    assert "cost nothing" in feedback and "Every requirement passed" in feedback
    text_should = document({"RA1": "passed", "RA8": "failed"})   # a SHOULD the text itself states keeps its points
    assert rubric.score(text_should, rubric.Rubric())["max_score"] == 1.5 and run_module.status(text_should) == "failed"


def test_classroom_posts_a_score_for_an_uncheckable_submission():
    out = emitted("classroom", UNCHECKABLE)
    assert out["status"] == "error" and out["max_score"] > 0 and sum(t["score"] for t in out["tests"]) == 0
    assert any("no cnlab client found" in t["test_code"] for t in out["tests"])


def test_classroom_result_fits_one_environment_variable():
    doc = document({"RA1": "failed", "RI4": "failed", "RT3": "failed"})
    for test in doc["tests"]:
        test["transcript"] = "+ 0.1s term< " + "x" * 200_000
    out = emitted("classroom", doc)
    encoded = base64.b64encode(json.dumps(out, ensure_ascii=False).encode())
    assert len(encoded) <= 100_000
    assert all("cut to fit the platform's size limit" in t["test_code"] for t in out["tests"])
    assert all(t["test_code"].startswith("python -m conformance check") for t in out["tests"])


@pytest.mark.parametrize("fmt", ["classroom", "prairielearn", "kelvin", "codegrade"])
def test_hidden_requirements_are_absent_until_their_date(tmp_path, fmt):
    doc = document(CASES["one failed"])
    out = emitted(fmt, doc, hidden_rubric(tmp_path))
    text = out if isinstance(out, str) else json.dumps(out)
    assert "RI4" not in text and "went wrong" not in text and "HELLO-FROM" not in text
    assert "shown after 2999-01-01" in text   # their points are there, folded into one anonymous entry


# PrairieLearn's docs/externalGrading.md: results.json with gradable, score in [0, 1], message,
# output, tests [{name, description, points, max_points, message, output}]; at most 1 MB.
@pytest.mark.parametrize("case", CASES)
def test_prairielearn_results(case):
    doc = document(CASES[case])
    out = emitted("prairielearn", doc)
    if case == "error":   # a harness fault: PrairieLearn's own "not graded", never a 0
        assert out["gradable"] is False and "harness fault" in out["format_errors"][0]
        return
    assert out["gradable"] is True and 0.0 <= out["score"] <= 1.0
    for test in out["tests"]:
        assert {"name", "points", "max_points"} <= set(test) <= {"name", "description", "points", "max_points",
                                                               "message", "output"}
        assert 0 <= test["points"] <= test["max_points"]
    missing = emitted("prairielearn", UNCHECKABLE)
    assert missing["gradable"] is False and missing["format_errors"]


def test_prairielearn_results_stay_under_a_megabyte():
    doc = document({"RA1": "failed", "RI4": "failed"})
    for test in doc["tests"]:
        test["transcript"] = "y" * 800_000
    assert len(json.dumps(emitted("prairielearn", doc)).encode()) < 1_000_000


# Kelvin (mrlvsb/kelvin evaluator/pipelines.py): a Docker action's piperesult.json; `failed` true
# zeroes the evaluation; `tests` is a list of {name, title, success, message}.
def test_kelvin_tests_list():
    doc = document(CASES["one failed"])
    scored = rubric.score(doc, rubric.Rubric())
    out = kelvin.emit(doc, scored, rubric.Rubric())
    assert out["failed"] is False
    assert [(t["name"], t["success"]) for t in out["tests"]] == [("RA1", True), ("RI4", False)]
    assert all({"name", "title", "success", "message"} <= set(t) for t in out["tests"])
    assert "went wrong" in out["tests"][1]["message"]
    assert "RI4" in kelvin.page(doc, scored, rubric.Rubric())
    assert kelvin.emit(UNCHECKABLE, rubric.score(UNCHECKABLE, rubric.Rubric()), rubric.Rubric())["failed"] is True


# CodeGrade's JUnit parser (cg_junit) reads testsuites/testsuite/testcase with name, classname and
# time, and failure/error/skipped children; a skipped testcase leaves its denominator.
@pytest.mark.parametrize("case", [*CASES, "uncheckable"])
def test_junit_for_codegrade(case):
    doc = UNCHECKABLE if case == "uncheckable" else document(CASES[case])
    xml = emitted("codegrade", doc)
    assert "\x1b" not in xml
    suite = ET.fromstring(xml).find("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests")) == len(cases)
    assert int(suite.get("failures")) == sum(c.find("failure") is not None for c in cases)
    assert int(suite.get("errors")) == sum(c.find("error") is not None for c in cases)
    assert all(c.get("time") is not None and c.get("name") for c in cases)
    assert not any(c.find("skipped") is not None for c in cases)
    if case == "one failed":
        assert [c.find("failure") is not None for c in cases] == [False, True]
    if case == "not evaluated":   # never counted as passed
        assert cases[1].find("failure") is not None


def test_a_missing_required_role_scores_zero(tmp_path):
    doc = {**document({"JC2": "passed"}, "jsonl"), "missing": {"server": "no server found (looked at client.py)"}}
    scored = rubric.score(doc, rubric.Rubric())
    assert scored["requirements"]["JS1"]["verdict"] == "missing" and scored["requirements"]["JS1"]["points"] == 0
    assert scored["score"] == 1 and scored["max_score"] > 10
    assert "no server found" in report.feedback(doc, scored, rubric.Rubric())
    path = tmp_path / "rubric.toml"
    path.write_text('[roles]\njsonl = ["client"]\n')   # this course's students write only the client
    only_client = rubric.score(doc, rubric.load(path))
    assert (only_client["score"], only_client["max_score"]) == (1, 1)


# --- a small class, for real -------------------------------------------------------------------
# One test: grading the class is the costly part, and a module fixture would be paid again by every
# xdist worker that runs one of several tests.

@pytest.mark.timeout(900)
def test_a_real_style_class_graded_in_parallel_resumed_and_shown_in_a_browser(tmp_path):
    """fixtures/class: the course's package layout, files of other names, a GUI entry point beside a
    helper module, a nested zip, the course's check repository beside a client, a student with no
    program, one whose program the grader names (--layout), two brace clients at the same fixed address
    graded side by side. Every student gets the verdict the manifest declares; a second run grades
    nothing again; the page renders in Chromium, one matrix per protocol, every link resolving, no
    absolute path anywhere."""
    src = tmp_path / "submissions"
    src.mkdir()
    students = realclass.build(src)
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "conformance", "grade", str(src), "-o", str(out), "-j", "2", "--no-progress",
            "--timeout-scale", "2", "--layout", str(realclass.CLASS / "layouts.toml")]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert realclass.differences(out, students) == []
    assert "layouts.toml for: Dennis Ritchie" in proc.stdout
    rows = {r.split(",")[0]: r for r in (out / "class.csv").read_text().splitlines()[1:]}
    assert ",0.0,28.0," in rows["Ken Thompson"] and "error: no cnlab client found" in rows["Ken Thompson"]
    assert "Could not be graded" in (out / "feedback" / "Ken_Thompson.md").read_text().replace("could", "Could")
    assert "Every requirement passed" not in (out / "feedback" / "Ken_Thompson.md").read_text()
    # not configured: JS9's user limit (judged by its other tests), the JS12 bonus (left out of the maximum)
    margaret = (out / "feedback" / "Margaret_Hamilton.md").read_text()
    assert "JS12" in margaret and "do not count against you" in margaret and "23 / 23" in margaret
    assert "Every requirement passed" not in margaret
    feedback = (out / "feedback" / "Alan_Kay.md").read_text()
    assert "BC7" in feedback and "Rerun just this test" in feedback and "check brace . --test" in feedback
    texts = [p.read_text() for p in [out / "index.html", out / "class.csv", *(out / "students").glob("*"),
                                     *(out / "feedback").glob("*"), *(out / "results").glob("*.json")]]
    for root in (str(tmp_path), "/tmp/", str(ROOT), sys.executable):
        assert not any(root in text for text in texts), f"{root} appears in a report"

    stamps = {p.name: p.stat().st_mtime_ns for p in (out / "results").glob("*.json")}
    again = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0
    assert {p.name: p.stat().st_mtime_ns for p in (out / "results").glob("*.json")} == stamps   # resumed

    from selenium.webdriver.common.by import By
    with headless_chromium(str(tmp_path / "profile")) as driver:
        driver.get((out / "index.html").as_uri())
        assert driver.title == "chatconform: the class"
        sections = [s.get_attribute("id") for s in driver.find_elements(By.CSS_SELECTOR, "section.protocol")]
        assert sections == ["cnlab", "jsonl", "chat10", "brace"]     # one matrix per protocol present
        brace_columns = [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#brace table.sortable th")]
        assert "BC1" in brace_columns and not any(c.startswith(("RI", "CS", "JS")) for c in brace_columns)
        ungraded = driver.find_elements(By.CSS_SELECTOR, "#ungraded tbody tr")
        assert len(ungraded) == 1 and "Ken Thompson" in ungraded[0].text and "no cnlab client" in ungraded[0].text
        assert "Dennis Ritchie" in driver.find_element(By.ID, "layouts").text
        driver.find_element(By.ID, "filter").send_keys("hopper")     # the filter box finds a student
        shown = [r.text.split("\n")[0] for r in driver.find_elements(By.CSS_SELECTOR, "tr[data-student]")
                 if r.is_displayed()]
        assert len(shown) == 1 and shown[0].startswith("Grace Hopper")
        driver.find_element(By.ID, "filter").clear()
        driver.find_elements(By.CSS_SELECTOR, "#cnlab table.sortable th")[1].click()   # sort by score: a script runs
        links = {a.get_attribute("textContent"): a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "table a")}
        assert sorted(links) == sorted(realclass.student_of(name) for name in students)
        for name, href in links.items():
            driver.get(href)
            assert driver.find_element(By.TAG_NAME, "h1").text == name


def stuck(proc: subprocess.Popen, marker: str) -> str:
    """The evidence of a grade that did not stop: its threads' stacks (SIGUSR1, faulthandler) and
    every process of it or naming the class (state, kernel wait, age); then it is killed."""
    proc.send_signal(signal.SIGUSR1)
    time.sleep(1)
    table = subprocess.run(["ps", "-eo", "pid,ppid,pgid,sid,stat,wchan:24,etime,args"], capture_output=True,
                           text=True).stdout.splitlines()
    mine = [table[0]] + [line for line in table[1:] if marker in line or "conformance" in line]
    parents = {int(line.split()[0]): int(line.split()[1]) for line in table[1:]}
    family = {proc.pid}
    for _ in range(5):   # grade's checks and theirs, each in a session of its own
        family |= {pid for pid, parent in parents.items() if parent in family}
    for pid in family:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    output, _ = proc.communicate(timeout=30)
    return "\n".join(mine) + "\n--- grade's output (its threads' stacks at the end):\n" + output[-8000:]


@pytest.mark.timeout(300)
def test_ctrl_c_stops_every_check_and_leaves_complete_files_only(tmp_path):
    src = tmp_path / "submissions"
    unique = os.getpid() * 10   # names no other test uses: their scratch copies are this test's alone
    names = (f"Ada Lovelace_{unique}_assignsubmission_file_", f"Alan Turing_{unique + 1}_assignsubmission_file_")
    for name in names:
        (src / name).mkdir(parents=True)
        # never blocked for good (it wakes every 50 ms), so every wait of its tests runs to its end: the
        # checks are surely still running when the grader presses Ctrl-C
        (src / name / "client.py").write_text("import time\nwhile True:\n    time.sleep(0.05)\n")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "grade", "cnlab", str(src), "-o", str(out), "-j", "2",
                             "--no-progress"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            # a grader at a terminal: a self-test started in the background (`tox &`, nohup)
                            # ignores SIGINT, and grade would inherit that and rightly not stop (the flake)
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while not list((out / "logs").glob("*.txt")) and time.monotonic() < deadline:
        time.sleep(0.05)   # polling for the checks to start: there is no event to wait on
    time.sleep(1)          # well inside the checks
    proc.send_signal(signal.SIGINT)
    try:
        output, _ = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:   # what was still running, and where grade's threads were
        pytest.fail("grade was still running 120 s after Ctrl-C:\n" + stuck(proc, str(src)))
    logs = "\n".join(log.read_text(errors="replace")[-1500:] for log in (out / "logs").glob("*.txt"))
    assert proc.returncode == 130, output + "\n--- the checks' logs:\n" + logs
    assert "run again to resume" in output
    assert not list((out / "results").glob("*.part")) and not list((out / "results").glob("*.json"))
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(src) not in ps
    # every check's copies of the submission are gone with it (an xdist worker's own included)
    assert not [p for name in names for p in Path(tempfile.gettempdir()).glob(f"chatconform-scratch-*/{name}")]


def test_no_check_starts_once_the_grader_has_stopped_the_run(tmp_path):
    """A check whose thread reaches its start just after Ctrl-C is not started (it would run to its
    budget, minutes, while the grader waits: a self-test run once saw grade outlive Ctrl-C by 120 s)."""
    folder = tmp_path / "Ada"
    folder.mkdir()
    (folder / "client.py").write_text("import time\nwhile True:\n    time.sleep(0.05)\n")
    run = run_module.ClassRun(tmp_path / "out", "cnlab", 2, None, False, [])
    run.stop()
    with pytest.raises(KeyboardInterrupt):
        run.check(collect.Submission("Ada", "Ada", folder, "folder name"), "cnlab")
    assert run.procs == {}


def test_a_submission_over_its_budget_is_stopped_and_says_so(tmp_path):
    src = tmp_path / "submissions" / "Ada Lovelace_1_assignsubmission_file_"
    src.mkdir(parents=True)
    shutil.copy(ROOT / "fixtures" / "hostile" / "hangs.py", src / "client.py")
    out = tmp_path / "out"
    began = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "conformance", "grade", "cnlab", str(src.parent), "-o", str(out),
                           "--budget-s", "3", "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert time.monotonic() - began < 60
    document = json.loads((out / "results" / "Ada_Lovelace.json").read_text())
    assert "budget of 3s" in document["budget_exceeded"]
    assert "over budget" in (out / "class.csv").read_text()


def test_the_gradescope_bundle_and_the_classroom_workflow(tmp_path):
    bundle = tmp_path / "autograder.zip"
    (tmp_path / "rubric.toml").write_text("[points]\nRI4 = 2\n")
    proc = subprocess.run([sys.executable, "-m", "conformance", "gradescope-bundle", "cnlab", "--rubric",
                           str(tmp_path / "rubric.toml"), "-o", str(bundle)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(bundle) as z:
        names = set(z.namelist())
        wheels = [n for n in names if n.startswith("chatconform-") and n.endswith(".whl")]
        assert {"setup.sh", "run_autograder", "rubric.toml"} <= names and len(wheels) == 1
        assert z.getinfo("run_autograder").external_attr >> 16 & 0o111
        run, setup = z.read("run_autograder").decode(), z.read("setup.sh").decode()
    assert "bin/chatconform grade cnlab /autograder/submission --format gradescope" in run and "rubric.toml" in run
    assert f"pip install --quiet /autograder/source/{wheels[0]}" in setup
    workflow = subprocess.run([sys.executable, "-m", "conformance", "classroom-workflow", "brace"], cwd=ROOT,
                              capture_output=True, text=True).stdout
    # what Classroom generates and looks for: the workflow's name, its one job, the triggers
    assert workflow.count("\nname: Autograding Tests\n") == 1 and "  run-autograding-tests:\n" in workflow
    assert "- push\n- repository_dispatch\n" in workflow
    assert "chatconform grade brace . --format classroom" in workflow and "autograding-grading-reporter" in workflow
    assert "CHATCONFORM_RESULTS" in workflow and "runners: chatconform" in workflow


@pytest.mark.timeout(300)
def test_gradescope_results_are_rewritten_while_the_tests_run(tmp_path):
    """A global timeout on the platform still leaves the results so far: results.json grows as tests end."""
    results = tmp_path / "results" / "results.json"
    proc = subprocess.Popen([sys.executable, "-m", "conformance", "grade", "cnlab",
                             str(ROOT / "fixtures" / "cnlab" / "select_client"), "--format", "gradescope", "--result",
                             str(results), "--check-workers", "1"], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    seen = set()
    while proc.poll() is None:
        try:
            seen.add(sum(t["status"] == "passed" for t in json.loads(results.read_text())["tests"]))
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.2)   # sampling the file as a platform would find it at its timeout
    assert proc.returncode == 0
    final = json.loads(results.read_text())
    assert final["score"] == sum(t["max_score"] for t in final["tests"]) > 0
    assert len(seen) >= 3, f"only {sorted(seen)} passed-test counts were seen while the tests ran"


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_platform_file_and_the_feedback_carry_the_diagnosis(fmt):
    doc = document({"RA1": "passed", "RT3": "failed"})
    doc["tests"][1]["diagnoses"] = [{"cause": "one-recv-one-message", "title": "one recv() taken as one message",
                                     "evidence": "passes when every message arrives in its own read",
                                     "where": "client.py:34", "confidence": 0.95, "fix": "Keep a buffer."}]
    output = emitted(fmt, doc)
    text = output if isinstance(output, str) else json.dumps(output)
    assert "one-recv-one-message" in text and "client.py:34" in text, fmt
    scored = rubric.score(doc, rubric.Rubric())
    assert "one-recv-one-message" in report.feedback(doc, scored, rubric.Rubric())
