"""The GUI probe, harness side: a virtual screen (Xvfb), the control-socket client, and finding
widgets in a layout the suite has never seen (by kind, then caption text, then reading order).

The candidate runs with conformance/harness/inject/gui_probe on its PYTHONPATH; its probe listens on
a Unix socket once the toolkit's root window exists. Nothing here knows Tk from Qt: the probe
normalises widget kinds (window, dialog, button, entry, text, list, label, …)."""
from __future__ import annotations

import atexit
import contextlib
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
from .failure import CheckFailure, HarnessError
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


USERNAME = re.compile(r"(?i)user|name|nick|login|handle")   # a username field's caption
LOGIN = re.compile(r"(?i)\b(ok|log ?in|sign ?in|enter|join|connect|start|continue|chat|go)\b")   # a login button


def holders(threads: list) -> str:
    """What keeps a process alive: its threads that are not daemons (the main thread only when it is
    not just waiting for them at exit), and where each waits."""
    holding = [t for t in threads if not t["daemon"] and not (t["main"] and "_shutdown()" in t["waits_in"])]
    if not holding:
        return "no thread of its own holds it"
    return "; ".join(f"{'the main thread' if t['main'] else 'the non-daemon thread ' + repr(t['name'])} waits in "
                     f"{t['waits_in']}" + (f", called from {t['own']}" if t["own"] and t["own"] != t["waits_in"] else "")
                     for t in holding)


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


def reachable(w: dict) -> bool:
    """Shown, or on another tab a person can click (the tab is enabled)."""
    tab = w.get("tab")
    return w["visible"] or bool(tab and not tab["current"] and tab["enabled"])


def same_page(a: dict, b: dict) -> bool:
    """On the same tab of the same tab widget (or neither on a tab): only then can one label the other."""
    ta, tb = a.get("tab"), b.get("tab")
    return (ta and (ta["tabs"], ta["index"])) == (tb and (tb["tabs"], tb["index"]))


def nearest_label(field: dict, labels: list) -> str:
    """The label a person reads for a field: the nearest on its left in the same row, or just above it."""
    x, y, w, h = field["geometry"]
    best, distance = "", None
    for label in labels:
        if not same_page(label, field):
            continue
        lx, ly, lw, lh = label["geometry"]
        same_row = abs((ly + lh / 2) - (y + h / 2)) < max(h, lh) / 2 + 2 and lx + lw <= x + 2
        above = 0 <= y - (ly + lh) <= 40 and lx < x + w and lx + lw > x
        if same_row or above:
            d = (x - (lx + lw)) if same_row else (y - (ly + lh)) + 1000
            if distance is None or d < distance:
                best, distance = label["text"] or "", d
    return best


def captions(field: dict, labels: list) -> list:
    """What a person reads as a field's label, the most specific first: its form row's or buddy's
    label, the nearest label beside or above it, its placeholder, the title of the box it sits in,
    its tooltip."""
    found = (field.get("label"), nearest_label(field, labels), field.get("placeholder"), field.get("box"),
             field.get("tooltip"))
    return [c for c in found if c]


class Widgets:
    """A free-form layout, read: the chat display, the message input and the send button. What is
    shown counts first; a widget on another tab (a notebook page not in front) when nothing shown fits."""

    SEND = re.compile(r"(?i)\bsend\b|^\s*(ok|post|submit|→|>)\s*$")

    def __init__(self, tree: list, pool: list | None = None):
        self.all = pool if pool is not None else [w for w in tree if w["visible"]]
        if pool is None and (self.display() is None or self.input() is None):
            behind = Widgets(tree, [w for w in tree if reachable(w)])
            if behind.display() is not None and behind.input() is not None:
                self.all = behind.all

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


CONFIRM = re.compile(r"(?i)^\W*(yes|ok|quit|exit|close|leave)\b")   # "really quit?": the answer that means it


def inside(tree: list, top: dict) -> list:
    """The widgets drawn inside `top` (the tree lists a window's widgets after it, deeper)."""
    start = tree.index(top)
    out = []
    for w in tree[start + 1:]:
        if w["depth"] <= top["depth"]:
            break
        out.append(w)
    return out


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
    """This run's own folder (one per harness process): two runs never overwrite each other's. Kept
    for the reports that name its screenshots; removed at exit when no screenshot was saved in it."""
    folder = Path(tempfile.mkdtemp(prefix="chatconform-screens-"))
    atexit.register(_remove_if_empty, folder)
    return folder


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


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
        """The chat display or the message input (its tab brought to the front, as a person clicks it)."""
        pick, expected = {"chat display": (Widgets.display, "a Text or Listbox widget"),
                          "message input": (Widgets.input, "an editable Entry (or a second, editable Text)")}[what]
        widget = self.look_for(lambda tree: pick(Widgets(tree)), f"the {what}", expected)
        if what == "message input":
            self.reach(widget)
        return widget

    def note(self, text: str) -> None:
        self.probe.transcript.note(f"path: {text}")

    def reach(self, widget: dict) -> bool:
        """A widget on a tab that is not in front: click the tab's title first, as a person does.
        True if a tab was clicked."""
        tab = widget.get("tab")
        if not tab or tab["current"]:
            return False
        self.probe.call("tab", id=tab["tabs"], index=tab["index"])
        self.note(f"clicked the {tab['title']!r} tab")
        _, shown = poll(lambda: next((w for w in self.probe.tree() if w["id"] == widget["id"]), None),
                        lambda w: w is not None and w["visible"], settings.wait(settings.EVENT))
        if not shown:
            raise CheckFailure(f"Clicking the {tab['title']!r} tab did not show its widgets.",
                               expected=f"the {tab['title']!r} tab in front", actual=describe_tree(self.probe.tree()))
        return True

    def through_login(self, username: str) -> None:
        """A first window that is no chat window (a login window: a button, perhaps a name field):
        fill in the username where it is asked and empty, press the button, and wait for the chat
        window (a new window, or this one changed), as a person does."""
        def chat_window(tree: list) -> bool:
            layout = Widgets(tree)
            return layout.display() is not None and layout.input() is not None

        def buttons_of(tree: list) -> list:
            return sorted((w for w in tree if w["visible"] and w["kind"] == "button" and w["enabled"]),
                          key=reading_order)
        # a window's widgets may be mapped a moment after the window: look until either kind shows
        tree, _ = poll(self.probe.tree, lambda t: chat_window(t) or buttons_of(t), settings.wait(settings.EVENT))
        if chat_window(tree) or any(w["kind"] in ("text", "list") for w in tree):
            return   # a chat window (perhaps still being mapped): never press its buttons here
        shown = [w for w in tree if w["visible"]]
        buttons = buttons_of(tree)
        if not buttons:
            return   # nothing to press: the tests' own lookups say what is missing
        self.note(f"the first window {tree[0]['text']!r} is no chat window")
        empty = [w for w in shown if w["kind"] == "entry" and w["editable"] and not (w["text"] or "").strip()]
        labels = [w for w in shown if w["kind"] == "label"]
        named = [w for w in empty if any(USERNAME.search(c) for c in captions(w, labels))]
        for entry in named or empty[:1]:   # the name field; else a lone empty field
            self.probe.call("type", id=entry["id"], text=username)
            caption = captions(entry, labels)
            self.note(f"typed {username!r} into its empty field" + (f" {caption[0]!r}" if caption else ""))
        button = next((b for b in buttons if LOGIN.search(b["text"] or "")), buttons[0])
        self.probe.call("click", id=button["id"])
        self.note(f"clicked {button['text']!r}")

        def ready():
            try:
                found = Widgets(self.probe.tree())
            except CheckFailure:   # between two windows (the first destroyed, the next not yet made)
                return False
            return found.display() is not None and found.input() is not None
        if not poll(ready, bool, settings.wait(settings.STARTUP))[1]:
            raise CheckFailure(f"After {button['text']!r} was clicked in the first window, no chat window came.",
                               expected="a window with a chat display and a message input",
                               actual=describe_tree(self.probe.tree()) if self.term.alive() else
                               f"the program exited ({self.term.exit_description()})")
        self.note("the chat window is shown")

    def no_exceptions(self, when: str) -> None:
        """The program raised nothing (in any thread or callback) up to now."""
        found = self.probe.exceptions()
        if found:
            raise CheckFailure(f"The program raised {found[0]['type']} in {found[0]['where']} {when}.",
                               expected="no exception", actual=found[0]["traceback"].rstrip()[-2500:])

    def expect_exit_after_close(self) -> None:
        """The process must end once its window was closed; if it does not, say what holds it."""
        try:
            self.term.expect_exit(why=" after its window was closed")
        except CheckFailure as exc:
            exc.what += f" What keeps it running: {self.why_alive()}."
            raise

    def why_alive(self) -> str:
        """Why a process whose window was closed still runs: its threads that are not daemons, and
        where each waits (asked of the probe's own thread, which answers without the GUI)."""
        try:
            return holders(Probe.call(self.probe, "threads", timeout=1.0)["threads"])
        except CheckFailure:
            return "its threads could not be asked"

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

    def wait_display(self, predicate, what: str, timeout: float | None = None, read=None,
                     waited: float = 0.0) -> str:
        """Wait until the chat display's text satisfies predicate; a CheckFailure naming `what`.
        `read`: how the display is read (default: the display GuiApp finds); `waited`: how long the
        caller has waited for it already."""
        timeout = settings.wait(settings.EVENT) if timeout is None else timeout
        text, shown = poll(read or self.display_text, predicate, timeout)
        if not shown:
            raise CheckFailure(f"The chat display did not show {what} within {timeout + waited:.1f}s.",
                               expected=what, actual=text[-1500:] or "[the display is empty]")
        return text

    def close_window(self) -> None:
        """Close the window as the window manager does; if the program then asks to confirm ("Are you
        sure you want to quit?"), answer as a person who meant it: its Yes/OK/Quit button."""
        shown = {w["id"] for w in self.probe.tree() if w["kind"] == "dialog" and w["visible"]}
        self.probe.call("close", id=".")
        deadline = time.monotonic() + settings.wait(settings.EXIT)
        while self.term.alive() and time.monotonic() < deadline:
            try:
                tree = self.probe.call("tree", timeout=settings.wait(settings.EVENT) / 2, explain=False)["widgets"]
            except (CheckFailure, HarnessError):
                return   # its GUI is gone already (or busy closing): what follows judges the close
            asking = [w for w in tree if w["kind"] == "dialog" and w["visible"] and w["id"] not in shown]
            yes = next((b for d in asking for b in inside(tree, d) if b["kind"] == "button" and b["enabled"]
                        and (b.get("button_role") in ("YesRole", "AcceptRole") or CONFIRM.search(b["text"] or ""))),
                       None)
            if yes is not None:
                self.note(f"the program asked to confirm the close: clicked {yes['text']!r}")
                self.probe.call("click", id=yes["id"])
                return
            time.sleep(GUI_POLL)   # the probe reports no new windows by itself

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
