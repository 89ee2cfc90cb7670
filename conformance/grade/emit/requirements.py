"""What every platform file is made of: one entry per requirement shown to students, with what its
failed tests said and the commands that rerun them; requirements hidden until a date folded into one
anonymous entry (their points, no names, no transcripts); texts cut to fit a platform's size limit."""
from __future__ import annotations

from dataclasses import dataclass

from ...diagnose.engine import diagnosis_text

HARNESS_FAULT = "harness fault"   # the verdict of a requirement a fault of chatconform's left without one
CUT_NOTE = "\n… [{} characters cut to fit the platform's size limit] …\n"


@dataclass
class Entry:
    req: str            # the requirement ID ("hidden" for the folded hidden requirements)
    title: str          # "ID (LEVEL): sentence"
    verdict: str        # passed | failed | error | not evaluated | missing | not graded | harness fault | …
    points: float
    max_points: float
    text: str           # why it is not passed: its failed tests' messages and transcripts
    reruns: list        # commands that rerun its failed tests

    @property
    def passed(self) -> bool:
        """Met, or only a warning beyond the assignment's text (0 of 0 points, its text still shown)."""
        return self.verdict in ("passed", "warning")


def entries(document: dict, scored: dict, rubric) -> list:
    """The entries in spec order; a requirement hidden until its date is never named: all of them
    become one entry at the end, "N requirements shown after the due date", with their points."""
    out, hidden = [], []
    for req, record in scored["requirements"].items():
        if rubric.is_hidden(req):
            hidden.append(record)
            continue
        tests = [t for t in document.get("tests", []) if req in (t.get("failed_requirements") or [])
                 and t["outcome"] in ("failed", "error")]
        text = "\n\n".join(f"{t['id']} ({t['outcome']})\n{t['message'].strip()}\n"
                           + diagnosis_text(t.get("diagnoses"))
                           + (f"\nTranscript:\n{t['transcript']}" if t.get("transcript") else "")
                           + (f"\nRerun: {t['rerun']}" if t.get("rerun") else "") for t in tests)
        if not text and record["verdict"] != "passed":
            text = record.get("why") or {
                "not evaluated": "not evaluated: the tests that judge it stopped at another requirement's failure first",
                "missing": "the program this requirement is about was not found in the submission",
                "not graded": f"the submission could not be checked: {document.get('error', 'no result')}",
            }.get(record["verdict"], record["verdict"])
        judging = tests or [t for t in document.get("tests", []) if req in t.get("requirements", [])]
        reruns = [t["rerun"] for t in judging if t.get("rerun")] if record["verdict"] != "passed" else []
        out.append(Entry(req, f"{req} ({record['level']}): {record['sentence']}", record["verdict"], record["points"],
                         record["max_points"], text, reruns))
    for req, why in scored.get("not_checked", {}).items():   # a harness fault: no verdict, no points either way
        if why.startswith("not graded") and not rubric.is_hidden(req):
            level, sentence = requirement_of(document, req)
            reruns = [t["rerun"] for t in document.get("tests", []) if t.get("outcome") == "error" and t.get("rerun")
                      and req in (t.get("failed_requirements") or t.get("requirements", []))]
            out.append(Entry(req, f"{req} ({level}): {sentence}", HARNESS_FAULT, 0.0, 0.0,
                             f"{why}\nThis is a fault of chatconform's, not of the submission: it is not counted "
                             "either way; the submission is graded again once it is fixed.", reruns))
    if hidden:
        until = rubric.until.strftime("%Y-%m-%d %H:%M UTC") if rubric.until else "the grades are released"
        got, most = sum(r["points"] for r in hidden), sum(r["max_points"] for r in hidden)
        out.append(Entry("hidden", f"{len(hidden)} more requirement(s), shown after {until}",
                         "passed" if got == most else "failed", got, most, "", []))
    return out


def requirement_of(document: dict, req: str) -> tuple:
    from ..rubric import requirements_of
    return requirements_of(document["protocol"]).get(req, ("MUST", "")) if document.get("protocol") else ("MUST", "")


def fit(texts: list, budget: int) -> list:
    """The texts, each cut in the middle (with a note saying how much) until together they are at most
    `budget` characters: the longest are cut first, none below a few hundred characters."""
    texts = list(texts)
    while sum(map(len, texts)) > budget:
        longest = max(range(len(texts)), key=lambda i: len(texts[i]))
        text = texts[longest]
        excess = sum(map(len, texts)) - budget
        keep = max(300, len(text) - excess - len(CUT_NOTE) - 12)
        if keep >= len(text):
            break   # nothing left to cut usefully
        texts[longest] = text[: keep // 2] + CUT_NOTE.format(len(text) - keep) + text[len(text) - keep // 2:]
        if len(texts[longest]) >= len(text):
            break
    return texts
