"""cnlab server suite: the course server's observed behaviour (docs/protocols.md, "The course's server"), its quirks
left out. Runs against --server HOST:PORT or the submission's server.py. Every connection comes
from its own loopback address, so a per-address limit cannot skew the results."""
from __future__ import annotations

import time

import pytest

from conformance.harness import settings
from conformance.harness.failure import CheckFailure
from conformance.harness.peer import RawClients, WirePeer
from conformance.cnlab import steps

requirement = pytest.mark.requirement


@pytest.fixture
def clients(raw, server_under_test) -> RawClients:
    return raw(server_under_test)


def list_names(conn: WirePeer) -> list:
    conn.send(b"LIST\n")
    line = conn.read_line(what="a LIST-OK line")
    if not line.startswith(b"LIST-OK ") or not line.endswith(b"\n") or b" " in line[len(b"LIST-OK "):]:
        raise CheckFailure("LIST must be answered with LIST-OK and comma-separated names, no spaces.",
                           expected=b"LIST-OK n1,n2,...\n", actual=line)
    return line[len(b"LIST-OK "):].rstrip(b"\r\n").decode("utf-8", "replace").split(",")


def still_listed(conn: WirePeer, user: str) -> bool:
    """The connection answers LIST and names the user (the list's format is SV6's business)."""
    conn.send(b"LIST\n")
    line = conn.read_line(what="a LIST-OK line")
    return line.startswith(b"LIST-OK") and user.encode() in line


@requirement("SV1", name="hello")
def test_hello(clients, rng):
    steps.raw_log_in(clients, steps.name(rng))


@pytest.mark.parametrize("bad", ["a b", "a,b", "a_b", "@!", ""])
@requirement("SV2", name="bad-name")
def test_bad_name(clients, bad):
    conn = clients.connect()
    conn.send(f"HELLO-FROM {bad}\n".encode())
    conn.expect_line(b"BAD-RQST-BODY\n")
    conn.expect_closed(why=" after BAD-RQST-BODY in the handshake")


@requirement("SV2", name="case-sensitive")
def test_names_case_sensitive(clients, rng):
    user = steps.name(rng, "Cas")
    steps.raw_log_in(clients, user)
    steps.raw_log_in(clients, user.lower())


@pytest.mark.parametrize("first", [b"LIST\n", b"SEND someone hi\n", b"hello-from abc\n", b"WHO\n"],
                         ids=["list", "send", "lowercase", "who"])
@requirement("SV3", name="bad-first-line")
def test_bad_first_line(clients, first):
    conn = clients.connect()
    conn.send(first)
    conn.expect_line(b"BAD-RQST-HDR\n")
    conn.expect_closed(why=" after BAD-RQST-HDR in the handshake")


@requirement("SV4", name="in-use")
def test_in_use(clients, rng):
    user = steps.name(rng)
    first = steps.raw_log_in(clients, user)
    second = clients.connect()
    second.send(f"HELLO-FROM {user}\n".encode())
    second.expect_line(b"IN-USE\n")
    second.expect_closed(why=" after IN-USE")
    if not still_listed(first, user):
        raise CheckFailure(f"The first {user!r} lost its login when a second one tried the name.")


@requirement("SV5", name="busy")
def test_busy(ctx, clients, rng):
    if ctx.server_max_clients is None:
        pytest.skip("the server's user limit is unknown: pass --server-max-clients N to test BUSY")
    # earlier tests' users may still be logging out, so log in until BUSY comes, at most N + 1 times
    for attempt in range(ctx.server_max_clients + 1):
        conn = clients.connect()
        user = steps.name(rng)
        conn.send(f"HELLO-FROM {user}\n".encode())
        line = conn.read_line(what="HELLO or BUSY")
        if line == b"BUSY\n":
            conn.expect_silence(why=" after BUSY (the course server keeps the connection open)")
            return
        if line != f"HELLO {user}\n".encode():
            raise CheckFailure("Unexpected handshake reply.", expected=[f"HELLO {user}\\n", "BUSY\\n"], actual=line)
    raise CheckFailure(f"{ctx.server_max_clients + 1} users logged in; with --server-max-clients "
                       f"{ctx.server_max_clients} the last should have got BUSY.", expected=b"BUSY\n")


@requirement("SV6", name="list")
def test_list_order(clients, rng):
    users = [steps.name(rng) for _ in range(3)]
    conns = [steps.raw_log_in(clients, u) for u in users]
    names = list_names(conns[-1])
    ours = [n for n in names if n in users]
    if ours != users:
        raise CheckFailure("LIST-OK must name the users in login order.", expected=users, actual=ours)


@pytest.mark.parametrize("case", ["plain", "trimmed", "to-self", "long"])
@requirement("SV7", name="send")
def test_send(clients, rng, case):
    alice, bob = steps.name(rng), steps.name(rng)
    a = steps.raw_log_in(clients, alice)
    b = a if case == "to-self" else steps.raw_log_in(clients, bob)
    dest = alice if case == "to-self" else bob
    text = steps.text(rng) if case != "long" else steps.long_text(rng, 64 * 1024)
    typed = f"   {text.replace(' ', '  ')}  " if case == "trimmed" else text
    a.send(f"SEND {dest} {typed}\n".encode())
    a.expect_line(b"SEND-OK\n")
    delivered = typed.strip()
    b.expect_line(f"DELIVERY {alice} {delivered}\n".encode(), timeout=settings.wait(settings.STARTUP))


@requirement("SV8", name="bad-dest-user")
def test_bad_dest_user(clients, rng):
    a = steps.raw_log_in(clients, steps.name(rng))
    a.send(f"SEND {steps.name(rng, 'nobody')} hello\n".encode())
    a.expect_line(b"BAD-DEST-USER\n")


@pytest.mark.parametrize("request_line", ["SEND {me}", "SEND {me}    ", "SEND {nobody}", "SEND  hi"],
                         ids=["no-message", "blank-message", "unknown-no-message", "no-destination"])
@requirement("SV9", name="bad-body")
def test_bad_body(clients, rng, request_line):
    me = steps.name(rng)
    a = steps.raw_log_in(clients, me)
    a.send((request_line.format(me=me, nobody=steps.name(rng, "nobody")) + "\n").encode())
    a.expect_line(b"BAD-RQST-BODY\n")


@pytest.mark.parametrize("line", [b"WHO\n", b"LIST x\n", b"HELLO-FROM x\n", b"send a b\n"],
                         ids=["who", "list-with-args", "hello-again", "lowercase-send"])
@requirement("SV10", name="bad-header-after-login")
def test_bad_header_after_login(clients, rng, line):
    me = steps.name(rng)
    a = steps.raw_log_in(clients, me)
    a.send(line)
    a.expect_line(b"BAD-RQST-HDR\n")
    if not still_listed(a, me):   # the connection and the login are kept
        raise CheckFailure(f"After BAD-RQST-HDR the user {me!r} should still be logged in.")


@pytest.mark.parametrize("policy", ["bytewise", "coalesced", "chops", "crlf"])
@requirement("SV11", name="framing")
def test_framing(clients, rng, policy):
    alice, bob = steps.name(rng), steps.name(rng)
    b = steps.raw_log_in(clients, bob)
    a = clients.connect()
    end = "\r\n" if policy == "crlf" else "\n"
    text = steps.text(rng)
    requests = [f"HELLO-FROM {alice}{end}".encode(), f"SEND {bob} {text}{end}".encode()]
    a.send(*requests, policy="whole" if policy == "crlf" else policy)
    a.expect_line(f"HELLO {alice}\n".encode())
    a.expect_line(b"SEND-OK\n")
    b.expect_line(f"DELIVERY {alice} {text}\n".encode())


@requirement("SV12", name="disconnect-frees-name")
def test_disconnect_frees_name(clients, rng):
    user = steps.name(rng)
    first = steps.raw_log_in(clients, user)
    first.close()
    # the server notices the close in its own time: retry the login until it is accepted
    deadline = time.monotonic() + settings.wait(settings.EVENT)
    while True:
        conn = clients.connect()
        conn.send(f"HELLO-FROM {user}\n".encode())
        line = conn.read_line(what="HELLO")
        if line == f"HELLO {user}\n".encode():
            return
        if line != b"IN-USE\n" or time.monotonic() > deadline:
            raise CheckFailure(f"{user!r} disconnected, so the name should be free again.",
                               expected=f"HELLO {user}\\n", actual=line)
        conn.wait_closed(settings.wait(settings.EVENT))


@pytest.mark.parametrize("how", ["clean", "reset"])
@requirement("SV13", name="idle-after-leaving")
def test_idle_after_clients_leave(clients, rng, server_idle, how):
    for wire in (steps.raw_log_in(clients, steps.name(rng)), steps.raw_log_in(clients, steps.name(rng))):
        wire.close() if how == "clean" else wire.vanish()
    server_idle(f"after its clients left ({how})")


@requirement("SV13", name="idle-with-clients-connected")
def test_idle_with_clients_connected(clients, rng, server_idle):
    steps.raw_log_in(clients, steps.name(rng)), steps.raw_log_in(clients, steps.name(rng))   # then silent
    server_idle("while its clients are logged in and silent")
