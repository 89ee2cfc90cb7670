"""The GUI probe on small Tk programs: the widget tree, typing (Unicode too), a frozen GUI told from
a dead one, and a network thread's uncaught exception reported."""
import shutil

import pytest

from conformance.harness.failure import CheckFailure
from conformance.harness.gui import VirtualScreen, Widgets
from tests.gui_programs import gui_programs

pytestmark = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="Xvfb is not installed")


@pytest.fixture(scope="module")
def screen():
    screen = VirtualScreen()
    screen.start()
    yield screen
    screen.stop()


@pytest.fixture
def start(screen, tmp_path):
    with gui_programs(tmp_path, {"DISPLAY": screen.display}, screen) as run:
        yield run


WINDOW = """
    import threading, time, tkinter as tk
    root = tk.Tk()
    root.title("probe test")
    shown = tk.Listbox(root)
    shown.pack()
    entry = tk.Entry(root)
    entry.pack()
    def post():
        shown.insert("end", "me: " + entry.get())
        entry.delete(0, "end")
    tk.Button(root, text="Post", command=post).pack()
    tk.Button(root, text="Freeze", command=lambda: time.sleep(30)).pack()
    def network():
        raise ConnectionResetError("the network thread died")
    tk.Button(root, text="Crash", command=lambda: threading.Thread(target=network, name="net").start()).pack()
    root.mainloop()
"""


def test_tree_typing_and_sending(start):
    app = start(WINDOW)
    layout = Widgets(app.probe.tree())
    assert layout.display()["kind"] == "list" and layout.input()["kind"] == "entry"
    assert layout.send_button()["text"] == "Post"
    app.send("Žluťoučký kůň, 100% ok!")
    assert app.display_text() == "me: Žluťoučký kůň, 100% ok!"


def test_a_frozen_gui_is_told_from_a_dead_one(start):
    app = start(WINDOW)
    freeze = next(w for w in app.probe.tree() if w["text"] == "Freeze")
    with pytest.raises(CheckFailure, match="the GUI thread is blocked"):   # the click runs time.sleep(30)
        app.probe.call("click", id=freeze["id"], timeout=1.0)
    assert app.term.alive()


def test_a_dying_network_thread_is_reported(start):
    app = start(WINDOW)
    crash = next(w for w in app.probe.tree() if w["text"] == "Crash")
    app.probe.call("click", id=crash["id"])
    app.wait_display(lambda t: True, "anything")   # a round trip: the thread has run by now
    exceptions = app.probe.exceptions()
    assert exceptions and exceptions[0]["where"] == "thread net"
    assert "ConnectionResetError: the network thread died" in exceptions[0]["traceback"]
