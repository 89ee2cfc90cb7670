"""The platforms' native result files, each a pure function of one result document and its score.
FORMATS maps a --format name to (emitter, default output path on that platform)."""
from __future__ import annotations

from . import classroom, gradescope, junit, kelvin, prairielearn

FORMATS = {
    "gradescope": (gradescope.emit, "/autograder/results/results.json"),
    "classroom": (classroom.emit, "classroom-result.json"),
    "prairielearn": (prairielearn.emit, "/grade/results/results.json"),
    "kelvin": (kelvin.emit, "piperesult.json"),
    "codegrade": (junit.emit, None),        # at $CG_JUNIT_XML_LOCATION
    "junit": (junit.emit, "junit.xml"),
}


def per_requirement(document: dict, scored: dict) -> list:
    """(ID, its score record, the failure messages and transcripts of its tests) in spec order."""
    out = []
    for req, record in scored["requirements"].items():
        tests = [t for t in document.get("tests", []) if req in (t.get("failed_requirements") or [])
                 and t["outcome"] in ("failed", "error")]
        text = "\n\n".join(f"{t['id']} ({t['outcome']})\n{t['message'].strip()}\n"
                           + (f"\nTranscript:\n{t['transcript']}" if t.get("transcript") else "")
                           + (f"\nRerun: {t['rerun']}" if t.get("rerun") else "") for t in tests)
        out.append((req, record, text))
    return out
