"""The GUI probe's Tk adapter: hooks the creation of the Tk root, runs the probe's commands on the
GUI thread from an `after` loop, and maps Tk widgets to the probe's toolkit-neutral kinds.
(chatconform_probe_qt.py does the same for PyQt5.)"""
from __future__ import annotations

import threading

import chatconform_probe as probe
from chatconform_probe import WidgetGone

PUMP_MS = 15
KINDS = {"Tk": "window", "Toplevel": "window", "Dialog": "dialog", "Button": "button", "TButton": "button",
         "Entry": "entry", "TEntry": "entry", "Spinbox": "entry", "TSpinbox": "entry", "TCombobox": "entry",
         "Text": "text", "Listbox": "list", "Label": "label", "TLabel": "label", "Message": "label",
         "Frame": "frame", "TFrame": "frame", "Labelframe": "group", "TLabelframe": "group", "TNotebook": "tabs",
         "Scrollbar": "scrollbar", "TScrollbar": "scrollbar", "Canvas": "canvas", "Checkbutton": "checkbox",
         "TCheckbutton": "checkbox", "Radiobutton": "radio", "TRadiobutton": "radio", "Menu": "menu"}
KEYSYMS = {" ": "space", "!": "exclam", '"': "quotedbl", "#": "numbersign", "$": "dollar", "%": "percent",
           "&": "ampersand", "'": "apostrophe", "(": "parenleft", ")": "parenright", "*": "asterisk",
           "+": "plus", ",": "comma", "-": "minus", ".": "period", "/": "slash", ":": "colon",
           ";": "semicolon", "<": "less", "=": "equal", ">": "greater", "?": "question", "@": "at",
           "[": "bracketleft", "\\": "backslash", "]": "bracketright", "^": "asciicircum", "_": "underscore",
           "`": "grave", "{": "braceleft", "|": "bar", "}": "braceright", "~": "asciitilde"}


class TkAdapter:
    """Reads and drives widgets through Tcl, by their path names (`winfo children .f`, `.f.e get`), never
    through the Python objects: a student's subclass may keep anything in an attribute named like a
    method (`self.title = "Chat"`, `self.config = {...}`, `self.get`), which shadows it on the instance.
    The root is only used for its interpreter and for `after` (through tkinter.Misc)."""
    name = "tk"

    def __init__(self, root):
        self.root = root
        self.tk = root.tk   # the Tcl interpreter, taken before the program's own __init__ runs on
        self.unreadable: list = []

    def call(self, *args):
        return self.tk.call(*args)

    def text(self, *args) -> str:
        return str(self.call(*args))

    def listed(self, *args) -> list:
        return [str(x) for x in self.tk.splitlist(self.call(*args))]

    # --- the widget tree -------------------------------------------------------------------------

    def widgets(self) -> list:
        out, self.unreadable = [], []

        def walk(path, depth):
            try:
                out.append(self.describe(path, depth))
            except Exception as exc:   # this widget is lost, never the tree
                entry = {"id": path, "class": "?", "error": f"{type(exc).__name__}: {exc}"[:300]}
                self.unreadable.append(entry)
                out.append({**entry, "kind": "unreadable", "depth": depth, "text": "", "enabled": False,
                            "editable": False, "visible": False, "geometry": [0, 0, 0, 0]})
            try:
                children = self.listed("winfo", "children", path)
            except Exception:
                return
            for child in children:
                walk(child, depth + 1)

        walk(".", 0)
        return out

    def kind(self, path: str, cls: str) -> str:
        kind = KINDS.get(cls)
        if kind is None:   # the root may have a class name of its own (Tk(className="Chat"))
            kind = "window" if path == "." else cls.lower()
        if kind == "window" and path != "." and self.text("wm", "transient", path):
            kind = "dialog"
        return kind

    def describe(self, path: str, depth: int) -> dict:
        cls = self.text("winfo", "class", path)
        kind = self.kind(path, cls)
        text = self.contents(path, kind)
        state = self.option(path, "state")
        out = {"id": path, "kind": kind, "class": cls, "depth": depth,
               "text": text if len(text) <= 300 else text[:300] + "…",
               "enabled": state not in ("disabled",),
               "editable": kind in ("entry", "text") and state not in ("disabled", "readonly"),
               "visible": bool(int(self.text("winfo", "viewable", path))),
               "geometry": [int(self.text("winfo", axis, path)) for axis in ("rootx", "rooty", "width", "height")]}
        if kind == "tabs":
            current = self.text(path, "select")
            out["tabs"] = [{"title": self.text(path, "tab", page, "-text"),
                            "enabled": self.text(path, "tab", page, "-state") == "normal",
                            "current": page == current} for page in self.listed(path, "tabs")]
        out.update(self.captions(path))
        return out

    def captions(self, path: str) -> dict:
        """What a person reads around a widget: the LabelFrame it sits in, the Notebook tab it is on."""
        out, child, up = {}, path, self.parent(path)
        while up:
            cls = self.text("winfo", "class", up)
            if cls in ("Labelframe", "TLabelframe") and "box" not in out and self.option(up, "text"):
                out["box"] = self.option(up, "text")
            if cls == "TNotebook" and "tab" not in out:
                pages = self.listed(up, "tabs")
                if child in pages:
                    index = pages.index(child)
                    out["tab"] = {"tabs": up, "index": index, "title": self.text(up, "tab", index, "-text"),
                                  "enabled": self.text(up, "tab", index, "-state") == "normal",
                                  "current": self.text(up, "select") == child}
            child, up = up, self.parent(up)
        return out

    def parent(self, path: str) -> str:
        return "" if path == "." else self.text("winfo", "parent", path)

    def option(self, path: str, name: str) -> str:
        try:
            return self.text(path, "cget", "-" + name)
        except Exception:
            return ""

    def contents(self, path: str, kind: str) -> str:
        if kind in ("window", "dialog"):
            return self.text("wm", "title", path)
        if kind == "entry":
            return self.text(path, "get")
        if kind == "text":
            return self.text(path, "get", "1.0", "end-1c")
        if kind == "list":
            return "\n".join(self.listed(path, "get", 0, "end"))
        return self.option(path, "text")

    def widget(self, wid: str) -> str:
        path = wid if wid not in ("", None) else "."
        if not int(self.text("winfo", "exists", path)):
            raise WidgetGone(f"no widget {path}: the program destroyed it")
        return path

    # --- commands --------------------------------------------------------------------------------

    def run(self, request: dict) -> dict:
        command = request.get("cmd")
        if command == "tree":
            widgets = self.widgets()
            return {"widgets": widgets, "unreadable": list(self.unreadable)}
        w = self.widget(request.get("id", "."))
        if command == "read":
            return {"text": self.contents(w, self.kind(w, self.text("winfo", "class", w)))}
        if command == "type":
            self.type(w, request["text"])
        elif command == "set_text":   # a paste, into the field clicked first
            self.click_into(w)
            if self.text("winfo", "class", w) == "Text":
                self.call(w, "delete", "1.0", "end")
                self.call(w, "insert", "1.0", request["text"])
            else:
                self.call(w, "delete", 0, "end")
                self.call(w, "insert", 0, request["text"])
        elif command == "key":
            self.call("focus", "-force", w)
            self.key(w, request["keysym"])
        elif command == "click":
            if self.text("winfo", "class", w) in INVOKABLE:
                self.call(w, "invoke")
            else:
                self.call("event", "generate", w, "<ButtonPress-1>", "-x", 2, "-y", 2)
                self.call("event", "generate", w, "<ButtonRelease-1>", "-x", 2, "-y", 2)
        elif command == "tab":   # a click on the tab's title: the notebook brings that page to the front
            self.call(w, "select", int(request["index"]))
        elif command == "close":
            # As a window manager does: the close runs from the event loop after this answer, so a
            # handler may destroy the window or call sys.exit() (it leaves mainloop like any callback).
            import tkinter
            tkinter.Misc.after(self.root, "idle", self.close, w)
        else:
            raise ValueError(f"unknown command {command!r}")
        return {}

    def close(self, path: str) -> None:
        """The window manager's close: the window's WM_DELETE_WINDOW handler, or else Tk's default,
        destroying the window."""
        import tkinter
        try:
            handler = self.text("wm", "protocol", path, "WM_DELETE_WINDOW")
            self.call(handler) if handler else self.call("destroy", path)
        except tkinter.TclError:
            pass   # the handler destroyed the application under its own command: that is a close too

    def key(self, path: str, keysym: str) -> None:
        self.call("event", "generate", path, "<KeyPress>", "-keysym", keysym)
        self.call("event", "generate", path, "<KeyRelease>", "-keysym", keysym)

    def click_into(self, path: str) -> None:
        """A person clicks into the field before typing (a placeholder may clear on that click), just
        after its last character: a real button press and release, then the cursor at the end."""
        self.call("update", "idletasks")
        x = max(1, int(self.text("winfo", "width", path)) - 4)
        y = max(1, int(self.text("winfo", "height", path)) // 2)
        for event in ("<Enter>", "<ButtonPress-1>", "<ButtonRelease-1>"):
            self.call("event", "generate", path, event, "-x", x, "-y", y)
        self.call("focus", "-force", path)
        if self.text("winfo", "class", path) == "Text":   # two clicks in a row are a double click, which
            self.call(path, "tag", "remove", "sel", "1.0", "end")   # selects a word: typing must not replace it
            self.call(path, "mark", "set", "insert", "end-1c")
        else:
            self.call(path, "selection", "clear")
            self.call(path, "icursor", "end")

    def type(self, path: str, text: str) -> None:
        """A click into the field, then real key events for every character the virtual keyboard has
        (ASCII); any other character is inserted at the cursor, as the widget's own key binding would
        (Xvfb's keymap has no key for it), followed by a KeyRelease so bindings on key release still
        run."""
        self.click_into(path)
        for ch in text:
            keysym = KEYSYMS.get(ch, ch if ch.isascii() and ch.isalnum() else None)
            if keysym is not None:
                self.key(path, keysym)
            elif ch == "\n":
                self.key(path, "Return")
            else:
                self.call(path, "insert", "insert", ch)
                self.call("event", "generate", path, "<KeyRelease>", "-keysym", "space")


INVOKABLE = {"Button", "TButton", "Checkbutton", "TCheckbutton", "Radiobutton", "TRadiobutton", "Menubutton",
             "TMenubutton"}


# Widget methods a chat window's network thread is tempted to call: from any thread but the GUI's,
# each call is recorded with its stack (Tk is not thread-safe: such calls work for a while, then hang
# or raise "main thread is not in main loop").
GUARDED = {"Text": ("insert", "delete", "see"), "Listbox": ("insert", "delete", "see"),
           "Entry": ("insert", "delete"), "Misc": ("update", "update_idletasks", "configure", "config")}
_gui_thread: dict = {}


def _guard(tkinter) -> None:
    def wrap(cls_name, name, original):
        def guarded(self, *args, **kwargs):
            if _gui_thread.get("ident") not in (None, threading.get_ident()) and len(probe._thread_touches) < 50:
                probe.record_touch(f"{cls_name}.{name}")
            return original(self, *args, **kwargs)
        guarded.__name__ = name
        return guarded

    probe.guard_methods(tkinter, GUARDED, wrap, own_only=True)


def install(tkinter) -> None:
    original_init = tkinter.Tk.__init__
    original_report = tkinter.Tk.report_callback_exception
    _guard(tkinter)

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if threading.current_thread() is not threading.main_thread():
            probe.record_touch("tkinter.Tk() created off the main thread", drop=1)
        _gui_thread["ident"] = threading.get_ident()
        adapter = TkAdapter(self)
        probe._state["gui_gone"] = False
        probe.attach(adapter)

        def gone(event):
            if event.widget is self and probe._state["adapter"] is adapter:
                probe._state["gui_gone"] = True
        # through tkinter.Misc, not the instance: the program's subclass may shadow bind or after
        tkinter.Misc.bind(self, "<Destroy>", gone, add="+")

        def tick():
            if probe._state["adapter"] is not adapter:
                return   # a root destroyed (a login window): the next root's adapter serves
            probe.pump(adapter)
            try:
                tkinter.Misc.after(self, PUMP_MS, tick)
            except tkinter.TclError:
                pass   # the root is being destroyed

        tkinter.Misc.after(self, PUMP_MS, tick)

    def report(self, kind, value, tb):
        probe.record_exception(kind, value, tb, "a Tk callback")
        original_report(self, kind, value, tb)

    tkinter.Tk.__init__ = init
    tkinter.Tk.report_callback_exception = report
