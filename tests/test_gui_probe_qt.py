"""The GUI probe's Qt adapter on small PyQt5 programs (offscreen: no X server): the widget tree,
typing (Unicode too), a combo box chosen by keyboard, a frozen GUI told from a dead one, widgets used
from a worker thread reported (and carried out on the GUI thread), and an exception in a slot ending
the program as PyQt5 ends it."""
import signal

import pytest

from conformance.harness.failure import CheckFailure
from conformance.harness.gui import Widgets, describe_tree
from tests.gui_programs import gui_programs

pytest.importorskip("PyQt5.QtWidgets")


@pytest.fixture
def start(tmp_path):
    with gui_programs(tmp_path, {"QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path)}) as run:
        yield run


WINDOW = """
    import sys, threading, time
    from PyQt5.QtWidgets import QApplication, QComboBox, QLineEdit, QListWidget, QPushButton, QVBoxLayout, QWidget
    app = QApplication(sys.argv)
    window = QWidget()
    shown, entry, combo = QListWidget(), QLineEdit(), QComboBox()
    combo.addItems(["ALL", "bob", "carol"])
    chosen = []
    combo.activated[int].connect(lambda i: chosen.append(combo.itemText(i)))
    def post():
        shown.addItem(combo.currentText() + " " + ",".join(chosen) + ": " + entry.text())
        entry.clear()
    def worker():
        threading.Thread(target=lambda: shown.addItem("from a thread"), name="net").start()
    def fail():
        raise ValueError("a slot failed")
    layout = QVBoxLayout(window)
    for w in (shown, combo, entry):
        layout.addWidget(w)
    for text, slot in (("Post", post), ("Freeze", lambda: time.sleep(30)), ("Worker", worker), ("Fail", fail)):
        button = QPushButton(text)
        button.clicked.connect(slot)
        layout.addWidget(button)
    window.show()
    sys.exit(app.exec_())
"""


def button(app, text):
    return next(w for w in app.probe.tree() if w["kind"] == "button" and w["text"] == text)


def test_tree_typing_choosing_and_sending(start):
    app = start(WINDOW)
    layout = Widgets(app.probe.tree())
    assert layout.display()["kind"] == "list" and layout.input()["kind"] == "entry"
    combo = layout.of_kind("combo")[0]
    assert combo["items"] == ["ALL", "bob", "carol"]
    app.probe.call("choose", id=combo["id"], text="carol")
    app.send("Žluťoučký kůň, 100% ok!")
    # by keyboard, as a person: Home, then Down to each item on the way (each one activated)
    assert app.wait_display(lambda t: t, "the post") == "carol bob,carol: Žluťoučký kůň, 100% ok!"


def test_a_frozen_gui_is_told_from_a_dead_one(start):
    app = start(WINDOW)
    app.probe.call("click", id=button(app, "Freeze")["id"])   # carried out after the answer
    with pytest.raises(CheckFailure, match="the GUI thread is blocked"):
        app.probe.call("tree", timeout=1.0)
    assert app.term.alive()


def test_a_widget_used_from_a_thread_is_reported_and_carried_out(start):
    app = start(WINDOW)
    app.probe.call("click", id=button(app, "Worker")["id"])
    assert app.wait_display(lambda t: "from a thread" in t, "the thread's item") == "from a thread"
    touches = app.probe.call("exceptions")["thread_touches"]
    assert [(t["call"], t["thread"]) for t in touches] == [("QListWidget.addItem", "net")]


def test_an_exception_in_a_slot_ends_the_program_as_pyqt_does(start):
    app = start(WINDOW)
    app.probe.call("click", id=button(app, "Fail")["id"])
    app.term.expect_exit(why=" after an exception in a slot (PyQt5 aborts)")
    child = app.term.child   # killed by SIGABRT (or, in a sandbox, its launcher reports 128 + SIGABRT)
    assert child.signalstatus == signal.SIGABRT or child.exitstatus == 128 + signal.SIGABRT


CAPTIONS = """
    import sys
    from PyQt5.QtWidgets import (QApplication, QDialogButtonBox, QFormLayout, QGroupBox, QLabel, QLineEdit,
                                 QListWidget, QTabWidget, QVBoxLayout, QWidget)
    app = QApplication(sys.argv)
    tabs = QTabWidget()
    home = QWidget()
    column = QVBoxLayout(home)
    box = QGroupBox("&Name")
    QVBoxLayout(box).addWidget(QLineEdit(objectName="boxed"))
    column.addWidget(box)
    form = QFormLayout()
    form.addRow("P&ort:", QLineEdit(objectName="formed"))
    column.addLayout(form)
    tipped = QLineEdit(objectName="tipped")
    tipped.setToolTip("Server address")
    column.addWidget(tipped)
    column.addWidget(QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel))
    room = QWidget()
    inside = QVBoxLayout(room)
    inside.addWidget(QListWidget())
    inside.addWidget(QLineEdit(objectName="message"))
    tabs.addTab(home, "Home")
    tabs.addTab(room, "Chat Room")
    tabs.setTabEnabled(1, False)
    tabs.show()
    sys.exit(app.exec_())
"""


def test_captions_a_person_reads_and_tabs(start):
    """Group box titles, form labels (& dropped), tooltips, button-box roles, tabs: which is in front,
    which enabled, and the tab command."""
    app = start(CAPTIONS)
    tree = app.probe.tree()
    home = [w for w in tree if w["kind"] == "entry" and w["tab"]["title"] == "Home"]
    assert sorted(str((w.get("box"), w.get("label"), w.get("tooltip"))) for w in home) == \
        sorted(str(c) for c in [("Name", None, None), (None, "Port:", None), (None, None, "Server address")])
    assert all(w["tab"]["current"] and w["visible"] for w in home)
    roles = {w["text"]: w.get("button_role") for w in tree if w["kind"] == "button" and w["text"]}
    assert roles == {"OK": "AcceptRole", "Cancel": "RejectRole"}
    tabs = next(w for w in tree if w["kind"] == "tabs")
    assert tabs["tabs"] == [{"title": "Home", "enabled": True, "current": True},
                            {"title": "Chat Room", "enabled": False, "current": False}]
    hidden = [w for w in tree if w.get("tab", {}).get("title") == "Chat Room" and w["kind"] == "list"][0]
    assert not hidden["visible"] and not hidden["tab"]["enabled"]
    app.probe.call("tab", id=tabs["id"], index=0)
    assert "box 'Name'" in describe_tree(tree)


def test_the_threads_of_a_process_and_where_they_wait(start):
    app = start(WINDOW)
    answer = app.probe.call("threads")
    main = next(t for t in answer["threads"] if t["main"])
    assert answer["gui_gone"] is False and not main["daemon"] and "gui.py" in main["own"]
    assert not any(t["name"].startswith("chatconform-probe") for t in answer["threads"])
