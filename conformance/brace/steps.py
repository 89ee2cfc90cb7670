"""Steps the brace tests share: what the suite sends as the server (built here, never by the
reference codec) and a person's way through a free-form PyQt5 window: fields found by their label,
placeholder or default text, a settings dialog before the main window, the connect and disconnect
buttons, the status label, the recipients' combo box."""
from __future__ import annotations

import re
import time

from conformance.harness import settings
from conformance.harness.failure import CheckFailure
from conformance.harness.gui import GuiApp, Widgets, describe_tree, poll, reading_order
from conformance.harness.peer import WirePeer

from .spec import CLIENT_ADDRESS, MESSAGE_GAP

CZECH = "Žluťoučký kůň úpěl ďábelské ódy"


def msg(text: str) -> bytes:
    return b"{MSG}" + text.encode("utf-8")


def clients(*names: str) -> bytes:
    return b"{CLIENTS}" + "|".join(names).encode("utf-8")


def welcome(name: str) -> bytes:
    """What the handed-out server sends on {REGISTER}: the welcome and the list, glued."""
    return msg(f"Welcome {name}!") + clients(name)


FIELD_WORDS = {"host": r"host|server|address|\bip\b", "port": r"port",
               "username": r"user|name|nick|login|handle", "message": r"message|\bmsg\b|text|chat|say|type"}
CONNECT = re.compile(r"(?i)^\W*(connect|join|log ?in|sign ?in|start|enter)\b")
DISCONNECT = re.compile(r"(?i)disconnect|leave|log ?out|sign ?out|quit|exit")
ACCEPT = re.compile(r"(?i)^\W*(ok|connect|join|log ?in|save|apply|done|start|enter|continue)\b")
NOT_CONNECTED = re.compile(r"(?i)not connected|disconnected|unconnected|offline|not online|no connection")
CONNECTED = re.compile(r"(?i)connected|online")


def label_of(field: dict, labels: list) -> str:
    """The words a person reads for a field: the nearest label on its left in the same row, or just
    above it, then its placeholder text."""
    x, y, w, h = field["geometry"]
    best, distance = "", None
    for label in labels:
        lx, ly, lw, lh = label["geometry"]
        same_row = abs((ly + lh / 2) - (y + h / 2)) < max(h, lh) / 2 + 2 and lx + lw <= x + 2
        above = 0 <= y - (ly + lh) <= 40 and lx < x + w and lx + lw > x
        if same_row or above:
            d = (x - (lx + lw)) if same_row else (y - (ly + lh)) + 1000
            if distance is None or d < distance:
                best, distance = label["text"] or "", d
    return f"{best} {field.get('placeholder') or ''}"


class Window:
    """One reading of the window's widgets, with the brace roles picked out."""

    def __init__(self, tree: list):
        self.tree = tree
        self.widgets = Widgets(tree)
        visible = [w for w in tree if w["visible"]]
        self.dialog = next((w for w in visible if w["kind"] == "dialog"), None)
        inside = self.within(self.dialog) if self.dialog else visible
        self.labels = [w for w in inside if w["kind"] == "label"]
        self.entries = sorted((w for w in inside if w["kind"] == "entry"), key=reading_order)
        self.buttons = sorted((w for w in inside if w["kind"] == "button" and w["enabled"]), key=reading_order)
        self.roles = self.field_roles()

    def within(self, top: dict) -> list:
        """The widgets drawn inside `top` (the tree lists a window's widgets after it, deeper)."""
        start = self.tree.index(top)
        out = []
        for w in self.tree[start + 1:]:
            if w["depth"] <= top["depth"]:
                break
            if w["visible"]:
                out.append(w)
        return out

    def field_roles(self) -> dict:
        """role -> entry: by the words around it, then by its default text (an address, a number)."""
        roles: dict = {}
        for field in self.entries:
            words = label_of(field, self.labels)
            for role, pattern in FIELD_WORDS.items():
                if role not in roles and re.search(f"(?i){pattern}", words):
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
        return next((b for b in self.buttons if pattern.search(b["text"] or "")
                     and not (but and but.search(b["text"] or ""))), None)

    def status_label(self) -> dict | None:
        return next((w for w in self.labels if CONNECTED.search(w["text"] or "")
                     or NOT_CONNECTED.search(w["text"] or "")), None)

    def combo(self) -> dict | None:
        return next((w for w in self.widgets.of_kind("combo")), None)

    def message_input(self) -> dict | None:
        """The message field: named so, or else the editable entry that is no other field (the last)."""
        if "message" in self.roles and self.roles["message"]["editable"]:
            return self.roles["message"]
        others = [id(f) for role, f in self.roles.items() if role != "message"]
        rest = [f for f in self.entries if f["editable"] and id(f) not in others]
        return rest[-1] if rest else None

    def send_button(self) -> dict | None:
        captioned = [b for b in self.buttons if Widgets.SEND.search(b["text"] or "")
                     and not CONNECT.search(b["text"] or "") and not DISCONNECT.search(b["text"] or "")]
        return captioned[0] if captioned else None


class BraceClient:
    """A candidate's window, used as a person uses it."""

    def __init__(self, app: GuiApp, name: str, address: tuple = CLIENT_ADDRESS):
        self.app, self.probe, self.name, self.address = app, app.probe, name, address
        self.status_id: str | None = None
        self.prepared = self.named = self.connected_once = False   # the dialog passed; it took the name

    def window(self) -> Window:
        return Window(self.probe.tree())

    def look_for(self, pick, what: str, expected: str) -> dict:
        """pick(Window): a widget the window must have (GuiApp.look_for: looked for until the event
        window ends)."""
        return self.app.look_for(lambda tree: pick(Window(tree)), what, expected)

    def fill(self, field: dict, value: str) -> None:
        """Put a value in a field as a person does: leave it if it holds the value already, else clear
        it and type."""
        if (field["text"] or "") == value:
            return
        self.probe.call("set_text", id=field["id"], text="")
        self.probe.call("type", id=field["id"], text=value)

    def fill_address(self, window: Window, name: str) -> None:
        host, port = self.address
        for role, value in (("host", host), ("port", str(port)), ("username", name)):
            field = window.roles.get(role)
            if field is not None and field["editable"]:
                self.fill(field, value)

    def prepare(self) -> bool:
        """Get to the main window as a person does: fill in and accept a settings dialog if the
        program shows one first. True if the program is then still to be connected."""
        if self.prepared:
            return True
        window = self.window()
        self.prepared = True
        if window.dialog is None:
            return True
        if "username" not in window.roles:
            raise CheckFailure("The program's first dialog has no username field.",
                               expected="a field labelled user/name", actual=describe_tree(window.tree))
        self.fill_address(window, self.name)
        ok = window.button(ACCEPT, but=re.compile("(?i)cancel"))
        if ok is None:
            raise CheckFailure("The settings dialog has no OK/Connect button.", actual=describe_tree(window.tree))
        self.probe.call("click", id=ok["id"])
        self.look_for(lambda w: w if w.dialog is None and w.tree[0]["visible"] else None,
                      "the main window after the settings dialog", "the dialog closed, the main window shown")
        self.named = True
        return self.window().button(CONNECT, but=DISCONNECT) is not None   # else the dialog connected

    def connect(self) -> None:
        """The settings dialog first if the program shows one, then the fields and the connect button."""
        if not self.prepare() and not self.connected_once:
            self.connected_once = True
            return
        self.connected_once = True
        window = self.window()
        if not self.named and "username" not in window.roles:
            raise CheckFailure("Could not find the username field.", expected="an entry labelled user/name "
                               "(or with such a placeholder text)", actual=describe_tree(window.tree))
        self.fill_address(window, self.name)   # the main window's own fields, if it has them
        button = self.look_for(lambda w: w.button(CONNECT, but=DISCONNECT), "the connect button",
                               "a button captioned Connect (or Join, Login)")
        self.probe.call("click", id=button["id"])

    def disconnect(self) -> None:
        button = self.look_for(lambda w: w.button(DISCONNECT), "the disconnect button",
                               "a button captioned Disconnect (or a Connect button that became one)")
        self.probe.call("click", id=button["id"])

    def status(self) -> str:
        if self.status_id is None:
            label = self.look_for(lambda w: w.status_label(), "the status label",
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
        combo = self.look_for(lambda w: w.combo(), "the recipients' combo box", "a QComboBox with ALL and the users")
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
        return self.app.display_text()

    def wait_display(self, predicate, what: str, timeout: float | None = None) -> str:
        return self.app.wait_display(predicate, what, timeout)


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
