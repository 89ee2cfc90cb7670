"""chat10 interop: one student's Tk client talks to another student's server (`chatconform matrix`).

Each test is a short live conversation on a fresh server: the client is driven through its window
(the GUI probe types and clicks as a person does), and raw wire members that send the text's literal
CHAT/1.0 bytes are the others. A test names the client's and the server's requirements it needs; the
matrix decides the blame, from the same test with the reference on the other side."""
from __future__ import annotations

import pytest

from conformance.harness import model, settings
from conformance.harness.failure import CheckFailure
from conformance.chat10.steps import CZECH, expect_message, join, leave, read_message, text

requirement = pytest.mark.requirement
NAME = "alice"


@pytest.fixture
def carol(raw, fresh_server, settle_server):
    """A raw member, joined before the client starts (the server acknowledges no JOIN: it is settled)."""
    wire = raw(fresh_server).connect()
    wire.send(join("carol"))
    settle_server()
    return wire


@pytest.fixture
def gui(launch_gui, fresh_server, carol):
    """The student's client, past a login window if it shows one; its JOIN has reached carol."""
    host, port = fresh_server
    app = launch_gui("client", host=host, port=port, username=NAME)
    app.through_login(NAME)
    expect_message(carol, "JOIN", NAME, what="the client's JOIN, forwarded by the server")
    return app


def next_text(wire, what: str):
    """The next TEXT on the wire (JOINs and LEAVEs of others may come first)."""
    got = read_message(wire, what)
    while got.method != "TEXT":
        got = read_message(wire, what)
    return got


def both_ways(gui, carol, body: str, what: str) -> None:
    gui.send(body, paste=len(body) > 100)
    got = next_text(carol, f"the client's message{' ' + what if what else ''}, forwarded")
    if got.username != NAME or got.payload != body.encode("utf-8"):
        raise CheckFailure(f"The client's message {what} did not reach the other member whole.",
                           expected=f"TEXT from {NAME} with the {len(body.encode())}-byte payload {body[:60]!r}",
                           actual=got.raw[:400])
    back = body + " back"
    carol.send(text("carol", back))
    gui.wait_display(lambda t: any("carol" in line and back in line for line in t.splitlines()),
                     f"a line with 'carol' and {back[:40]!r}", timeout=settings.wait(settings.STARTUP))


@requirement("CC3", "CC5", "CS3", name="message")
def test_message(gui, carol):
    both_ways(gui, carol, "Hello there", "")


@requirement("CC3", "CC5", "CS3", name="non-ascii")
def test_non_ascii(gui, carol):
    both_ways(gui, carol, f"{CZECH} ✓", "with non-ASCII characters")


@requirement("CC3", "CC5", "CS3", name="long")
def test_long(gui, carol):
    both_ways(gui, carol, "lorem ipsum " * 400, "of 4,800 characters")


@requirement("CC6", "CS2", "CS4", name="join-leave")
def test_join_leave(gui, carol, raw, fresh_server):
    """Another member comes and goes: the client shows both."""
    before = gui.display_text().count("dave")
    dave = raw(fresh_server).connect()
    dave.send(join("dave"))
    gui.wait_display(lambda t: t.count("dave") > before, "a line about dave joining",
                     timeout=settings.wait(settings.STARTUP))
    joined = gui.display_text().count("dave")
    dave.send(leave("dave"))
    gui.wait_display(lambda t: t.count("dave") > joined, "a line about dave leaving",
                     timeout=settings.wait(settings.STARTUP))


@requirement("CC10", "CS4", name="leave")
def test_leave(gui, carol):
    """The window is closed: the server tells the other member."""
    gui.close_window()
    got = read_message(carol, "the client's LEAVE, forwarded")
    while got.method == "TEXT":
        got = read_message(carol, "the client's LEAVE, forwarded")
    if got.method != "LEAVE" or got.username != NAME:
        raise CheckFailure("Closing the client's window did not reach the other member as a LEAVE.",
                           expected=f"CHAT/1.0 LEAVE, Username: {NAME}", actual=got.raw[:400])


# The fault profiles (the same as the model's, harness/model.py): the other members misbehave, and the
# client and the server must go on talking.

@requirement("CC5", "CC8", "CS6", "CS7", name="slow-member")
def test_slow_member(gui, carol):
    """carol's TEXT comes in four writes 200 ms apart. Before its last, the client's own message must
    reach carol (the server does not wait for her unfinished TEXT, nor forward its start); then the
    client shows carol's whole."""
    body = f"{CZECH} ✓ slowly"
    model.trickle(carol, pieces := model.cut(text("carol", body)))
    gui.send("not held up")
    got = next_text(carol, "the client's message, while carol's own was still coming in, 200 ms a write")
    if got.username != NAME or got.payload != b"not held up":
        raise CheckFailure("The client's message did not reach carol whole while her own came in slowly.",
                           expected=f"TEXT from {NAME}: 'not held up'", actual=got.raw[:400])
    carol.send_raw(pieces[-1])
    gui.wait_display(lambda t: any("carol" in line and body in line for line in t.splitlines()),
                     f"a line with 'carol' and {body!r}", timeout=settings.wait(settings.STARTUP))


@requirement("CC5", "CS6", "CS11", name="faulty-members")
def test_faulty_members(gui, carol, raw, fresh_server, settle_server):
    """Three more members: dan stops reading (a 4 kB window) while carol sends 600 kB, erin resets in
    the middle of a TEXT, fay half-closes. The client and carol still talk both ways, and nothing of
    erin's half TEXT reaches anyone."""
    clients = raw(fresh_server)
    members = {}
    for name, window in (("dan", model.STALL_WINDOW), ("erin", None), ("fay", None)):
        members[name] = clients.connect(receive_window=window)
        members[name].send(join(name))
        settle_server()
    members["dan"].pause_reading()
    for i in range(model.FLOOD):
        model.push(carol, text("carol", f"flood {i} " + "f" * 20_000), "CS11",
                   "While dan stopped reading, the server stopped taking carol's TEXTs.", in_session=False)
    members["erin"].send_raw(b"CHAT/1.0 TEXT\r\nUsername: erin\r\nMsg-len: 40\r\n\r\nnever fini")
    members["erin"].vanish()
    members["fay"].half_close()
    settle_server()
    both_ways(gui, carol, "after the faults", "after a stalled, a reset and a half-closed member")
