"""The real-style class (fixtures/class/): built into a folder as an LMS download gives it, and each
student's result checked against the manifest. Used by the self-test and bench/grade_class.py."""
from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from pathlib import Path

from .fixtures import FIXTURES, materialize

CLASS = FIXTURES / "class"


def manifest() -> dict:
    return json.loads((CLASS / "manifest.json").read_text())


def _source(ref: str, scratch: Path) -> Path:
    """A file of another fixture (`cnlab/inline_prompt/client.py`); a mutation fixture written out first."""
    protocol, fixture, *rest = ref.split("/")
    folder = materialize(FIXTURES / protocol / fixture, scratch)
    return folder.joinpath(*rest)


def build(into: Path) -> dict:
    """The class folder (one LMS-named folder per student); returns the manifest's students."""
    students = manifest()["students"]
    scratch = Path(tempfile.mkdtemp(prefix="chatconform-class-build-"))
    try:
        for name, student in students.items():
            target = into / name
            own = CLASS / name
            files = target / "_files" if student.get("zip") else target
            if own.is_dir():
                shutil.copytree(own, files, dirs_exist_ok=True)
            files.mkdir(parents=True, exist_ok=True)
            for dest, ref in student.get("from", {}).items():
                (files / dest).parent.mkdir(parents=True, exist_ok=True)
                text = _source(ref, scratch).read_text()
                for edit in student.get("edits", {}).get(dest, []):
                    if text.count(edit["old"]) != 1:
                        raise ValueError(f"fixtures/class: an edit of {name}/{dest} does not match exactly once")
                    text = text.replace(edit["old"], edit["new"])
                (files / dest).write_text(text)
            if student.get("zip"):
                with zipfile.ZipFile(target / student["zip"], "w") as z:
                    for path in sorted(files.rglob("*")):
                        if path.is_file():
                            z.write(path, path.relative_to(files).as_posix())
                shutil.rmtree(files)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return students


def student_of(folder_name: str) -> str:
    return folder_name.split("_")[0]


EVIDENCE_LINES = 16   # of a transcript's end, for a verdict the manifest did not declare


def evidence(doc: dict, unexpected: set) -> str:
    """The message and the transcript's end of each test that failed a requirement nobody expected:
    enough to judge a rare difference from the self-test's output alone."""
    out = []
    for test in doc.get("tests", []):
        if test["outcome"] in ("failed", "error") and set(test["failed_requirements"]) & unexpected:
            out.append(f"\n  {test['id']}: {(test.get('message') or '').splitlines()[0][:300] if test.get('message') else ''}")
            out.extend(f"\n    | {line[:200]}" for line in (test.get("transcript") or "").splitlines()[-EVIDENCE_LINES:])
    return "".join(out)


def differences(out: Path, students: dict) -> list:
    """Each way a graded result differs from the manifest (empty: every verdict as declared)."""
    wrong = []
    results = {}
    for path in (out / "results").glob("*.json"):
        document = json.loads(path.read_text())
        results[document.get("student")] = document
    for name, want in students.items():
        student = student_of(name)
        doc = results.get(student)
        if doc is None:
            wrong.append(f"{student}: no result")
            continue
        from conformance.grade.run import status
        got_status = status(doc).split(":")[0]
        failed = sorted({r for t in doc.get("tests", []) if t["outcome"] in ("failed", "error")
                         for r in t["failed_requirements"]})
        programs = " ".join(doc.get("programs", {}).values())
        if got_status != want["status"] or failed != want["failed"] or doc.get("protocol") != want["protocol"]:
            wrong.append(f"{student}: {doc.get('protocol')} {status(doc)[:300]} failed {failed}; expected "
                         f"{want['protocol']} {want['status']} {want['failed']}" + evidence(doc, set(failed) ^ set(want["failed"])))
        if want["program"] and want["program"] not in programs:
            wrong.append(f"{student}: programs {programs!r}, expected one with {want['program']!r}")
    return wrong
