"""The GUI probe's Qt adapter (PyQt5): hooks the creation of the QApplication, runs the probe's
commands on the GUI thread from a QTimer, maps Qt widgets to the probe's toolkit-neutral kinds, and
drives them with real key and mouse events (QtTest).

It also reports every widget method called from a thread other than the GUI thread (Qt's rule:
widgets belong to the GUI thread; breaking it works for a while, then crashes at random: seen here as
a segmentation fault in one test of twenty) and the warnings Qt prints about threads. Such a call is
reported and then carried out on the GUI thread (at the next timer tick), so that the bug fails the
test about threads every time, and never crashes some other test at random."""
from __future__ import annotations

import sys
import threading

import chatconform_probe as probe

PUMP_MS = 15
# Methods of the widgets a chat window updates: calling one off the GUI thread is the bug class.
GUARDED = {"QTextEdit": ("append", "setText", "setPlainText", "setHtml", "insertPlainText", "insertHtml", "clear"),
           "QPlainTextEdit": ("appendPlainText", "appendHtml", "setPlainText", "insertPlainText", "clear"),
           "QListWidget": ("addItem", "addItems", "insertItem", "clear", "scrollToBottom"),
           "QLabel": ("setText",), "QLineEdit": ("setText", "clear"), "QPushButton": ("setText",),
           "QComboBox": ("addItem", "addItems", "clear", "insertItem", "removeItem"),
           "QWidget": ("setEnabled", "setDisabled", "repaint", "update")}
THREAD_WARNINGS = ("thread", "Cannot queue arguments")
KEYS = {"Return": "Key_Return", "Enter": "Key_Enter", "Escape": "Key_Escape", "Tab": "Key_Tab",
        "BackSpace": "Key_Backspace", "End": "Key_End", "Home": "Key_Home", "Down": "Key_Down", "Up": "Key_Up"}


class QtAdapter:
    name = "qt"

    def __init__(self, app, widgets_module):
        from PyQt5 import QtCore, QtTest, sip
        self.app, self.W, self.core, self.test, self.sip = app, widgets_module, QtCore, QtTest.QTest, sip
        self.known: dict = {}   # id -> widget, from the last tree

    # --- the widget tree -------------------------------------------------------------------------

    def kind(self, w) -> str:
        W = self.W
        for cls, kind in ((W.QDialog, "dialog"), (W.QTabWidget, "tabs"), (W.QGroupBox, "group"),
                          (W.QAbstractButton, "button"), (W.QLineEdit, "entry"),
                          (W.QAbstractSpinBox, "entry"), (W.QComboBox, "combo"), (W.QTextEdit, "text"),
                          (W.QPlainTextEdit, "text"), (W.QAbstractItemView, "list"), (W.QLabel, "label"),
                          (W.QScrollBar, "scrollbar"), (W.QMenuBar, "menu")):
            if isinstance(w, cls):
                if kind == "button" and isinstance(w, W.QCheckBox):
                    return "checkbox"
                if kind == "button" and isinstance(w, W.QRadioButton):
                    return "radio"
                return kind
        return "window" if w.isWindow() else "frame"

    def windows(self) -> list:
        """Top-level windows a person could see (not menus, tooltips or a combo box's popup)."""
        flags = self.core.Qt
        return [w for w in self.app.topLevelWidgets()
                if w.isWindow() and not w.windowType() in (flags.Popup, flags.ToolTip, flags.Desktop)
                and not isinstance(w, (self.W.QMenu,))]

    def widgets(self) -> list:
        windows = self.windows()
        shown = [w for w in windows if w.isVisible()]
        out = [{"id": ".", "kind": "window", "class": "QApplication", "depth": 0,
                "text": shown[0].windowTitle() if shown else "", "enabled": True, "editable": False,
                "visible": bool(shown), "geometry": [0, 0, 0, 0]}]
        self.known = {}
        self.buddies = {}   # id(widget) -> the text of the QLabel whose buddy it is
        for window in windows:
            for label in window.findChildren(self.W.QLabel):
                buddy = label.buddy()
                if buddy is not None:
                    self.buddies[id(buddy)] = label.text()

        def walk(widget, depth):
            kind = self.kind(widget)
            out.append(self.describe(widget, kind, depth))
            if kind in ("combo", "text", "list", "entry", "scrollbar", "button"):
                return   # their children are the widget's own parts
            for child in widget.findChildren(self.W.QWidget, options=self.core.Qt.FindDirectChildrenOnly):
                walk(child, depth + 1)

        for window in windows:
            walk(window, 1)
        return out

    def describe(self, w, kind: str, depth: int) -> dict:
        wid = self.wid(w)
        self.known[wid] = w
        text = self.contents(w, kind)
        top_left = w.mapToGlobal(self.core.QPoint(0, 0))
        editable = kind in ("entry", "text") and w.isEnabled() and not (hasattr(w, "isReadOnly") and w.isReadOnly())
        out = {"id": wid, "kind": kind, "class": type(w).__name__, "depth": depth,
               "text": text if len(text) <= 300 else text[:300] + "…", "enabled": w.isEnabled(),
               "editable": editable, "visible": w.isVisible(),
               "geometry": [top_left.x(), top_left.y(), w.width(), w.height()]}
        if kind == "entry" and hasattr(w, "placeholderText"):
            out["placeholder"] = w.placeholderText()
        if kind == "combo":
            out["items"] = [w.itemText(i) for i in range(w.count())]
        if kind == "tabs":
            out["tabs"] = [{"title": plain(w.tabText(i)), "enabled": w.isTabEnabled(i), "current": w.currentIndex() == i}
                           for i in range(w.count())]
        out.update(self.captions(w, kind))
        return out

    def wid(self, w) -> str:
        """A widget's id in the tree: its C++ address, stable while it lives."""
        return f"q{self.sip.unwrapinstance(w):x}"

    def captions(self, w, kind: str) -> dict:
        """What a person reads around a widget: its form label or buddy label, the title of the group
        box it sits in, the tab it is on (and whether that tab is current and enabled), its tooltip,
        its role in a dialog's button box."""
        W, out = self.W, {}
        label = self.buddies.get(id(w))
        parent = w.parentWidget()
        layout = parent.layout() if parent is not None else None
        if label is None and isinstance(layout, W.QFormLayout):
            field_label = layout.labelForField(w)
            if field_label is not None and hasattr(field_label, "text"):
                label = field_label.text()
        if label:
            out["label"] = plain(label)
        if w.toolTip():
            out["tooltip"] = plain(w.toolTip())
        chain, up = [w], parent
        while up is not None:
            if isinstance(up, W.QGroupBox) and "box" not in out and up.title():
                out["box"] = plain(up.title())
            if isinstance(up, W.QTabWidget) and "tab" not in out:   # the page is an ancestor below it
                index = next((i for i in range(up.count()) if any(up.widget(i) is a for a in chain)), -1)
                if index >= 0:
                    out["tab"] = {"tabs": self.wid(up), "index": index,
                                  "title": plain(up.tabText(index)), "enabled": up.isTabEnabled(index),
                                  "current": up.currentIndex() == index}
            if isinstance(up, W.QDialogButtonBox) and kind == "button" and "button_role" not in out:
                role = up.buttonRole(w)
                out["button_role"] = next((n for n in ("AcceptRole", "RejectRole", "ApplyRole", "ResetRole", "HelpRole",
                                                       "YesRole", "NoRole", "ActionRole", "DestructiveRole")
                                           if getattr(W.QDialogButtonBox, n) == role), "")
            chain.append(up)
            up = up.parentWidget()
        return out

    def contents(self, w, kind: str) -> str:
        if kind in ("window", "dialog"):
            return w.windowTitle()
        if kind == "group":
            return plain(w.title())
        if kind == "tabs":
            return plain(w.tabText(w.currentIndex())) if w.count() else ""
        if kind == "text":
            return w.toPlainText()
        if kind == "combo":
            return w.currentText()
        if kind == "list":
            model = w.model()
            if model is None:
                return ""
            return "\n".join(str(model.index(row, 0).data() or "") for row in range(model.rowCount()))
        if hasattr(w, "text"):
            text = w.text()
            if not isinstance(text, str):
                return ""
            return plain(text) if kind in ("label", "button", "checkbox", "radio") else text
        return ""

    def widget(self, wid: str):
        if wid in (".", ""):
            shown = [w for w in self.windows() if w.isVisible()]
            return shown[0] if shown else None
        w = self.known.get(wid)
        if w is None:
            self.widgets()
            w = self.known.get(wid)
        if w is None or self.sip.isdeleted(w):
            raise ValueError(f"no widget {wid} (it may have been deleted)")
        return w

    # --- commands --------------------------------------------------------------------------------

    def run(self, request: dict) -> dict:
        command = request.get("cmd")
        if command == "tree":
            return {"widgets": self.widgets()}
        w = self.widget(request.get("id", "."))
        Qt = self.core.Qt
        if command == "read":
            kind = self.kind(w)
            out = {"text": self.contents(w, kind)}
            if kind == "combo":
                out["items"] = [w.itemText(i) for i in range(w.count())]
            return out
        if command == "type":
            self.click_into(w)
            self.type(w, request["text"])
        elif command == "set_text":   # a paste, into the field clicked first
            self.click_into(w)
            if hasattr(w, "setPlainText"):
                w.setPlainText(request["text"])
            else:
                w.setText(request["text"])
        elif command == "key":
            w.setFocus()
            self.test.keyClick(w, getattr(Qt, KEYS.get(request["keysym"], "Key_" + request["keysym"])))
        elif command == "click":
            # From the event loop, after this answer: a slot may open a modal dialog (a nested loop)
            self.later(lambda: self.click(w))
        elif command == "tab":   # a click on the tab's title in the tab bar, from the event loop
            bar, index = w.tabBar(), int(request["index"])
            self.later(lambda: self.test.mouseClick(bar, self.core.Qt.LeftButton, self.core.Qt.NoModifier,
                                                    bar.tabRect(index).center()))
        elif command == "screenshot":
            if not w.grab().save(request["path"], "PNG"):
                raise OSError("could not save the picture")
        elif command == "choose":
            self.choose(w, request["text"])
        elif command == "close":
            # As a window manager does: close events for the windows, from the event loop
            targets = [w] if request.get("id", ".") not in (".", "") else \
                [x for x in self.windows() if x.isVisible() and not isinstance(x, self.W.QDialog)]
            for target in targets:
                self.later(target.close)
        else:
            raise ValueError(f"unknown command {command!r}")
        return {}

    def later(self, action) -> None:
        probe.defer(action)
        self.core.QTimer.singleShot(0, probe.run_deferred)

    def click(self, w) -> None:
        if not self.sip.isdeleted(w):
            self.test.mouseClick(w, self.core.Qt.LeftButton)

    def click_into(self, w) -> None:
        """A person clicks into the field, just after its last character, before typing."""
        w.activateWindow()
        pos = self.core.QPoint(max(1, w.width() - 4), max(1, w.height() // 2))
        self.test.mouseClick(w, self.core.Qt.LeftButton, self.core.Qt.NoModifier, pos)
        w.setFocus()
        self.test.keyClick(w, self.core.Qt.Key_End, self.core.Qt.ControlModifier if self.kind(w) == "text"
                           else self.core.Qt.NoModifier)

    def type(self, w, text: str) -> None:
        """Real key events: QtTest's for ASCII; for any other character a key event that carries the
        character as its text (what an input method delivers), which QtTest cannot make."""
        from PyQt5.QtGui import QKeyEvent
        Event = self.core.QEvent
        for ch in text:
            if ch == "\n":
                self.test.keyClick(w, self.core.Qt.Key_Return)
            elif ch.isascii() and ch.isprintable():
                self.test.keyClick(w, ch)
            else:
                for kind in (Event.KeyPress, Event.KeyRelease):
                    self.W.QApplication.sendEvent(w, QKeyEvent(kind, 0, self.core.Qt.NoModifier, ch))

    def choose(self, combo, text: str) -> None:
        """Pick an item by text as with the keyboard: Home, then Down until it is current (Qt then
        emits activated and currentIndexChanged as for a person)."""
        index = combo.findText(text)
        if index < 0:
            raise ValueError(f"the combo box has no item {text!r}")
        combo.setFocus()
        self.test.keyClick(combo, self.core.Qt.Key_Home)
        for _ in range(index):
            self.test.keyClick(combo, self.core.Qt.Key_Down)
        if combo.currentIndex() != index:   # an editable combo box takes keys as text
            combo.setCurrentIndex(index)
            combo.activated.emit(index)


def plain(text: str) -> str:
    """A caption as a person reads it: without the & that marks a keyboard shortcut."""
    return (text or "").replace("&&", "\0").replace("&", "").replace("\0", "&")


_marshalled: list = []   # widget calls made off the GUI thread, to be made on it


def _run_marshalled() -> None:
    while _marshalled:
        method, widget, args, kwargs = _marshalled.pop(0)
        try:
            method(widget, *args, **kwargs)
        except RuntimeError:   # the widget was deleted meanwhile
            pass


def _guard(widgets_module, gui_thread: int) -> None:
    """Wrap the methods in GUARDED so that a call from another thread is reported (and still made)."""
    def wrap(cls_name, method_name, original):
        def guarded(self, *args, **kwargs):
            if threading.get_ident() != gui_thread:
                probe.record_touch(f"{cls_name}.{method_name}", drop=1)
                _marshalled.append((original, self, args, kwargs))
                return None
            return original(self, *args, **kwargs)
        guarded.__name__ = method_name
        return guarded

    probe.guard_methods(widgets_module, GUARDED, wrap)


def _messages(QtCore) -> None:
    """Qt's own warnings still go to stderr; those about threads are also reported."""
    def handler(kind, context, message):
        if any(word in message for word in THREAD_WARNINGS):
            probe._thread_touches.append({"call": "Qt warning", "thread": threading.current_thread().name,
                                          "stack": message})
        try:
            sys.stderr.write(message + "\n")
        except Exception:
            pass
    QtCore.qInstallMessageHandler(handler)


def install(widgets_module) -> None:
    from PyQt5 import QtCore
    original = widgets_module.QApplication

    class QApplication(original):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            adapter = QtAdapter(self, widgets_module)
            _guard(widgets_module, threading.get_ident())
            _messages(QtCore)
            probe._state["after_uncaught"] = _abort_in_event_loop(QtCore)
            probe._state["gui_gone"] = False
            probe.attach(adapter)
            self.aboutToQuit.connect(lambda: probe._state.__setitem__("gui_gone", True))
            self._chatconform_timer = QtCore.QTimer()
            self._chatconform_timer.timeout.connect(lambda: (_run_marshalled(), probe.pump(adapter)))
            self._chatconform_timer.start(PUMP_MS)

    QApplication.__name__ = QApplication.__qualname__ = "QApplication"
    widgets_module.QApplication = QApplication


def _abort_in_event_loop(QtCore):
    """PyQt5 (5.5 and later) aborts the program on an exception a slot does not catch, when
    sys.excepthook is Python's own: the probe's hook must not change that."""
    def after_uncaught():
        if QtCore.QThread.currentThread().loopLevel() > 0:
            QtCore.qFatal("Unhandled Python exception")
    return after_uncaught
