"""The command-line options of the suite (pytest's side of `python -m conformance check`)."""
from __future__ import annotations


from ..protocols import NAMES
ROLES = ("client", "server")


def pytest_addoption(parser):
    group = parser.getgroup("chatconform")
    group.addoption("--protocol", choices=NAMES, help="the protocol to check")
    group.addoption("--submission", help="the submission: a folder or a program file")
    group.addoption("--role", choices=ROLES + ("all",), default="all",
                    help="which programs to check (default: every program the submission has)")
    group.addoption("--server", metavar="HOST:PORT", help="an already-running server: the live client "
                    "tests use it and the server suite tests it")
    group.addoption("--server-max-clients", type=int, metavar="N",
                    help="the --server's user limit; enables its BUSY test")
    group.addoption("--server-max-users", type=int, metavar="N",
                    help="jsonl: the server's user limit; enables its max-users test")
    group.addoption("--bonus", action="store_true", help="also run the checks of bonus features (jsonl: the "
                    "web view)")
    group.addoption("--client-cmd", metavar="TEMPLATE", help="how to start the client; {python} {dir} "
                    "{host} {port} are filled in")
    group.addoption("--server-cmd", metavar="TEMPLATE", help="how to start the server; as --client-cmd")
    group.addoption("--timeout-scale", type=float, default=1.0, metavar="F", help="multiplies every wait")
    group.addoption("--seed", type=int, help="reproduce the random names and messages of an earlier run")
    group.addoption("--json", dest="chatconform_json", metavar="FILE", help="write the results as JSON")
    group.addoption("--junit", dest="chatconform_junit", metavar="FILE", help="write JUnit XML")
    group.addoption("--json-every-test", dest="chatconform_json_every_test", action="store_true",
                    help="rewrite the --json document after every test (a platform's global timeout then still "
                         "leaves the results so far)")
    group.addoption("--test", dest="chatconform_tests", action="append", default=[], metavar="ID",
                    help="run only the test with this id (e.g. cnlab/client/RI4-in-use); repeatable")
    group.addoption("--shown-as", metavar="PATH", help="how reports name the submission (grade: '.', so that "
                    "nothing shows the grader's folders); default: the path as given")
    group.addoption("--rerun-prefix", default="chatconform check",
                    help="how the rerun hint in a failure report starts")
