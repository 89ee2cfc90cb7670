"""PrairieLearn's external grader results (/grade/results/results.json): gradable, score in [0, 1],
per-test points; a missing or broken program is `gradable: false` with format_errors."""
from __future__ import annotations

from .requirements import per_requirement


def emit(document: dict, scored: dict, rubric) -> dict:
    if "error" in document or "tests" not in document:
        return {"gradable": False, "score": 0.0, "format_errors": [document.get("error", "no result")],
                "message": "The submission could not be checked."}
    tests = [{"name": req, "description": record["sentence"], "points": record["points"],
              "max_points": record["max_points"], "message": record["verdict"], "output": text}
             for req, record, text in per_requirement(document, scored)]
    most = scored["max_score"]
    return {"gradable": True, "score": round(scored["score"] / most, 4) if most else 0.0,
            "message": f"{scored['score']:g} of {most:g} points", "tests": tests}
