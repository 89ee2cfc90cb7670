"""Observations: what the harness saw when a test failed, kept while the programs still run (the
failure's own check, what each program printed, where each thread waited and what was left unread on
its sockets), and read back as evidence: tracebacks, a thread blocked on the keyboard with a message
unread, a process still running."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from .. import stash
from ..harness import procstate
from ..harness.failure import show
from ..harness.state import current

MAX_LINES = 400   # of each program's output kept for reading tracebacks
# The running test's background programs' output (servers): (label, start, read(start)), in the run's state.


def begin_test() -> None:
    current().logs.clear()


def watch_log(label: str, size, read) -> None:
    """A background program's output (a server's log): what it writes from now on is read at a failure
    (a session's server has written other tests' output before)."""
    try:
        start = size()
    except Exception:   # noqa: BLE001
        return
    current().logs.append((label, start, read))


HOST_OPTION = re.compile(r"^(-a|-t|-H|-s|--.*(host|addr|ip|target|server).*)$", re.I)
PORT_OPTION = re.compile(r"^(-p|-P|--.*port.*)$", re.I)


def given_address(argv: list) -> tuple | None:
    """(host, port) that a program's command line gives it (`--address 127.0.0.1 --port 5378`), if both."""
    host = port = None
    for flag, value in zip(argv, argv[1:]):
        if PORT_OPTION.match(flag) and value.isdigit():
            port = int(value)
        elif HOST_OPTION.match(flag) and not value.startswith("-"):
            host = value
    return (host, port) if host and port else None


def capture(item, exc) -> dict:
    """At the failure, before teardown ends the programs: a plain dict (it travels from an xdist
    worker to the controller)."""
    seen = {"what": exc.what, "expected": _text(exc.expected), "actual": _text(exc.actual),
            "expected_shown": show(exc.expected) if exc.expected is not None else None,
            "actual_shown": show(exc.actual) if exc.actual is not None else None,
            "hint": getattr(exc, "cause", None), "printed": [], "programs": []}
    for term in stash.record(item).terminals:
        try:
            seen["printed"].append({"label": getattr(term, "label", "program"), "alive": term.alive(),
                                    "given": given_address(getattr(term, "argv", [])),
                                    "lines": term.all_lines()[-MAX_LINES:],
                                    "exit": None if term.alive() else term.exit_description()})
        except Exception:   # noqa: BLE001 - a half-started program: nothing to read
            continue
    for label, start, read in list(current().logs):
        try:
            text = read(start)
        except Exception:   # noqa: BLE001 - the program is gone with its log
            continue
        seen["printed"].append({"label": label, "alive": True, "lines": text.splitlines()[-MAX_LINES:], "exit": None})
    for pid_of in list(current().actors):
        try:
            pid = pid_of()
        except Exception:   # noqa: BLE001
            pid = None
        if pid is None:
            continue
        for p in procstate.descendants(pid):
            threads = procstate.thread_waits(p)
            sockets = [s for s in procstate.tcp_sockets(p) if not s.listening]
            if threads:
                seen["programs"].append({"pid": p, "threads": [{**t, "fds": sorted(t["fds"]) if t["fds"] is not None
                                                                  else None} for t in threads],
                                         "sockets": [{"fd": s.fd, "unread": s.unread, "unsent": s.unsent}
                                                     for s in sockets],
                                         "kinds": {str(t_fd): procstate.fd_kind(p, t_fd) for t in threads
                                                   for t_fd in (t["fds"] or ())}})
    return seen


MAX_TEXT = 20_000   # of a failure's expected or actual value kept (a flood is not compared line by line)


def _text(value):
    if isinstance(value, bytes):
        return value[-MAX_TEXT:].decode("utf-8", "replace")
    if isinstance(value, str):
        return value[-MAX_TEXT:]
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, bytes)) for v in value):
        return "\n".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in value)[-MAX_TEXT:]
    return None


# --- tracebacks ---------------------------------------------------------------------------------
@dataclass
class Traceback:
    exception: str      # 'KeyError: 'FOO''
    file: str           # the student's file of the innermost frame in it ('' if none)
    line: int
    text: str           # that line's source, as the traceback shows it
    thread: str         # 'Thread-1 (listen)', 'the main thread', 'a Tk callback'


FRAME = re.compile(r'^\s*File "([^"]+)", line (\d+), in (.+)$')


def tracebacks(lines: list) -> list:
    """The tracebacks in a program's output, innermost student frame first."""
    out, i = [], 0
    while i < len(lines):
        if lines[i].strip().startswith("Traceback (most recent call last)"):
            header = lines[i - 1].strip() if i else ""
            thread = (header.split("Exception in thread ", 1)[1].rstrip(":") if "Exception in thread" in header
                      else "a Tk callback" if "Exception in Tkinter callback" in header else "the main thread")
            frames, j = [], i + 1
            while j < len(lines) and (lines[j].startswith(" ") or FRAME.match(lines[j])):
                match = FRAME.match(lines[j])
                if match:
                    source = lines[j + 1].strip() if j + 1 < len(lines) and not FRAME.match(lines[j + 1]) else ""
                    frames.append((match.group(1), int(match.group(2)), source))
                j += 1
            exception = lines[j].strip() if j < len(lines) else ""
            own = [f for f in frames if not _library(f[0])]
            file, line, text = own[-1] if own else (frames[-1] if frames else ("", 0, ""))
            if exception and re.match(r"^[\w.]+(Error|Exception|Exit|Interrupt|Warning)?\b", exception):
                out.append(Traceback(exception[:200], _short(file), line, text[:160], thread))
            i = j
        i += 1
    return out


def _library(path: str) -> bool:
    return bool(re.search(r"/(lib|lib64)/python3|site-packages|/usr/lib/|<frozen|conformance/harness", path))


def _short(path: str) -> str:
    """The student's path as reports show it: relative to the submission's copy."""
    match = re.search(r"chatconform-scratch-\w+/[^/]+/(.+)$", path)
    return match.group(1) if match else path.rsplit("/", 1)[-1]


# --- blocked on the keyboard --------------------------------------------------------------------
def keyboard_waits(seen: dict) -> list:
    """(thread name, bytes unread on sockets no thread waits on, threads) for each program with a thread
    waiting for the keyboard alone while a socket holds bytes that no thread is waiting for."""
    out = []
    for program in seen.get("programs", []):
        kinds = program["kinds"]
        # asleep waiting for the keyboard alone: read() on it, or select/poll/epoll naming only it
        on_keyboard = [t for t in program["threads"] if t["fds"] and t["state"] == "S" and
                       all(kinds.get(str(fd)) == "keyboard" for fd in t["fds"])]
        if not on_keyboard:
            continue
        watched = set()
        for t in program["threads"]:
            if t["fds"] is None:
                watched = None
                break
            watched |= set(t["fds"])
        if watched is None:
            continue
        unread = sum(s["unread"] for s in program["sockets"] if s["fd"] not in watched and s["fd"] >= 0)
        if unread:
            out.append((on_keyboard[0]["name"], unread, len(program["threads"])))
    return out


def main_thread_on_keyboard(seen: dict) -> bool:
    """Is some program's main thread (its id the process's) waiting for the keyboard? Then
    the program is still in its own loop (asking again, say), not held at its end by another thread."""
    for program in seen.get("programs", []):
        kinds = program["kinds"]
        main = next((t for t in program["threads"] if t.get("tid") == program.get("pid")), None)
        if main and main["fds"] and main["state"] == "S" and all(kinds.get(str(fd)) == "keyboard" for fd in main["fds"]):
            return True
    return False


# --- a send that never drained ------------------------------------------------------------------
def blocked_sends(seen: dict) -> list:
    """(thread name, bytes queued) for each thread asleep in a send while a socket's send queue holds
    bytes the peer has not taken: the program waits on a peer that does not read."""
    out = []
    for program in seen.get("programs", []):
        queued = max((s["unsent"] for s in program["sockets"]), default=0)
        if not queued:
            continue
        for t in program["threads"]:
            if t["state"] == "S" and t["call"] in ("sendto", "write", "writev"):
                out.append((t["name"], queued))
    return out


# --- wording ------------------------------------------------------------------------------------
def similar_line(expected: str, actual: str) -> str | None:
    """A printed line close to the expected one (or to one of its accepted forms, one per line) but
    not it: its own wording of a fixed text."""
    forms = [f.strip() for f in (expected or "").splitlines() if f.strip()]
    if not forms or not actual or len(forms) > 3:
        return None
    best, score = None, 0.0
    for line in actual.splitlines()[-200:]:
        line = line.strip()[:300]
        if not line or line in forms:
            continue
        if any(words(line) == words(form) for form in forms):
            continue   # the same words, only spaces or punctuation differ: formatting, not its own wording
        ratio = max(difflib.SequenceMatcher(None, form.lower(), line.lower()).ratio() for form in forms)
        if ratio > score:
            best, score = line, ratio
    return best if score >= 0.5 else None


def words(text: str) -> list:
    return re.findall(r"\w+", text.lower())
