"""brace PyQt5 client suite, BC1–BC13: the scripted peer plays the handed-out server byte for byte
(at 127.0.0.1:33002, where every real submission connects), the GUI probe plays the user (it fills
the fields, clicks Connect, picks a recipient, types and sends, reads the chat display)."""
from __future__ import annotations

from collections import Counter

import pytest

from conformance.harness import buffers, procstate, settings
from conformance.harness.failure import CheckFailure, about
from conformance.harness.gui import new_lines, poll
from conformance.brace.steps import CZECH, BraceClient, clients, expect_bytes, msg, send_bare, welcome

requirement = pytest.mark.requirement
NAME = "alice"


@pytest.fixture
def gui(scripted, launch_gui) -> BraceClient:
    # the server listens before the program starts, as the handed-out one does when a person starts
    # it first: a client that connects at start-up (a connect() at module level) finds it there
    return BraceClient(launch_gui("client"), NAME)


REGISTER = f"{{REGISTER}}{NAME}".encode()


class Answering:
    """The server's part of connecting, as the handed-out server plays it: {REGISTER}alice is answered
    with the greeting as soon as it is complete, also while the harness still waits for the program's
    main window (a program may show its chat window only once the server has welcomed it)."""

    def __init__(self, scripted, greeting: bytes | None):
        self.scripted, self.greeting = scripted, greeting
        self.wire = None
        self.answered = False

    def __call__(self) -> None:
        if self.wire is None:
            self.wire = self.scripted.accept_ready()
        if self.wire is not None and not self.answered and self.wire.unread()[:len(REGISTER)] == REGISTER:
            self.answer(self.wire)

    def answer(self, wire) -> None:
        with about("BC1"):
            expect_bytes(wire, REGISTER, "the registration")
        if self.greeting is not None:
            wire.send(self.greeting)
        self.answered = True


def connect(gui: BraceClient, scripted, greeting: bytes | None = None, answering: Answering | None = None):
    """Connect as a person does; the wire past {REGISTER}alice and (unless None) the greeting."""
    answering = answering or Answering(scripted, greeting)
    gui.connect(answering)
    wire = answering.wire or scripted.accept(why=" after the Connect button was clicked")
    if not answering.answered:
        answering.answer(wire)
    return wire


@pytest.fixture
def wire(gui, scripted):
    """Connected; the server greeted alice as the handed-out server does, and the welcome is shown
    (so what a test shows next is all that is new)."""
    wire = connect(gui, scripted, welcome(NAME))
    with about("BC4"):
        gui.wait_display(lambda t: "Welcome alice!" in t, "the welcome", timeout=settings.wait(settings.STARTUP))
    return wire


# The {CLIENTS} lists the tests send: a client that shows one fails BC5, not the test that sent it.
LISTS = (NAME, f"{NAME}|bob", f"{NAME}|bob|carol", f"{NAME}|carol")


def shown_once(gui: BraceClient, before: str, texts: list, what: str, lists: tuple = LISTS) -> None:
    """Each text shown on exactly one new line, whole, and no other line added (but a {CLIENTS} list:
    see LISTS)."""
    after = gui.wait_display(lambda t: all(x in t for x in texts), what, timeout=settings.wait(settings.STARTUP))
    added = [line for line in new_lines(before, after) if line.strip() and line.strip() not in lists]
    counts = {x: sum(line.count(x) for line in added) for x in texts}
    extra = [line for line in added if not any(x in line for x in texts)]
    # two messages on one line, or a header between them: the stream was not split where a message starts
    glued = [line for line in added if sum(x in line for x in texts) > 1 or "{MSG}" in line or "{CLIENTS}" in line]
    if any(n != 1 for n in counts.values()) or extra or glued:
        raise CheckFailure(f"Not shown once and whole: {what}.", expected=[f"one line with {x!r}" for x in texts],
                           actual=added or "[nothing new]")


@requirement("BC1", name="register")
def test_register(gui, scripted):
    wire = connect(gui, scripted, welcome(NAME))
    wire.expect_silence(why=" after {REGISTER}alice (the server frames nothing: a newline or a second "
                            "message would become part of the name)")


@requirement("BC2", name="status")
def test_status(gui, scripted, transcript):
    answering = Answering(scripted, welcome(NAME))
    if gui.prepare(answering):
        gui.wait_status(False, "before connecting")
    else:
        transcript.note("the settings dialog connected at once: no 'before connecting' to check")
    wire = connect(gui, scripted, welcome(NAME), answering)
    gui.wait_status(True, "once connected")
    gui.disconnect()
    gui.wait_status(False, "after disconnecting")
    wire.close()


def wait_items(gui: BraceClient, names: list, when: str) -> None:
    """The combo box: ALL once, and each name once (the user's own may be left out), nothing else."""
    def listed(items: list) -> bool:
        rest = Counter(item for item in items if item != "ALL")
        return items.count("ALL") == 1 and rest in (Counter(names), Counter(n for n in names if n != gui.name))
    items, ok = poll(gui.combo_items, listed, settings.wait(settings.EVENT))
    if not ok:
        raise CheckFailure(f"The combo box does not list ALL and the users {when}.", expected=["ALL", *names],
                           actual=items)


@requirement("BC3", name="combo-follows-clients")
def test_combo_follows_clients(gui, wire):
    wait_items(gui, [NAME], "after the welcome's {CLIENTS}alice")
    wire.send(clients(NAME, "bob", "carol"))
    wait_items(gui, [NAME, "bob", "carol"], "after {CLIENTS}alice|bob|carol")
    wire.send(clients(NAME, "carol"))
    wait_items(gui, [NAME, "carol"], "after {CLIENTS}alice|carol (bob left)")


WELCOMES = {"handed-out": (welcome(NAME), "Welcome alice!", "{MSG}"),
            "as-written": (b"{alice}Welcome, alice!" + clients(NAME), "Welcome, alice!", "{alice}")}


@pytest.mark.parametrize("form", WELCOMES)
@requirement("BC4", name="welcome")
def test_welcome(gui, scripted, form):
    greeting, text, header = WELCOMES[form]
    connect(gui, scripted, greeting)
    shown = gui.wait_display(lambda t: text in t, f"the welcome {text!r}", timeout=settings.wait(settings.STARTUP))
    line = next(line for line in shown.splitlines() if text in line)
    before = line[:line.index(text)]
    if header in line or "{CLIENTS}" in shown or before.rstrip().endswith("}"):   # "e}Welcome": a header cut short
        raise CheckFailure(f"The welcome was shown with its header ({form} form: {greeting!r}).",
                           expected=text, actual=line)


@requirement("BC5", name="clients-not-shown")
def test_clients_not_shown(gui, wire):
    wire.send(clients(NAME, "bob"))
    wire.send(msg("bob: after the list"))   # the barrier: shown only after the list was handled
    shown = gui.wait_display(lambda t: "bob: after the list" in t, "bob's message after a {CLIENTS}",
                             timeout=settings.wait(settings.STARTUP))
    lists = [line for line in shown.splitlines() if "CLIENTS" in line or line.strip() in (NAME, f"{NAME}|bob")]
    if lists:
        raise CheckFailure("A {CLIENTS} list was shown in the chat window; it is for the combo box only.",
                           expected="no line with a {CLIENTS} list", actual=lists)


@requirement("BC6", name="send-all")
def test_send_all(gui, wire):
    gui.send("hello everyone")
    expect_bytes(wire, b"{ALL}hello everyone", "the message to ALL")
    gui.send(CZECH)
    expect_bytes(wire, ("{ALL}" + CZECH).encode(), "the next message to ALL (UTF-8), right after the first")


@requirement("BC7", name="send-private")
def test_send_private(gui, wire):
    wire.send(clients(NAME, "bob", "carol"))
    with about("BC3"):
        wait_items(gui, [NAME, "bob", "carol"], "after {CLIENTS}alice|bob|carol")
    gui.choose("bob")
    gui.send("just for bob")
    expect_bytes(wire, b"{bob}just for bob", "the message to bob chosen in the combo box")
    gui.choose("carol")
    gui.send(CZECH)
    expect_bytes(wire, ("{carol}" + CZECH).encode(), "the message to carol (UTF-8)")


INCOMING = {"broadcast": (msg("bob: hi there"), "bob: hi there"),
            "notice": (msg("carol has joined the chat!"), "carol has joined the chat!"),
            "private": ("bob: psst, only you".encode(), "bob: psst, only you")}


@pytest.mark.parametrize("kind", INCOMING)
@requirement("BC8", name="incoming")
def test_incoming(gui, wire, kind):
    data, text = INCOMING[kind]
    before = gui.display()
    if kind == "private":
        send_bare(wire, data)
    else:
        wire.send(data)
    shown_once(gui, before, [text], f"the {kind} {data!r}")
    lines = [line for line in gui.display().splitlines() if text in line]
    if any("{" in line for line in lines):
        raise CheckFailure(f"The {kind} was shown with its header.", expected=text, actual=lines)


FRAMING = {  # case: (messages, delivery policy, the texts that must each be shown once)
    "two-in-one-read": ([msg("bob: one"), msg("carol: two")], "coalesced", ["bob: one", "carol: two"]),
    "three-in-one-read": ([msg("bob: one"), clients(NAME, "bob", "carol"), msg("carol: two")], "coalesced",
                          ["bob: one", "carol: two"]),
    "cut-across-reads": ([msg("bob: " + "a long message, " * 12 + "end")], "chops",
                         ["bob: " + "a long message, " * 12 + "end"]),
    "byte-by-byte": ([msg("bob: one byte at a time")], "bytewise", ["bob: one byte at a time"]),
    "utf8-split": ([msg("bob: " + CZECH)], "utf8-split", ["bob: " + CZECH]),
}


@pytest.mark.parametrize("case", FRAMING)
@requirement("BC9", name="framing")
def test_framing(gui, wire, case):
    messages, policy, texts = FRAMING[case]
    before = gui.display()
    wire.send(*messages, policy=policy)
    shown_once(gui, before, texts, f"{case}: {b''.join(messages)!r} delivered {policy}")


@requirement("BC10", name="disconnect")
def test_disconnect(gui, scripted):
    wire = connect(gui, scripted, welcome(NAME))
    gui.wait_display(lambda t: "Welcome alice!" in t, "the welcome", timeout=settings.wait(settings.STARTUP))
    gui.disconnect()
    expect_bytes(wire, b"{QUIT}", "the goodbye when Disconnect is clicked")
    wire.expect_closed(why=" after {QUIT}")
    with about("BC2"):
        gui.wait_status(False, "after disconnecting")
    again = connect(gui, scripted, welcome(NAME))
    again.expect_silence(why=" after connecting again")


@requirement("BC11", name="close-window")
def test_close_window(gui, wire):
    gui.app.close_window()
    expect_bytes(wire, b"{QUIT}", "the goodbye when the window is closed")
    gui.app.expect_exit_after_close()


@requirement("BC12", name="server-silent")
def test_server_silent(gui, scripted):
    """The server sends nothing at all (no welcome): the window answers and typing works."""
    connect(gui, scripted, greeting=None)
    entry = gui.look_for(lambda w: w.message_input(), "the message input", "an editable message field")
    gui.probe.call("type", id=entry["id"], text="typing on")
    if "typing on" not in gui.probe.call("read", id=entry["id"])["text"]:
        raise CheckFailure("Typing did not work while the server was silent.")


@requirement("BC12", name="server-not-reading")
def test_server_not_reading(gui, wire):
    """The server stops reading: the client's sends pile up, but the GUI must stay responsive."""
    wire.pause_reading()
    big, pasted = "z" * 30_000, 0   # a QLineEdit holds 32767 characters
    while pasted <= buffers.holds(wire.sock, gui.app.term.pid) + len(big):   # far past the socket buffers
        gui.send(big, paste=True)
        pasted += len(big)
    entry = gui.look_for(lambda w: w.message_input(), "the message input", "an editable message field")
    gui.probe.call("type", id=entry["id"], text="still typing")
    if "still typing" not in gui.probe.call("read", id=entry["id"])["text"]:
        raise CheckFailure("Typing did not work while the server was not reading.")
    wire.send(msg("bob: news while you wait"))
    gui.wait_display(lambda t: "bob: news while you wait" in t, "bob's message, received while the client's own "
                     "sends are stuck", timeout=settings.wait(settings.STARTUP))


@requirement("BC12", name="gui-thread-only")
def test_gui_thread_only(gui, wire):
    """Receiving and showing messages must not use a widget from the network thread."""
    wire.send(clients(NAME, "bob"))
    wire.send(msg("bob: hello"))
    wire.send(msg("carol: hello too"))
    gui.wait_display(lambda t: "carol: hello too" in t, "the two messages", timeout=settings.wait(settings.STARTUP))
    touches = gui.probe.call("exceptions")["thread_touches"]
    if touches:
        first = touches[0]
        raise CheckFailure(f"A widget was used from the thread {first['thread']!r}, not the GUI thread "
                           f"({len(touches)} time(s)): use a pyqtSignal (or QTimer) to hand data to the GUI.",
                           expected="widgets used only from the GUI thread",
                           actual=f"{first['call']} called from\n{first['stack']}")


@requirement("BC13", name="markup-literal")
def test_markup_literal(gui, wire):
    text = "bob: <b>bold</b> & <i>it</i> &amp; &lt;x&gt; <a href='x'>link</a>"
    wire.send(msg(text))
    shown = gui.wait_display(lambda t: "bob:" in t and "link" in t, "bob's message with markup",
                             timeout=settings.wait(settings.STARTUP))
    if text not in shown:
        raise CheckFailure("Markup was rendered instead of shown.", expected=text, actual=shown[-400:])


@requirement("BC12", name="server-closed")
def test_server_closed(gui, wire, request):
    """The server closes the connection: the client notices and waits for the user, using no CPU (a
    loop on recv() returning b'' uses a whole core)."""
    wire.close()
    gui.probe.call("ping")
    share = procstate.cpu_share(gui.app.term.pid, settings.wait(settings.IDLE_WINDOW))
    if share is None:
        pytest.skip("the client's CPU time cannot be seen here (no /proc)")
    if share > settings.IDLE_CPU:
        raise CheckFailure("The client keeps working after the server closed the connection: it should wait "
                           "for the user (does it loop on recv() returning b''?).",
                           expected=f"at most {settings.IDLE_CPU:.0%} of a core",
                           actual=f"{share:.0%} of a core over {settings.wait(settings.IDLE_WINDOW):.2f}s")


@requirement("BC6", "BC7", "BC8", name="live")
def test_live(launch_gui, live_server, raw):
    """With the reference server (which behaves like the handed-out one): carol, played by the suite,
    and alice, the candidate, exchange a broadcast and private messages both ways."""
    carol = raw(live_server).connect()
    carol.send(b"{REGISTER}carol")
    carol.read_until(b"{MSG}Welcome carol!", what="the server's welcome to carol")
    alice = BraceClient(launch_gui("client"), "alice", live_server)
    alice.connect()
    with about("BC1"):
        alice.wait_display(lambda t: "Welcome alice!" in t, "the server's welcome",
                           timeout=settings.wait(settings.STARTUP))
    with about("BC3"):
        wait_items(alice, ["carol", "alice"], "with carol and alice in the room")
    alice.send("hello from alice")
    with about("BC6"):
        carol.read_until(b"{MSG}alice: hello from alice", what="alice's broadcast, relayed by the server")
    with about("BC8"):
        alice.wait_display(lambda t: "alice: hello from alice" in t, "alice's broadcast, as the server relays it")
    carol.send(b"{alice}psst alice")
    with about("BC8"):
        alice.wait_display(lambda t: "carol: psst alice" in t, "carol's private message")
    alice.choose("carol")
    alice.send("psst carol")
    with about("BC7"):
        got = carol.read_until(b"alice: psst carol", what="alice's private message to carol, relayed by the server")
        if got.endswith(b"{MSG}alice: psst carol"):
            raise CheckFailure("alice's message to carol went to everyone: the server relayed it as a broadcast.",
                               expected=b"alice: psst carol (a private message, {carol}psst carol from alice)",
                               actual=got[-200:])
