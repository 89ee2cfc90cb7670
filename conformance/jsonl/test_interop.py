"""jsonl interop: one student's client talks to another student's server (`chatconform matrix`).

Each test is a short live conversation on a fresh server: the client is driven through its own
terminal, and a raw wire member (the text's literal bytes) is the other side. A test names the
client's and the server's requirement it needs; which side is to blame is not decided here but by
the matrix, from the same test with the reference on the other side."""
from __future__ import annotations

import re

import pytest

from conformance.harness import model, settings
from conformance.harness.failure import CheckFailure
from conformance.jsonl import steps
from conformance.jsonl.steps import CZECH, SERVER, encode

requirement = pytest.mark.requirement


@pytest.fixture
def member(raw, fresh_server):
    """The other side: a raw client, joined before the student's client."""
    wire, own = steps.join(raw(fresh_server))
    return wire, own


@pytest.fixture
def client(launch, fresh_server, member):
    """The student's client, started against the student's server, once the server has announced it."""
    host, port = fresh_server
    term = launch("client", host=host, port=port)
    wire, _ = member
    steps.expect_notice(wire, what="announcing the client's arrival (the client connects at start)")
    term.settle()
    return term


def said_by(wire, text: str, what: str) -> str:
    """The next chat message on the member's wire, which must be `text` from someone else: its source."""
    source, message = steps.next_chat(wire, what)
    while source == SERVER:   # notices (a name, an arrival) may come between: their wording is free
        source, message = steps.next_chat(wire, what)
    if message != text:
        raise CheckFailure(f"The other member did not receive the client's message{' ' + what if what else ''}.",
                           expected=text[:300], actual=message[:300])
    return source


def printed(term, source: str, text: str, what: str) -> None:
    term.expect_match(re.escape(f"{source}: {text}") + "$", f"the line '{source}: {text[:60]}'",
                      timeout=settings.wait(settings.EVENT), why=f" ({what})")


def both_ways(client, member, text: str, what: str) -> None:
    wire, own = member
    client.type(text)
    source = said_by(wire, text, what)
    printed(client, source, text, f"its own message {what}, as the server sends it to everyone")
    wire.send_raw(encode("message", text + " back"))
    printed(client, own, text + " back", f"the other member's message {what}")


@requirement("JC2", "JC6", "JS3", name="message")
def test_message(client, member, rng):
    """A message each way: typed in the client, received by the other member; sent by the other
    member, printed by the client as SOURCE: MESSAGE."""
    both_ways(client, member, steps.text(rng), "")


@requirement("JC2", "JC6", "JS3", name="non-ascii")
def test_non_ascii(client, member, rng):
    both_ways(client, member, f"{steps.text(rng, 2)} {CZECH} ✓", "with non-ASCII characters")


@requirement("JC7", "JS3", name="long")
def test_long(client, member, rng):
    both_ways(client, member, " ".join(steps.text(rng, 8) for _ in range(400))[:20_000], "of 20,000 characters")


@requirement("JC3", "JS4", name="setname")
def test_setname(client, member, rng):
    wire, _ = member
    new, text = steps.name(rng), steps.text(rng)
    client.type(f"/setname {new}")
    steps.expect_notice(wire, new, what="announcing the client's new name")
    client.type(text)
    source = said_by(wire, text, "after /setname")
    if source != new:
        raise CheckFailure("The client's messages do not carry its new name after /setname.",
                           expected=f"source {new!r}", actual=f"source {source!r}")


@requirement("JC5", "JC6", "JS6", name="users")
def test_users(client, member):
    _, own = member
    client.type("/users")
    client.expect_match(re.escape(SERVER) + r".*" + re.escape(own), f"a [Server] line naming {own}",
                        timeout=settings.wait(settings.EVENT), why=" (the answer to /users)")


@requirement("JC4", "JC6", "JS5", name="history")
def test_history(client, member, rng):
    wire, own = member
    text = steps.text(rng)
    wire.send_raw(encode("message", text))
    printed(client, own, text, "the other member's message, as it happens")
    client.type("/history")   # the line again: a wait only looks at lines after the last one matched
    client.expect_match(re.escape(f"{own}: {text}") + "$", f"the line '{own}: {text}' again",
                        timeout=settings.wait(settings.EVENT), why=" (the answer to /history)")


@requirement("JC1", "JS10", name="leave")
def test_leave(client, member, rng):
    """The client's program is closed (its terminal hangs up): the server tells the other member."""
    wire, _ = member
    text = steps.text(rng)
    client.type(text)
    name = said_by(wire, text, "before it leaves")
    client.kill()
    steps.expect_notice(wire, name, what=f"announcing that {name} left")


# The fault profiles (the same as the model's, harness/model.py): the other members misbehave, and the
# client and the server must go on talking.

@requirement("JC7", "JS7", name="slow-member")
def test_slow_member(client, member, rng):
    """The other member's message comes in four writes 200 ms apart. Before its last, the client's
    own message must get through (the server does not wait for the unfinished line); then the
    client prints the slow one whole."""
    wire, own = member
    body = f"{steps.text(rng, 3)} {CZECH} ✓"
    model.trickle(wire, pieces := model.cut(encode("message", body)))
    mine = steps.text(rng)
    client.type(mine)
    said_by(wire, mine, "while the other member's message was still coming in, 200 ms a write")
    wire.send_raw(pieces[-1])
    printed(client, own, body, "written in four writes 200 ms apart")


@requirement("JC6", "JS10", "JS11", name="faulty-members")
def test_faulty_members(client, member, raw, fresh_server, rng):
    """Three more members: one stops reading (a 4 kB window) while the member sends 600 kB, one resets
    in the middle of a line, one half-closes. The member still gets the client's message and the client
    the member's, and every departure is announced."""
    wire, own = member
    clients = raw(fresh_server)
    stalled, _ = steps.join(clients, receive_window=model.STALL_WINDOW)
    stalled.pause_reading()
    for i in range(model.FLOOD):
        model.push(wire, encode("message", f"flood {i} " + "f" * 20_000), "JS11",
                   "While a member stopped reading, the server stopped taking the other member's messages.", in_session=False)
    reset, reset_name = steps.join(clients)
    reset.send_raw(b'{"type": "message", "data": "never fini')
    reset.vanish()
    halfclosed, half_name = steps.join(clients)
    halfclosed.half_close()
    for gone in (reset_name, half_name):
        steps.expect_notice_past(wire, gone, what=f"announcing that {gone} left (past the flood's own messages)")
    mine = steps.text(rng)
    client.type(mine)
    while (got := steps.next_chat(wire, "the client's message, after the faults"))[1] != mine:
        pass   # the flood's echoes and notices
    text = steps.text(rng)
    wire.send_raw(encode("message", text))
    client.expect_match(re.escape(f"{own}: {text}") + "$", f"the line '{own}: {text}'",
                        timeout=settings.wait(settings.BULK), why=" (the member's message after a flood of 600 kB)")
