"""Steps the brace tests share: what the suite sends as the server (built here, never by the
reference codec) and a person's way through a free-form PyQt5 window: fields found by their label,
placeholder or default text, a settings dialog before the main window, the connect and disconnect
buttons, the status label, the recipients' combo box."""
from __future__ import annotations

import re
import time

from conformance.harness import settings
from conformance.harness.failure import CheckFailure
from conformance.harness.gui import (USERNAME, GuiApp, Widgets, area, captions, describe_tree, inside, poll,
                                     reachable, reading_order, same_page)
from conformance.harness.peer import WirePeer

from . import PROTOCOL
from .spec import MESSAGE_GAP

CZECH = "Žluťoučký kůň úpěl ďábelské ódy"


def msg(text: str) -> bytes:
    return b"{MSG}" + text.encode("utf-8")


def clients(*names: str) -> bytes:
    return b"{CLIENTS}" + "|".join(names).encode("utf-8")


def welcome(name: str) -> bytes:
    """What the handed-out server sends on {REGISTER}: the welcome and the list, glued."""
    return msg(f"Welcome {name}!") + clients(name)


FIELD_WORDS = {"host": r"host|server|address|\bip\b", "port": r"port",
               "username": USERNAME.pattern.removeprefix("(?i)"), "message": r"message|\bmsg\b|text|chat|say|type"}
CONNECT = re.compile(r"(?i)^\W*(connect|join|log ?in|sign ?in|start|enter)\b")
DISCONNECT = re.compile(r"(?i)disconnect|leave|log ?out|sign ?out|quit|exit")
ACCEPT = re.compile(r"(?i)^\W*(ok|connect|join|log ?in|save|apply|done|start|enter|continue)\b")
NOT_CONNECTED = re.compile(r"(?i)not connected|disconnected|unconnected|offline|not online|no connection")
CONNECTED = re.compile(r"(?i)connected|online")


class Window:
    """One reading of the window's widgets, with the brace roles picked out. Widgets on other tabs
    count: a person clicks the tab to reach them (BraceClient.reach)."""

    def __init__(self, tree: list):
        self.tree = tree
        self.widgets = Widgets(tree)
        visible = [w for w in tree if w["visible"]]
        # a dialog in the way (settings, a name asked first), never one that is the chat window itself
        # (a QDialog run with exec_() as the whole application: it holds the chat display)
        self.dialog = next((w for w in visible if w["kind"] == "dialog" and not self.holds_chat(w)), None)
        inside = self.within(self.dialog) if self.dialog else [w for w in tree if reachable(w)]
        self.labels = [w for w in inside if w["kind"] == "label"]
        self.entries = sorted((w for w in inside if w["kind"] == "entry"), key=reading_order)
        self.buttons = sorted((w for w in inside if w["kind"] == "button" and w["enabled"]), key=reading_order)
        self.combos = sorted((w for w in inside if w["kind"] == "combo"), key=reading_order)
        self.roles = self.field_roles()

    def holds_chat(self, top: dict) -> bool:
        """The window has a chat display: a text or list widget a person reads messages in."""
        return any(w["kind"] in ("text", "list") for w in self.within(top))

    def within(self, top: dict) -> list:
        """The widgets drawn inside `top` that a person can reach."""
        return [w for w in inside(self.tree, top) if reachable(w)]

    def field_roles(self) -> dict:
        """role -> entry: by the captions around it (the most specific first), then by its default
        text (an address, a number)."""
        roles: dict = {}
        for field in self.entries:
            for caption in captions(field, self.labels):
                role = next((r for r, pattern in FIELD_WORDS.items()
                             if r not in roles and re.search(f"(?i){pattern}", caption)), None)
                if role is not None:
                    roles[role] = field
                    break
        for field in self.entries:
            if field in roles.values():
                continue
            text = (field["text"] or "").strip()
            if "host" not in roles and re.fullmatch(r"localhost|\d+\.\d+\.\d+\.\d+", text):
                roles["host"] = field
            elif "port" not in roles and re.fullmatch(r"\d{2,5}", text):
                roles["port"] = field
        return roles

    def button(self, pattern: re.Pattern, but: re.Pattern | None = None) -> dict | None:
        """The first enabled button so captioned, on the tab in front before one on another tab."""
        found = [b for b in self.buttons if pattern.search(b["text"] or "")
                 and not (but and but.search(b["text"] or ""))]
        return min(found, key=lambda b: not b["visible"], default=None)

    def accept_button(self) -> dict | None:
        """A dialog's OK: the button box's accept button, else one captioned OK/Connect/…"""
        return next((b for b in self.buttons if b.get("button_role") == "AcceptRole"), None) or \
            self.button(ACCEPT, but=re.compile("(?i)cancel"))

    def status_label(self) -> dict | None:
        return next((w for w in self.labels if CONNECTED.search(w["text"] or "")
                     or NOT_CONNECTED.search(w["text"] or "")), None)

    def combo(self) -> dict | None:
        return min(self.combos, key=lambda c: not c["visible"], default=None)

    def message_input(self) -> dict | None:
        """The message field: named so, or else the editable entry that is no other field (the last)."""
        if "message" in self.roles and self.roles["message"]["editable"]:
            return self.roles["message"]
        others = [id(f) for role, f in self.roles.items() if role != "message"]
        rest = [f for f in self.entries if f["editable"] and id(f) not in others]
        return rest[-1] if rest else None

    def display(self) -> dict | None:
        texts = [w for w in self.tree if w["kind"] in ("text", "list") and reachable(w)
                 and w is not self.message_input()]
        return max(texts, key=area, default=None)

    def send_button(self) -> dict | None:
        """Captioned Send (or OK, Post, →); else a button captioned Enter or Go in the message field's
        row (a person reads it as "send this")."""
        captioned = [b for b in self.buttons if Widgets.SEND.search(b["text"] or "")
                     and not CONNECT.search(b["text"] or "") and not DISCONNECT.search(b["text"] or "")]
        if captioned:
            return captioned[0]
        entry = self.message_input()
        if entry is None:
            return None
        row = [b for b in self.buttons if re.fullmatch(r"(?i)\W*(enter|go)\W*", b["text"] or "")
               and same_page(b, entry) and abs(b["geometry"][1] - entry["geometry"][1]) < max(entry["geometry"][3], 30)]
        return row[0] if row else None


class BraceClient:
    """A candidate's window, used as a person uses it. The way taken through it (tabs clicked, fields
    filled, dialogs accepted, tabs the program switched to) is written to the transcript."""

    def __init__(self, app: GuiApp, name: str, address: tuple = PROTOCOL.client_address):
        self.app, self.probe, self.name, self.address = app, app.probe, name, address
        self.status_id: str | None = None
        # the dialog passed; it took the name; it connected at once (no Connect button to press after it)
        self.prepared = self.named = self.connected_once = self.dialog_connected = False
        self.front: dict = {}   # tab widget id -> the title of the tab in front, as last seen
        self.display_id: str | None = None

    def note(self, text: str) -> None:
        self.app.note(text)

    def window(self) -> Window:
        window = Window(self.probe.tree())
        self.follow_tabs(window)
        return window

    def follow_tabs(self, window: Window) -> None:
        """Say when the program brought another tab to the front by itself (after Connect, say)."""
        for w in window.tree:
            if w["kind"] == "tabs" and w.get("tabs"):
                current = next((t["title"] for t in w["tabs"] if t["current"]), "")
                if w["id"] in self.front and self.front[w["id"]] != current:
                    self.note(f"the program switched to the {current!r} tab")
                self.front[w["id"]] = current

    def reach(self, widget: dict) -> None:
        """A widget on a tab that is not in front: its tab clicked first (GuiApp.reach)."""
        if self.app.reach(widget):
            self.front[widget["tab"]["tabs"]] = widget["tab"]["title"]

    def look_for(self, pick, what: str, expected: str) -> dict:
        """pick(Window): a widget the window must have (GuiApp.look_for: looked for until the event
        window ends), brought in front if it is on another tab."""
        def seen(tree):
            window = Window(tree)
            self.follow_tabs(window)
            return pick(window)
        widget = self.app.look_for(seen, what, expected)
        if isinstance(widget, dict):
            self.reach(widget)
        return widget

    def click(self, widget: dict, what: str) -> None:
        self.reach(widget)
        self.probe.call("click", id=widget["id"])
        self.note(f"clicked {what} {widget['text']!r}")

    def fill(self, field: dict, value: str, role: str = "") -> None:
        """Put a value in a field as a person does: leave it if it holds the value already, else click
        into it, clear it and type."""
        where = " / ".join(c for c in (field.get("tab", {}).get("title"), field.get("box") or field.get("label")) if c)
        if (field["text"] or "") == value:
            self.note(f"{role or 'field'} already {value!r}" + (f" ({where})" if where else ""))
            return
        self.reach(field)
        self.probe.call("set_text", id=field["id"], text="")
        self.probe.call("type", id=field["id"], text=value)
        self.note(f"{role or 'field'} <- {value!r}" + (f" ({where})" if where else ""))

    def fill_address(self, window: Window, name: str | None) -> None:
        host, port = self.address
        for role, value in (("host", host), ("port", str(port)), ("username", name)):
            field = window.roles.get(role)
            if value is not None and field is not None and field["editable"]:
                self.fill(field, value, role)

    def prepare(self, meanwhile=None) -> bool:
        """Get to the main window as a person does: if the program shows a settings dialog first,
        fill in what it asks (a "use default" choice is left as it is: its fields are then not
        editable), wait until its OK is enabled, and accept it. True if the program is then still to
        be connected. meanwhile(): the server's part while the main window is awaited (a program may
        show it only once the server has welcomed it)."""
        if self.prepared:
            return not self.dialog_connected
        window = self.window()
        self.prepared = True
        if window.dialog is None:
            return True
        self.note(f"the program opened the dialog {window.dialog['text']!r}")
        self.named = "username" in window.roles
        if not window.roles:
            raise CheckFailure("The program's first dialog asks for nothing a brace client needs (host, port or "
                               "username).", expected="fields labelled host/port/user", actual=describe_tree(window.tree))
        self.fill_address(window, self.name if self.named else None)
        ok = self.look_for(lambda w: w.accept_button(), "the dialog's OK button",
                           "an enabled OK/Connect button (once the fields are valid)")
        self.click(ok, "the dialog's button")
        self.app.wait_window(lambda tree: Window(tree).dialog is None and tree[0]["visible"],
                             "The main window did not come after the settings dialog",
                             "the dialog closed, the main window shown", settings.wait(settings.STARTUP), meanwhile)
        self.dialog_connected = self.named and self.window().button(CONNECT, but=DISCONNECT) is None
        return not self.dialog_connected

    def connect(self, meanwhile=None) -> None:
        """The settings dialog first if the program shows one, then the fields and the connect button."""
        if not self.prepare(meanwhile) and not self.connected_once:
            self.connected_once = True
            return
        self.connected_once = True
        window = self.window()
        if not self.named and "username" not in window.roles:
            raise CheckFailure("Could not find the username field.", expected="an entry labelled user/name "
                               "(by a label beside or above it, a form row, a group box title or its placeholder)",
                               actual=describe_tree(window.tree))
        self.fill_address(window, self.name)   # the main window's own fields, if it has them
        button = self.look_for(lambda w: w.button(CONNECT, but=DISCONNECT), "the connect button",
                               "a button captioned Connect (or Join, Login)")
        self.click(button, "the connect button")

    def disconnect(self) -> None:
        button = self.look_for(lambda w: w.button(DISCONNECT), "the disconnect button",
                               "a button captioned Disconnect (or a Connect button that became one)")
        self.click(button, "the disconnect button")

    def status(self) -> str:
        if self.status_id is None:
            label = self.app.look_for(lambda tree: Window(tree).status_label(), "the status label",
                                      "a label saying Connected / Not connected (Disconnected, Online, Offline)")
            self.status_id = label["id"]
        return self.probe.call("read", id=self.status_id)["text"]

    def wait_status(self, connected: bool, when: str) -> str:
        def says(text: str) -> bool:
            said_not = bool(NOT_CONNECTED.search(text))
            return bool(not said_not and CONNECTED.search(text)) if connected else said_not
        text, ok = poll(self.status, says, settings.wait(settings.EVENT))
        if not ok:
            want = "connected" if connected else "not connected"
            raise CheckFailure(f"The status label does not say '{want}' {when}.", expected=want, actual=text)
        return text

    def combo_items(self) -> list:
        combo = self.app.look_for(lambda tree: Window(tree).combo(), "the recipients' combo box",
                                  "a QComboBox with ALL and the users")
        return self.probe.call("read", id=combo["id"])["items"]

    def choose(self, recipient: str) -> None:
        combo = self.look_for(lambda w: w.combo(), "the recipients' combo box", "a QComboBox with ALL and the users")
        self.probe.call("choose", id=combo["id"], text=recipient)

    def send(self, text: str, paste: bool = False) -> None:
        """Type into the message field and press Send (Return where there is no Send button)."""
        entry = self.look_for(lambda w: w.message_input(), "the message input", "an editable message field")
        if paste and len(text) > 1:
            self.probe.call("set_text", id=entry["id"], text=text[:-1])
            text = text[-1]
        self.probe.call("type", id=entry["id"], text=text)
        button = self.window().send_button()
        if button is not None:
            self.probe.call("click", id=button["id"])
        else:
            self.probe.call("key", id=entry["id"], keysym="Return")

    def display(self) -> str:
        """The chat display's text: the largest text or list widget, on whichever tab it is."""
        if self.display_id is None:
            shown = self.app.look_for(lambda tree: Window(tree).display(), "the chat display",
                                      "a QTextEdit, QPlainTextEdit or QListWidget")
            self.display_id = shown["id"]
        return self.probe.call("read", id=self.display_id)["text"]

    def wait_display(self, predicate, what: str, timeout: float | None = None) -> str:
        """The first wait tells the display as a person does: of the text and list widgets, the one
        where the awaited text appears (a log beside a larger list of users); the largest if none."""
        if self.display_id is None:
            tree = self.probe.tree()
            candidates = sorted((w for w in tree if w["kind"] in ("text", "list") and reachable(w)
                                 and w is not Window(tree).message_input()), key=area, reverse=True)
            if len(candidates) > 1:
                timeout = settings.wait(settings.EVENT) if timeout is None else timeout
                def read_all():
                    return [self.probe.call("read", id=c["id"])["text"] for c in candidates]
                texts, found = poll(read_all, lambda seen: any(predicate(t) for t in seen), timeout)
                chosen = next((i for i, t in enumerate(texts) if predicate(t)), 0) if found else 0
                self.display_id = candidates[chosen]["id"]
                if found:
                    return texts[chosen]
                return self.app.wait_display(predicate, what, 0.0, read=self.display, waited=timeout)
        return self.app.wait_display(predicate, what, timeout, read=self.display)


def send_bare(wire: WirePeer, data: bytes, *more: bytes, policy: str = "whole") -> None:
    """Send a message that has no header (and what follows it): after the wire was quiet for
    MESSAGE_GAP, so that it cannot be taken for the end of the message before it (spec.py)."""
    time.sleep(MESSAGE_GAP)   # shaping the delivery (a gap the handed-out server's timing makes), not waiting
    wire.send(data, *more, policy=policy)


def expect_bytes(wire: WirePeer, expected: bytes, what: str, timeout: float | None = None) -> None:
    """The next bytes from the client must be exactly `expected` (no delimiter: a count of bytes)."""
    got = wire.read_exact(len(expected), timeout, what=f"{what} ({expected!r})")
    if got != expected:
        raise CheckFailure(f"Wrong bytes from the client on {wire.label} ({what}).", expected=expected,
                           actual=got + wire.unread()[:200])
