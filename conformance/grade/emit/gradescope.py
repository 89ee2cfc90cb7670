"""Gradescope's results.json (the autograder specification): a test per requirement, `number` =
the requirement ID, score / max_score / status / output / visibility; top-level score and
execution_time. Hidden requirements are `after_due_date`."""
from __future__ import annotations

from .requirements import per_requirement


def emit(document: dict, scored: dict, rubric) -> dict:
    tests = []
    for req, record, text in per_requirement(document, scored):
        tests.append({"name": f"{req} ({record['level']}): {record['sentence']}", "number": req,
                      "score": record["points"], "max_score": record["max_points"],
                      "status": "passed" if record["verdict"] == "passed" else "failed",
                      "output": text or f"{record['verdict']}",
                      "visibility": "after_due_date" if rubric.is_hidden(req) else "visible"})
    result = {"score": scored["score"], "execution_time": round(document.get("duration_s", 0.0), 1),
              "visibility": "visible", "stdout_visibility": "hidden", "tests": tests}
    if "error" in document:
        result["output"] = f"The submission could not be checked: {document['error']}"
    return result
