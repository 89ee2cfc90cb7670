"""Kelvin (mrlvsb/kelvin, evaluator/pipelines.py): a custom Docker action writes piperesult.json into
the submission's folder and may write result.html beside it (shown to the student). Kelvin reads
`failed` (true zeroes the whole evaluation: so it is true only when the harness could not run) and
`tests`, a list of {name, title, success, message} that it scores like its own tests. Requirements
hidden until a date are one anonymous test. `chatconform kelvin-action PROTOCOL` writes the image's
Dockerfile and entry point (docs/platforms.md)."""
from __future__ import annotations

import html

from .requirements import entries, fit

MAX_MESSAGES = 900_000


def emit(document: dict, scored: dict, rubric) -> dict:
    shown = entries(document, scored, rubric)
    messages = fit([e.text for e in shown], MAX_MESSAGES)
    return {"failed": "tests" not in document,
            "tests": [{"name": e.req, "title": e.title, "success": e.passed, "message": message,
                       "points": e.points, "max_points": e.max_points} for e, message in zip(shown, messages)],
            "comments": {}}


def page(document: dict, scored: dict, rubric) -> str:
    shown = entries(document, scored, rubric)
    rows = "".join(f"<tr><td>{html.escape(e.title)}</td><td>{html.escape(e.verdict)}</td><td>{e.points:g}/"
                   f"{e.max_points:g}</td><td><pre>{html.escape(text)}</pre></td></tr>"
                   for e, text in zip(shown, fit([e.text for e in shown], MAX_MESSAGES)))
    head = f"<p>{scored['score']:g} of {scored['max_score']:g} points</p>"
    if "error" in document:
        head += f"<p>The submission could not be checked: {html.escape(document['error'])}</p>"
    return f"{head}<table class='table'><tr><th>requirement</th><th>verdict</th><th>points</th><th></th></tr>{rows}</table>"


DOCKERFILE = """# Kelvin's custom action for chatconform ({protocol}): build it as kelvin/chatconform-{protocol}
# and name it in the task's config.yml (pipeline: - type: chatconform-{protocol}).
FROM ubuntu:22.04
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 python3-venv python3-tk \\
        xvfb xauth bubblewrap && rm -rf /var/lib/apt/lists/*
COPY {wheel} /opt/
RUN python3 -m venv /opt/chatconform && /opt/chatconform/bin/pip install --quiet /opt/{wheel}
COPY entry.sh /entry.sh
ENTRYPOINT ["/bin/sh", "/entry.sh"]
"""

ENTRY = """#!/bin/sh
# Kelvin mounts the submission at /work (the working folder); piperesult.json and result.html go there.
exec /opt/chatconform/bin/chatconform grade {protocol} /work --format kelvin --result /work/piperesult.json
"""
