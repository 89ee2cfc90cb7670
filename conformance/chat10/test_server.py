"""chat10 server suite, CS1–CS9, with raw clients and a fresh server per test. "Never back to the
sender" and "not forwarded" are proved with a barrier: a later message must be the next one seen."""
from __future__ import annotations

import pytest

from conformance import stash
from conformance.harness import buffers, settings
from conformance.harness.programs import Background, free_port, group_memory
from conformance.harness.failure import CheckFailure, about
from conformance.harness.peer import POLICIES
from conformance.run.servers import expect_listening_beyond_localhost
from conformance.chat10.steps import (CZECH, MAX_HEADER, Received, expect_message, join, leave, message,
                                     parse_head, read_message, text)

requirement = pytest.mark.requirement


@pytest.fixture
def clients(raw, server_under_test, findings):
    wires = raw(server_under_test)
    wires.findings = findings
    return wires


def room(clients, *names: str) -> list:
    """Connected raw clients that have all JOINed, settled by a barrier. The protocol acknowledges no
    JOIN, so after each one the server is given its settle window (`settle_server`: it is idle) before
    the next client connects: a server that registers a client in that client's own thread is in no
    race with the suite. A client may also see the JOINs of those before it (they were forwarded after
    it connected): those are skipped, nothing else. A JOIN that does not reach the others is CS2, the
    TEXT that settles the room not reaching them is CS3, whatever the test; a member's own message
    sent back to it is recorded against the requirement it breaks, and the test goes on."""
    wires = []
    for i, name in enumerate(names):
        wire = clients.connect()
        wire.own_name, wire.on_echo = name, lambda got, w=wire: record_echo(clients.findings, w, got)
        wire.send(join(name))
        with about("CS2"):
            for j, other in enumerate(wires):
                expect_skipping(other, names[:j], "JOIN", name, what=f"the JOIN of {name}")
        clients.settle()
        wires.append(wire)
    if len(wires) > 1:
        body = b"settled"
        wires[0].send(text(names[0], body.decode()))
        with about("CS3"):
            for j, other in enumerate(wires[1:], 1):
                expect_skipping(other, names[:j], "TEXT", names[0], body, what="the TEXT that settles the room")
    return wires


def joined(clients, *names: str) -> list:
    """Connected raw clients that have each sent a JOIN and given the server its settle window: all a
    test needs that judges the server without its relay (CPU while idle, memory), so that a broken
    relay cannot leave such a requirement `not evaluated`. What comes back is not looked at."""
    wires = []
    for name in names:
        wire = clients.connect()
        wire.send(join(name))
        clients.settle()
        wires.append(wire)
    return wires


def served(clients, members: list, newcomer: str, why: str, limit: int = MAX_HEADER) -> dict:
    """A client that connects now is served: it sends a JOIN and a TEXT, and each of `members` must get
    one of them (whichever the server forwards), reading past at most `limit` bytes of anything else.
    Needs only one working kind of relay, so that CS9 is judged on a server that forwards JOINs but no
    TEXT (or the other way round); what each member read on the way is returned."""
    late = clients.connect()
    late.send(join(newcomer))
    late.send(text(newcomer, f"{newcomer} is served"))
    return {wire: wire.read_until(f"Username: {newcomer}\r\n".encode(), limit=limit,
                                  what=f"the JOIN or the TEXT of {newcomer}, who connected {why}")
            for wire in members}


# A member's own message sent back to it breaks the requirement of that kind of message.
ECHO_BREAKS = {"JOIN": "CS2", "TEXT": "CS3", "LEAVE": "CS4"}


def record_echo(findings, wire, got) -> None:
    req = ECHO_BREAKS.get(got.method, "CS2")
    if any(getattr(f, "echo_of", None) == got.method for f in findings.failures):
        return   # charged once per test and kind
    failure = CheckFailure(f"The server sent {wire.own_name}'s own {got.method} back to it (on {wire.label}).",
                           expected=f"a {got.method} forwarded to every other client, never back to the sender",
                           actual=got.raw[:400], requirement=req)
    failure.echo_of = got.method
    findings.failures.append(failure)


def expect_skipping(wire, earlier: tuple, method: str, username: str, payload: bytes | None = None, what=""):
    while True:
        got = read_message(wire, what)
        if not (got.method == "JOIN" and got.username in earlier):
            break
    must_be(wire, got, method, username, payload, what)


def must_be(wire, got, method: str, username: str, payload: bytes | None, what: str) -> None:
    if got.method != method or got.username != username or (payload is not None and got.payload != payload):
        raise CheckFailure(f"Wrong message on {wire.label} ({what}).",
                           expected=f"CHAT/1.0 {method}, Username: {username}"
                           + (f", a {len(payload)}-byte payload" if payload is not None else ""),
                           actual=got.raw[:400])


def barrier(clients, members: list, why: str) -> None:
    """Proves that nothing else came to any member: once the server has finished with what came
    before (its settle window), a TEXT from the first of `members` ((wire, name) pairs) that every
    other must get next, then one from the second that the first must get next (so the first sender,
    never sent its own TEXT back, is checked too)."""
    clients.settle()
    for (sender, name), receivers in ((members[0], members[1:]), (members[1], [members[0]])):
        body = f"barrier from {name}".encode()
        sender.send(text(name, body.decode()))
        for wire, _ in receivers:
            expect_message(wire, "TEXT", name, body, what=f"the next message ({why})")


@requirement("CS1", name="help-version")
def test_help_and_version(ctx, launch):
    if ctx.server:
        pytest.skip("--server: the server was started by someone else")
    program = ctx.programs["server"]
    launch("server", argv=program.argv_with("--help")).expect_match(
        r"(?i)\busage\b", "a usage text", timeout=settings.wait(settings.STARTUP))
    launch("server", argv=program.argv_with("--version")).expect_match(
        r"\d+\.\d+", "a version number (e.g. server.py 1.0)", timeout=settings.wait(settings.STARTUP))


@requirement("CS1", name="port")
def test_port(ctx, clients, transcript):
    """Started with --port P, it listens on P. Where the server's own command has no {port} (its argparse
    has no --port, so the other tests find it on its default port), it is started here with --port all
    the same, on another port: the text demands the option."""
    program = ctx.programs.get("server")
    if ctx.server or program is None or program.takes_port:
        clients.connect()
        return
    port = free_port()
    server = Background(program.argv() + ["--port", str(port)], program.cwd, transcript)
    try:
        server.wait_listening("127.0.0.1", port, "server started with --port")
    finally:
        server.kill()


@requirement("CS2", name="join")
def test_join_to_others_only(clients):
    a, b, c = room(clients, "ann", "ben", "cid")   # each JOIN reached everyone before it ...
    barrier(clients, [(a, "ann"), (b, "ben"), (c, "cid")], "a client's own JOIN must not come back to it")   # ... and nobody else


@requirement("CS3", name="text")
def test_text(clients):
    a, b, c = room(clients, "ann", "ben", "cid")
    a.send(b"CHAT/1.0 TEXT\r\nUsername: ann\r\nMsg-len: 22\r\n\r\nMy first chat message!")
    for wire in (b, c):
        expect_message(wire, "TEXT", "ann", b"My first chat message!")
    barrier(clients, [(b, "ben"), (a, "ann"), (c, "cid")], "ann's own TEXT must not come back to it")


@pytest.mark.parametrize("body", [f"{CZECH}", "two\r\n\r\nparts", "CHAT/1.0 JOIN\r\nUsername: x\r\n\r\n"],
                         ids=["czech", "blank-line-inside", "message-inside"])
@requirement("CS3", name="payloads")
def test_payloads(clients, body):
    a, b = room(clients, "ann", "ben")
    a.send(text("ann", body))
    expect_message(b, "TEXT", "ann", body.encode("utf-8"))
    barrier(clients, [(a, "ann"), (b, "ben")], "the payload must not be read as another message")


@requirement("CS4", name="leave")
def test_leave(clients):
    a, b, c = room(clients, "ann", "ben", "cid")
    a.send(leave("ann"))
    for wire in (b, c):
        expect_message(wire, "LEAVE", "ann")


INVALID = {
    "no-username": message("TEXT", None, b"hello", 5),
    "no-msg-len": message("TEXT", "ann") + b"",
    "zero-length": message("TEXT", "ann", b"", 0),
}


@pytest.mark.parametrize("bad", INVALID)
@requirement("CS5", name="invalid-text")
def test_invalid_text_not_forwarded(clients, bad):
    a, b = room(clients, "ann", "ben")
    a.send(INVALID[bad])
    barrier(clients, [(a, "ann"), (b, "ben")], f"a TEXT with {bad} must not be forwarded")


@pytest.mark.parametrize("policy", POLICIES)
@requirement("CS6", name="pipelining")
def test_pipelining(clients, policy):
    a, b = room(clients, "ann", "ben")
    messages = [text("ann", f"first {CZECH}"), text("ann", "second\r\n\r\nwith a blank line"), leave("ann")]
    a.send(*messages, policy=policy)
    expect_message(b, "TEXT", "ann", f"first {CZECH}".encode())
    expect_message(b, "TEXT", "ann", b"second\r\n\r\nwith a blank line")
    expect_message(b, "LEAVE", "ann")


@requirement("CS6", name="two-senders-interleaved")
def test_two_senders_interleaved(clients):
    """ann's and ben's TEXTs each come in two parts, interleaved (ann's first half, ben's, then the
    rest of each, the server settled after each part): cid must get each whole, in either order, and
    each of ann and ben the other's. A relay that forwards each part as it comes (cut-through) puts
    one message inside the other."""
    a, b, c = room(clients, "ann", "ben", "cid")
    bodies = {"ann": "from ann " + "a" * 3000, "ben": "from ben " + "b" * 3000}
    whole = {name: text(name, body) for name, body in bodies.items()}
    for wire, name, part in ((a, "ann", 0), (b, "ben", 0), (a, "ann", 1), (b, "ben", 1)):
        half = len(whole[name]) // 2
        wire.send_raw(whole[name][:half] if part == 0 else whole[name][half:])
        clients.settle()
    got = sorted((read_message(c, "one of two interleaved TEXTs") for _ in range(2)), key=lambda m: m.username or "")
    for message_got, name in zip(got, ("ann", "ben")):
        must_be(c, message_got, "TEXT", name, bodies[name].encode(), f"{name}'s TEXT, sent in two interleaved parts")
    expect_message(a, "TEXT", "ben", bodies["ben"].encode(), what="ben's TEXT, sent in two interleaved parts")
    expect_message(b, "TEXT", "ann", bodies["ann"].encode(), what="ann's TEXT, sent in two interleaved parts")


@requirement("CS6", name="once-when-reset")
def test_once_when_reset(clients):
    """ann's TEXT is forwarded, then her connection is reset (no LEAVE): nothing of hers may come
    again (a server that handles the reset by processing its last chunk once more sends it twice).
    Only a LEAVE for ann may come before the next TEXT."""
    a, b, c = room(clients, "ann", "ben", "cid")
    a.send(text("ann", "last words"))
    for wire in (b, c):
        expect_message(wire, "TEXT", "ann", b"last words")
    clients.settle()
    a.vanish()
    clients.settle()
    for sender, name, receiver in ((b, "ben", c), (c, "cid", b)):
        body = f"{name} after ann's reset"
        sender.send(text(name, body))
        expect_past_leave(receiver, "ann", "TEXT", name, body.encode(),
                          what="the next message: nothing of ann's again after her connection was reset")


@requirement("CS7", name="silent-client")
def test_silent_client(clients):
    """dan connects first and never sends a byte, not even a JOIN: ann, ben and cid are served all the
    same (a server that waits for each client's JOIN in turn is caught)."""
    clients.connect()
    a, b, c = room(clients, "ann", "ben", "cid")
    barrier(clients, [(b, "ben"), (a, "ann"), (c, "cid")], "while dan, connected first, has sent nothing")


@requirement("CS7", name="slow-sender")
def test_slow_sender(clients):
    """ann's 1 MiB TEXT trickles in; ben's short TEXT must reach cid before ann's is complete. ben
    sends once the server has taken in the start of ann's (it is idle again, or after its settle
    window), so a server that waits for the rest of ann's TEXT while holding up the others is caught
    every time, not when its threads happen to run in one order."""
    a, b, c, silent = room(clients, "ann", "ben", "cid", "dan")
    size = 1024 * 1024
    a.send_raw(f"CHAT/1.0 TEXT\r\nUsername: ann\r\nMsg-len: {size}\r\n\r\n".encode() + b"x" * 1024)
    clients.settle()
    b.send(text("ben", "not delayed"))
    what = "ben's TEXT, while ann's 1 MiB TEXT is unfinished and dan is silent"
    head = c.read_until(b"\r\n\r\n", what=what, limit=MAX_HEADER)
    method, headers = parse_head(head, c.label, what)
    if headers.get("username") == "ann":
        raise CheckFailure("The server forwarded the start of ann's TEXT before the whole of it had come: "
                           "ben's TEXT, sent meanwhile, can only land inside ann's payload.",
                           expected=f"CHAT/1.0 TEXT from ben ({what}); ann's only once complete",
                           actual=head, requirement="CS6")
    length = int(headers.get("msg-len", "0"))
    got = Received(method, headers, c.read_exact(length, what=what) if length else b"", head)
    must_be(c, got, "TEXT", "ben", b"not delayed", what)
    a.send_raw(b"x" * (size - 1024))
    expect_message(c, "TEXT", "ann", b"x" * size, what="ann's 1 MiB TEXT, once complete")


def beyond_socket_buffers() -> int:
    """A payload size no kernel buffer can hold on the way to a client that does not read: the
    largest TCP send buffer the kernel grows to (tcp_wmem's maximum), plus 2 MiB."""
    return min(buffers.send_limit(), 12 * 1024 * 1024) + 2 * 1024 * 1024


@requirement("CS11", name="client-not-reading")
def test_client_not_reading(clients):
    """dan joins with a small receive window and then stops reading. ann sends a TEXT too big for any
    socket buffer on the way to dan: a server that forwards with a blocking send in ann's thread (or
    under a lock the others need) stalls there, so ann's next TEXT and ben's must still reach the
    others. A server may drop dan for not reading: a LEAVE for dan is allowed in between."""
    a, b, c = room(clients, "ann", "ben", "cid")
    silent = clients.connect(receive_window=4096)
    silent.send(join("dan"))
    for wire in (a, b, c):
        expect_message(wire, "JOIN", "dan", what="the JOIN of dan")
    clients.settle()
    silent.pause_reading()
    big = b"x" * beyond_socket_buffers()
    if not a.send_within(message("TEXT", "ann", big, len(big)), settings.wait(settings.EVENT)):
        raise CheckFailure("The server stopped reading ann's big TEXT while dan does not read.",
                           expected="the server reads on while one client does not")
    for wire in (b, c):
        expect_past_leave(wire, "dan", "TEXT", "ann", big, what=f"ann's {len(big)}-byte TEXT")
    for sender, name, others in ((a, "ann", (b, c)), (b, "ben", (a, c))):
        body = f"{name} is not delayed by dan"
        sender.send(text(name, body))
        for wire in others:
            expect_past_leave(wire, "dan", "TEXT", name, body.encode(),
                              what=f"{name}'s TEXT after the big one, while dan does not read")


def expect_past_leave(wire, dropped: str, method: str, username: str, payload: bytes, what: str):
    got = read_message(wire, what)
    if got.method == "LEAVE" and got.username == dropped:
        got = read_message(wire, what)
    must_be(wire, got, method, username, payload, what)


@requirement("CS8", name="vanish")
def test_vanish_without_leave(clients):
    a, b = room(clients, "ann", "ben")
    a.close()
    expect_message(b, "LEAVE", "ann", what="a LEAVE for ann, whose connection closed without one")


@pytest.mark.parametrize("how", ["leave", "closed", "vanish"])
@requirement("CS10", name="idle-after-leaving")
def test_idle_after_clients_leave(clients, server_idle, how):
    """Left with LEAVE, closed without one (what a killed client's system does: recv() returns b''),
    or vanished (a reset): the server must not spin on a connection that is gone."""
    for wire, name in zip(joined(clients, "ann", "ben"), ("ann", "ben")):
        if how == "leave":
            wire.send(leave(name))
            wire.close()
        elif how == "closed":
            wire.close()
        else:
            wire.vanish()
    server_idle(f"after its clients left ({how})")


@requirement("CS10", name="idle-with-clients-connected")
def test_idle_with_clients_connected(clients, server_idle):
    """Two clients joined and silent: a writer thread per client that polls its queue without blocking
    burns a core for each, which a look after the clients have left would miss."""
    joined(clients, "ann", "ben")
    server_idle("while its clients are connected and silent")


BAD_INPUT = {
    "garbage": b"\x00\xff hello there \r\n\r\n",
    "no-version": b"TEXT\r\nUsername: x\r\nMsg-len: 2\r\n\r\nhi",
    "absurd-msg-len": b"CHAT/1.0 TEXT\r\nUsername: x\r\nMsg-len: 99999999999999999999\r\n\r\nhi",
}


@pytest.mark.parametrize("bad", BAD_INPUT)
@requirement("CS9", name="bad-input")
def test_bad_input(clients, bad):
    """Set up with JOINs alone and judged by whether a newcomer is still served (its JOIN or its TEXT
    reaches the others): a broken relay of one kind of message cannot leave CS9 `not evaluated`."""
    members = joined(clients, "ann", "ben")
    with about("CS2"):   # nothing forwarded at all, before any bad input: CS9 cannot be judged
        served(clients, members, "cid", "before any bad input")
    rogue = clients.connect()
    rogue.send_raw(BAD_INPUT[bad])
    clients.settle()
    served(clients, members, "eve", f"after {bad} from another client")


ENDLESS = 16 << 20   # bytes of header without an end


def send_endless_header(clients) -> None:
    """A new client sends a TEXT whose header never ends: 16 MiB, or until the server stops taking it."""
    rogue = clients.connect()
    rogue.send_raw(b"CHAT/1.0 TEXT\r\nUsername: x\r\nX-Pad: ")
    for _ in range(ENDLESS >> 20):
        try:
            if not rogue.send_within(b"y" * (1024 * 1024), settings.wait(settings.EVENT)):
                break
        except CheckFailure:
            break    # it closed the connection: fine


@requirement("CS9", name="endless-header")
def test_endless_header(clients, findings):
    """16 MiB of header without an end: the others are still served (its memory is endless-header-memory's
    business). A server that passes the junk on is charged CS5 (a finding: it relayed an invalid
    message), and the test reads past it (up to the 16 MiB sent, and a little more) to judge CS9 on
    whether a newcomer is still served (set up with JOINs alone, as bad-input)."""
    members = joined(clients, "ann", "ben")
    with about("CS2"):
        served(clients, members, "cid", "before the endless header")
    send_endless_header(clients)
    clients.settle()
    got = served(clients, members, "eve", "after an endless header from another client",
                 limit=ENDLESS + MAX_HEADER)
    relayed = [wire.label for wire, data in got.items() if b"X-Pad: yyyy" in data or b"y" * 4096 in data]
    if relayed:
        findings.failures.append(CheckFailure(
            f"The server passed the endless header on to the others (on {', '.join(relayed)}): an invalid "
            "message (its header never ends) must not be forwarded.",
            expected="nothing of the endless header on the other clients' connections",
            actual="the header's bytes (X-Pad: yyyy…) before the next TEXT", requirement="CS5"))


@requirement("CS9", name="endless-header-memory")
def test_endless_header_memory(clients, request, transcript):
    """The memory half of CS9's endless header, set up without the relay (two clients that JOINed): a
    server that keeps a header without end grows by all of it, whatever its relay does."""
    pgid = stash.record(request.node).server_pgid
    if not pgid:
        pytest.skip("the server's memory cannot be seen here (--server)")
    joined(clients, "ann", "ben")
    before = group_memory(pgid)
    send_endless_header(clients)
    clients.settle()
    _, peak = group_memory(pgid)
    grown = (peak - before[0]) / 1024
    transcript.note(f"server memory: {before[0] / 1024:.1f} MiB before, peak {peak / 1024:.1f} MiB")
    if grown >= 16:
        raise CheckFailure("The server's memory grew by the whole endless header: it keeps unbounded headers.",
                           expected="less than 16 MiB of growth", actual=f"+{grown:.1f} MiB")


@requirement("CS12", name="listen-address")
def test_listen_address(ctx, raw, server_under_test):
    expect_listening_beyond_localhost(ctx, raw, server_under_test)
