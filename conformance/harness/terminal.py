"""The terminal driver: a candidate on a pseudo-terminal, read line by line, typed into like a person.

The pty is put in non-canonical mode with echo off, so a typed line of any length reaches the
candidate intact (canonical mode cuts lines at 4095 bytes) and the screen shows only what the
candidate printed. A reader thread timestamps output as it arrives and keeps it bounded.

Like a person, the driver types a line only when the program is ready for it (`settle`: asleep
with no input waiting, as /proc shows, or where /proc cannot tell, its output has settled). A
typed line ends the screen line it was typed on, as a terminal's echo would, and text the program
left unfinished when it waited for input is a *prompt* (prompts.py: learned during the run, ignored
where it reappears at the start or the end of a printed line).
"""
from __future__ import annotations

import codecs
import errno
import os
import re
import signal
import termios
import threading
import time

import pexpect

from . import containment, procstate, settings, timing, variation, waiting
from .failure import CheckFailure
from .prompts import MAX_PROMPT, PromptLearner, clean, line_matches, without_prompts
from .ready import ready
from .transcript import Transcript, shown

MAX_LINE = 4 * 1024 * 1024     # a longer line is cut (a flood, not a message)
MAX_LINES = 20000              # lines kept; a flooding candidate loses the oldest unread ones
MAX_KEPT_CHARS = 16 * 1024 * 1024   # and at most this much text in them, whatever the line length


def set_raw_input(fd: int = 0) -> None:
    """Non-canonical input, no echo: runs in the child before exec, on its tty."""
    attrs = termios.tcgetattr(fd)
    attrs[3] &= ~(termios.ICANON | termios.ECHO)
    attrs[6][termios.VMIN] = 1
    attrs[6][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


class Terminal:
    def __init__(self, argv: list[str], cwd: str, env: dict, transcript: Transcript, writable: tuple = ()):
        """Start argv on a new terminal, contained (containment.py): `writable` folders besides cwd."""
        self.transcript = transcript
        self.token = containment.new_token()
        env = {**env, containment.TOKEN_VARIABLE: self.token}

        def child_setup():
            set_raw_input(0)
            containment.child_setup(self.token)

        transcript.note("start: " + " ".join(argv))
        self.argv = list(argv)   # as given, before containment wraps it (a diagnosis reads its address)
        argv = containment.command(argv, cwd, writable)
        self.child = pexpect.spawn(argv[0], argv[1:], cwd=cwd, env=env, echo=False,
                                   dimensions=(50, 1000), preexec_fn=child_setup)
        containment.spawned(self.child.pid)
        for obj in (self.child, self.child.ptyproc):   # the group is SIGKILLed first: no need to wait
            obj.delayafterclose = obj.delayafterterminate = 0
        self.pid = self.child.pid
        self.fd = self.child.child_fd
        os.set_blocking(self.fd, False)   # a write to a program that stopped reading must not hang the harness
        self.lines: list[str] = []     # complete lines, cleaned
        self.first = 0                 # index in the candidate's output of lines[0]
        self.cursor = 0                # next line (absolute index) an expectation may match
        self.partial = ""              # the unterminated tail, raw
        self.total_chars = 0
        self.kept_chars = 0            # in self.lines
        self.closed = False
        self.learned = PromptLearner()   # what the program left unfinished when it waited for input
        # (send, requirement, applies): how to make more data reach the program (e.g. one more line
        # from its server), tried once when an expected line that `applies(expected)` does not come
        self.nudge = None
        self.settled = False
        self.last_output = time.monotonic()
        self._cond = threading.Condition()
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._taking = False
        self._stopping = False   # kill(): the reader ends at its next poll (at most 0.5 s)
        self._reader = threading.Thread(target=self._read, daemon=True, name="terminal")
        self._reader.start()

    @property
    def prompts(self) -> list[str]:
        """The prompts learned so far, longest first."""
        return self.learned.prompts

    # --- output ----------------------------------------------------------------------------

    def _read(self) -> None:
        while not self._stopping:
            try:
                if not ready(self.fd, 0.5):
                    continue
                self._taking = True   # read but not yet taken in: not drained (waiting.Hopeless)
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                continue
            except (OSError, ValueError):
                data = b""
            text = self._decoder.decode(data, final=not data)
            with self._cond:
                if text:
                    self.transcript.add("term<", text)
                    self.total_chars += len(text)
                    self.last_output = time.monotonic()
                    self._take(text)
                if not data:
                    self.closed = True
                self._taking = False
                self._cond.notify_all()
            if not data:
                return

    def _take(self, text: str) -> None:
        if self.partial and not text.startswith(("\n", "\r")):
            self.learned.glued(clean(self.partial).strip()[:200], self.lines)
        parts = (self.partial + text).split("\n")
        self.partial = parts.pop()[-MAX_LINE:]
        for part in parts:
            self._keep(clean(part)[:MAX_LINE])
        self._trim()

    def _keep(self, line: str) -> None:
        self.lines.append(line)
        self.kept_chars += len(line)
        self.learned.inside(line.strip())

    def _trim(self) -> None:
        """At most MAX_LINES lines and MAX_KEPT_CHARS characters are kept: a flooding candidate loses
        its oldest lines."""
        drop = 0
        while len(self.lines) - drop > 1 and (len(self.lines) - drop > MAX_LINES or self.kept_chars > MAX_KEPT_CHARS):
            self.kept_chars -= len(self.lines[drop])
            drop += 1
        if drop:
            del self.lines[:drop]
            self.first += drop
            self.cursor = max(self.cursor, self.first)

    def _end_partial(self) -> None:
        """The unfinished line becomes a complete one (a typed line or a prompt ends it)."""
        self._keep(clean(self.partial)[:MAX_LINE])
        self.partial = ""
        self._trim()

    def _wait(self, predicate, timeout: float, give_up: bool = False) -> bool | None:
        """settings.wait_until; `give_up`: None as soon as the output cannot come any more (waiting.py)."""
        hopeless = waiting.Hopeless(self._drained, time.monotonic() + timeout) if give_up else None
        return settings.wait_until(self._cond, predicate, timeout, hopeless)

    def _drained(self) -> bool:
        """Has the harness taken in everything the program printed? (Checked in this order: what is
        not in the terminal's buffer any more is being taken in, or is taken in.) The buffer is asked
        with a poll, not FIONREAD: what the program wrote is handed to the terminal's buffer by a
        kernel worker, and a poll makes the kernel finish that at once (procstate.unread_tty_bytes,
        the other way round)."""
        if self.closed:
            return True   # the reader has taken in the end: nothing more can come
        try:
            if ready(self.fd, 0):
                return False
        except (OSError, ValueError):
            return False
        return not self._taking

    @timing.books("candidate", "terminal output")
    def wait_for(self, condition, timeout: float) -> bool:
        """Wait until condition() holds (checked whenever output arrives); False on timeout."""
        return self._wait(condition, timeout)

    def _find(self, matches, allow_partial: bool, scan: dict | None = None) -> int | None:
        """The absolute index of the first unread line that matches (-1: the unfinished line), or None.
        `scan` remembers how far earlier calls looked, so a wait on a flooding program checks each line
        once, not all of them at every chunk (until a prompt is learned: then every line again)."""
        start = self.cursor
        if scan is not None:
            if scan.get("prompts") == len(self.prompts):
                start = max(start, scan.get("next", start))
            scan["prompts"] = len(self.prompts)
        for i in range(max(start, self.first) - self.first, len(self.lines)):
            if matches(self.lines[i]):
                return self.first + i
        if scan is not None:
            scan["next"] = self.first + len(self.lines)
        # an unfinished line is a prompt only while it is short: a flood without newlines is not one
        if allow_partial and len(self.partial) <= MAX_PROMPT and matches(clean(self.partial)):
            return -1
        return None

    def expect_line(self, expected, timeout: float | None = None, prompt: bool = False, why: str = "") -> None:
        """Wait for a printed line equal to `expected` (or one of a tuple); lines before it are
        skipped. `prompt=True` also accepts it as an unterminated line (an input() prompt)."""
        self._expect(lambda line: line_matches(line, expected, self.prompts), expected, timeout, prompt, why)

    def expect_match(self, pattern: str, description: str, timeout: float | None = None, why: str = "") -> None:
        """Wait for a printed line in which the regular expression `pattern` is found, in the line as
        printed or once rid of learned prompts (another thread's prompt may land before its newline)."""
        regex = re.compile(pattern)
        self._expect(lambda line: regex.search(line) is not None or
                     any(regex.search(form) for form in without_prompts(line, self.prompts)),
                     description, timeout, False, why)

    def expect_where(self, predicate, description: str, timeout: float | None = None, why: str = "") -> None:
        """Wait for a printed line for which predicate(line) holds, as printed or once rid of learned prompts."""
        self._expect(lambda line: predicate(line) or any(predicate(form) for form in without_prompts(line, self.prompts)),
                     description, timeout, False, why)

    @timing.books("candidate", "a line")
    def _expect(self, matches, expected, timeout, prompt: bool, why: str) -> None:
        timeout = settings.wait(settings.EVENT) if timeout is None else timeout
        began = time.monotonic()
        scan: dict = {}
        found = self._wait(lambda: self._find(matches, prompt, scan) is not None or self.closed, timeout, give_up=True)
        # the terminal closes a moment before the exit status can be read: wait for that too
        exited = self.closed and self.wait_exit(settings.wait(settings.EXIT)) if found else False
        with self._cond:
            where = self._find(matches, prompt)
            if where is None:
                state = f"the program exited ({self.exit_description()})" if exited else \
                    waiting.explain(time.monotonic() - began) if found is None else f"not within {timeout:.1f}s"
                missing = CheckFailure(f"Expected the candidate to print a line{why}, but {state}.",
                                       expected=expected, actual=self.unread_text() or "[nothing printed]")
            elif where == -1:   # matched the prompt: what follows on that line is new output
                self.partial_consumed()
            else:
                self.cursor = where + 1
        if where is None:
            raise (None if exited else self.stuck_behind(matches, prompt, expected, why)) or missing

    def stuck_behind(self, matches, prompt: bool, expected, why: str) -> CheckFailure | None:
        """Blame by evidence, once per program: an expected line that did not come is tried once more
        after more data was made to reach the program (`nudge`). If it comes then, it was complete in
        the program's buffer and waited behind the next read: the failure is about printing promptly
        (the nudge's requirement), whatever the test was about."""
        if self.nudge is None or not self.nudge[2](expected):
            return None
        send, requirement, _ = self.nudge
        self.nudge = None
        self.transcript.note("experiment: more data is made to reach the program, to see whether the "
                             "expected line was waiting behind it")
        try:
            send()
        except Exception:   # noqa: BLE001 - the experiment is evidence only; the original failure stands
            return None
        if not self._wait(lambda: self._find(matches, prompt) is not None, settings.wait(settings.EVENT), give_up=True):
            return None
        return CheckFailure(f"The line expected{why} came only after more data had reached the program: it was "
                            "complete in its buffer and waited there for the next read.",
                            expected=expected, actual="printed only once more data had arrived",
                            requirement=requirement)

    def partial_consumed(self) -> None:
        self._end_partial()
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

    @timing.books("window", "quiet (terminal)")
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

    def plain_lines(self) -> list[str]:
        """Every line trimmed and rid of the prompts learned so far (the shortest such form)."""
        prompts = list(self.prompts)
        return [min(without_prompts(line, prompts), key=len) for line in self.all_lines()]

    def has_traceback(self) -> bool:
        return any(line.startswith("Traceback (most recent call last)") for line in self.plain_lines())

    # --- input -----------------------------------------------------------------------------

    def settle(self, timeout: float | None = None) -> str:
        # the first settle is the program's start (Python, the sandbox, the injections, its own set-up)
        kind, name = ("window", "settle") if self.settled else ("start", "candidate until ready for input")
        self.settled = True
        with timing.booked(kind, name):
            return self._settle(timeout)

    def _settle(self, timeout: float | None = None) -> str:
        """Wait until the program is ready for input, as a person waits for a program to react:
        'idle' (every thread asleep, nothing unread on its terminal or sockets, for the settle window),
        'quiet' (where /proc cannot tell, or the program never sleeps: no output for the fallback
        window), 'exited', or 'timeout'. What it left unfinished on the screen is learned as a prompt."""
        timeout = settings.wait(settings.EVENT) if timeout is None else timeout
        window, fallback = settings.wait(settings.SETTLE), settings.wait(settings.SETTLE_FALLBACK)
        start = time.monotonic()
        idle_since, how = None, "timeout"
        while True:
            now = time.monotonic()
            if self.gone():
                how = "exited"
                break
            idle = procstate.idle(self.pid)
            if idle and self.last_output < (idle_since or now):
                idle_since = idle_since or now
                if now - idle_since >= window:
                    how = "idle"
                    break
            else:
                idle_since = None
                if not idle and now - max(self.last_output, start) >= fallback:
                    how = "quiet"
                    break
            if now - start >= timeout:
                break
            time.sleep(settings.PROC_POLL)  # polling /proc: the kernel signals no event when a process falls asleep
        with self._cond:
            if how in ("idle", "quiet"):
                self.learned.learn(clean(self.partial).strip())
        if how == "timeout":
            self.transcript.note(f"the program was still busy after {timeout:.1f}s; typing anyway")
        return how

    def type(self, line: str, timeout: float | None = None, when_ready: bool = True) -> int:
        """Type a line and Enter once the program is ready for it (`settle`); the whole line reaches
        the candidate, whatever its length. `when_ready=False` types at once (a test about typing ahead).
        Returns how much the program had printed when the line was typed (for `wait_reaction`)."""
        timeout = settings.wait(settings.EVENT) if timeout is None else timeout
        variation.saw("typed")
        if variation.active("typing") == "slow":   # a diagnosis's replay: a slow typist
            time.sleep(variation.TYPING_GAP)
        if when_ready:
            self.settle()
        if self.gone():
            self.wait_exit(settings.wait(settings.EXIT))
            raise CheckFailure(f"Could not type {shown(line, 60)!r}: the program has already exited "
                               f"({self.exit_description()}).", actual=self.unread_text() or "[nothing printed]")
        with self._cond:
            if self.partial:   # the typed line ends the screen line it was typed on, as an echo would
                self._end_partial()
        self.transcript.add("term>", line)
        printed = self.total_chars
        data = (line + "\n").encode("utf-8")
        began = time.monotonic()
        deadline = began + timeout
        hopeless = waiting.Hopeless(self._drained, deadline)
        while data:
            remaining = deadline - time.monotonic()
            if ready(self.fd, min(max(remaining, 0), settings.POLL), write=True):
                try:
                    data = data[os.write(self.fd, data[:4096]):]
                    continue
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EINTR):
                        raise CheckFailure(f"Could not type into the candidate: it has exited ({exc.strerror}).") \
                            from None
            if self.gone():
                raise CheckFailure("The candidate did not read its input: it has exited.")
            if hopeless():
                raise CheckFailure(f"The candidate did not read its input: {len(data)} bytes of it were still "
                                   f"unread, and {waiting.explain(time.monotonic() - began)}.")
            if remaining <= 0:
                raise CheckFailure(f"The candidate did not read its input: {len(data)} bytes of it were "
                                   f"still unread after {timeout:.1f}s.")
        return printed

    @timing.books("candidate", "a reaction")
    def wait_reaction(self, printed: int, timeout: float | None = None) -> bool:
        """Wait, as a person would, for the program to print something after `printed` characters."""
        timeout = settings.wait(settings.STARTUP) if timeout is None else timeout
        return bool(self._wait(lambda: self.total_chars > printed or self.closed, timeout, give_up=True))

    # --- the process -----------------------------------------------------------------------

    def alive(self) -> bool:
        return self.child.isalive()

    def gone(self) -> bool:
        """The program has exited, or at least closed its terminal."""
        return self.closed or not self.child.isalive()

    @timing.books("candidate", "an exit")
    def wait_exit(self, timeout: float, give_up: bool = False) -> bool | None:
        """True once the program has exited; False after `timeout`; None (with `give_up`) as soon as it
        is blocked for good (waiting.py), so it cannot exit by itself."""
        deadline = time.monotonic() + timeout
        hopeless = waiting.Hopeless(until=deadline) if give_up else None
        while self.child.isalive():
            if time.monotonic() >= deadline:
                return False
            if hopeless is not None and hopeless():
                return None if self.child.isalive() else True
            time.sleep(0.01)  # polling the exit status; waitpid has no timeout
        self._reader.join(0.5)
        return True

    def expect_exit(self, timeout: float | None = None, why: str = "", clean: bool = False) -> None:
        """The program must exit within the bound; `clean`: by itself, with no traceback."""
        timeout = settings.wait(settings.EXIT) if timeout is None else timeout
        began = time.monotonic()
        exited = self.wait_exit(timeout, give_up=True)
        if exited is None:
            raise CheckFailure(f"The candidate did not exit{why}: {waiting.explain(time.monotonic() - began)}; "
                               "it should have exited by itself.", actual=self.unread_text() or None)
        if not exited:
            raise CheckFailure(f"The candidate was still running {timeout:.1f}s{why}; it should have exited "
                               "by itself.", actual=self.unread_text() or None)
        self.transcript.note(f"exited: {self.exit_description()}")
        traceback = clean and self.has_traceback()
        if clean and (traceback or self.child.signalstatus is not None):
            raise CheckFailure(f"The candidate exited{why}, but not cleanly ({self.exit_description()}"
                               f"{', with a traceback' if traceback else ''}).",
                               expected="a clean exit", actual="\n".join(self.all_lines()[-12:]))

    def expect_waiting(self, why: str = "") -> None:
        """The program must be running and ready for input (it has settled): e.g. before a quit command,
        so that a program that crashed or never read its input is not taken for one that quit."""
        if self.settle() == "exited":
            self.wait_exit(settings.wait(settings.EXIT))
            raise CheckFailure(f"The candidate exited{why} ({self.exit_description()}); it should have been "
                               "running and waiting for input.", actual="\n".join(self.all_lines()[-12:])
                               or "[nothing printed]")

    def expect_each_once(self, expected: list[str], prompt: bool = False, why: str = "") -> None:
        """Each expected line is printed (in order), and once it has settled each was printed exactly
        once and whole (no other line matches it), and the program still runs."""
        for line in expected:
            self.expect_line(line, prompt=prompt, why=why)
        self.settle()
        printed = self.all_lines()
        counts = [sum(line_matches(p, e, self.prompts) for p in printed) for e in expected]
        if any(n != 1 for n in counts):
            shown = [p for p in self.plain_lines() if any(e in p or p in e for e in expected if p)]
            raise CheckFailure(f"Not every line was printed exactly once{why}.", expected=expected,
                               actual=shown or "[none of them]")
        self.expect_alive(why=why)

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

    def escaped(self) -> list[tuple[int, str]]:
        """Its processes outside its process group (setsid()): those that would outlive a plain kill."""
        return containment.escaped(self.token, self.pid)

    @timing.books("harness", "stopping programs")
    def kill(self) -> None:
        """Kill the whole process group, then whatever left it: forked, SIGTERM-ignoring and detached
        children too."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        containment.kill_all(self.token)
        # nothing holds the terminal now, so the reader reads its end (or stops at its next poll); only then
        # is the descriptor closed: one closed under the reader's poll could be given to the next file
        # opened, and read from there
        self._stopping = True
        self._reader.join(settings.wait(settings.EXIT))
        if self._reader.is_alive():   # (cannot happen: its polls last 0.5 s) never close under it; leak it
            return
        try:
            self.child.close(force=True)
        except Exception:  # noqa: BLE001 - pexpect may complain about an already-reaped child
            pass
