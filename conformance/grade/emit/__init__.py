"""The platforms' native result files, each a pure function of one result document and its score.
FORMATS maps a --format name to (emitter, default output path on that platform, the platform's
default time limit for one submission in seconds or None): `grade --format` fits its budget into
that limit (--platform-timeout when the course set another)."""
from __future__ import annotations

from . import classroom, gradescope, junit, kelvin, prairielearn

FORMATS = {
    "gradescope": (gradescope.emit, "/autograder/results/results.json", 600),    # Autograder settings: 10 min
    "classroom": (classroom.emit, "classroom-result.json", None),               # a workflow job: 6 h
    "prairielearn": (prairielearn.emit, "/grade/results/results.json", 600),    # externalGradingOptions.timeout (max)
    "kelvin": (kelvin.emit, "piperesult.json", 180),                            # config.yml `timeout` default
    "codegrade": (junit.emit, None, None),        # at $CG_JUNIT_XML_LOCATION
    "junit": (junit.emit, "junit.xml", None),
}
MARGIN_S = 30   # left of a platform's limit for starting up and writing the results
