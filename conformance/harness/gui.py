"""The GUI probe, harness side: a virtual screen (Xvfb), the control-socket client, and finding
widgets in a layout the suite has never seen (by kind, then caption text, then reading order).

The candidate runs with conformance/harness/inject/gui_probe on its PYTHONPATH; its probe listens on
a Unix socket once the toolkit's root window exists. Nothing here knows Tk from Qt: the probe
normalises widget kinds (window, dialog, button, entry, text, list, label, …)."""
from __future__ import annotations

import functools
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from . import settings
from .failure import CheckFailure
from .transcript import Transcript


class VirtualScreen:
    """A session-wide Xvfb on a free display (Xvfb picks it and writes it to -displayfd)."""

    def __init__(self):
        self.proc: subprocess.Popen | None = None
        self.display: str | None = None

    @staticmethod
    def missing() -> str | None:
        """Why GUI tests cannot run here, or None."""
        if os.environ.get("CHATCONFORM_DISPLAY"):
            return None
        if shutil.which("Xvfb") is None:
            return "Xvfb is not installed (Debian: apt-get install xvfb), so GUI tests cannot run"
        return None

    def start(self) -> str:
        if os.environ.get("CHATCONFORM_DISPLAY"):       # an X server the user provides
            self.display = os.environ["CHATCONFORM_DISPLAY"]
            return self.display
        read, write = os.pipe()
        self.proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x900x24",
                                      "-nolisten", "tcp", "-noreset"], pass_fds=(write,),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()    # Xvfb writes the display number once it is ready
        if not number:
            self.stop()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"
        return self.display

    def screenshot(self, path: Path) -> Path | None:
        try:
            from PIL import ImageGrab
            ImageGrab.grab(xdisplay=self.display).save(path)
            return path
        except Exception:   # a report without a picture is still a report
            return None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


class Probe:
    """The control-socket client of one candidate's GUI probe."""

    def __init__(self, path: str, transcript: Transcript, alive):
        self.path, self.transcript, self.alive = path, transcript, alive
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.ids = itertools.count(1)

    def connect(self, timeout: float) -> None:
        began = time.monotonic()
        deadline = began + timeout
        while not os.path.exists(self.path):
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

    def call(self, cmd: str, timeout: float | None = None, **args) -> dict:
        """Send a command; its answer, or a CheckFailure telling a frozen GUI from a dead process."""
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
            raise CheckFailure(f"The GUI did not carry out '{cmd}' within {timeout:.1f}s: {self.state()}.",
                               expected="the GUI thread free to handle events")
        if not answer.get("ok"):
            raise CheckFailure(f"The GUI probe could not carry out '{cmd}': {answer.get('error')}")
        return answer

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
        """What a command that got no answer means: a dead process or a frozen GUI thread."""
        if not self.alive():
            return "the program has exited"
        try:
            ping = Probe.call(self, "ping", timeout=1.0)
        except CheckFailure:
            return "the program is running but its probe does not answer"
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
        except (CheckFailure, OSError, ValueError):
            return {"exceptions": [], "thread_touches": []}

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()


GUI_POLL = 0.03   # how often a GUI wait looks again: the probe has no change or map events


def poll(read, done, timeout: float, every: float = GUI_POLL):
    """read() again and again until done(value): (value, True); or (the last value, False) once
    `timeout` has passed. Polling the window, since the probe reports no changes by itself."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value):
            return value, True
        if time.monotonic() > deadline:
            return value, False
        time.sleep(every)


def new_lines(before: str, after: str) -> list:
    """The display lines in `after` that were not in `before` (each old line counted once)."""
    old = Counter(before.splitlines())
    added = []
    for line in after.splitlines():
        if old[line]:
            old[line] -= 1
        else:
            added.append(line)
    return added


def reading_order(widget: dict) -> tuple:
    x, y, _, _ = widget["geometry"]
    return (y, x)


def area(widget: dict) -> int:
    return widget["geometry"][2] * widget["geometry"][3]


class Widgets:
    """A free-form layout, read: the chat display, the message input and the send button."""

    SEND = re.compile(r"(?i)\bsend\b|^\s*(ok|post|submit|→|>)\s*$")

    def __init__(self, tree: list):
        self.all = [w for w in tree if w["visible"]]

    def of_kind(self, *kinds: str) -> list:
        return sorted((w for w in self.all if w["kind"] in kinds), key=reading_order)

    def display(self) -> dict | None:
        """The largest text or list widget that is not the input."""
        candidates = [w for w in self.of_kind("text", "list") if w is not self.input()]
        return max(candidates, key=area, default=None)

    def input(self) -> dict | None:
        """An editable entry (the last in reading order); else the smallest editable text widget,
        when there are two or more text widgets (the larger one is then the display)."""
        entries = [w for w in self.of_kind("entry") if w["editable"]]
        if entries:
            return entries[-1]
        texts = [w for w in self.of_kind("text") if w["editable"]]
        if len(self.of_kind("text", "list")) >= 2 and texts:
            return min(texts, key=area)
        return None

    def send_button(self) -> dict | None:
        buttons = [w for w in self.of_kind("button") if w["enabled"]]
        captioned = [b for b in buttons if self.SEND.search(b["text"] or "")]
        return (captioned or buttons or [None])[0]


def describe_tree(tree: list) -> str:
    lines = []
    for w in tree:
        text = (w["text"] or "").replace("\n", "⏎")
        flags = "".join(f for f, on in ((" hidden", not w["visible"]), (" disabled", not w["enabled"]),
                                        (" editable", w["editable"])) if on)
        lines.append(f"{'  ' * w['depth']}{w['kind']} ({w['class']}{flags}) {w['id']} {text[:80]!r}"
                     + captions_shown(w))
    return "\n".join(lines)


def captions_shown(w: dict) -> str:
    """The captions a person reads around a widget, as the probe saw them (label, box, tab, …)."""
    parts = [f"{key} {w[key]!r}" for key in ("label", "placeholder", "box", "tooltip", "button_role") if w.get(key)]
    tab = w.get("tab")
    if tab:
        parts.append(f"tab {tab['title']!r}" + ("" if tab["current"] else " (not in front)")
                     + ("" if tab["enabled"] else " (disabled)"))
    if w.get("tabs"):
        parts.append("tabs " + ", ".join(repr(t["title"]) + ("*" if t["current"] else "") for t in w["tabs"]))
    return f"  [{'; '.join(parts)}]" if parts else ""


@functools.lru_cache(maxsize=None)
def screenshot_dir() -> Path:
    """This run's own folder (one per harness process): two runs never overwrite each other's."""
    return Path(tempfile.mkdtemp(prefix="chatconform-screens-"))


class GuiApp:
    """One running GUI candidate: its terminal (console output), its probe and what the suite does
    with a chat window: type a message and send it, read the chat display, close the window."""

    def __init__(self, term, probe: Probe, screen: VirtualScreen):
        self.term, self.probe, self.screen = term, probe, screen

    def widgets(self) -> Widgets:
        return Widgets(self.probe.tree())

    def wait_shown(self, timeout: float) -> None:
        """Until the main window is on the screen (a Tk root exists before mainloop maps it)."""
        tree, shown = poll(self.probe.tree, lambda tree: tree[0]["visible"], timeout, every=0.02)
        if not shown:
            raise CheckFailure(f"The program's window was not shown within {timeout:.1f}s.",
                               actual=describe_tree(tree))

    def look_for(self, pick, what: str, expected: str) -> dict:
        """pick(tree): a widget the window must have, or None. A window may show its widgets a moment
        after the window itself (on a busy machine, after the test has seen it), so, as a person would,
        this looks again until the event window ends."""
        def read():
            tree = self.probe.tree()
            return tree, pick(tree)
        (tree, widget), found = poll(read, lambda seen: seen[1] is not None, settings.wait(settings.EVENT))
        if not found:
            raise CheckFailure(f"Could not find {what} in the window.", expected=expected, actual=describe_tree(tree))
        return widget

    def need(self, what: str) -> dict:
        """The chat display or the message input."""
        pick, expected = {"chat display": (Widgets.display, "a Text or Listbox widget"),
                          "message input": (Widgets.input, "an editable Entry (or a second, editable Text)")}[what]
        return self.look_for(lambda tree: pick(Widgets(tree)), f"the {what}", expected)

    def display(self) -> dict:
        return self.need("chat display")

    def send(self, text: str, paste: bool = False) -> None:
        """Type text into the message input and press the send button (Return where there is none).
        paste=True puts all but the last character in at once (long texts), then types that one."""
        entry = self.need("message input")
        layout = self.widgets()
        if paste and len(text) > 1:
            self.probe.call("set_text", id=entry["id"], text=text[:-1])
            text = text[-1]
        self.probe.call("type", id=entry["id"], text=text)
        button = layout.send_button()
        if button is not None:
            self.probe.call("click", id=button["id"])
        else:
            self.probe.call("key", id=entry["id"], keysym="Return")

    def display_text(self) -> str:
        return self.probe.call("read", id=self.display()["id"])["text"]

    def wait_display(self, predicate, what: str, timeout: float | None = None) -> str:
        """Wait until the chat display's text satisfies predicate; a CheckFailure naming `what`."""
        timeout = settings.wait(settings.EVENT) if timeout is None else timeout
        text, shown = poll(self.display_text, predicate, timeout)
        if not shown:
            raise CheckFailure(f"The chat display did not show {what} within {timeout:.1f}s.",
                               expected=what, actual=text[-1500:] or "[the display is empty]")
        return text

    def close_window(self) -> None:
        self.probe.call("close", id=".")

    def grab(self, screenshot: Path) -> Path | None:
        """A picture of the window drawn by the program itself (Qt's offscreen platform has no screen):
        written in the probe's folder, the one place the sandbox lets it write."""
        inside = os.path.join(os.path.dirname(self.probe.path), "screen.png")
        try:
            self.probe.call("screenshot", timeout=2.0, path=inside)
            shutil.move(inside, screenshot)
            return screenshot
        except (CheckFailure, OSError):
            return None

    def report(self, screenshot: Path) -> list:
        """What a failure report shows of this GUI: exceptions, widget tree, a screenshot."""
        notes = []
        problems = self.probe.problems()
        for exc in problems["exceptions"]:
            notes += [f"Uncaught exception in the candidate ({exc['where']}):", exc["traceback"].rstrip(), ""]
        for touch in problems["thread_touches"][:3]:
            notes += [f"A widget used from the thread {touch['thread']!r}, not the GUI thread ({touch['call']}):",
                      touch["stack"].rstrip(), ""]
        if self.term.alive():
            try:
                notes += ["The window's widgets:", describe_tree(self.probe.call("tree", timeout=1.0)["widgets"]), ""]
            except CheckFailure as exc:
                notes += [f"(no widget tree: {exc.what})", ""]
        shot = self.screen.screenshot(screenshot) if self.screen is not None else \
            self.grab(screenshot) if self.term.alive() else None
        if shot is not None:
            notes += [f"Screenshot: {shot}", ""]
        output = "\n".join(self.term.all_lines()[-10:]).strip()
        if output:
            notes += ["Its console output (last lines):", output, ""]
        return notes
