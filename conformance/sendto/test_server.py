"""sendto server suite, SS1–SS10, with several raw clients and a fresh server per test. Fixed packets
are literal bytes (PROTOCOL.md); the rest are built by steps.packet from the format, never by the
reference codec."""
from __future__ import annotations

import time

import pytest

from conformance.harness import settings
from conformance.harness.failure import CheckFailure
from conformance.harness.peer import POLICIES
from conformance.run.servers import expect_listening_beyond_localhost
from conformance.sendto import steps
from conformance.sendto.steps import (EMPTY_LIST, FAILURE, LIST_REQUEST, LOGOUT, MALFORMED, OK, delivery,
                                      expect_packet, log_in, login, packet, sendto, user_list)

requirement = pytest.mark.requirement
CZECH = "Žluťoučký kůň úpěl ďábelské ódy"


@pytest.fixture
def clients(raw, server_under_test):
    return raw(server_under_test)


def still_served(wire, why: str) -> None:
    """The connection is kept and in step: a list gets a LIST next."""
    wire.send(LIST_REQUEST)
    reply = steps.read_packet(wire, f"a LIST for the list sent {why}")
    if reply[0] != 0x81:
        raise CheckFailure(f"The server did not answer a list {why} with a LIST.", expected="LIST (0x81 …)",
                           actual=steps.show(reply))


def wait_name_free(clients, name: str, why: str):
    """Log in as name from a new connection, trying again (each try is answered) until it is free:
    the server learns of a closed connection a moment after the close."""
    wire = clients.connect()
    deadline = time.monotonic() + settings.wait(settings.EVENT)
    while True:
        wire.send(login(name))
        reply = steps.read_packet(wire, f"the reply to login {name}")
        if reply == OK:
            return wire
        if reply != FAILURE:
            raise CheckFailure(f"Wrong reply to login {name}.", expected="RESPONSE ok or failure",
                               actual=steps.show(reply))
        if time.monotonic() > deadline:
            raise CheckFailure(f"The name {name} was not free again {why}.", expected="RESPONSE ok to login",
                               actual="RESPONSE failure on every try")
        wire.expect_silence(settings.wait(settings.QUIET) / 5)   # a pause between tries; nothing may come


@requirement("SS1", name="many-clients")
def test_many_clients(clients):
    names = [f"user{i:02d}" for i in range(20)]
    wires = [log_in(clients, name) for name in names]
    wires[-1].send(LIST_REQUEST)
    expect_packet(wires[-1], user_list(*names), "every name, in login order")
    wires[0].send(sendto(names[-1], "hello from the first"))
    expect_packet(wires[0], OK)
    expect_packet(wires[-1], delivery(names[0], "hello from the first"))


@pytest.mark.parametrize("name", ["John", "\u017dofie", "\u017e" * 20], ids=["ascii", "czech", "20-characters"])
@requirement("SS2", name="login")
def test_login(clients, name):
    wire = clients.connect()
    wire.send(login(name))
    expect_packet(wire, b"\x82\x00\x00\x00\x01\x00", f"RESPONSE ok to login {name}")


@requirement("SS2", name="login-literal")
def test_login_literal(clients):
    wire = clients.connect()
    wire.send(b"\x01\x00\x00\x00\x05\x04John")
    expect_packet(wire, b"\x82\x00\x00\x00\x01\x00", "RESPONSE ok")


@requirement("SS2", name="name-taken")
def test_name_taken(clients):
    log_in(clients, "John")
    other = clients.connect()
    other.send(login("John"))
    expect_packet(other, FAILURE, "RESPONSE failure: John is taken")


@requirement("SS2", name="twice")
def test_login_twice(clients):
    wire = log_in(clients, "John")
    wire.send(login("Johnny"))
    expect_packet(wire, FAILURE, "RESPONSE failure: this connection is already logged in")


@pytest.mark.parametrize("body", [b"\x15" + b"a" * 21, b"\x08John Doe", b"\x00", b"\x05John\t"],
                         ids=["21-characters", "space", "empty", "tab"])
@requirement("SS2", name="bad-username")
def test_bad_username(clients, body):
    wire = clients.connect()
    wire.send(packet(0x01, body))
    expect_packet(wire, MALFORMED, "RESPONSE malformed: a bad username")
    still_served(wire, "after a bad username")


@requirement("SS3", name="list")
def test_list(clients):
    fresh = clients.connect()
    fresh.send(b"\x02\x00\x00\x00\x00")
    expect_packet(fresh, b"\x81\x00\x00\x00\x02\x00\x00", "an empty LIST (nobody is logged in)")
    log_in(clients, "Bob")
    log_in(clients, "John")
    fresh.send(LIST_REQUEST)   # before its own login: allowed
    expect_packet(fresh, b"\x81\x00\x00\x00\x0b\x00\x02\x03Bob\x04John", "LIST [Bob, John], in login order")


@requirement("SS4", name="sendto")
def test_sendto(clients):
    bob = log_in(clients, "Bob")
    john = log_in(clients, "John")
    bob.send(b"\x03\x00\x00\x00\x13\x04JohnHi how are you")
    expect_packet(bob, OK, "RESPONSE ok to the sender")
    expect_packet(john, b"\x83\x00\x00\x00\x12\x03BobHi how are you", "SENDTO from Bob")


@pytest.mark.parametrize("how", ["logout", "vanish"])
@requirement("SS11", name="idle-after-leaving")
def test_idle_after_clients_leave(clients, server_idle, how):
    for wire in (log_in(clients, "Bob"), log_in(clients, "John")):
        if how == "logout":
            wire.send(b"\x04\x00\x00\x00\x00")
            expect_packet(wire, OK, "RESPONSE ok to logout")
            wire.close()
        else:
            wire.vanish()
    server_idle(f"after its clients left ({how})")


@requirement("SS11", name="idle-with-clients-connected")
def test_idle_with_clients_connected(clients, server_idle):
    log_in(clients, "Bob"), log_in(clients, "John")   # logged in, then silent
    server_idle("while its clients are logged in and silent")


@requirement("SS4", name="destination-only")
def test_sendto_destination_only(clients):
    """Bob sends to John while Ann is logged in too: once the server has settled, the next packet to
    Bob and to Ann must be the answer to their own LIST, not a copy of Bob's message."""
    bob = log_in(clients, "Bob")
    john = log_in(clients, "John")
    ann = log_in(clients, "Ann")
    bob.send(sendto("John", "for John only"))
    expect_packet(bob, OK, "RESPONSE ok to the sender")
    expect_packet(john, delivery("Bob", "for John only"), "SENDTO from Bob")
    clients.settle()
    for wire in (bob, ann, john):
        still_served(wire, "after Bob's message to John (nobody else may get it)")


@pytest.mark.parametrize("text", [CZECH, "x" * 65535, ""], ids=["czech", "65535-characters", "empty"])
@requirement("SS4", name="sendto-texts")
def test_sendto_texts(clients, text):
    bob = log_in(clients, "Bob")
    john = log_in(clients, "John")
    bob.send(sendto("John", text))
    expect_packet(bob, OK)
    expect_packet(john, delivery("Bob", text))


@requirement("SS4", name="reply-first")
def test_sendto_reply_first(clients):
    """Sent to oneself, both packets share one connection: RESPONSE ok must come before SENDTO."""
    bob = log_in(clients, "Bob")
    bob.send(sendto("Bob", "note to self"))
    expect_packet(bob, OK, "RESPONSE ok first")
    expect_packet(bob, delivery("Bob", "note to self"), "then SENDTO")


@requirement("SS4", name="sendto-failures")
def test_sendto_failures(clients):
    log_in(clients, "John")
    anonymous = clients.connect()
    anonymous.send(sendto("John", "who am I?"))
    expect_packet(anonymous, FAILURE, "RESPONSE failure: the sender is not logged in")
    bob = log_in(clients, "Bob")
    bob.send(sendto("Nobody", "hello?"))
    expect_packet(bob, FAILURE, "RESPONSE failure: the destination is not logged in")


@requirement("SS5", name="logout")
def test_logout(clients):
    bob = log_in(clients, "Bob")
    bob.send(b"\x04\x00\x00\x00\x00")
    expect_packet(bob, OK, "RESPONSE ok to logout")
    bob.send(LIST_REQUEST)
    expect_packet(bob, EMPTY_LIST, "an empty LIST: Bob logged out, the connection stays")
    john = log_in(clients, "John")
    john.send(sendto("Bob", "are you there?"))
    expect_packet(john, FAILURE, "RESPONSE failure: Bob logged out")
    log_in(clients, "Bob")                      # the name is free
    bob.send(login("Robert"))
    expect_packet(bob, OK, "RESPONSE ok: login again after logout on the same connection")


@requirement("SS5", name="logout-not-logged-in")
def test_logout_not_logged_in(clients):
    wire = clients.connect()
    wire.send(LOGOUT)
    expect_packet(wire, FAILURE, "RESPONSE failure: not logged in")
    still_served(wire, "after a failed logout")


@pytest.mark.parametrize("how", ["clean", "reset", "mid-packet"])
@requirement("SS6", name="disconnect")
def test_disconnect_frees_the_name(clients, how):
    bob = log_in(clients, "Bob")
    if how == "mid-packet":
        bob.send_raw(b"\x03\x00\x00\x00\x40\x04Jo")
    bob.vanish() if how == "reset" else bob.close()   # a reset alone, no FIN before it
    wait_name_free(clients, "Bob", f"after Bob's connection closed ({how})")


MALFORMED_PACKETS = {
    "unknown-type": b"\x07\x00\x00\x00\x00",
    "server-type": b"\x81\x00\x00\x00\x02\x00\x00",
    "list-with-body": b"\x02\x00\x00\x00\x01\x00",
    "logout-with-body": b"\x04\x00\x00\x00\x03abc",
    "login-trailing-bytes": b"\x01\x00\x00\x00\x07\x04Johnxx",
    "login-name-past-body": b"\x01\x00\x00\x00\x03\x09Jo",
    "login-empty-body": b"\x01\x00\x00\x00\x00",
    "sendto-empty-body": b"\x03\x00\x00\x00\x00",
    "text-65536-characters": sendto("John", "x" * 65536),
    "text-not-utf8": b"\x03\x00\x00\x00\x07\x04John\xff\xfe",
    "name-not-utf8": b"\x01\x00\x00\x00\x03\x02\xc3\x28",
}


@pytest.mark.parametrize("bad", MALFORMED_PACKETS)
@requirement("SS7", name="malformed")
def test_malformed(clients, bad):
    log_in(clients, "John")
    wire = log_in(clients, "Bob")
    wire.send(MALFORMED_PACKETS[bad])
    expect_packet(wire, MALFORMED, f"RESPONSE malformed for {bad}")
    still_served(wire, f"after a malformed packet ({bad}): the connection stays")


@requirement("SS7", name="too-long")
def test_length_over_the_bound(clients):
    wire = clients.connect()
    wire.send(b"\x03\x00\x04\x00\x4e" + b"x" * 64)   # length 262222: one past the largest sendto body
    expect_packet(wire, MALFORMED, "RESPONSE malformed for a length of 262222")
    wire.expect_closed(why=" after a length over 262221")
    log_in(clients, "John")   # and it still serves


@requirement("SS7", name="largest-body")
def test_largest_body_is_accepted(clients):
    """A length of exactly 262221 (20 four-byte characters of name, 65535 of text) is a valid sendto."""
    name, text = "\U0001d49c" * 20, "\U0001f600" * 65535
    john = log_in(clients, name)
    wire = log_in(clients, "Bob")
    request = sendto(name, text)
    assert request[1:5] == b"\x00\x04\x00\x4d"   # 262221
    wire.send(request)
    expect_packet(wire, OK, "RESPONSE ok to a sendto of the largest allowed size")
    expect_packet(john, delivery("Bob", text))


@pytest.mark.parametrize("policy", POLICIES)
@requirement("SS8", name="framing")
def test_framing(clients, policy):
    bob = log_in(clients, "Bob")
    wire = clients.connect()
    wire.send(login("\u017dofie"), LIST_REQUEST, sendto("Bob", CZECH), policy=policy)
    expect_packet(wire, OK, f"RESPONSE ok to login (requests sent as {policy})")
    expect_packet(wire, user_list("Bob", "\u017dofie"))
    expect_packet(wire, OK)
    expect_packet(bob, delivery("\u017dofie", CZECH))


@requirement("SS9", name="one-reply-each-in-order")
def test_replies_in_order(clients):
    log_in(clients, "John")
    wire = clients.connect()
    requests = [LIST_REQUEST, login("Bob"), login("Bob"), sendto("Nobody", "x"), b"\x07\x00\x00\x00\x00",
                sendto("John", "hi"), LOGOUT, LOGOUT, LIST_REQUEST]
    replies = [user_list("John"), OK, FAILURE, FAILURE, MALFORMED, OK, OK, FAILURE, user_list("John")]
    wire.send_raw(b"".join(requests))
    for i, reply in enumerate(replies):
        expect_packet(wire, reply, f"reply {i + 1} of {len(replies)} to requests sent in one write")
    still_served(wire, "after the pipelined requests")


@requirement("SS10", name="stalled-client")
def test_stalled_client(clients):
    """A client that never reads: the sender keeps getting its replies, and the server drops it."""
    stalled = log_in(clients, "Stall")
    stalled.pause_reading()
    sender = log_in(clients, "Bob")
    big = "y" * 60_000
    for i in range(600):     # up to 36 MB: past any sane backlog bound
        sender.send_raw(sendto("Stall", big))
        reply = steps.read_packet(sender, f"the reply to sendto {i} (a stalled client must not delay it)",
                                  settings.wait(settings.BULK))
        if reply == FAILURE:
            return           # Stall was dropped: it is no longer logged in
        if reply != OK:
            raise CheckFailure("Wrong reply while a client stalled.", expected="RESPONSE ok or failure",
                               actual=steps.show(reply))
    stalled.resume_reading()   # no failure: perhaps it was dropped but its name kept (SS6's business)
    if stalled.wait_closed(settings.wait(2 * settings.STARTUP)):
        return
    raise CheckFailure("The server kept a client that read nothing of 36 MB.",
                       expected="the stalled client dropped (sendto to it failing) once its backlog passes a bound",
                       actual="RESPONSE ok to all 600 sendto of 60,000 characters")


@requirement("SS10", name="max-clients")
def test_max_clients(ctx, clients):
    limit = ctx.server_max_clients
    if limit is None:
        pytest.skip("the server's connection limit is unknown: pass --server-max-clients N to test it")
    wires = [clients.connect() for _ in range(limit)]
    for wire in wires:
        still_served(wire, f"on one of {limit} connections (the limit)")
    extra = clients.connect()
    extra.expect_closed(why=f" as connection {limit + 1} of at most {limit}")


@requirement("SS12", name="listen-address")
def test_listen_address(ctx, raw, server_under_test):
    expect_listening_beyond_localhost(ctx, raw, server_under_test)
