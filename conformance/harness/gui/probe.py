"""The control-socket client of one candidate's GUI probe (conformance/harness/inject/gui_probe runs
inside the candidate and listens on a Unix socket once the toolkit's root window exists)."""
from __future__ import annotations

import itertools
import json
import os
import socket
import time
from pathlib import Path

from .. import settings
from ..failure import CheckFailure, HarnessError
from ..transcript import Transcript


class Probe:
    """The control-socket client of one candidate's GUI probe."""

    def __init__(self, path: str, transcript: Transcript, alive):
        self.path, self.transcript, self.alive = path, transcript, alive
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.ids = itertools.count(1)
        self.unreadable: set = set()   # ids of widgets the probe could not read, said once

    def connect(self, timeout: float) -> None:
        began = time.monotonic()
        deadline = began + timeout
        while not os.path.exists(self.path):
            self.raise_fault()
            if not self.alive():
                raise CheckFailure(f"The GUI program exited after {time.monotonic() - began:.1f}s without opening a "
                                   "window (is this the file a person runs? its output is below).",
                                   expected="a window: tkinter.Tk() and mainloop(), or QApplication and exec_()")
            if time.monotonic() > deadline:
                raise CheckFailure(f"The GUI program opened no window within {timeout:.1f}s.",
                                   expected="a Tk root window (tkinter.Tk()) or a QApplication")
            time.sleep(0.02)   # polling for the probe's socket file; there is no event to wait on
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.path)

    def call(self, cmd: str, timeout: float | None = None, explain: bool = True, **args) -> dict:
        """Send a command; its answer, or a CheckFailure telling a frozen GUI from a dead process
        (`explain`: asking the probe why, which state() itself must not do: it would ask again and again)."""
        timeout = settings.wait(settings.EVENT) if timeout is None else timeout
        request = {"id": next(self.ids), "cmd": cmd, **args}
        if cmd not in ("ping", "tree", "read", "exceptions"):
            shown = {k: (v if not isinstance(v, str) or len(v) < 80 else v[:80] + "…") for k, v in args.items()}
            self.transcript.add("gui>", f"{cmd} {json.dumps(shown, ensure_ascii=False)}")
        try:
            if self.sock is None:   # the program never opened its window: nothing to ask
                raise OSError("not connected")
            self.sock.sendall((json.dumps(request, ensure_ascii=False) + "\n").encode())
            answer = self._read(request["id"], timeout)
        except (OSError, ValueError):
            answer = None
        if answer is None:
            why = self.state() if explain else "no answer"
            raise CheckFailure(f"The GUI did not carry out '{cmd}' within {timeout:.1f}s: {why}.",
                               expected="the GUI thread free to handle events")
        if not answer.get("ok"):
            if answer.get("fault") == "program":
                raise CheckFailure(f"The GUI could not '{cmd}': {answer.get('error')}")
            raise HarnessError(f"the GUI probe failed on '{cmd}' (a fault of chatconform's, not of the program): "
                               f"{answer.get('error')}")
        for widget in answer.get("unreadable", []):   # the widget is lost, never the tree: said once
            if widget["id"] not in self.unreadable:
                self.unreadable.add(widget["id"])
                self.transcript.add("gui!", f"the probe could not read a {widget['class']} ({widget['error']}); "
                                            "it is left out of the window's widgets")
        return answer

    def raise_fault(self) -> None:
        """The probe could not attach to the toolkit (it says so beside its socket): a harness fault."""
        try:
            why = Path(self.path + ".fault").read_text(encoding="utf-8").strip()
        except OSError:
            return
        raise HarnessError(f"the GUI probe failed (a fault of chatconform's, not of the program): {why}")

    def _read(self, wanted: int, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self.buffer:
                line, self.buffer = self.buffer.split(b"\n", 1)
                answer = json.loads(line)
                if answer.get("id") == wanted:
                    return answer
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                return None
            if not data:
                return None
            self.buffer += data

    def state(self) -> str:
        """What a command that got no answer means: a dead process, a GUI that is gone while the
        process runs on, or a frozen GUI thread."""
        if not self.alive():
            return "the program has exited"
        try:
            ping = Probe.call(self, "ping", timeout=1.0, explain=False)
            threads = Probe.call(self, "threads", timeout=1.0, explain=False)
        except (CheckFailure, HarnessError):
            return "the program is running but its probe does not answer"
        if threads.get("gui_gone"):
            return f"its window is gone (the event loop ended) but the process runs on: {holders(threads['threads'])}"
        idle = ping.get("gui_idle_s")
        return (f"the GUI thread is blocked (it last ran {idle:.1f}s ago): does it call send(), recv() or "
                f"sleep() on the GUI thread?" if idle is not None and idle > 0.5 else "the GUI is slow")

    def tree(self) -> list:
        return self.call("tree")["widgets"]

    def exceptions(self) -> list:
        return self.problems()["exceptions"]

    def problems(self) -> dict:
        """What the probe recorded: uncaught exceptions, and (Qt) widgets used off the GUI thread."""
        try:
            answer = self.call("exceptions", timeout=1.0)
            return {"exceptions": answer["exceptions"], "thread_touches": answer.get("thread_touches", [])}
        except (CheckFailure, HarnessError, OSError, ValueError):
            return {"exceptions": [], "thread_touches": []}

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


def holders(threads: list) -> str:
    """What keeps a process alive: its threads that are not daemons (the main thread only when it is
    not just waiting for them at exit), and where each waits."""
    holding = [t for t in threads if not t["daemon"] and not (t["main"] and "_shutdown()" in t["waits_in"])]
    if not holding:
        return "no thread of its own holds it"
    return "; ".join(f"{'the main thread' if t['main'] else 'the non-daemon thread ' + repr(t['name'])} waits in "
                     f"{t['waits_in']}" + (f", called from {t['own']}" if t["own"] and t["own"] != t["waits_in"] else "")
                     for t in holding)
