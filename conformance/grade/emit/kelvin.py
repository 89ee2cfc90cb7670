"""Kelvin's pipe result: piperesult.json ("failed" and "comments") beside result.html (shown to the
student). "failed" is false whenever the harness itself ran, because Kelvin zeroes everything when
an action fails: the verdicts are in the page, the points in the tests."""
from __future__ import annotations

import html

from .requirements import per_requirement


def emit(document: dict, scored: dict, rubric) -> dict:
    return {"failed": "tests" not in document, "comments": {}}


def page(document: dict, scored: dict, rubric) -> str:
    rows = "".join(f"<tr><td>{html.escape(req)}</td><td>{html.escape(r['verdict'])}</td><td>{r['points']:g}/"
                   f"{r['max_points']:g}</td><td><pre>{html.escape(text)}</pre></td></tr>"
                   for req, r, text in per_requirement(document, scored))
    head = f"<p>{scored['score']:g} of {scored['max_score']:g} points</p>"
    if "error" in document:
        head += f"<p>The submission could not be checked: {html.escape(document['error'])}</p>"
    return f"{head}<table class='table'><tr><th>requirement</th><th>verdict</th><th>points</th><th></th></tr>{rows}</table>"
