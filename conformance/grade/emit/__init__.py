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
