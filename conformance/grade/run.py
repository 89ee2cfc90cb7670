"""Checking a class: every submission in its own `python -m conformance check` (its own private
network, contained candidates, a scratch copy), `-j` at a time, each within its time budget. A
result document per student is written as each one finishes (atomically: an interrupted run leaves
complete files only) and a later run resumes where it stopped."""
from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from ..resources import harness_python
from ..harness import network
from .collect import Submission
from .detect import detect
from .rubric import requirements_of

PER_REQUIREMENT_S = 20    # the default budget: this much per requirement of the protocol ...
MIN_BUDGET_S = 180        # ... and never less
LOG_LIMIT = 256 * 1024    # bytes of a check's console output kept per student


def default_budget(protocol: str, timeout_scale: float = 1.0) -> float:
    return max(MIN_BUDGET_S, PER_REQUIREMENT_S * len(requirements_of(protocol))) * max(1.0, timeout_scale)


def write_atomically(path: Path, document: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_text(json.dumps(document, indent=2, ensure_ascii=False))
    os.replace(tmp, path)


@dataclass
class Progress:
    """What the progress bar shows: done / failed / running, and the slowest so far."""
    total: int
    done: int = 0
    failed: int = 0
    running: dict = field(default_factory=dict)   # slug -> start time
    slowest: tuple = ("", 0.0)
    lock: threading.Lock = field(default_factory=threading.Lock)


class ClassRun:
    def __init__(self, out: Path, protocol: str | None, jobs: int, budget_s: float | None, force: bool,
                 extra: list, timeout_scale: float = 1.0, on_change=None, layouts=None):
        self.out, self.protocol, self.jobs, self.budget_s, self.force = out.resolve(), protocol, jobs, budget_s, force
        self.extra, self.timeout_scale, self.on_change = extra, timeout_scale, on_change or (lambda p: None)
        (out / "results").mkdir(parents=True, exist_ok=True)
        (out / "logs").mkdir(parents=True, exist_ok=True)
        self.procs: dict = {}
        self.stopping = False
        # Ctrl-C and starting a check exclude each other: a check starts before the stop (and is
        # stopped with the others) or not at all. A check started just after the stop would run to
        # its budget, minutes, while the grader waits.
        self.starting = threading.Lock()
        self.serial = threading.Lock()   # fixed-port programs, where runs cannot have private networks
        self.private = network.can_be_private()
        self.layouts = layouts   # the grader's --layout rules, or None

    def layout_of(self, sub: Submission) -> dict | None:
        """{"rule", "client"?, "server"?} where the grader's --layout names this student's programs."""
        found = self.layouts.for_student(sub.student, sub.slug) if self.layouts is not None else None
        return None if found is None else {"rule": f"{self.layouts.source} [{found[0]}]", **found[1]}

    def layout_args(self, sub: Submission) -> list:
        given = self.layout_of(sub) or {}
        return [arg for role in ("client", "server") if role in given for arg in (f"--{role}-cmd", given[role])]

    def result_path(self, sub: Submission) -> Path:
        return self.out / "results" / f"{sub.slug}.json"

    def run(self, submissions: list[Submission]) -> list[dict]:
        progress = Progress(len(submissions))
        todo, documents = [], {}
        for sub in submissions:
            path = self.result_path(sub)
            if path.exists() and not self.force:   # resumed: graded by an earlier run
                documents[sub.slug] = json.loads(path.read_text())
                progress.done += 1
                progress.failed += not passed(documents[sub.slug])
            else:
                todo.append(sub)
        self.on_change(progress)
        pool = ThreadPoolExecutor(max_workers=max(1, self.jobs))
        try:
            futures = {pool.submit(self.grade_one, sub, progress): sub for sub in todo}
            for future in as_completed(futures):
                sub = futures[future]
                documents[sub.slug] = future.result()
        except KeyboardInterrupt:
            self.stop()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        return [documents[s.slug] for s in submissions if s.slug in documents]

    def stop(self) -> None:
        """Ctrl-C: every running check is stopped (its candidates die with it); nothing half-written stays."""
        with self.starting:
            self.stopping = True
            running = list(self.procs.values())
        for proc in running:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in running:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()   # gone, not a zombie still showing its command line
        for part in (self.out / "results").glob("*.part"):
            part.unlink(missing_ok=True)

    def grade_one(self, sub: Submission, progress: Progress) -> dict:
        if self.stopping:
            raise KeyboardInterrupt
        with progress.lock:
            progress.running[sub.slug] = time.monotonic()
        self.on_change(progress)
        began = time.monotonic()
        protocol, how = (self.protocol, "given (--protocol)") if self.protocol else detect(sub.folder)
        if protocol is None:
            document = {"error": f"the protocol could not be detected ({how}); give it with --protocol",
                        "exit_status": 2}
        else:
            document = self.check(sub, protocol)
        document.update(student=sub.student, slug=sub.slug, naming=sub.naming, folder=sub.origin or sub.folder.name,
                        detected=protocol, detection=how, grading_s=round(time.monotonic() - began, 1))
        if document.get("protocol") is None and protocol:
            document["protocol"] = protocol
        given = self.layout_of(sub)
        if given is not None:
            document["layout_given"] = given
        if not self.stopping:
            write_atomically(self.result_path(sub), document)
        with progress.lock:
            progress.running.pop(sub.slug, None)
            progress.done += 1
            progress.failed += not passed(document)
            if document["grading_s"] > progress.slowest[1]:
                progress.slowest = (sub.student, document["grading_s"])
        self.on_change(progress)
        return document

    def check(self, sub: Submission, protocol: str) -> dict:
        budget = self.budget_s or default_budget(protocol, self.timeout_scale)
        report = self.out / "results" / f"{sub.slug}.check.json"
        report.unlink(missing_ok=True)
        argv = harness_python("check", protocol, str(sub.folder), "--json", str(report),
                "--timeout-scale", str(self.timeout_scale), "--shown-as", ".", *self.layout_args(sub), *self.extra)
        fixed = not self.private   # every protocol's clients are served at its fixed address
        with (self.serial if fixed else contextlib.nullcontext()):
            with open(self.out / "logs" / f"{sub.slug}.txt", "wb") as log:
                with self.starting:
                    if self.stopping:
                        raise KeyboardInterrupt
                    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True, cwd=self.out)
                    self.procs[sub.slug] = proc
                reader = threading.Thread(target=_keep_log, args=(proc.stdout, log), daemon=True)
                reader.start()
                try:
                    over = waited_within(proc, budget)
                finally:
                    self.procs.pop(sub.slug, None)
                reader.join(5)
        try:
            document = json.loads(report.read_text())
        except (OSError, ValueError):
            document = {"error": f"the check ended without a report (exit status {proc.returncode}); see "
                                 f"logs/{sub.slug}.txt", "exit_status": proc.returncode}
        report.unlink(missing_ok=True)
        document["exit_status"] = document.get("exit_status", proc.returncode)
        if over:
            document["budget_exceeded"] = f"stopped after its time budget of {budget:.0f}s (--budget-s)"
        return document


def status(document: dict) -> str:
    """A student's line in the class report: passed (every test ran and passed), failed, over budget,
    or error with why it could not be graded (a harness fault, no program found, no test run)."""
    if "error" in document:
        return "error: " + document["error"][:300]
    if "budget_exceeded" in document:
        return "over budget"
    summary = document.get("summary", {})
    if summary.get("error"):
        first = next((t.get("message", "") for t in document.get("tests", []) if t.get("outcome") == "error"), "")
        first = first.strip().splitlines()[0] if first.strip() else "no reason given"
        why = "could not be graded: the run was stopped" if first.startswith("interrupted") else HARNESS_FAULT
        return (f"error: {why}: {summary['error']} test(s) could not be run, so they have no verdict "
                f"(exit status {document.get('exit_status')}): {first[:300]}")
    if not any(t.get("outcome") in ("passed", "failed") for t in document.get("tests", [])):
        return "error: no test was run"
    failed = [req for req, verdict in document.get("requirements", {}).items() if verdict == "failed"]
    warnings = document.get("warnings", {})
    if failed and all(warnings.get(req) for req in failed):
        return "passed (with warnings)"   # every failure is a SHOULD beyond the text: it costs nothing
    return "passed" if not summary.get("failed") and not failed else "failed"


HARNESS_FAULT = "could not be graded: harness fault"


def passed(document: dict) -> bool:
    return status(document).startswith("passed")


def waited_within(proc: subprocess.Popen, budget: float) -> bool:
    """Wait for a check (in a process group of its own) up to `budget` seconds: False if it ended in
    time; else True once it is stopped: SIGTERM (the check stops its candidates and reports), then
    SIGKILL if it is still there 15 s later."""
    try:
        proc.wait(budget)
        return False
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(OSError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return True


def _keep_log(stream, log) -> None:
    kept = 0
    for chunk in iter(lambda: stream.read1(65536), b""):
        if kept < LOG_LIMIT:
            log.write(chunk[:LOG_LIMIT - kept])
            kept += len(chunk)
    if kept > LOG_LIMIT:
        log.write(f"\n… {kept - LOG_LIMIT} bytes more, cut\n".encode())

