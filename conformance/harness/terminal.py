"""The terminal driver: a candidate on a pseudo-terminal, read line by line, typed into.

The pty is put in non-canonical mode with echo off, so a typed line of any length reaches the
candidate intact (canonical mode cuts lines at 4095 bytes) and the screen shows only what the
candidate printed. A reader thread timestamps output as it arrives and keeps it bounded.
"""
from __future__ import annotations

import codecs
import errno
import os
import re
import select
import signal
import threading
import time

import pexpect

from . import settings
from .failure import CheckFailure
from .transcript import Transcript

ANSI = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
MAX_LINE = 4 * 1024 * 1024     # a longer line is cut (a flood, not a message)
MAX_LINES = 20000              # lines kept; a flooding candidate loses the oldest unread ones
PROMPT_PREFIX = re.compile(r"[^\w]*|.{0,30}[:>]\s*")  # what may stand before an expected line


def clean(text: str) -> str:
    """The text as a person reads it: colour codes gone, line ends normalised."""
    return ANSI.sub("", text).replace("\r\n", "\n").replace("\r", "")


def line_matches(line: str, expected) -> bool:
    """Equal once trimmed, or the expected text after a prompt the candidate left on the line.

    `expected` may be a tuple of accepted texts."""
    if isinstance(expected, tuple):
        return any(line_matches(line, e) for e in expected)
    line = line.rstrip()
    if line.strip() == expected:
        return True
    return line.endswith(expected) and PROMPT_PREFIX.fullmatch(line[: len(line) - len(expected)]) is not None


def set_raw_input(fd: int = 0) -> None:
    """Non-canonical input, no echo: runs in the child before exec, on its tty."""
    import termios
    attrs = termios.tcgetattr(fd)
    attrs[3] &= ~(termios.ICANON | termios.ECHO)
    attrs[6][termios.VMIN] = 1
    attrs[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


class Terminal:
    def __init__(self, argv: list[str], cwd: str, env: dict, transcript: Transcript, preexec=None):
        self.transcript = transcript

        def child_setup():
            set_raw_input(0)
            if preexec:
                preexec()

        transcript.note("start: " + " ".join(argv))
        self.child = pexpect.spawn(argv[0], argv[1:], cwd=cwd, env=env, echo=False,
                                   dimensions=(50, 1000), preexec_fn=child_setup)
        for obj in (self.child, self.child.ptyproc):   # the group is SIGKILLed first: no need to wait
            obj.delayafterclose = obj.delayafterterminate = 0
        self.pid = self.child.pid
        self.fd = self.child.child_fd
        self.lines: list[str] = []     # complete lines, cleaned
        self.first = 0                 # index in the candidate's output of lines[0]
        self.cursor = 0                # next line (absolute index) an expectation may match
        self.partial = ""              # the unterminated tail, raw
        self.total_chars = 0
        self.closed = False
        self._cond = threading.Condition()
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._reader = threading.Thread(target=self._read, daemon=True, name="terminal")
        self._reader.start()

    # --- output ----------------------------------------------------------------------------

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                data = b""
            text = self._decoder.decode(data, final=not data)
            with self._cond:
                if text:
                    self.transcript.add("term<", text)
                    self.total_chars += len(text)
                    self._take(text)
                if not data:
                    self.closed = True
                self._cond.notify_all()
            if not data:
                return

    def _take(self, text: str) -> None:
        parts = (self.partial + text).split("\n")
        self.partial = parts.pop()[-MAX_LINE:]
        self.lines.extend(clean(p)[:MAX_LINE] for p in parts)
        excess = len(self.lines) - MAX_LINES
        if excess > 0:
            del self.lines[:excess]
            self.first += excess
            self.cursor = max(self.cursor, self.first)

    def _wait(self, predicate, timeout: float) -> bool:
        return settings.wait_until(self._cond, predicate, timeout)

    def wait_for(self, condition, timeout: float) -> bool:
        """Wait until condition() holds (checked whenever output arrives); False on timeout."""
        return self._wait(condition, timeout)

    def _find(self, matches, allow_partial: bool) -> int | None:
        for i in range(self.cursor - self.first, len(self.lines)):
            if matches(self.lines[i]):
                return self.first + i
        if allow_partial and matches(clean(self.partial)):
            return -1
        return None

    def expect_line(self, expected, timeout: float | None = None, prompt: bool = False, why: str = "") -> None:
        """Wait for a printed line equal to `expected` (or one of a tuple); lines before it are
        skipped. `prompt=True` also accepts it as an unterminated line (an input() prompt)."""
        self._expect(lambda line: line_matches(line, expected), expected, timeout, prompt, why)

    def expect_match(self, pattern: str, description: str, timeout: float | None = None, why: str = "") -> None:
        """Wait for a printed line in which the regular expression `pattern` is found."""
        self._expect(lambda line: re.search(pattern, line) is not None, description, timeout, False, why)

    def _expect(self, matches, expected, timeout, prompt: bool, why: str) -> None:
        timeout = settings.wait(settings.EVENT) if timeout is None else timeout
        found = self._wait(lambda: self._find(matches, prompt) is not None or self.closed, timeout)
        # the terminal closes a moment before the exit status can be read: wait for that too
        exited = self.closed and self.wait_exit(settings.wait(settings.EXIT)) if found else False
        with self._cond:
            where = self._find(matches, prompt)
            if where is None:
                state = f"the program exited ({self.exit_description()})" if exited else f"not within {timeout:.1f}s"
                raise CheckFailure(f"Expected the candidate to print a line{why}, but {state}.",
                                   expected=expected, actual=self.unread_text() or "[nothing printed]")
            if where == -1:   # matched the prompt: what follows on that line is new output
                self.partial_consumed()
            else:
                self.cursor = where + 1

    def partial_consumed(self) -> None:
        self.lines.append("")
        self.lines[-1], self.partial = clean(self.partial), ""
        self.cursor = self.first + len(self.lines)

    def unread_text(self) -> str:
        shown = self.lines[self.cursor - self.first:]
        return "\n".join(shown[-40:]) + ("\n" + clean(self.partial) if self.partial else "")

    def output_since(self, mark: int) -> str:
        with self._cond:
            return clean(self._all_text())[mark:]

    def _all_text(self) -> str:
        return "\n".join(self.lines) + "\n" + self.partial

    def mark(self) -> int:
        with self._cond:
            return len(clean(self._all_text()))

    def expect_quiet(self, window: float | None = None, why: str = "", pattern: str = r"\w") -> None:
        """Nothing matching `pattern` (by default: nothing but prompt characters) may be printed
        during the window. Give a pattern naming what must not appear: output the candidate made
        before the window may still be on its way through the terminal."""
        window = settings.wait(settings.QUIET) if window is None else window
        start = self.total_chars
        mark = self.mark()
        self._wait(lambda: self.total_chars > start and re.search(pattern, self.output_since(mark)), window)
        printed = self.output_since(mark)
        if re.search(pattern, printed):
            raise CheckFailure(f"The candidate printed something{why}; it should have printed nothing yet.",
                               expected="", actual=printed.strip())

    def all_lines(self) -> list[str]:
        with self._cond:
            return list(self.lines) + ([clean(self.partial)] if self.partial else [])

    # --- input -----------------------------------------------------------------------------

    def type(self, line: str, timeout: float | None = None) -> None:
        """Type a line and Enter; the whole line reaches the candidate, whatever its length."""
        timeout = settings.wait(settings.EVENT) if timeout is None else timeout
        self.transcript.add("term>", line)
        data = (line + "\n").encode("utf-8")
        deadline = time.monotonic() + timeout
        while data:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [self.fd], [], remaining)[1]:
                raise CheckFailure(f"The candidate did not read its input: {len(data)} bytes of a typed "
                                   f"line were still unread after {timeout:.1f}s.")
            try:
                data = data[os.write(self.fd, data[:4096]):]
            except OSError as exc:
                if exc.errno in (errno.EAGAIN, errno.EINTR):
                    continue
                raise CheckFailure(f"Could not type into the candidate: it has exited ({exc.strerror}).") from None

    # --- the process -----------------------------------------------------------------------

    def alive(self) -> bool:
        return self.child.isalive()

    def wait_exit(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.child.isalive():
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)  # polling the exit status; waitpid has no timeout
        self._reader.join(0.5)
        return True

    def expect_exit(self, timeout: float | None = None, why: str = "") -> None:
        timeout = settings.wait(settings.EXIT) if timeout is None else timeout
        if not self.wait_exit(timeout):
            raise CheckFailure(f"The candidate was still running {timeout:.1f}s{why}; it should have exited "
                               "by itself.", actual=self.unread_text() or None)
        self.transcript.note(f"exited: {self.exit_description()}")

    def expect_alive(self, why: str = "") -> None:
        if not self.child.isalive():
            raise CheckFailure(f"The candidate exited{why} ({self.exit_description()}); it should keep running.",
                               actual=self.unread_text() or "[nothing printed]")

    def exit_description(self) -> str:
        if self.child.isalive():
            return "still running"
        if self.child.signalstatus is not None:
            return f"killed by signal {self.child.signalstatus}"
        return f"exit status {self.child.exitstatus}"

    def kill(self) -> None:
        """Kill the whole process group: forked children and SIGTERM-ignoring ones too."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.child.close(force=True)
        except Exception:  # noqa: BLE001 - pexpect may complain about an already-reaped child
            pass
        self._reader.join(1)
