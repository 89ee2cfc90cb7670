"""JUnit XML (CodeGrade reads it at $CG_JUNIT_XML_LOCATION with its cg_junit parser; most CI
systems read it). A testcase per requirement shown, with `time` on every testcase (cg_junit reads
it) and its points as `weight`; every verdict that is not `passed` is a <failure> (or an <error>),
never <skipped>, so a platform's denominator is chatconform's maximum (a skipped testcase drops out
of CodeGrade's); requirements hidden until a date are one anonymous testcase; a submission that
could not be checked is one <error> testcase, counted in `tests`. Plain text only."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from .requirements import HARNESS_FAULT, entries, fit

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
MAX_TEXT = 900_000


def clean(text: str) -> str:
    return NOT_XML.sub("", ANSI.sub("", text))


def emit(document: dict, scored: dict, rubric) -> str:
    shown = entries(document, scored, rubric)
    texts = fit([e.text for e in shown], MAX_TEXT)
    cases = []
    per_case = round(document.get("duration_s", 0) / max(1, len(shown)), 3)
    for entry, text in zip(shown, texts):
        case = ET.Element("testcase", classname=document.get("protocol", "chatconform"), name=clean(entry.title),
                          time=str(per_case), weight=f"{entry.max_points:g}")
        if not entry.passed:
            tag = "error" if entry.verdict in ("error", HARNESS_FAULT) else "failure"
            ET.SubElement(case, tag, message=clean((text.splitlines() or [entry.verdict])[0])[:500],
                          type=entry.verdict).text = clean(text or entry.verdict)
        cases.append(case)
    if "error" in document:
        case = ET.Element("testcase", classname="chatconform", name="the submission can be checked", time="0")
        ET.SubElement(case, "error", message=clean(document["error"])[:500], type="error").text = clean(document["error"])
        cases.append(case)
    failures = sum(c.find("failure") is not None for c in cases)
    errors = sum(c.find("error") is not None for c in cases)
    suite = ET.Element("testsuite", name=f"chatconform {document.get('protocol', '')}".strip(), tests=str(len(cases)),
                       failures=str(failures), errors=str(errors), skipped="0",
                       time=str(document.get("duration_s", 0)))
    suite.extend(cases)
    root = ET.Element("testsuites", tests=str(len(cases)), failures=str(failures), errors=str(errors),
                      time=str(document.get("duration_s", 0)))
    root.append(suite)
    return ET.tostring(root, encoding="unicode", xml_declaration=True)
