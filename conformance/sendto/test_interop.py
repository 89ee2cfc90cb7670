"""sendto interop: one student's client talks to another student's server (`chatconform matrix`).

Each test is a short live conversation on a fresh server: the client is driven through its own
commands (login, list, sendto, logout, exit), and a raw wire member that sends PROTOCOL.md's literal
bytes is the other side. A test names the client's and the server's requirements it needs; the
matrix decides the blame, from the same test with the reference on the other side."""
from __future__ import annotations

import re

import pytest

from conformance.harness import model, settings
from conformance.harness.failure import CheckFailure
from conformance.sendto import steps
from conformance.sendto.steps import FAILURE, LIST_REQUEST, OK, delivery, expect_packet, read_packet

requirement = pytest.mark.requirement
CZECH = "Žluťoučký kůň úpěl ďábelské ódy"


def user(rng, prefix: str) -> str:
    return prefix + "".join(rng.choice("abcdefghijkmnpqrstuvwxyz") for _ in range(6))


@pytest.fixture
def member(raw, fresh_server, rng):
    """The other side: a raw client logged in before the student's client starts: (wire, name)."""
    name = user(rng, "mem")
    return steps.log_in(raw(fresh_server), name), name


@pytest.fixture
def client(launch, fresh_server, member):
    host, port = fresh_server
    term = launch("client", host=host, port=port)
    term.settle()
    return term


@pytest.fixture
def logged_in(client, rng):
    """The client logged in through its own `login` command: its name."""
    name = user(rng, "cli")
    client.type(f"login {name}")
    client.expect_line("Success", prompt=True, why=f" after 'login {name}' (RESPONSE ok)")
    return name


def names_listed(wire) -> list:
    """The member asks for the list: the names in the LIST packet."""
    wire.send(LIST_REQUEST)
    got = read_packet(wire, "the LIST answering list")
    names, body = [], got[7:]
    while body:
        size = body[0]
        names.append(body[1:1 + size].decode("utf-8", "replace"))
        body = body[1 + size:]
    return names


def both_ways(client, member, name: str, text: str, what: str) -> None:
    wire, other = member
    client.type(f"sendto {other} {text}")
    client.expect_line("Success", prompt=True, why=f" after sendto {what} (RESPONSE ok)")
    expect_packet(wire, delivery(name, text), f"the client's text {what}, delivered")
    wire.send(steps.sendto(name, text + " back"))
    expect_packet(wire, OK, f"RESPONSE ok to the member's sendto {what}")
    client.expect_match(re.escape(f"{other}: {text} back"), f"the line '{other}: {text[:40]}... back'",
                        timeout=settings.wait(settings.EVENT), why=f" (the member's text {what})")


@requirement("SC2", "SC7", "SS2", "SS3", name="login")
def test_login(client, member, logged_in):
    wire, other = member
    listed = names_listed(wire)
    if listed != [other, logged_in]:
        raise CheckFailure("After the client's login, the list is not every logged-in name in login order.",
                           expected=str([other, logged_in]), actual=str(listed))


@requirement("SC4", "SC7", "SC9", "SS4", name="message")
def test_message(client, member, logged_in, rng):
    both_ways(client, member, logged_in, " ".join(rng.choice(("alpha", "bravo", "echo")) for _ in range(4)), "")


@requirement("SC4", "SC9", "SS4", name="non-ascii")
def test_non_ascii(client, member, logged_in):
    both_ways(client, member, logged_in, f"{CZECH} ✓", "with non-ASCII characters")


@requirement("SC4", "SC9", "SS4", name="long")
def test_long(client, member, logged_in, rng):
    text = " ".join(rng.choice(("alpha", "bravo", "echo", "delta")) for _ in range(5000))[:20_000]
    both_ways(client, member, logged_in, text, "of 20,000 characters")


@requirement("SC3", "SC8", "SS3", name="list")
def test_list(client, member, logged_in):
    _, other = member
    client.type("list")
    for name in (other, logged_in):
        client.expect_match(re.escape(name), f"the name {name} in the list", timeout=settings.wait(settings.EVENT),
                            why=" (the answer to list)")


@requirement("SC7", "SS4", name="unknown-user")
def test_unknown_user(client, member, logged_in):
    client.type("sendto nobodyhere hello")
    client.expect_line("Failure", prompt=True, why=" after sendto to a name nobody has (RESPONSE failure)")


@requirement("SC5", "SS5", name="logout")
def test_logout(client, member, logged_in):
    wire, other = member
    client.type("logout")
    client.expect_line("Success", prompt=True, why=" after logout (RESPONSE ok)")
    listed = names_listed(wire)
    if listed != [other]:
        raise CheckFailure("After the client's logout its name is still listed.", expected=str([other]),
                           actual=str(listed))
    client.type(f"login {logged_in}")
    client.expect_line("Success", prompt=True, why=" after logging in again with the name just freed")


@requirement("SC6", "SS6", name="leave")
def test_leave(client, member, logged_in, settle_server):
    """`exit`: the client closes its connection and ends; the server logs it out (its name is free)."""
    wire, other = member
    client.type("exit")
    client.expect_exit(why=" after exit")
    settle_server()   # a close is acknowledged to no one: the server has taken it in once it is idle
    listed = names_listed(wire)
    if listed != [other]:
        raise CheckFailure("The client's name is still listed after it exited.", expected=str([other]),
                           actual=str(listed))


# The fault profiles (the same as the model's, harness/model.py): the other members misbehave, and the
# client and the server must go on talking.

@requirement("SC9", "SC10", "SS1", "SS8", name="slow-member")
def test_slow_member(client, member, logged_in, rng):
    """The member's SENDTO to the client comes in four writes 200 ms apart. Before its last, the
    client's own sendto must be answered and delivered (the server does not wait for the unfinished
    packet); then the client prints the slow one whole."""
    wire, other = member
    body = f"{CZECH} ✓ slowly"
    model.trickle(wire, pieces := model.cut(steps.sendto(logged_in, body)))
    client.type(f"sendto {other} not held up")
    client.expect_line("Success", prompt=True, why=" after sendto while the member's packet came in slowly")
    expect_packet(wire, delivery(logged_in, "not held up"), "the client's text, while the member's own "
                                                            "packet was still coming in, 200 ms a write")
    wire.send_raw(pieces[-1])
    expect_packet(wire, OK, "RESPONSE ok to the member's slow sendto")
    client.expect_match(re.escape(f"{other}: {body}"), f"the line '{other}: {body}'",
                        timeout=settings.wait(settings.EVENT), why=" (written in four writes 200 ms apart)")


@requirement("SC9", "SS6", "SS10", name="faulty-members")
def test_faulty_members(client, member, logged_in, raw, fresh_server, settle_server):
    """Three more members: one stops reading (a 4 kB window) while the member sends it 600 kB, one resets
    in the middle of a packet, one half-closes. The client and the member still talk both ways, and the
    one that reset is logged out."""
    wire, other = member
    clients = raw(fresh_server)
    stalled = steps.log_in(clients, "stalled", receive_window=model.STALL_WINDOW)
    stalled.pause_reading()
    for i in range(model.FLOOD):
        model.push(wire, steps.sendto("stalled", f"flood {i} " + "f" * 20_000), "SS10",
                   "While a member stopped reading, the server stopped taking the other member's requests.", in_session=False)
    for i in range(model.FLOOD):   # ok, or failure once the server dropped the stalled member
        if (got := read_packet(wire, f"RESPONSE to flood {i}", settings.wait(settings.BULK))) not in (OK, FAILURE):
            raise CheckFailure("The member's flood got something else than RESPONSEs.", actual=steps.show(got))
    reset = steps.log_in(clients, "resetter")
    reset.send_raw(b"\x03\x00\x00\x00\x09\x04Jo")
    reset.vanish()
    steps.log_in(clients, "halfclosed").half_close()
    settle_server()   # a reset is acknowledged to no one: the server has taken it in once it is idle
    both_ways(client, member, logged_in, "after the faults", "after a stalled, a reset and a half-closed member")
    client.type("sendto resetter are you there")
    client.expect_line("Failure", prompt=True, why=" after sendto to the member that reset (it is logged out)")
