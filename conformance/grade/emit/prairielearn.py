"""PrairieLearn's external grader results (docs/externalGrading.md: /grade/results/results.json with
`gradable`, `score` in [0, 1], `message`, `output`, `tests` [{name, description, points, max_points,
message, output}]; a results file over 1 MB is rejected). A submission that could not be checked is
`gradable: false` with `format_errors`; requirements hidden until a date are one anonymous test;
the texts are cut so that the file stays under MAX_BYTES."""
from __future__ import annotations

import json

from .requirements import entries, fit

MAX_BYTES = 900_000


def emit(document: dict, scored: dict, rubric) -> dict:
    if "error" in document or "tests" not in document:
        return {"gradable": False, "score": 0.0, "format_errors": [document.get("error", "no result")],
                "message": "The submission could not be checked."}
    if scored.get("harness_fault"):   # no verdict on some requirement: not graded, never a 0
        faulted = [req for req, why in scored.get("not_checked", {}).items() if why.startswith("not graded")]
        return {"gradable": False, "score": 0.0,
                "format_errors": [f"harness fault ({', '.join(faulted)}): {scored['harness_fault']}"],
                "message": "Not graded: a fault of chatconform's stopped some tests (no verdict on your code); "
                           "it is graded again once that is fixed."}
    shown = entries(document, scored, rubric)
    tests = [{"name": e.req if e.req != "hidden" else "hidden", "description": e.title, "points": e.points,
              "max_points": e.max_points, "message": e.verdict, "output": e.text} for e in shown]
    most = scored["max_score"]
    result = {"gradable": True, "score": round(scored["score"] / most, 4) if most else 0.0,
              "message": f"{scored['score']:g} of {most:g} points", "tests": tests}
    budget = sum(len(t["output"]) for t in tests)
    while len(json.dumps(result, ensure_ascii=False).encode("utf-8")) > MAX_BYTES and budget > 0:
        budget = int(budget * 0.8)
        for test, output in zip(tests, fit([t["output"] for t in tests], budget)):
            test["output"] = output
    return result
