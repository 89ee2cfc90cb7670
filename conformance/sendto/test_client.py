"""sendto client suite, SC1–SC12: the scripted peer plays the server; live tests use a real one.
Packets are written out as literal bytes (PROTOCOL.md) where they are fixed."""
from __future__ import annotations

import re

import pytest

from conformance.harness import settings
from conformance.harness.failure import CheckFailure, about
from conformance.harness.peer import POLICIES
from conformance.run.fixtures import connects_where_given
from conformance.sendto import steps
from conformance.sendto.steps import FAILURE, LIST_REQUEST, MALFORMED, OK, delivery, expect_packet

requirement = pytest.mark.requirement
CZECH = "Žluťoučký kůň úpěl ďábelské ódy"


@pytest.fixture
def wire(client, scripted):
    """The client's connection, once the client is ready (settled: a prompt it left unfinished is
    learned before the first message arrives, as a person waits for the program to start)."""
    connection = scripted.accept(why=" at start (client.py HOST PORT connects at once)")
    client.settle()
    return connection


def nothing_sent_before(client, wire, error: str, typed: str) -> None:
    """The error is printed, and the next packet is the list typed after it: nothing went out."""
    client.expect_line(error, prompt=True, why=f" after {typed[:60]!r}")
    client.type("list")
    expect_packet(wire, LIST_REQUEST, f"the list typed after {typed[:60]!r}: the error line must send nothing")


@requirement("SC1", name="connects")
def test_connects(client, scripted):
    scripted.accept(why=" at start (client.py HOST PORT connects at once)")


@requirement("SC1", name="connects-where-given")
def test_connects_where_given(launch, served_elsewhere):
    """Served at 127.0.0.2 on another port (every other test serves at 127.0.0.1:6000), with a decoy
    there: the client must connect to the server and port its command line names."""
    connects_where_given(launch, served_elsewhere, " at start (client.py HOST PORT connects at once)")


@pytest.mark.parametrize("typed, packet", [
    ("login John", b"\x01\x00\x00\x00\x05\x04John"),
    ("login \u017dofie", b"\x01\x00\x00\x00\x07\x06\xc5\xbdofie"),                  # 5 characters, 6 bytes
    ("login " + "\u017e" * 20, b"\x01\x00\x00\x00\x29\x28" + "\u017e".encode() * 20),  # 20 characters, 40 bytes
], ids=["ascii", "czech", "20-characters"])
@requirement("SC2", name="login")
def test_login(client, wire, typed, packet):
    client.type(typed)
    expect_packet(wire, packet, f"the login packet for {typed[:30]!r}")


@pytest.mark.parametrize("typed", ["login", "login John Doe", "login " + "a" * 21],
                         ids=["no-name", "extra-word", "21-characters"])
@requirement("SC2", name="bad-username")
def test_login_bad_username(client, wire, typed):
    client.type(typed)
    nothing_sent_before(client, wire, "Bad username", typed)


@requirement("SC3", name="list")
def test_list(client, wire):
    client.type("list")
    expect_packet(wire, b"\x02\x00\x00\x00\x00", "the list packet")


@requirement("SC3", name="list-extra")
def test_list_extra(client, wire):
    client.type("list bob")
    nothing_sent_before(client, wire, "Invalid command", "list bob")


@pytest.mark.parametrize("typed, packet", [
    ("sendto John Hi!", b"\x03\x00\x00\x00\x08\x04JohnHi!"),
    ("sendto John Hello,  how   are you?", b"\x03\x00\x00\x00\x1b\x04JohnHello,  how   are you?"),
    ("sendto Bob " + CZECH, b"\x03" + len(b"\x03Bob" + CZECH.encode()).to_bytes(4, "big") + b"\x03Bob"
     + CZECH.encode()),
    ("sendto Bob " + "x" * 65535, b"\x03\x00\x01\x00\x03\x03Bob" + b"x" * 65535),   # 65535 characters: allowed
], ids=["literal", "spaces-kept", "czech", "65535-characters"])
@requirement("SC4", name="sendto")
def test_sendto(client, wire, typed, packet):
    client.type(typed)
    expect_packet(wire, packet, f"the sendto packet for {typed[:40]!r}")


@pytest.mark.parametrize("typed, error", [
    ("sendto JohnHello", "Bad username"),
    ("sendto", "Bad username"),
    ("sendto " + "a" * 21 + " hi", "Bad username"),
    ("sendto Bob " + "x" * 65536, "Bad message"),
], ids=["no-text", "nothing", "21-characters", "65536-characters"])
@requirement("SC4", name="sendto-errors")
def test_sendto_errors(client, wire, typed, error):
    client.type(typed)
    nothing_sent_before(client, wire, error, typed)


@requirement("SC5", name="logout")
def test_logout(client, wire):
    client.type("logout")
    expect_packet(wire, b"\x04\x00\x00\x00\x00", "the logout packet")
    client.type("list")
    expect_packet(wire, LIST_REQUEST, "list after logout (the connection must stay)")
    wire.send(OK)
    with about("SC7"):
        client.expect_line("Success", prompt=True)
    client.type("login John")
    expect_packet(wire, b"\x01\x00\x00\x00\x05\x04John", "login after logout")


@requirement("SC5", name="logout-extra")
def test_logout_extra(client, wire):
    client.type("logout Joe")
    nothing_sent_before(client, wire, "Invalid command", "logout Joe")


@requirement("SC6", name="exit")
def test_exit(client, wire):
    client.type("exit")
    wire.expect_closed(timeout=settings.wait(settings.EXIT), why=" after exit")
    client.expect_exit(why=" after exit")


@requirement("SC6", name="exit-extra")
def test_exit_extra(client, wire):
    client.type("exit client")
    nothing_sent_before(client, wire, "Invalid command", "exit client")
    client.expect_alive(why=" after 'exit client' (an error, not an exit)")


@pytest.mark.parametrize("reply, printed", [(OK, "Success"), (FAILURE, "Failure")], ids=["ok", "failure"])
@requirement("SC7", name="response")
def test_response(client, wire, reply, printed):
    client.type("login John")
    expect_packet(wire, b"\x01\x00\x00\x00\x05\x04John")
    wire.send(reply)
    client.expect_line(printed, prompt=True, why=f" for {steps.show(reply)}")


@requirement("SC7", name="response-malformed")
def test_response_malformed(client, wire):
    client.type("login John")
    expect_packet(wire, b"\x01\x00\x00\x00\x05\x04John")
    wire.send(MALFORMED)
    client.expect_match(r"\S", "a message about the malformed packet", why=f" for {steps.show(MALFORMED)}")
    wire.send(b"\x83\x00\x00\x00\x0e\x03Bobstill here")
    client.expect_line("Bob: still here", prompt=True, why=" after a RESPONSE malformed (it must keep running)")


@requirement("SC8", name="list-printed")
def test_list_printed(client, wire):
    client.type("list")
    expect_packet(wire, LIST_REQUEST)
    wire.send(b"\x81\x00\x00\x00\x13\x00\x03\x04John\x06\xc5\xbdofie\x04bob3")   # John, Žofie, bob3
    names = ("John", "\u017dofie", "bob3")
    named = lambda: [n for n in names if re.search(rf"(?<!\w){n}(?!\w)", "\n".join(client.all_lines()))]  # noqa
    if not client.wait_for(lambda: len(named()) == len(names), settings.wait(settings.EVENT)):
        raise CheckFailure("Not every name of a LIST was printed.", expected="John, Žofie and bob3 printed "
                           "(in any layout)", actual="\n".join(client.all_lines()[-5:]) or "[nothing printed]")


@requirement("SC9", name="sendto-printed")
def test_sendto_printed(client, wire):
    """Nothing is typed: the message must be shown while the client waits for input."""
    wire.send(b"\x83\x00\x00\x00\x13\x03BobHi how are you?")
    client.expect_line("Bob: Hi how are you?", prompt=True, why=" while it waited for keyboard input")


# Names of 1 to 4 bytes (their length byte is a request's type code) and texts whose UTF-8 bytes hold
# the reply type codes 0x81-0x83 (ā Ă ă) or whose length is one (0x81, 0x83 bytes).
TYPE_CODE_DELIVERIES = [("A", "\u0101 \u0102 \u0103 end"), ("Bo", "x" * 0x81), ("Cid", "\u0103" * 0x41 + "x"),
                        ("Dana", "\u0102\u0102 twice")]


@requirement("SC9", name="type-codes-in-text")
def test_type_codes_in_text(client, wire):
    """SENDTO packets whose names and texts hold bytes equal to type codes (as a client that tells
    packets apart by looking for a type byte gets wrong): each is printed once, whole; the client stays."""
    wire.send(*[delivery(name, text) for name, text in TYPE_CODE_DELIVERIES])
    client.expect_each_once([f"{name}: {text}" for name, text in TYPE_CODE_DELIVERIES], prompt=True,
                            why=" for messages whose bytes hold type codes")


@pytest.mark.parametrize("policy", POLICIES + ("64k",))
@requirement("SC10", name="framing")
def test_framing(client, wire, policy):
    big = policy == "64k"
    texts = [("x" * 65535) if big else f"first {CZECH}", f"{CZECH} second"]
    wire.send(delivery("Bob", texts[0]), delivery("Al", "ok"), delivery("\u017dofie", texts[1]),
              policy="chops" if big else policy)
    expected = ["Bob: " + texts[0], "Al: ok", "\u017dofie: " + texts[1]]
    for line in expected:
        client.expect_line(line, prompt=True, timeout=settings.wait(settings.STARTUP))
    printed = [line.strip() for line in client.all_lines() if line.strip().endswith(tuple(expected))]
    if len(printed) != 3:
        raise CheckFailure(f"Packets delivered as {policy!r} were printed more than once or in pieces.",
                           expected=[e[:80] for e in expected], actual=[p[:80] for p in printed])


@requirement("SC11", name="unknown-command")
def test_unknown_command(client, wire):
    client.type("frobnicate now")
    nothing_sent_before(client, wire, "Invalid command", "frobnicate now")


@requirement("SC12", name="server-closes")
def test_server_closes(client, wire):
    wire.close()
    client.expect_match(r"\S", "a message that the server closed the connection",
                        timeout=settings.wait(settings.STARTUP), why=" after the server closed the connection")
    client.expect_exit(why=" after the server closed the connection")
    if any("Traceback" in line for line in client.all_lines()):
        raise CheckFailure("The client printed a traceback when the server closed the connection.",
                           expected="a message and a clean exit", actual="\n".join(client.all_lines()[-8:]))


@requirement("SC2", "SC4", "SC9", name="live-sendto")
def test_live_sendto(launch, live_server, rng):
    host, port = live_server
    alice, bob = (launch("client", host=host, port=port) for _ in range(2))
    a_name, b_name = f"ann{rng.randrange(10**6)}", f"ben{rng.randrange(10**6)}"
    with about("SC2"):
        for client, name in ((alice, a_name), (bob, b_name)):
            client.type(f"login {name}")
            client.expect_line("Success", prompt=True, timeout=settings.wait(settings.STARTUP),
                               why=f" after login {name} on a real server")
    with about("SC4"):
        alice.type(f"sendto {b_name} {CZECH}")
        alice.expect_line("Success", prompt=True, why=" after sendto on a real server")
    with about("SC9"):
        bob.expect_line(f"{a_name}: {CZECH}", prompt=True)
