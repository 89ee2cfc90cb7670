"""The command line as graders script it: exit statuses, discovery, --json, --junit, seeds, reruns."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from conformance.selftest.checks import ROOT, check, explain
from conformance.selftest.fixtures import FIXTURES, materialize

GOOD = FIXTURES / "cnlab" / "select_client" / "client.py"
QUICK = ["--test", "cnlab/client/RI10-delivery"]


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "conformance", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("args, message", [
    (["check", "nosuch", "reference/cnlab"], "unknown protocol 'nosuch'"),
    (["check", "cnlab", "no/such/folder"], "submission not found: no/such/folder"),
    (["check", "cnlab"], "missing SUBMISSION"),
])
def test_usage_errors_exit_2_with_one_clear_line(args, message):
    proc = cli(*args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_no_program_found_exits_2(tmp_path):
    (tmp_path / "notes.txt").write_text("no code here")
    proc = cli("check", "cnlab", str(tmp_path))
    assert proc.returncode == 2
    assert "no cnlab client found" in proc.stderr and "notes.txt" not in proc.stderr
    assert "looked for a client" in proc.stderr and str(tmp_path) not in proc.stderr.split("submission")[-1]
    assert "Traceback" not in proc.stdout + proc.stderr


@pytest.mark.parametrize("workers", ["0", "2"])
def test_a_harness_fault_is_exit_2_with_one_line_and_never_a_pass(tmp_path, workers):
    """A fault injected into the harness's own report hook (in-process and in an xdist worker): exit 2,
    one line naming the fault, no traceback, and a --json document that says error, not passed."""
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "conformance", "check", "cnlab", str(GOOD.parent), "--json",
                           str(report), "-n", workers, *QUICK], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "CHATCONFORM_INJECT_FAULT": "report"})
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2, output
    assert "INTERNALERROR" not in output and "Traceback" not in output
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("chatconform: error: the harness failed")]
    assert len(lines) == 1 and "injected by the self-test" in lines[0]
    document = json.loads(report.read_text())
    assert "harness failed" in document["error"] and document["exit_status"] == 2
    assert all(t["outcome"] != "passed" for t in document["tests"])


def test_a_harness_bug_inside_a_test_is_an_error_not_a_failure(tmp_path):
    """A NameError in the suite's own code (a harness bug, injected) is charged to nobody: the test is
    an error with one line, the run exits 2."""
    code, document, output = check("cnlab", GOOD.parent, tmp_path, *QUICK,
                                   env={"CHATCONFORM_INJECT_FAULT": "test"})
    assert code == 2, output
    test = document["tests"][0]
    assert test["outcome"] == "error" and test["message"].startswith("the harness failed in this test (no verdict): "
                                                                     "NameError")
    assert "Traceback" not in output


def test_a_run_with_no_test_is_an_error(tmp_path):
    report = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "conformance", "check", "cnlab", str(GOOD.parent), "--json",
                           str(report), "-k", "no_test_has_this_name"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    document = json.loads(report.read_text())
    assert document["error"].startswith("no test was run")


def test_a_package_given_as_the_submission_runs_with_dash_m(tmp_path):
    package = tmp_path / "a1_chat_client"
    package.mkdir()
    source = GOOD.read_text().replace('parser.add_argument("--address"', 'parser.add_argument("-a", "--address"')
    (package / "__main__.py").write_text(source.replace('parser.add_argument("--port"', 'parser.add_argument("-p", "--port"'))
    (package / "__init__.py").write_text("")
    code, document, output = check("cnlab", package, tmp_path, *QUICK)
    assert code == 0, output
    assert "-m a1_chat_client -a {host} -p {port}" in output
    assert document["programs"]["client"].startswith("{python} -m a1_chat_client")


@pytest.mark.parametrize("layout", ["client.py", "chat_client_check/client.py", "file"])
def test_client_layouts_are_found(tmp_path, layout):
    target = tmp_path / ("client.py" if layout == "file" else layout)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(GOOD, target)
    code, document, output = check("cnlab", target if layout == "file" else tmp_path, tmp_path, *QUICK)
    assert code == 0, output
    assert document["summary"] == {"passed": 1, "failed": 0, "skipped": 0, "error": 0}


def test_package_layout_runs_with_dash_m(tmp_path):
    package = tmp_path / "a1_chat_client"
    package.mkdir()
    source = GOOD.read_text().replace('parser.add_argument("--address"', 'parser.add_argument("-a", "--address"')
    source = source.replace('parser.add_argument("--port"', 'parser.add_argument("-p", "--port"')
    (package / "__main__.py").write_text(source)
    (package / "__init__.py").write_text("")
    code, document, output = check("cnlab", tmp_path, tmp_path, *QUICK)
    assert code == 0, output
    assert "-m a1_chat_client -a 127.0.0.1 -p" in document["tests"][0]["transcript"]
    assert "-m a1_chat_client -a {host} -p {port}" in output


def test_client_cmd_template(tmp_path):
    shutil.copy(GOOD, tmp_path / "my_chat.py")
    code, _, output = check("cnlab", tmp_path, tmp_path, "--client-cmd",
                            "{python} {dir}/my_chat.py --address {host} --port {port}", *QUICK)
    assert code == 0, output


def test_json_junit_and_rerun_for_a_failing_submission(tmp_path):
    junit = tmp_path / "junit.xml"
    submission = materialize(FIXTURES / "cnlab" / "wrong_send_ok_text", tmp_path)
    code, document, output = check("cnlab", submission, tmp_path,
                                    "--junit", str(junit), "--test", "cnlab/client/RI8-send-ok",
                                    "--test", "cnlab/client/RI10-delivery", "--seed", "7")
    assert code == 1
    assert set(document) >= {"protocol", "submission", "seed", "duration_s", "tests", "summary"}
    assert document["protocol"] == "cnlab" and document["seed"] == 7
    tests = {t["id"]: t for t in document["tests"]}
    failed = tests["cnlab/client/RI8-send-ok"]
    assert failed["outcome"] == "failed" and failed["requirements"] == ["RI8"] and failed["role"] == "client"
    assert "Expected: ['The message was sent succesfully'" in failed["message"]
    assert "Message sent!" in failed["message"]
    assert "wire#1>" in failed["transcript"] and "term<" in failed["transcript"]
    assert tests["cnlab/client/RI10-delivery"]["outcome"] == "passed"
    assert document["summary"] == {"passed": 1, "failed": 1, "skipped": 0, "error": 0}
    # the console report: requirement sentence, expected/actual, transcript, the rerun command
    assert "RI8 (MUST): If the message was sent successfully" in output
    rerun = re.search(r"Rerun just this test:\n\s+(.*)", output).group(1)
    assert "--test cnlab/client/RI8-send-ok" in rerun and "--seed 7" in rerun
    suite = ET.parse(junit).getroot()
    assert suite.iter("testcase") and any(case.find("failure") is not None for case in suite.iter("testcase"))


def test_seed_reproduces_names(tmp_path):
    def names(seed):
        _, document, _ = check("cnlab", GOOD, tmp_path, *QUICK, "--seed", str(seed))
        return re.findall(r"DELIVERY \S+ [^\\]+", document["tests"][0]["transcript"])
    first = names(1234)
    assert first and first == names(1234)
    assert first != names(4321)


def test_a_crashing_candidate_is_a_failure_not_a_harness_error(tmp_path):
    (tmp_path / "client.py").write_text("import sys\nprint('Welcome to Chat Client. Enter your login:')\n"
                                        "raise RuntimeError('student bug')\n")
    code, document, output = check("cnlab", tmp_path, tmp_path, "--test", "cnlab/client/RI3-login-success")
    assert code == 1
    test = document["tests"][0]
    assert test["outcome"] == "failed"
    assert "RuntimeError: student bug" in test["message"] or "RuntimeError: student bug" in test["transcript"]


def test_a_package_the_grader_lacks_is_an_error_but_a_module_the_student_left_out_is_a_failure(tmp_path):
    """Real submissions import what their course allowed (click, colorama, aioconsole): where it is not
    installed, that is the grader's configuration (an error naming the package, nothing charged). A
    module of the submission's own that cannot be imported stays the student's."""
    lacks, student = tmp_path / "lacks", tmp_path / "student"
    for folder, code in ((lacks, "import chatconform_uninstalled_pkg.sub\n"),
                         (student, "import helpers\n")):
        (folder / "lib" / "helpers").mkdir(parents=True) if folder is student else folder.mkdir()
        (folder / "client.py").write_text(code + "print('Welcome to Chat Client. Enter your login:')\n")
    (student / "lib" / "helpers" / "__init__.py").write_text("")   # there, but not where Python looks
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    code, document, output = check("cnlab", lacks, tmp_path / "a", "--test", "cnlab/client/RI3-login-success")
    assert code == 2, output
    test = document["tests"][0]
    assert test["outcome"] == "error" and "imports 'chatconform_uninstalled_pkg', which is neither installed" \
        in test["message"], test
    code, document, output = check("cnlab", student, tmp_path / "b", "--test", "cnlab/client/RI3-login-success")
    assert code == 1 and document["tests"][0]["outcome"] == "failed", output


def test_a_hanging_candidate_is_bounded(tmp_path):
    (tmp_path / "client.py").write_text("import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                                        "while True:\n    time.sleep(1)\n")
    code, document, output = check("cnlab", tmp_path, tmp_path, "--test", "cnlab/client/RC1-quit",
                                   "--timeout-scale", "0.5")
    assert code == 1
    assert document["tests"][0]["outcome"] == "failed"
    assert document["duration_s"] < 10


@pytest.mark.timeout(600)   # two whole suite runs, one after the other, on a loaded machine
def test_examples_mode_grades_one_passing_and_one_failing(tmp_path):
    proc = cli("check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "select_client: PASS" in proc.stdout
    assert "thread_not_daemon: FAIL" in proc.stdout


@pytest.mark.parametrize("code_line, failed", [
    ("s = socket.create_connection((a.address, a.port)); s.send(b'HELLO_FROM ' + name.encode() + b'\\n')", ["RA1"]),
    ("pass", ["RA1", "RT1"]),   # no connection at all: no login attempt, and nothing over TCP
])
def test_the_login_test_can_fail(tmp_path, code_line, failed):
    """RA1 and RT1 have no broken fixture (a client failing them fails every test): shown here."""
    (tmp_path / "client.py").write_text(
        "import argparse, socket, time\np = argparse.ArgumentParser()\np.add_argument('--address')\n"
        "p.add_argument('--port', type=int)\na = p.parse_args()\nname = input()\n"
        f"{code_line}\ntime.sleep(30)\n")
    code, document, output = check("cnlab", tmp_path, tmp_path, "--test", "cnlab/client/RA1-login",
                                   "--timeout-scale", "0.4")
    assert code == 1
    assert document["tests"][0]["failed_requirements"] == failed


def test_bonus_web_view_is_skipped_unless_asked_and_can_fail(tmp_path):
    fixture = FIXTURES / "jsonl" / "threaded"       # a correct server without a web view
    code, document, _ = check("jsonl", fixture, tmp_path, "--test", "jsonl/server/JS12-web-view")
    assert code == 0 and document["tests"][0]["outcome"] == "skipped"
    assert "--bonus" in document["tests"][0]["message"]
    code, document, _ = check("jsonl", fixture, tmp_path, "--test", "jsonl/server/JS12-web-view", "--bonus",
                              "--timeout-scale", "0.4")
    assert code == 1 and document["tests"][0]["failed_requirements"] == ["JS12"]


def test_server_cmd_without_port_uses_the_default_port_one_test_at_a_time(tmp_path):
    """A --server-cmd with no {port}: the server takes jsonl's default port 5555. With -n, each
    worker has a network of its own where it can (as root), else -n is ignored (with a note), so no
    two such servers race for it. In the run's private network a port taken on the machine is no
    obstacle; sharing the machine's network, a taken port is a clear error."""
    server_cmd = ["--role", "server", "--server-cmd", "{python} server.py", "-k", "arrival or echo or history"]
    code, document, output = check("jsonl", ROOT / "reference" / "jsonl", tmp_path, *server_cmd, "-n", "2")
    assert code == 0 and document["summary"]["passed"] >= 3, output
    assert "default port 5555" in output
    assert ("each parallel worker in a network of its own" if os.geteuid() == 0 else "-n ignored") in output
    with socket.create_server(("127.0.0.1", 5555)):
        code, document, output = check("jsonl", ROOT / "reference" / "jsonl", tmp_path, *server_cmd)
        assert code == 0 and "network: private" in output, output
        code, document, output = check("jsonl", ROOT / "reference" / "jsonl", tmp_path, *server_cmd,
                                       env={"CHATCONFORM_NETWORK": "shared"})
    assert code == 2 and "port 5555 is already taken" in output
    assert "Traceback" not in output


def test_the_naming_test_can_fail(tmp_path):
    """JS2 (clients named ip:port) fails every server test when broken, so no fixture shows it: here."""
    shutil.copytree(FIXTURES / "jsonl" / "threaded", tmp_path / "sub")
    server = tmp_path / "sub" / "server.py"
    server.write_text(server.read_text().replace('name = f"{ip}:{port}"', 'name = f"guest{port}"'))
    code, document, _ = check("jsonl", tmp_path / "sub", tmp_path, "--test", "jsonl/server/JS2-arrival-notice")
    assert code == 1 and document["tests"][0]["failed_requirements"] == ["JS2"]


def test_the_connect_test_can_fail(tmp_path):
    """SC1 (connect to HOST PORT) fails every client test when broken, so no fixture shows it: here."""
    shutil.copytree(FIXTURES / "sendto" / "threaded", tmp_path / "sub")
    client = tmp_path / "sub" / "client.py"
    client.write_text(client.read_text().replace("int(sys.argv[2])", "int(sys.argv[2]) + 1"))
    code, document, _ = check("sendto", tmp_path / "sub", tmp_path, "--test", "sendto/client/SC1-connects",
                              "--timeout-scale", "0.4")
    assert code == 1 and document["tests"][0]["failed_requirements"] == ["SC1"]


def test_a_fault_inside_the_gui_probe_is_an_error_never_charged(tmp_path):
    """The GUI probe raising on every widget tree (injected): each GUI test is an error naming the
    probe's fault, no requirement is failed or charged, the run exits 2, and grading the result lists
    the student under a harness fault, not graded (never 0) in every platform file."""
    pytest.importorskip("PyQt5.QtWidgets")
    from conformance.grade import report as class_report
    from conformance.grade import rubric
    from conformance.grade import run as grade_run
    from conformance.grade.emit import FORMATS
    code, document, output = check("brace", ROOT / "reference" / "brace", tmp_path, "--role", "client",
                                   "-k", "welcome or send_all", "--no-diagnose",
                                   env={"CHATCONFORM_INJECT_FAULT": "probe"})
    assert code == 2, output
    assert document["tests"] and all(t["outcome"] == "error" for t in document["tests"]), explain(document)
    assert all("the GUI probe failed on 'tree'" in t["message"] and "injected by the self-test" in t["message"]
               for t in document["tests"])
    assert "failed" not in document["requirements"].values()
    document.update(student="Ada", slug="Ada")
    assert grade_run.status(document).startswith("error: could not be graded: harness fault")
    scored = rubric.score(document, rubric.Rubric())
    assert scored["score"] == 0 and scored["max_score"] == 0 and scored["harness_fault"]
    for fmt, entry in FORMATS.items():
        out = entry[0](document, scored, rubric.Rubric())
        text = out if isinstance(out, str) else json.dumps(out)
        assert "fault of chatconform" in text or "harness fault" in text, fmt
    (tmp_path / "class").mkdir()
    class_report.write_all(tmp_path / "class", [document], rubric.Rubric())
    assert "Could not be graded: harness fault" in (tmp_path / "class" / "index.html").read_text()


def test_every_option_of_every_subcommand_explains_itself():
    """A newcomer reads --help: every option and argument has a line of help, and every subcommand's
    help ends with an example."""
    import argparse

    from conformance.cli import parser
    subcommands = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert {"check", "grade"} <= set(subcommands)
    for name, sub in subcommands.items():
        silent = [a.option_strings or [a.dest] for a in sub._actions
                  if not isinstance(a, argparse._HelpAction) and not (a.help or "").strip()]
        assert not silent, f"chatconform {name}: no help for {silent}"
        assert sub.epilog and "chatconform " + name in sub.epilog, f"chatconform {name}: no example"


def test_a_graders_wrapper_outside_the_submission_is_never_read_as_its_code(tmp_path):
    """--client-cmd naming a program outside the submission (a grader's wrapper): the source checks
    read the submission's files only, and every test runs (no harness error)."""
    wrapper = tmp_path / "grader" / "wrap.py"
    wrapper.parent.mkdir()
    wrapper.write_text("import runpy, sys\n# sendall would be found here if the wrapper were read\n"
                       "path = sys.argv[1]\nsys.argv = sys.argv[1:]\nsys.path.insert(0, __import__('os').path.dirname(path))\n"
                       "runpy.run_path(path, run_name='__main__')\nx = 'sock.sendall'\nsendall = None\n")
    code, document, output = check("cnlab", GOOD.parent, tmp_path, "--test", "cnlab/client/RT2-no-sendall",
                                   "--test", "cnlab/client/RC1-no-os-exit", "--test", "cnlab/client/RI10-delivery",
                                   "--client-cmd", f"{{python}} {wrapper} {{dir}}/client.py --address {{host}} "
                                   "--port {port}", "--no-diagnose")
    assert code == 0, explain(document) or output
    assert [t["outcome"] for t in document["tests"]] == ["passed"] * 3
