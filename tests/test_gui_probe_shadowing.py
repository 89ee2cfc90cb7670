"""No student class can break the GUI probe: for every method name the probe calls on a widget (read
from the probe's own code, tests/shadowing.py), a program whose widgets all shadow that name with an
attribute of another type is read whole, exactly as the same program without the shadowing; and the
reference clients, made to shadow every such name at once, still pass their whole suites."""
import shutil
import textwrap

import pytest

from conformance.harness.gui import poll
from tests.gui_programs import gui_programs, virtual_screen
from conformance.selftest.checks import ROOT, check, explain
from tests.shadowing import shadowable, shadowing, shadowing_copy
from tests.system import need

# Every kind of widget and caption the Qt adapter reads: a form layout's labels, a buddy, a group
# box, tabs, a button box, a placeholder, a tooltip, read-only text; the window keeps its layout in
# `self.layout`, the idiom that broke the probe.
QT_WINDOW = """
    import sys
    from PyQt5.QtWidgets import (QApplication, QCheckBox, QComboBox, QDialogButtonBox, QFormLayout, QGroupBox,
                                 QLabel, QLineEdit, QListWidget, QPlainTextEdit, QPushButton, QRadioButton,
                                 QSpinBox, QTabWidget, QTextEdit, QVBoxLayout, QWidget)

    class Window(QWidget):
        def __init__(self):
            super().__init__()
            self.setWindowTitle("Shadow chat")
            self.layout = QVBoxLayout(self)
            self.tabs = QTabWidget()
            page, other = QWidget(), QWidget()
            form = QFormLayout(page)
            self.name = QLineEdit()
            self.name.setPlaceholderText("your name")
            form.addRow("Username:", self.name)
            self.port = QSpinBox()
            self.port.setMaximum(65535)
            self.port.setValue(33002)
            form.addRow("Port:", self.port)
            self.tabs.addTab(page, "&Login")
            self.tabs.addTab(other, "Chat")
            inner = QVBoxLayout(other)
            self.display = QTextEdit()
            self.display.setReadOnly(True)
            self.display.append("welcome")
            inner.addWidget(self.display)
            self.log = QPlainTextEdit("a log")
            inner.addWidget(self.log)
            self.layout.addWidget(self.tabs)
            box = QGroupBox("Send to")
            box_layout = QVBoxLayout(box)
            self.to = QComboBox()
            self.to.addItems(["ALL", "bob"])
            box_layout.addWidget(self.to)
            self.people = QListWidget()
            self.people.addItems(["ann", "bob"])
            box_layout.addWidget(self.people)
            self.layout.addWidget(box)
            buddy = QLabel("&Message")
            self.entry = QLineEdit()
            self.entry.setToolTip("what to say")
            buddy.setBuddy(self.entry)
            self.layout.addWidget(buddy)
            self.layout.addWidget(self.entry)
            self.layout.addWidget(QCheckBox("Sound"))
            self.layout.addWidget(QRadioButton("Private"))
            self.send_button = QPushButton("Send")
            self.layout.addWidget(self.send_button)
            buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
            self.layout.addWidget(buttons)

    app = QApplication(sys.argv)
    window = Window()
    window.show()
    sys.exit(app.exec_())
"""

TK_WINDOW = """
    import tkinter as tk
    from tkinter import scrolledtext, ttk

    class App(tk.Tk):
        def __init__(self):
            super().__init__()
            self.title("Shadow chat")
            self.notebook = ttk.Notebook(self)
            page, other = ttk.Frame(self.notebook), ttk.Frame(self.notebook)
            self.notebook.add(page, text="Login")
            self.notebook.add(other, text="Chat")
            self.notebook.pack()
            tk.Label(page, text="Username:").pack()
            self.name = tk.Entry(page)
            self.name.insert(0, "ann")
            self.name.pack()
            self.display = scrolledtext.ScrolledText(other, height=5)
            self.display.insert("end", "welcome")
            self.display.pack()
            box = tk.LabelFrame(self, text="Send to")
            box.pack()
            self.people = tk.Listbox(box)
            self.people.insert("end", "ann", "bob")
            self.people.pack()
            self.to = ttk.Combobox(box, values=["ALL", "bob"])
            self.to.pack()
            self.entry = ttk.Entry(self)
            self.entry.pack()
            tk.Checkbutton(self, text="Sound").pack()
            tk.Button(self, text="Send").pack()

    App().mainloop()
"""

WINDOWS = {"qt": textwrap.dedent(QT_WINDOW), "tk": textwrap.dedent(TK_WINDOW)}


def needs(toolkit: str):
    if toolkit == "qt":
        pytest.importorskip("PyQt5.QtWidgets")
    else:
        need("Xvfb", what="a Tk program")


def names_of(toolkit: str) -> list:
    try:
        needs(toolkit)
    except pytest.skip.Exception:
        return []
    return list(shadowable(toolkit, WINDOWS[toolkit])[0])


@pytest.fixture(scope="module")
def screen():
    with virtual_screen() as screen:
        yield screen


def environment(toolkit, screen, tmp_path) -> dict:
    if toolkit == "qt":
        return {"QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}
    return {"DISPLAY": screen.display}


def seen(tree: list) -> list:
    """What a person and the suite read of each widget (ids are addresses: they differ per process)."""
    keep = ("kind", "class", "depth", "text", "enabled", "editable", "visible", "geometry", "label",
            "placeholder", "box", "tooltip", "button_role", "items")
    return [{**{k: w[k] for k in keep if k in w}, "tab": (w.get("tab") or {}).get("title"),
             "tabs": [t["title"] for t in w.get("tabs", [])]} for w in tree]


def tree_of(toolkit, source, screen, tmp_path, like: list | None = None) -> list:
    """The window's tree once it is laid out: equal to `like`, or else the same on two reads in a row
    (a window manager maps a window's widgets one after another)."""
    with gui_programs(tmp_path, environment(toolkit, screen, tmp_path), screen) as run:
        app = run(source)
        last = []

        def settled(tree):
            nonlocal last
            done = seen(tree) == like if like is not None else seen(tree) == last
            last = seen(tree)
            return done
        tree, _ = poll(app.probe.tree, settled, 5.0, every=0.1)
        assert not app.probe.unreadable, app.probe.transcript.render()
        return tree


@pytest.fixture(scope="module")
def unshadowed(screen, tmp_path_factory):
    trees = {}

    def get(toolkit):
        if toolkit not in trees:
            trees[toolkit] = seen(tree_of(toolkit, shadowing(WINDOWS[toolkit], (), toolkit), screen,
                                          tmp_path_factory.mktemp(f"plain-{toolkit}")))
        return trees[toolkit]
    return get


def test_the_names_come_from_the_probes_code():
    """A call the probe makes through a class (`QWidget.layout(w)`) or on an object counts: the list
    is read from the adapters, so a new call is covered without editing the tests."""
    pytest.importorskip("PyQt5.QtWidgets")
    qt = shadowable("qt", WINDOWS["qt"])[0]
    assert {"layout", "text", "children", "show", "close", "update", "title", "isVisible", "windowTitle",
            "findChildren", "parentWidget", "toPlainText"} <= set(qt), qt
    tk, left_out = shadowable("tk", WINDOWS["tk"])
    assert {"title", "config", "get", "winfo_children", "cget"} <= set(tk)
    assert all("tkinter's" in why for why in left_out.values())


@pytest.mark.parametrize("toolkit,name", [("qt", n) for n in names_of("qt")] + [("tk", n) for n in names_of("tk")])
def test_a_window_whose_widgets_shadow_a_name_is_read_whole(toolkit, name, screen, unshadowed, tmp_path):
    needs(toolkit)
    tree = tree_of(toolkit, shadowing(WINDOWS[toolkit], (name,), toolkit), screen, tmp_path, unshadowed(toolkit))
    assert not [w for w in tree if w["kind"] == "unreadable"]
    assert seen(tree) == unshadowed(toolkit)


def test_an_unreadable_widget_is_lost_alone(screen, tmp_path):
    """A fault while reading one widget costs that widget (recorded, shown as unreadable), never the tree."""
    needs("qt")
    source = WINDOWS["qt"].replace("app = QApplication(sys.argv)", textwrap.dedent("""
        import chatconform_probe_qt
        _describe = chatconform_probe_qt.QtAdapter.describe
        def describe(self, w, kind, depth):
            if isinstance(w, QCheckBox):
                raise RuntimeError("cannot read this one")
            return _describe(self, w, kind, depth)
        chatconform_probe_qt.QtAdapter.describe = describe
        app = QApplication(sys.argv)"""))
    with gui_programs(tmp_path, environment("qt", screen, tmp_path), screen) as run:
        app = run(source)
        tree = app.probe.tree()
        lost = [w for w in tree if w["kind"] == "unreadable"]
        assert [w["class"] for w in lost] == ["QCheckBox"] and "cannot read this one" in lost[0]["error"]
        assert {w["text"] for w in tree if w["kind"] in ("button", "radio")} >= {"Send", "Private"}
        assert "the probe could not read a QCheckBox" in app.probe.transcript.render()


REFERENCES = {"brace": ("qt", "client.py"), "chat10": ("tk", "client.py")}


@pytest.mark.timeout(900)
@pytest.mark.parametrize("protocol", sorted(REFERENCES))
def test_a_reference_client_that_shadows_every_name_passes_its_suite(protocol, tmp_path):
    toolkit, program = REFERENCES[protocol]
    needs(toolkit)
    if protocol == "chat10":
        needs("tk")
    source = (ROOT / "reference" / protocol / program).read_text()
    names = shadowable(toolkit, source)[0]
    # named as the reference, with the references' shared folder beside it, as scratch.py recognises them
    shutil.copytree(ROOT / "reference" / "common", tmp_path / "common", ignore=shutil.ignore_patterns("__pycache__"))
    submission = shadowing_copy(ROOT / "reference" / protocol, tmp_path / protocol, program, names, toolkit)
    code, document, output = check(protocol, submission, tmp_path, "--role", "client", "--timeout-scale", "2",
                                   "--no-diagnose", forked=True)
    assert document, output
    assert code == 0 and document["summary"]["failed"] == 0 and document["summary"]["error"] == 0, \
        explain(document) or output
