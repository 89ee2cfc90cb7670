"""The result model: one record per test, gathered from pytest reports (xdist workers included),
written as the --json document and summarised per requirement."""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field

from .state import current

RECORD_KEY = "chatconform"


# Absolute paths of the grader's machine never reach a report: the submission's copy and folder
# become paths relative to the submission, the interpreter `python`, the harness's temporary folders
# their last part. The run registers its (prefix, replacement) pairs and its scratch copy's pattern in
# its state (state.py) once it knows its folders; every temporary folder of the harness goes too.
# where they are: /tmp, /var/tmp, and wherever TMPDIR points (a grader's own, on a bigger disk)
TEMPORARY_ROOTS = "(?:" + "|".join(sorted({re.escape(root.rstrip("/")) for root in (
    "/tmp", "/var/tmp", tempfile.gettempdir(), os.path.realpath(tempfile.gettempdir()))}, key=len, reverse=True)) + ")"
TEMPORARY_FOLDER = re.compile(TEMPORARY_ROOTS + r"/chatconform-[\w-]+/")


def show_paths_relative(*pairs: tuple, copy_name: str | None = None) -> None:
    """`copy_name`: the submission folder's name in any scratch copy (each xdist worker makes its own):
    its whole path goes, before the temporary folder alone would."""
    run = current()
    if copy_name:
        run.temporary.insert(0, re.compile(TEMPORARY_ROOTS + r"/chatconform-scratch-\w+/" + re.escape(copy_name)
                                       + r"(?:/|(?=\W|$))"))
    for prefix, replacement in pairs:
        if prefix and (prefix, replacement) not in run.shown_paths:
            run.shown_paths.append((prefix, replacement))
    run.shown_paths.sort(key=lambda pair: len(pair[0]), reverse=True)   # the longest prefix first


def scrub(text: str) -> str:
    run = current()
    for prefix, replacement in run.shown_paths:
        text = text.replace(prefix, replacement)
    for pattern in (*run.temporary, TEMPORARY_FOLDER):   # the scratch copy's whole path before its folder alone
        text = pattern.sub("", text)
    return text


def scrubbed(value):
    """The document with every string rid of the grader's absolute paths."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [scrubbed(v) for v in value]
    if isinstance(value, dict):
        return {k: scrubbed(v) for k, v in value.items()}
    return value


def report_usage_error(message: str, json_path: str | None) -> None:
    """A usage error (exit status 2): said once with the tool's prefix, and written as the --json
    document ({"error": ...}) so a batch runner tells "could not run" from a verdict."""
    print(f"chatconform: error: {message}", file=sys.stderr)
    message = scrub(message)
    if json_path:
        with open(json_path, "w", encoding="utf-8") as f:
            json.dump({"error": message, "exit_status": 2}, f, indent=2, ensure_ascii=False)


@dataclass
class TestRecord:
    id: str
    requirements: list
    role: str
    outcome: str = "passed"            # passed | failed | skipped | error
    duration_s: float = 0.0
    message: str = ""
    transcript: str = ""
    failed_requirements: list = field(default_factory=list)
    evaluated: list = field(default_factory=list)   # of a failed test: its other IDs judged (and met) first
    unexercised: list = field(default_factory=list)  # IDs it never put to the test (a model's random sessions
    #                                                  drew no step for them): it says nothing of them
    rerun: str = ""
    diagnoses: list = field(default_factory=list)   # of a failed test: its likely causes (diagnose/)
    experiments: dict = field(default_factory=dict)  # of a failed test: its replays, variable -> passed/failed
    diagnosis_s: float = 0.0                         # of a failed test: the time its replays and diagnosis took
    profile: dict = field(default_factory=dict)      # --profile: where its time went (timing.py)
    finished: bool = field(default=False, repr=False)   # its call (or a failed/skipped setup) was reported


class Results:
    def __init__(self, protocol: str, submission: str, seed: int):
        self.protocol, self.submission, self.seed = protocol, submission, seed
        self.started = time.monotonic()
        self.records: dict[str, TestRecord] = {}
        self.programs: dict = {}   # role -> its command, folder and how it was found
        self.should: dict = {}     # SHOULD ID -> the sentence of the text it goes beyond ("" if none)
        self.missing: dict = {}    # role the submission has no program for -> what was looked at
        self.containment = ""      # how candidates were contained (what they could see)

    def add(self, report) -> None:
        """Fold one pytest report (setup, call or teardown) into its test's record."""
        info = getattr(report, RECORD_KEY, None)
        if info is None:
            return
        record = self.records.get(info["id"])
        if record is None:
            record = self.records[info["id"]] = TestRecord(info["id"], info["requirements"], info["role"],
                                                            rerun=info.get("rerun", ""))
        record.duration_s = round(record.duration_s + report.duration, 3)
        record.finished |= report.when == "call" or report.failed or report.skipped
        record.unexercised = info.get("unexercised") or record.unexercised
        if report.when == "call" and report.passed:   # the body ran to its end: every ID of it was judged
            record.evaluated = list(record.requirements)   # (a post-check failing at teardown leaves them so)
        if report.skipped and record.outcome == "passed":
            record.outcome = "skipped"
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            record.message = reason.removeprefix("Skipped: ")
        elif report.failed:
            failure_is_check = info.get("check_failure", False)
            record.outcome = "failed" if (report.when == "call" and not info.get("harness_fault")) \
                or failure_is_check else "error"
            record.message = info.get("message") or report.longreprtext[-4000:]
            record.failed_requirements = info.get("failed_requirements") or list(record.requirements)
            record.evaluated = [r for r in dict.fromkeys([*record.evaluated, *info.get("evaluated", [])])
                                if r not in record.failed_requirements]
        if info.get("transcript"):
            record.transcript = info["transcript"]
        if info.get("profile") is not None:
            record.profile = info["profile"]
        if info.get("diagnoses") is not None:
            record.diagnoses, record.experiments = info["diagnoses"], info.get("experiments", {})
            record.diagnosis_s = info.get("diagnosis_s", 0.0)

    def interrupted(self) -> None:
        """The run was stopped (Ctrl-C, SIGTERM): a test that had not finished is an error, never passed."""
        for record in self.records.values():
            if not record.finished:
                record.outcome, record.finished = "error", True
                record.message = "interrupted: the run was stopped before this test finished"
                record.failed_requirements = list(record.requirements)

    def summary(self) -> dict:
        counts = {"passed": 0, "failed": 0, "skipped": 0, "error": 0}
        for record in self.records.values():
            counts[record.outcome] += 1
        return counts

    def by_requirement(self) -> dict[str, str]:
        """Each requirement ID's verdict: failed if any of its tests failed on it, else error if a
        test of it could not be run, else not evaluated if one of its tests stopped at another
        requirement's failure first, else passed if its tests evaluated it and found it met, else
        skipped. `passed` always means evaluated and passed, by every test of it that ran: one test of
        four is no pass. An ID a test never put to the test (`unexercised`: a model's random sessions
        drew no step for it) is skipped by that test: it says nothing of it."""
        rank = {"failed": 4, "error": 3, "not evaluated": 2, "passed": 1, "skipped": 0}
        verdicts: dict[str, str] = {}
        for record in self.records.values():
            named = record.failed_requirements if record.outcome in ("failed", "error") else []
            for req in dict.fromkeys([*record.requirements, *named]):   # a post-check may name another ID
                verdict = record.outcome
                if req in record.unexercised and req not in record.failed_requirements:
                    verdict = "skipped"   # never put to the test here: no claim either way
                elif verdict in ("failed", "error") and req not in record.failed_requirements:
                    # it failed on another of its IDs: this one passed only if it was judged before that
                    verdict = "passed" if req in record.evaluated else "not evaluated"
                if rank[verdict] > rank.get(verdicts.get(req), -1):
                    verdicts[req] = verdict
        return verdicts

    def document(self) -> dict:
        return scrubbed({
            "protocol": self.protocol,
            "submission": self.submission,
            "seed": self.seed,
            "programs": self.programs,
            **({"missing": self.missing} if self.missing else {}),
            **({"containment": self.containment} if self.containment else {}),
            "duration_s": round(time.monotonic() - self.started, 3),
            "tests": [{k: v for k, v in asdict(r).items() if k != "finished" and (k != "profile" or v)}
                      for r in sorted(self.records.values(), key=lambda r: r.id)],
            "summary": self.summary(),
            "requirements": self.by_requirement(),
            "warnings": self.warnings(),
        })

    def failed_beyond_text_only(self) -> bool:
        """Some requirement failed, and every one that did is a SHOULD beyond the assignment's text: a
        warning that costs nothing, so the run counts as passed (with warnings)."""
        failed = [req for req, verdict in self.by_requirement().items() if verdict == "failed"]
        return bool(failed) and all(self.should.get(req) for req in failed)

    def warnings(self) -> dict:
        """The SHOULD requirements that failed: warnings, never a MUST failure; each with the sentence of
        the assignment's text it goes beyond, where it does."""
        return {req: self.should[req] for req, verdict in self.by_requirement().items()
                if verdict == "failed" and req in self.should}
