"""Gradescope's results.json (the autograder specifications: tests with score, max_score, status,
name, number, output and visibility; top-level score, execution_time, output, visibility). A
requirement hidden until a date is `after_due_date`; hidden without a date, `hidden` (instructors
only). Every failure's text (message, transcript, rerun) is the test's output, cut to keep the file
small."""
from __future__ import annotations

from .requirements import entries, fit

MAX_OUTPUT = 900_000   # characters of test output in all (results.json is uploaded as one file)


def emit(document: dict, scored: dict, rubric) -> dict:
    hidden = [req for req in scored["requirements"] if rubric.is_hidden(req)]
    tests = []
    for req, record in scored["requirements"].items():
        if req in hidden:   # named for the instructor, shown to the student after the date (or never)
            tests.append({"name": f"{req} ({record['level']}): {record['sentence']}", "number": req,
                          "score": record["points"], "max_score": record["max_points"],
                          "status": "passed" if record["verdict"] == "passed" else "failed",
                          "output": record["verdict"],
                          "visibility": "after_due_date" if rubric.until else "hidden"})
    shown = [e for e in entries(document, scored, rubric) if e.req != "hidden"]
    outputs = fit([e.text or e.verdict for e in shown], MAX_OUTPUT)
    for entry, output in zip(shown, outputs):
        tests.append({"name": entry.title, "number": entry.req, "score": entry.points, "max_score": entry.max_points,
                      "status": "passed" if entry.passed else "failed", "output": output, "visibility": "visible"})
    order = list(scored["requirements"]) + list(scored.get("not_checked", {}))
    tests.sort(key=lambda t: order.index(t["number"]) if t["number"] in order else len(order))
    result = {"score": scored["score"], "execution_time": round(document.get("duration_s", 0.0), 1),
              "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}
    if "error" in document:
        result["output"] = f"The submission could not be checked: {document['error']}"
    elif scored.get("harness_fault"):
        result["output"] = ("Not graded yet: a fault of chatconform's stopped some tests, which count neither way "
                            f"(no verdict on your code): {scored['harness_fault']}")
    return result


# The autograder bundle's two scripts (`chatconform gradescope-bundle`, grade/commands.py).
SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once when it builds the autograder image (base image: Ubuntu 22.04 or later,
# whose python3 is 3.10; chatconform needs 3.9 or later).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends python3 python3-pip python3-venv python3-tk xvfb xauth bubblewrap
python3 -m venv /opt/chatconform-venv
/opt/chatconform-venv/bin/pip install --quiet /autograder/source/{wheel}
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; results.json is rewritten after every test.
exec /opt/chatconform-venv/bin/chatconform grade {protocol} /autograder/submission --format gradescope \\
    --result /autograder/results/results.json {rubric}
"""
