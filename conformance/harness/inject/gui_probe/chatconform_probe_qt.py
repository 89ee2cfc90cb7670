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
from chatconform_probe import NotThere, WidgetGone

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
    """Every fact about a widget is read through the toolkit's own classes (`QWidget.layout(w)`, never
    `w.layout()`): a student's subclass may keep anything in an attribute of the same name
    (`self.layout = QVBoxLayout(self)`, `self.text = ""`), which shadows the method on the instance.
    tests/test_gui_probe.py generates a client that shadows every name called here."""
    name = "qt"

    def __init__(self, app, widgets_module):
        from PyQt5 import QtCore, QtTest, sip
        self.app, self.W, self.core, self.test, self.sip = app, widgets_module, QtCore, QtTest.QTest, sip
        self.known: dict = {}   # id -> widget, from the last tree
        self.unreadable: list = []   # widgets the last tree could not read: {"id", "class", "error"}

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
                if kind == "label" and self.scrolled(w) is not None:
                    return "text"   # a label that scrolls is a log a person reads (a chat display)
                return kind
        return "window" if W.QWidget.isWindow(w) else "frame"

    def scrolled(self, label):
        """The scroll area whose content is this label (its widget, or the one label of its widget)."""
        W, QWidget = self.W, self.W.QWidget
        content = label
        for _ in range(2):
            viewport = QWidget.parentWidget(content)
            area = QWidget.parentWidget(viewport) if viewport is not None else None
            if isinstance(area, W.QScrollArea) and W.QAbstractScrollArea.viewport(area) is viewport:
                inner = W.QScrollArea.widget(area)
                if inner is label or (inner is content and
                                      self.core.QObject.findChildren(inner, W.QLabel) == [label]):
                    return area
                return None
            content = viewport
            if content is None:
                return None
        return None

    def windows(self) -> list:
        """Top-level windows a person could see (not menus, tooltips or a combo box's popup)."""
        flags, QWidget = self.core.Qt, self.W.QWidget
        return [w for w in self.W.QApplication.topLevelWidgets()
                if QWidget.isWindow(w) and QWidget.windowType(w) not in (flags.Popup, flags.ToolTip, flags.Desktop)
                and not isinstance(w, (self.W.QMenu,))]

    def children(self, w) -> list:
        return self.core.QObject.findChildren(w, self.W.QWidget, options=self.core.Qt.FindDirectChildrenOnly)

    def widgets(self) -> list:
        QWidget = self.W.QWidget
        windows = self.windows()
        shown = [w for w in windows if QWidget.isVisible(w)]
        out = [{"id": ".", "kind": "window", "class": "QApplication", "depth": 0,
                "text": QWidget.windowTitle(shown[0]) if shown else "", "enabled": True, "editable": False,
                "visible": bool(shown), "geometry": [0, 0, 0, 0]}]
        self.known, self.unreadable = {}, []
        self.buddies = {}   # id(widget) -> the text of the QLabel whose buddy it is
        for window in windows:
            for label in self.core.QObject.findChildren(window, self.W.QLabel):
                try:
                    buddy = self.W.QLabel.buddy(label)
                    if buddy is not None:
                        self.buddies[id(buddy)] = self.W.QLabel.text(label)
                except Exception:   # read again, and recorded, as the label's own entry
                    pass

        def walk(widget, depth):
            try:
                kind = self.kind(widget)
                out.append(self.describe(widget, kind, depth))
            except Exception as exc:   # this widget is lost, never the tree
                kind = "unreadable"
                out.append(self.unreadable_entry(widget, depth, exc))
            if kind in ("combo", "text", "list", "entry", "scrollbar", "button"):
                return   # their children are the widget's own parts
            try:
                children = self.children(widget)
            except Exception:
                return
            for child in children:
                walk(child, depth + 1)

        for window in windows:
            walk(window, 1)
        return out

    def unreadable_entry(self, w, depth: int, exc: Exception) -> dict:
        try:
            wid = self.wid(w)
        except Exception:
            wid = f"unreadable{len(self.unreadable)}"
        entry = {"id": wid, "class": type(w).__name__, "error": f"{type(exc).__name__}: {exc}"[:300]}
        self.unreadable.append(entry)
        return {**entry, "kind": "unreadable", "depth": depth, "text": "", "enabled": False, "editable": False,
                "visible": False, "geometry": [0, 0, 0, 0]}

    def describe(self, w, kind: str, depth: int) -> dict:
        W, QWidget = self.W, self.W.QWidget
        wid = self.wid(w)
        text = self.contents(w, kind)
        shown = self.scrolled(w) if kind == "text" and isinstance(w, W.QLabel) else w   # what a person sees of it
        top_left = QWidget.mapToGlobal(shown, self.core.QPoint(0, 0))
        editable = kind in ("entry", "text") and QWidget.isEnabled(w) and not self.read_only(w)
        out = {"id": wid, "kind": kind, "class": type(w).__name__, "depth": depth,
               "text": text if len(text) <= 300 else text[:300] + "…", "enabled": QWidget.isEnabled(w),
               "editable": editable, "visible": QWidget.isVisible(w),
               "geometry": [top_left.x(), top_left.y(), QWidget.width(shown), QWidget.height(shown)]}
        if isinstance(w, W.QLineEdit):
            out["placeholder"] = W.QLineEdit.placeholderText(w)
        if kind == "combo":
            out["items"] = self.items(w)
        if kind == "tabs":
            T = W.QTabWidget
            out["tabs"] = [{"title": plain(T.tabText(w, i)), "enabled": T.isTabEnabled(w, i),
                            "current": T.currentIndex(w) == i} for i in range(T.count(w))]
        out.update(self.captions(w, kind))
        self.known[wid] = w
        return out

    def read_only(self, w) -> bool:
        W = self.W
        for cls in (W.QLineEdit, W.QTextEdit, W.QPlainTextEdit, W.QAbstractSpinBox):
            if isinstance(w, cls):
                return cls.isReadOnly(w)
        return False

    def items(self, combo) -> list:
        C = self.W.QComboBox
        return [C.itemText(combo, i) for i in range(C.count(combo))]

    def wid(self, w) -> str:
        """A widget's id in the tree: its C++ address, stable while it lives."""
        return f"q{self.sip.unwrapinstance(w):x}"

    def captions(self, w, kind: str) -> dict:
        """What a person reads around a widget: its form label or buddy label, the title of the group
        box it sits in, the tab it is on (and whether that tab is current and enabled), its tooltip,
        its role in a dialog's button box."""
        W, out = self.W, {}
        QWidget = W.QWidget
        label = self.buddies.get(id(w))
        parent = QWidget.parentWidget(w)
        layout = QWidget.layout(parent) if parent is not None else None
        if label is None and isinstance(layout, W.QFormLayout):
            field_label = W.QFormLayout.labelForField(layout, w)
            if isinstance(field_label, W.QLabel):
                label = W.QLabel.text(field_label)
        if label:
            out["label"] = plain(label)
        tooltip = QWidget.toolTip(w)
        if tooltip:
            out["tooltip"] = plain(tooltip)
        chain, up = [w], parent
        while up is not None:
            if isinstance(up, W.QGroupBox) and "box" not in out and W.QGroupBox.title(up):
                out["box"] = plain(W.QGroupBox.title(up))
            if isinstance(up, W.QTabWidget) and "tab" not in out:   # the page is an ancestor below it
                T = W.QTabWidget
                index = next((i for i in range(T.count(up)) if any(T.widget(up, i) is a for a in chain)), -1)
                if index >= 0:
                    out["tab"] = {"tabs": self.wid(up), "index": index,
                                  "title": plain(T.tabText(up, index)), "enabled": T.isTabEnabled(up, index),
                                  "current": T.currentIndex(up) == index}
            if isinstance(up, W.QDialogButtonBox) and kind == "button" and "button_role" not in out:
                role = W.QDialogButtonBox.buttonRole(up, w)
                out["button_role"] = next((n for n in ("AcceptRole", "RejectRole", "ApplyRole", "ResetRole", "HelpRole",
                                                       "YesRole", "NoRole", "ActionRole", "DestructiveRole")
                                           if getattr(W.QDialogButtonBox, n) == role), "")
            chain.append(up)
            up = QWidget.parentWidget(up)
        return out

    def contents(self, w, kind: str) -> str:
        W = self.W
        if kind in ("window", "dialog"):
            return W.QWidget.windowTitle(w)
        if kind == "group":
            return plain(W.QGroupBox.title(w))
        if kind == "tabs":
            T = W.QTabWidget
            return plain(T.tabText(w, T.currentIndex(w))) if T.count(w) else ""
        if kind == "text" and isinstance(w, W.QLabel):
            return self.label_text(w)
        if kind == "text":
            cls = W.QTextEdit if isinstance(w, W.QTextEdit) else W.QPlainTextEdit
            return cls.toPlainText(w)
        if kind == "combo":
            return W.QComboBox.currentText(w)
        if kind == "list":
            model = W.QAbstractItemView.model(w)
            if model is None:
                return ""
            return "\n".join(str(model.index(row, 0).data() or "") for row in range(model.rowCount()))
        if kind == "label":
            return plain(W.QLabel.text(w))
        if kind in ("button", "checkbox", "radio"):
            return plain(W.QAbstractButton.text(w))
        if kind == "entry":
            cls = W.QLineEdit if isinstance(w, W.QLineEdit) else W.QAbstractSpinBox
            return cls.text(w)
        return ""

    def label_text(self, label) -> str:
        """A label's text as a person reads it: rich text (HTML) rendered to its plain text."""
        from PyQt5.QtGui import QTextDocument
        text, Qt = self.W.QLabel.text(label), self.core.Qt
        rich = self.W.QLabel.textFormat(label)
        if rich == Qt.RichText or (rich == Qt.AutoText and Qt.mightBeRichText(text)):
            document = QTextDocument()
            document.setHtml(text)
            return document.toPlainText()
        return text

    def widget(self, wid: str):
        if wid in (".", ""):
            shown = [w for w in self.windows() if self.W.QWidget.isVisible(w)]
            return shown[0] if shown else None
        w = self.known.get(wid)
        if w is None:
            self.widgets()
            w = self.known.get(wid)
        if w is None or self.sip.isdeleted(w):
            raise WidgetGone(f"no widget {wid}: the program deleted it")
        return w

    # --- commands --------------------------------------------------------------------------------

    def run(self, request: dict) -> dict:
        command = request.get("cmd")
        if command == "tree":
            widgets = self.widgets()
            return {"widgets": widgets, "unreadable": list(self.unreadable)}
        w = self.widget(request.get("id", "."))
        W, Qt = self.W, self.core.Qt
        if command == "read":
            kind = self.kind(w)
            out = {"text": self.contents(w, kind)}
            if kind == "combo":
                out["items"] = self.items(w)
            return out
        if command == "type":
            self.click_into(w)
            self.type(w, request["text"])
        elif command == "set_text":   # a paste, into the field clicked first
            self.click_into(w)
            for cls, setter in ((W.QTextEdit, "setPlainText"), (W.QPlainTextEdit, "setPlainText"),
                                (W.QLineEdit, "setText")):
                if isinstance(w, cls):
                    getattr(cls, setter)(w, request["text"])
                    break
            else:
                raise ValueError(f"cannot paste into a {type(w).__name__}")
        elif command == "key":
            W.QWidget.setFocus(w)
            self.test.keyClick(w, getattr(Qt, KEYS.get(request["keysym"], "Key_" + request["keysym"])))
        elif command == "click":
            # From the event loop, after this answer: a slot may open a modal dialog (a nested loop)
            self.later(lambda: self.click(w))
        elif command == "tab":   # a click on the tab's title in the tab bar, from the event loop
            bar, index = W.QTabWidget.tabBar(w), int(request["index"])
            self.later(lambda: self.test.mouseClick(bar, Qt.LeftButton, Qt.NoModifier,
                                                    W.QTabBar.tabRect(bar, index).center()))
        elif command == "screenshot":
            if not W.QWidget.grab(w).save(request["path"], "PNG"):
                raise OSError("could not save the picture")
        elif command == "choose":
            self.choose(w, request["text"])
        elif command == "close":
            # As a window manager does: close events for the windows, from the event loop
            shown = [x for x in self.windows() if W.QWidget.isVisible(x)]
            # the windows, not a dialog on top; a dialog that is the application's only window is its window
            targets = [w] if request.get("id", ".") not in (".", "") else \
                [x for x in shown if not isinstance(x, W.QDialog)] or shown
            for target in targets:
                self.later(lambda target=target: W.QWidget.close(target))
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
        QWidget, Qt = self.W.QWidget, self.core.Qt
        QWidget.activateWindow(w)
        pos = self.core.QPoint(max(1, QWidget.width(w) - 4), max(1, QWidget.height(w) // 2))
        self.test.mouseClick(w, Qt.LeftButton, Qt.NoModifier, pos)
        QWidget.setFocus(w)
        self.test.keyClick(w, Qt.Key_End, Qt.ControlModifier if self.kind(w) == "text" else Qt.NoModifier)

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
        C = self.W.QComboBox
        index = C.findText(combo, text)
        if index < 0:
            raise NotThere(f"the combo box has no item {text!r}")
        self.W.QWidget.setFocus(combo)
        self.test.keyClick(combo, self.core.Qt.Key_Home)
        for _ in range(index):
            self.test.keyClick(combo, self.core.Qt.Key_Down)
        if C.currentIndex(combo) != index:   # an editable combo box takes keys as text
            C.setCurrentIndex(combo, index)
            C.activated.__get__(combo, C).emit(index)


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


_timers: list = []


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
            # the class's own signal and a timer kept here: a subclass may shadow any attribute
            QtCore.QCoreApplication.aboutToQuit.__get__(self, QtCore.QCoreApplication).connect(
                lambda: probe._state.__setitem__("gui_gone", True))
            timer = QtCore.QTimer()
            timer.timeout.connect(lambda: (_run_marshalled(), probe.pump(adapter)))
            timer.start(PUMP_MS)
            _timers.append(timer)

    QApplication.__name__ = QApplication.__qualname__ = "QApplication"
    widgets_module.QApplication = QApplication


def _abort_in_event_loop(QtCore):
    """PyQt5 (5.5 and later) aborts the program on an exception a slot does not catch, when
    sys.excepthook is Python's own: the probe's hook must not change that."""
    def after_uncaught():
        if QtCore.QThread.currentThread().loopLevel() > 0:
            QtCore.qFatal("Unhandled Python exception")
    return after_uncaught
