"""GitHub Classroom: the runner result that classroom-resources/autograding-grading-reporter reads
(src/main.js: base64 of this JSON in the env variable CHATCONFORM_RESULTS; notify-classroom.js: the
points are the sum of the tests' `score` and count only when `max_score` > 0; console-results: a
test's `test_code` is printed under every test, its `message` only for status `error`). So:

- a test per requirement shown, with its points; failure details and the commands that rerun the
  failed tests (`chatconform check … --test ID`, runnable in the student's repository) in
  `test_code`, where the reporter prints them for every status, and in `message`;
- a submission that could not be checked still posts 0 of the full maximum (one `error` test);
- the whole result at most 100 KB once base64-encoded (one environment variable of a step may hold
  128 KiB): the texts are cut to fit, saying so."""
from __future__ import annotations

import base64
import json

from .requirements import HARNESS_FAULT, entries, fit

MAX_BASE64 = 100_000


def emit(document: dict, scored: dict, rubric) -> dict:
    shown = entries(document, scored, rubric)
    tests = []
    for entry in shown:
        status = "pass" if entry.passed else "error" if entry.verdict in ("error", HARNESS_FAULT) else "fail"
        code = "\n".join(entry.reruns) or f"chatconform check {document.get('protocol', '')} ."
        tests.append({"name": entry.title[:200], "status": status, "score": entry.points,
                      "message": entry.text or entry.verdict, "line_no": 0, "execution_time": "",
                      "test_code": code + (f"\n\n{entry.text}" if entry.text else ""), "filename": ""})
    if "error" in document:
        tests.append({"name": "the submission can be checked", "status": "error", "score": 0,
                      "message": document["error"], "line_no": 0, "execution_time": "",
                      "test_code": f"chatconform check {document.get('protocol', '')} .\n\n{document['error']}",
                      "filename": ""})
    failed = any(t["status"] != "pass" for t in tests)
    result = {"version": 1, "status": "error" if "error" in document else "fail" if failed else "pass",
              "max_score": scored["max_score"] or (1 if "error" in document else 0), "tests": tests}
    return bounded(result)


def encoded_size(result: dict) -> int:
    return len(base64.b64encode(json.dumps(result, ensure_ascii=False).encode("utf-8")))


def bounded(result: dict) -> dict:
    """Cut the tests' texts until the base64 of the result fits MAX_BASE64."""
    budget = sum(len(t["message"]) + len(t["test_code"]) for t in result["tests"])
    while encoded_size(result) > MAX_BASE64 and budget > 0:
        budget = int(budget * 0.8)
        texts = fit([t["message"] for t in result["tests"]] + [t["test_code"] for t in result["tests"]], budget)
        n = len(result["tests"])
        for test, message, code in zip(result["tests"], texts[:n], texts[n:]):
            test["message"], test["test_code"] = message, code
    return result


# `chatconform classroom-workflow` prints it (grade/commands.py).
WORKFLOW = """# GitHub Classroom's autograding workflow, as Classroom generates it (the name, the one job and the
# triggers are what Classroom looks for), with chatconform as its one runner.
name: Autograding Tests
'on':
- push
- repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  run-autograding-tests:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    steps:
    - name: Checkout code
      uses: actions/checkout@v4
    - uses: actions/setup-python@v5
      with:
        python-version: "3.11"
    - name: Install chatconform
      run: |
        sudo apt-get update -qq
        sudo apt-get install -y -qq --no-install-recommends xvfb xauth bubblewrap python3-tk
        python -m pip install --quiet "{source}"
    - name: chatconform
      id: chatconform
      run: |
        chatconform grade {protocol} . --format classroom --result "$RUNNER_TEMP/chatconform-result.json"
        echo "result=$(base64 -w0 "$RUNNER_TEMP/chatconform-result.json")" >> "$GITHUB_OUTPUT"
    - name: Autograding Reporter
      uses: classroom-resources/autograding-grading-reporter@v1
      env:
        CHATCONFORM_RESULTS: "${{{{steps.chatconform.outputs.result}}}}"
      with:
        runners: chatconform
"""
