"""jsonl server suite, JS1–JS10, with several raw clients. Notice texts are free ("no strict
rules"): the suite checks sources, names and order, not wording. Every test gets a fresh server."""
from __future__ import annotations

import socket
import struct

import pytest

from conformance.harness import settings
from conformance.harness.failure import CheckFailure
from conformance.jsonl import steps
from conformance.jsonl.steps import CZECH, encode, expect_json, expect_notice, next_chat

requirement = pytest.mark.requirement


@pytest.fixture
def clients(raw, server_under_test):
    return raw(server_under_test)


def room(clients, n: int) -> list:
    """n raw clients, each past the arrival notices of itself and of those after it: [(wire, name)]."""
    members = []
    for _ in range(n):
        wire, own = steps.join(clients)
        for other, _ in members:
            expect_notice(other, own, what=f"announcing the arrival of {own}")
        members.append((wire, own))
    return members


def others(members: list, me) -> list:
    return [m for m in members if m is not me]


def barrier(members: list, sender=None) -> None:
    """A chat message the others must get next: proves nothing else was sent to them before it.
    (That the sender gets its own message back is JS3's business alone.)"""
    sender = sender or members[0]
    wire, name = sender
    text = "barrier " + name
    wire.send(encode("message", text))
    for other, _ in others(members, sender):
        expect_json(other, {"type": "message", "data": {"source": name, "message": text}},
                    what="the next message (nothing else was due before it)")


@requirement("JS1", name="listens")
def test_listens(clients):
    clients.connect()


@requirement("JS2", name="arrival-notice")
def test_arrival_notice(clients):
    room(clients, 3)


@requirement("JS3", name="broadcast")
def test_broadcast(clients, rng):
    members = room(clients, 3)
    (a, a_name), (b, b_name) = members[0], members[1]
    texts = [steps.text(rng), f"{steps.text(rng)} {CZECH}", steps.text(rng)]
    a.send(*[encode("message", text) for text in texts])
    for wire, _ in members:   # everyone, sender included, in the order received
        for text in texts:
            expect_json(wire, {"type": "message", "data": {"source": a_name, "message": text}})
    b.send(encode("message", texts[0]))
    for wire, _ in members:
        expect_json(wire, {"type": "message", "data": {"source": b_name, "message": texts[0]}})


@requirement("JS4", name="set-name")
def test_set_name(clients, rng):
    members = room(clients, 2)
    (a, a_name), (b, _) = members
    new, text = steps.name(rng), steps.text(rng)
    a.send(encode("set-name", new))
    for wire, _ in members:
        expect_notice(wire, a_name, new, what=f"announcing that {a_name} is now {new}")
    a.send(encode("message", text))
    expect_json(b, {"type": "message", "data": {"source": new, "message": text}},
                what="a message after the rename, under the new name")


@requirement("JS4", name="name-in-use")
def test_name_in_use(clients, rng):
    members = room(clients, 3)
    (a, _), (b, b_name), (c, _) = members
    b.send(encode("set-name", "taken" + b_name.split(":")[1]))
    taken = "taken" + b_name.split(":")[1]
    for wire, _ in members:
        expect_notice(wire, taken, what="announcing the rename")
    a.send(encode("set-name", taken))
    source, _ = next_chat(a, "a notice refusing the name in use")
    if source != steps.SERVER:
        raise CheckFailure("A name already in use should be refused with a [Server] notice to the requester.",
                           expected="source [Server]", actual=source)
    barrier(members, members[2])   # nobody else heard of the refused attempt


@requirement("JS5", name="history")
def test_history(clients, rng):
    members = room(clients, 2)
    (a, a_name), (b, _) = members
    texts = [steps.text(rng) for _ in range(3)]
    for text in texts:
        a.send(encode("message", text))
        expect_json(b, {"type": "message", "data": {"source": a_name, "message": text}})
    b.send(encode("history", ""))
    for text in texts:   # oldest first, as message objects
        expect_json(b, {"type": "message", "data": {"source": a_name, "message": text}},
                    what="the history, oldest first")
    barrier(members)     # to the requester only


@requirement("JS6", name="users")
def test_users(clients):
    members = room(clients, 3)
    wire, _ = members[1]
    wire.send(encode("users", ""))
    expect_notice(wire, *[name for _, name in members], what="listing every connected user")
    barrier(members)


@pytest.mark.parametrize("policy", ["bytewise", "coalesced", "utf8-split", "chops"])
@requirement("JS7", name="framing")
def test_framing(clients, rng, policy):
    members = room(clients, 2)
    (a, a_name), _ = members
    texts = [f"{CZECH} {steps.text(rng)}", f"{steps.text(rng)} {CZECH}"]
    a.send(*[encode("message", t) for t in texts], policy=policy)
    for text in texts:
        expect_json(members[1][0], {"type": "message", "data": {"source": a_name, "message": text}})


BAD = {
    "invalid-json": b"{nope\n",
    "not-an-object": b'["message", "hi"]\n',
    "unknown-type": encode("shout", "hi"),
    "message-data-not-string": encode("message", {"text": "hi"}),
    "set-name-data-not-string": encode("set-name", 42),
    "invalid-utf8": b'{"type": "message", "data": "\xff"}\n',
}


@pytest.mark.parametrize("bad", BAD)
@requirement("JS8", name="bad-input")
def test_bad_input(clients, bad):
    members = room(clients, 2)
    a, _ = members[0]
    a.send(BAD[bad])
    expect_notice(a, what=f"reporting the error in {BAD[bad]!r} to its sender")
    barrier(members)    # the connection is kept, and nobody else was told


@pytest.mark.parametrize("request_type", ["history", "users"])
@requirement("JS8", name="no-data-accepted")
def test_no_data_accepted(clients, request_type):
    members = room(clients, 1)
    a, a_name = members[0]
    a.send(b'{"type": "%s"}\n' % request_type.encode())
    if request_type == "users":
        expect_notice(a, a_name, what="listing the users (a request without data)")
    barrier(members)


@pytest.mark.parametrize("how", ["clean", "reset", "mid-line"])
@requirement("JS10", name="disconnect")
def test_disconnect(clients, rng, how):
    members = room(clients, 2)
    (a, a_name), (b, _) = members
    if how == "mid-line":
        b.send(b'{"type": "message", "da')
    if how == "reset":
        b.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    b_name = members[1][1]
    b.close()
    expect_notice(a, b_name, what=f"announcing that {b_name} left")
    a.send(encode("set-name", b_name))    # the name is free again
    expect_notice(a, a_name, b_name, what=f"announcing that {a_name} took the freed name {b_name}")
