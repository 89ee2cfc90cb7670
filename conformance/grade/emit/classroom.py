"""GitHub Classroom: the runner result that the autograding grading reporter reads (base64 of this
JSON in a step output named `result`): version 1, status, max_score and every test with a numeric
score; the scores add up to max_score when everything passes."""
from __future__ import annotations

from .requirements import per_requirement


def emit(document: dict, scored: dict, rubric) -> dict:
    tests = []
    for req, record, text in per_requirement(document, scored):
        tests.append({"name": f"{req}: {record['sentence']}"[:200], "status": "pass" if record["verdict"] == "passed"
                      else "error" if record["verdict"] == "error" else "fail",
                      "message": text[:4000] or record["verdict"], "line_no": 0, "execution_time": "",
                      "score": record["points"], "test_code": f"python -m conformance check {document.get('protocol')}"
                      f" . --test {req}", "filename": ""})
    failed = any(t["status"] != "pass" for t in tests) or "error" in document
    return {"version": 1, "status": "error" if "error" in document else "fail" if failed else "pass",
            "max_score": scored["max_score"], "tests": tests}
