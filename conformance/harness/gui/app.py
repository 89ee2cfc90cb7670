"""One running GUI candidate as the suite uses it: type a message and send it, read the chat display,
close the window."""
from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from pathlib import Path

from .. import settings, timing
from ..failure import CheckFailure, HarnessError
from .probe import Probe, holders
from .screen import VirtualScreen
from .widgets import CONFIRM, LOGIN, USERNAME, Widgets, captions, describe_tree, inside, reading_order


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


class GuiApp:
    """One running GUI candidate: its terminal (console output), its probe and what the suite does
    with a chat window: type a message and send it, read the chat display, close the window."""

    def __init__(self, term, probe: Probe, screen: VirtualScreen):
        self.term, self.probe, self.screen = term, probe, screen

    def widgets(self) -> Widgets:
        return Widgets(self.probe.tree())

    @timing.books("start", "GUI window shown")
    def wait_shown(self, timeout: float) -> None:
        """Until the main window is on the screen (a Tk root exists before mainloop maps it)."""
        self.wait_window(lambda tree: tree[0]["visible"], "The program's window was not shown", "a window on the screen",
                         timeout)

    def wait_window(self, pick, failure: str, expected: str, timeout: float, meanwhile=None):
        """pick(tree) once it holds, as a person waits for a window to come: a GUI thread that is busy
        before the window exists (connecting, waiting for the server's first answer) is waited for
        here, not judged; a GUI that stops answering once its window is up is judged by the tests.
        meanwhile(): what the scripted server does while a person waits (answer a registration)."""
        deadline = time.monotonic() + timeout
        tree = None
        while True:
            if meanwhile is not None:
                meanwhile()
            try:
                left = max(deadline - time.monotonic(), 0.1)   # short asks while the server has its part
                tree = self.probe.call("tree", timeout=min(left, 0.2) if meanwhile else left, explain=False)["widgets"]
            except CheckFailure:
                if not self.term.alive():
                    raise CheckFailure(f"{failure}: the program exited ({self.term.exit_description()}).",
                                       expected=expected) from None
                tree = None   # busy making its window
            else:
                found = pick(tree)
                if found:
                    return found
            if time.monotonic() > deadline:
                raise CheckFailure(f"{failure} within {timeout:.1f}s.", expected=expected,
                                   actual=describe_tree(tree) if tree else f"no answer: {self.probe.state()}")
            time.sleep(GUI_POLL)

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

    @timing.books("candidate", "GUI login")
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

    @timing.books("candidate", "GUI display")
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
