"""The GUI probe on small Tk programs: the widget tree, typing (Unicode too), a frozen GUI told from
a dead one, and a network thread's uncaught exception reported."""

import pytest

from conformance.harness.failure import CheckFailure
from conformance.harness.gui import VirtualScreen, Widgets
from tests.gui_programs import gui_programs
from tests.system import needing

pytestmark = needing("Xvfb", what="the Tk probe on a virtual screen")


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


NOTEBOOK = """
    import threading, tkinter as tk
    from tkinter import ttk
    root = tk.Tk()
    tabs = ttk.Notebook(root)
    tabs.pack()
    first = ttk.Frame(tabs)
    ttk.Label(first, text="Server:").grid(row=0, column=0)
    tabs.add(first, text="Connection")
    chat = ttk.Frame(tabs)
    box = ttk.LabelFrame(chat, text="Your message")
    box.pack()
    shown = tk.Text(chat)
    shown.pack()
    entry = ttk.Entry(box)
    entry.pack()
    tabs.add(chat, text="Chat")
    def from_thread():
        threading.Thread(target=lambda: shown.insert("end", "from a thread"), name="net").start()
    ttk.Button(first, text="Worker", command=from_thread).grid(row=1, column=0)
    root.mainloop()
"""


def test_notebook_tabs_labelframes_and_widgets_used_from_a_thread(start):
    """The entry on the tab not in front is found (with its LabelFrame's title) and reached by clicking
    its tab; a Text written from another thread is recorded with its stack."""
    app = start(NOTEBOOK)
    tree = app.probe.tree()
    entry = next(w for w in tree if w["kind"] == "entry")
    assert entry["box"] == "Your message" and entry["tab"]["title"] == "Chat" and not entry["tab"]["current"]
    assert not entry["visible"] and Widgets(tree).input()["id"] == entry["id"]   # found behind its tab
    worker = next(w for w in tree if w["kind"] == "button")
    app.probe.call("click", id=worker["id"])
    assert app.wait_display(lambda t: "from a thread" in t, "the thread's text")
    touches = app.probe.call("exceptions")["thread_touches"]
    assert touches and touches[0]["call"] == "Text.insert" and touches[0]["thread"] == "net"
    app.need("message input")    # clicks the Chat tab
    assert next(w for w in app.probe.tree() if w["id"] == entry["id"])["visible"]
