"""The GUI probe's Tk adapter: hooks the creation of the Tk root, runs the probe's commands on the
GUI thread from an `after` loop, and maps Tk widgets to the probe's toolkit-neutral kinds.
(chatconform_probe_qt.py does the same for PyQt5.)"""
from __future__ import annotations

import threading

import chatconform_probe as probe

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
    name = "tk"

    def __init__(self, root):
        self.root = root

    # --- the widget tree -------------------------------------------------------------------------

    def widgets(self) -> list:
        out = []

        def walk(widget, depth):
            out.append(self.describe(widget, depth))
            for child in widget.winfo_children():
                walk(child, depth + 1)

        walk(self.root, 0)
        return out

    def describe(self, w, depth: int) -> dict:
        cls = w.winfo_class()
        kind = KINDS.get(cls, cls.lower())
        if kind == "window" and w is not self.root and w.wm_transient():
            kind = "dialog"
        text = self.contents(w, kind)
        state = self.option(w, "state")
        out = {"id": w._w, "kind": kind, "class": cls, "depth": depth,
               "text": text if len(text) <= 300 else text[:300] + "…",
               "enabled": state not in ("disabled",),
               "editable": kind in ("entry", "text") and state not in ("disabled", "readonly"),
               "visible": bool(w.winfo_viewable()),
               "geometry": [w.winfo_rootx(), w.winfo_rooty(), w.winfo_width(), w.winfo_height()]}
        if kind == "tabs":
            out["tabs"] = [{"title": str(w.tab(page, "text")), "enabled": str(w.tab(page, "state")) == "normal",
                            "current": str(page) == str(w.select())} for page in w.tabs()]
        out.update(self.captions(w))
        return out

    def captions(self, w) -> dict:
        """What a person reads around a widget: the LabelFrame it sits in, the Notebook tab it is on."""
        out, child, up = {}, w, w.master
        while up is not None:
            cls = up.winfo_class()
            if cls in ("Labelframe", "TLabelframe") and "box" not in out and self.option(up, "text"):
                out["box"] = self.option(up, "text")
            if cls == "TNotebook" and "tab" not in out:
                pages = [str(p) for p in up.tabs()]
                if str(child) in pages:
                    index = pages.index(str(child))
                    out["tab"] = {"tabs": up._w, "index": index, "title": str(up.tab(index, "text")),
                                  "enabled": str(up.tab(index, "state")) == "normal",
                                  "current": str(up.select()) == str(child)}
            child, up = up, up.master
        return out

    @staticmethod
    def option(w, name: str) -> str:
        try:
            return str(w.cget(name))
        except Exception:
            return ""

    def contents(self, w, kind: str) -> str:
        if kind == "window" or kind == "dialog":
            return w.title() if hasattr(w, "title") else ""
        if kind == "entry":
            return w.get()
        if kind == "text":
            return w.get("1.0", "end-1c")
        if kind == "list":
            return "\n".join(str(item) for item in w.get(0, "end"))
        return self.option(w, "text")

    def widget(self, wid: str):
        return self.root.nametowidget(wid) if wid not in (".", "") else self.root

    # --- commands --------------------------------------------------------------------------------

    def run(self, request: dict) -> dict:
        command = request.get("cmd")
        if command == "tree":
            return {"widgets": self.widgets()}
        w = self.widget(request.get("id", "."))
        if command == "read":
            return {"text": self.contents(w, self.describe(w, 0)["kind"])}
        if command == "type":
            self.type(w, request["text"])
        elif command == "set_text":   # a paste, into the field clicked first
            self.click_into(w)
            kind = self.describe(w, 0)["kind"]
            if kind == "text":
                w.delete("1.0", "end")
                w.insert("1.0", request["text"])
            else:
                w.delete(0, "end")
                w.insert(0, request["text"])
        elif command == "key":
            w.focus_force()
            w.event_generate("<KeyPress>", keysym=request["keysym"])
            w.event_generate("<KeyRelease>", keysym=request["keysym"])
        elif command == "click":
            if hasattr(w, "invoke"):
                w.invoke()
            else:
                w.event_generate("<ButtonPress-1>", x=2, y=2)
                w.event_generate("<ButtonRelease-1>", x=2, y=2)
        elif command == "tab":   # a click on the tab's title: the notebook brings that page to the front
            w.select(int(request["index"]))
        elif command == "close":
            # As a window manager does: the close runs from the event loop after this answer, so a
            # handler may destroy the window or call sys.exit() (it leaves mainloop like any callback).
            w.after_idle(self.close, w)
        else:
            raise ValueError(f"unknown command {command!r}")
        return {}

    @staticmethod
    def close(w) -> None:
        import tkinter
        handler = str(w.protocol("WM_DELETE_WINDOW") or "")
        try:
            if handler:
                w.tk.call(handler)
            else:
                w.destroy()
        except tkinter.TclError:
            pass   # the handler destroyed the application under its own command: that is a close too

    @staticmethod
    def click_into(w) -> None:
        """A person clicks into the field before typing (a placeholder may clear on that click), just
        after its last character: a real button press and release, then the cursor at the end."""
        w.update_idletasks()
        x, y = max(1, w.winfo_width() - 4), max(1, w.winfo_height() // 2)
        w.event_generate("<Enter>", x=x, y=y)
        w.event_generate("<ButtonPress-1>", x=x, y=y)
        w.event_generate("<ButtonRelease-1>", x=x, y=y)
        w.focus_force()
        if w.winfo_class() == "Text":   # two clicks in a row are a double click, which selects a word:
            w.tag_remove("sel", "1.0", "end")   # typing must not replace it
            w.mark_set("insert", "end-1c")
        else:
            w.selection_clear()
            w.icursor("end")

    def type(self, w, text: str) -> None:
        """A click into the field, then real key events for every character the virtual keyboard has
        (ASCII); any other character is inserted at the cursor, as the widget's own key binding would
        (Xvfb's keymap has no key for it), followed by a KeyRelease so bindings on key release still
        run."""
        self.click_into(w)
        for ch in text:
            keysym = KEYSYMS.get(ch, ch if ch.isascii() and ch.isalnum() else None)
            if keysym is not None:
                w.event_generate("<KeyPress>", keysym=keysym)
                w.event_generate("<KeyRelease>", keysym=keysym)
            elif ch == "\n":
                w.event_generate("<KeyPress>", keysym="Return")
                w.event_generate("<KeyRelease>", keysym="Return")
            else:
                w.insert("insert", ch)
                w.event_generate("<KeyRelease>", keysym="space")


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
        self.bind("<Destroy>", gone, add="+")

        def tick():
            if probe._state["adapter"] is not adapter:
                return   # a root destroyed (a login window): the next root's adapter serves
            probe.pump(adapter)
            try:
                self.after(PUMP_MS, tick)
            except tkinter.TclError:
                pass   # the root is being destroyed

        self.after(PUMP_MS, tick)

    def report(self, kind, value, tb):
        probe.record_exception(kind, value, tb, "a Tk callback")
        original_report(self, kind, value, tb)

    tkinter.Tk.__init__ = init
    tkinter.Tk.report_callback_exception = report
