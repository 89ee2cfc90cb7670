"""The interop matrix: blame by evidence (pure), and a class of self-test fixtures whose every cell's
verdict and blame follow from the fixtures' manifests, its page opened in a real browser."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import protocols
from conformance.matrix import verdicts
from conformance.matrix.verdicts import REFERENCE, Cell, Outcome
from conformance.selftest.fixtures import FIXTURES, materialize
from tests.system import headless_chromium, need

ROOT = Path(__file__).resolve().parent.parent


def cell(client, server, **outcomes) -> Cell:
    made = Cell(client, server)
    for test, outcome in outcomes.items():
        message = "The candidate server did not start: exited" if outcome == "dead" else ""
        made.outcomes[test] = Outcome(test, "failed" if outcome == "dead" else outcome, ("JC2", "JS3"), message)
    return made


def judged(cells: list) -> dict:
    return {(v["client"], v["server"]): v for v in verdicts.judge({(c.client, c.server): c for c in cells})}


def test_blame_follows_the_same_conversation_with_the_reference():
    cells = [cell(REFERENCE, REFERENCE, message="passed"),
             cell("amy", REFERENCE, message="failed"), cell(REFERENCE, "amy", message="passed"),
             cell("bob", REFERENCE, message="passed"), cell(REFERENCE, "bob", message="failed"),
             cell("cat", REFERENCE, message="passed"), cell(REFERENCE, "cat", message="passed"),
             cell("amy", "bob", message="failed"), cell("amy", "cat", message="failed"),
             cell("cat", "bob", message="failed"), cell("cat", "amy", message="failed"),
             cell("bob", "cat", message="skipped"), cell("bob", "amy", message="error")]
    v = judged(cells)
    assert (v[("amy", REFERENCE)]["blame"], v[(REFERENCE, "bob")]["blame"]) == ("client", "server")
    assert v[("amy", "bob")]["blame"] == "both"
    assert v[("amy", "cat")]["blame"] == "client"
    assert v[("cat", "bob")]["blame"] == "server"
    assert v[("cat", "amy")]["blame"] == "text"          # each passes alone: a finding on the text
    assert v[("bob", "cat")]["verdict"] == "unsupported"  # never a failure
    assert v[("bob", "amy")]["verdict"] == "error"
    assert [(f["client"], f["server"]) for f in verdicts.findings(list(v.values()))] == [("cat", "amy")]
    students = verdicts.summaries(list(v.values()))
    assert students["cat"]["client"] == {"works_with": 0, "of": 2, "fails_with": students["cat"]["client"]["fails_with"]}
    said = verdicts.sentence("cat", "client", students["cat"]["client"])
    assert said.startswith("Your client works with 0 of 2 servers in the class;") and "not charged" in said


def test_grade_with_the_matrix_tells_each_student_what_its_sides_work_with(tmp_path):
    """grade --matrix: each student's feedback gets the matrix's summary of its client and server, the
    pairs that fail with their blame, and where the transcripts are (not scored)."""
    from conformance.grade import report
    from conformance.grade.rubric import load
    cells = [cell(REFERENCE, REFERENCE, message="passed"), cell("amy", REFERENCE, message="failed"),
             cell(REFERENCE, "amy", message="passed"), cell("bob", REFERENCE, message="passed"),
             cell(REFERENCE, "bob", message="passed"), cell("amy", "bob", message="failed"),
             cell("bob", "amy", message="passed"), cell("amy", "amy", message="failed"), cell("bob", "bob", message="passed")]
    interop = {"students": verdicts.summaries(list(judged(cells).values()))}
    documents = [{"student": name, "slug": name, "protocol": "jsonl", "tests": [], "exit_status": 0}
                 for name in ("amy", "bob")]
    report.write_all(tmp_path, documents, load(None), (), interop)
    amy = (tmp_path / "feedback" / "amy.md").read_text()
    assert "## Interop with the class (not scored)" in amy
    assert "Your client works with 0 of 2 servers in the class; 2 fail(s) also with the reference server" in amy
    assert "with bob (client)" in amy and "matrix/students/amy.html" in amy
    assert "Your server works with 1 of 2 clients in the class; 1 fail(s) because of the other side" in amy
    assert "Your client works with 2 of 2 servers in the class." in (tmp_path / "feedback" / "bob.md").read_text()


def test_with_the_suites_known_a_disagreement_is_charged_to_the_side_whose_suite_fails_its_requirement():
    """Both sides pass the conversation with the references (a finding on the text, alone), but the
    client's own suite fails JC2, one of the conversation's: the client's (grade --matrix)."""
    cells = [cell(REFERENCE, REFERENCE, message="passed"), cell("cat", REFERENCE, message="passed"),
             cell(REFERENCE, "amy", message="passed"), cell("cat", "amy", message="failed")]
    alone = judged(cells)[("cat", "amy")]
    assert alone["blame"] == "text"
    known = {(v["client"], v["server"]): v for v in verdicts.judge({(c.client, c.server): c for c in cells},
                                                                     {"cat": {"client": {"JC2"}}, "amy": {"server": {"JS9"}}})}
    assert known[("cat", "amy")]["blame"] == "client"
    assert "its own suite fails the client's JC2" in known[("cat", "amy")]["failures"][0]["message"]


def test_a_conversation_failing_only_a_should_beyond_the_text_is_a_warning_never_a_failure():
    """A raw relay that blocks on a client that stopped reading fails chat10's CS11, a SHOULD the text
    does not ask for: the cell works, with the warning listed."""
    from conformance.matrix.verdicts import from_document
    doc = {"warnings": {"CS11": "a client that stops reading is not mentioned"},
           "tests": [{"id": "chat10/interop/CC5-faulty-members", "outcome": "failed", "requirements": ["CC5", "CS11"],
                      "failed_requirements": ["CS11"], "message": "While dan stopped reading, ..."},
                     {"id": "chat10/interop/CC3-message", "outcome": "passed", "requirements": ["CC3"]}]}
    cells = [cell(REFERENCE, REFERENCE, message="passed"), from_document(REFERENCE, "amy", doc)]
    v = judged(cells)[(REFERENCE, "amy")]
    assert v["verdict"] == "passed" and v["failures"] == []
    assert v["warnings"] == [{"test": "chat10/interop/CC5-faulty-members", "message": "While dan stopped reading, ..."}]


def test_the_references_disagreeing_is_a_harness_fault_and_a_dead_server_is_seen():
    v = judged([cell(REFERENCE, REFERENCE, message="failed")])
    assert v[(REFERENCE, REFERENCE)]["verdict"] == "error"
    assert verdicts.dead(cell(REFERENCE, "amy", message="dead", long="dead"))
    assert not verdicts.dead(cell(REFERENCE, "amy", message="dead", long="passed"))


# --- a class of fixtures, for real ----------------------------------------------------------------
# Each student submits a client and a server; the manifests say what is broken. A conversation names the
# client's and the server's IDs it needs: it fails in a cell exactly where one side's manifest holds one
# of them, and the blame is the side (or sides) whose manifest does.
CLASSES = {   # (client IDs' prefix, server IDs' prefix), students -> fixtures: a correct one, a broken client, a broken server
    "jsonl": (("JC", "JS"), {"ann": "threaded", "ben": "client_setname_type", "cid": "server_no_echo"}),
    "sendto": (("SC", "SS"), {"ann": "threaded", "ben": "client_first_name_only", "cid": "server_keeps_name_on_disconnect"}),
    "chat10": (("CC", "CS"), {"ann": "textbox", "ben": "client_joins_not_shown", "cid": "server_drops_leave"}),
}


@pytest.mark.timeout(900)
@pytest.mark.parametrize("protocol", sorted(CLASSES))
def test_a_class_matrix_follows_the_manifests_and_opens_in_a_browser(tmp_path, protocol):
    (client_ids, server_ids), CLASS = CLASSES[protocol]
    if protocol == "chat10":
        need("Xvfb", what="the chat10 Tk clients' conversations")
    klass, work = tmp_path / "class", tmp_path / "materialized"
    klass.mkdir()
    work.mkdir()
    broken, interop = {REFERENCE: set()}, {}
    for student, fixture in CLASS.items():
        folder = materialize(FIXTURES / protocol / fixture, work)   # (a correct fixture: the fixture itself)
        shutil.copytree(folder, klass / student, ignore=shutil.ignore_patterns("expected.json", "mutation.json"))
        broken[student] = set(json.loads((FIXTURES / protocol / fixture / "expected.json").read_text()))
        manifest = FIXTURES / protocol / fixture / "mutation.json"
        if manifest.exists() and "interop" in json.loads(manifest.read_text()):   # the conversations it breaks, said
            interop[student] = set(json.loads(manifest.read_text())["interop"])
    out = tmp_path / "matrix"
    # the self-test's own waits for the protocol (a whole self-test runs beside it on two cores)
    scale = str(protocols.get(protocol).selftest_timeout_scale)
    proc = subprocess.run([sys.executable, "-m", "conformance", "matrix", protocol, str(klass), "-o", str(out),
                           "--seed", "7", "--quiet", "--timeout-scale", scale], cwd=ROOT, capture_output=True,
                          text=True, timeout=840)
    doc = json.loads((out / "matrix.json").read_text())
    errors = [f"{c['client']} x {c['server']}: {c['why']}" for c in doc["cells"] if c["verdict"] == "error"]
    assert proc.returncode == 0 and not errors, "\n".join(errors) + proc.stdout + proc.stderr[-3000:]
    assert doc["schema"] == "chatconform-matrix/1" and doc["seed"] == 7
    names = [REFERENCE, *CLASS]
    assert doc["clients"] == names and doc["servers"] == names and len(doc["cells"]) == 16
    cells = {(c["client"], c["server"]): c for c in doc["cells"]}
    every_test = {t["id"]: t["requirements"] for t in
                  json.loads((out / "cells" / f"{REFERENCE}__{REFERENCE}.json").read_text())["tests"]}
    for (client, server), verdict in cells.items():
        def broken_by(test, ids, student, prefix):
            """Does this side's manifest break the conversation: one of the IDs of its role it names (or,
            where the manifest lists the conversations its bug breaks, this one among them)?"""
            mine = {i for i in broken[student] if i.startswith(prefix)}
            if mine and student in interop:
                return test.split("-", 1)[1] in interop[student]
            return bool(set(ids) & mine)
        expected = {}
        for test, ids in every_test.items():
            by_client = broken_by(test, ids, client, client_ids)
            by_server = broken_by(test, ids, server, server_ids)
            if by_client or by_server:
                expected[test] = "both" if by_client and by_server else "client" if by_client else "server"
        got = {f["test"]: f["blame"] for f in verdict["failures"]}
        assert got == expected, (client, server, verdict)
        assert verdict["verdict"] == ("failed" if expected else "passed"), (client, server, verdict)
    assert doc["findings"] == []
    assert doc["students"]["ben"]["client"]["works_with"] == 0      # its bug shows with every server
    assert doc["students"]["cid"]["server"]["works_with"] == 0      # and this one with every client
    assert (doc["students"]["ann"]["client"]["works_with"], doc["students"]["ann"]["client"]["of"]) == (2, 3)   # not cid
    if protocol != "jsonl":
        return   # the page is the same code for every protocol: one opened in a browser

    with headless_chromium(str(tmp_path / "profile")) as driver:
        from selenium.webdriver.common.by import By
        driver.get((out / "matrix.html").as_uri())
        shown = driver.find_elements(By.CSS_SELECTOR, "#matrix td.cell")
        assert len(shown) == 16
        colours = {td.get_attribute("data-verdict") for td in shown}
        assert colours == {"passed", "failed"}
        assert [th.text for th in driver.find_elements(By.CSS_SELECTOR, "#matrix thead th")][1:] == names
        link = driver.find_element(By.CSS_SELECTOR, "#matrix tbody tr:nth-child(3) td.cell a")   # ben x reference
        link.click()
        heading = driver.find_element(By.TAG_NAME, "h1").text
        assert heading.startswith("ben (client) x reference (server): failed")
        assert "wire#1" in driver.find_element(By.TAG_NAME, "body").text   # the conversation's transcript
