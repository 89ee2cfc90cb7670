"""jsonl server suite, JS1–JS10, with several raw clients. Notice texts are free ("no strict
rules"): the suite checks sources, names and order, not wording. Every test gets a fresh server."""
from __future__ import annotations

import json
import urllib.request

import pytest

from conformance import stash
from conformance.harness import settings
from conformance.harness.programs import free_port, group_memory, wait_listening
from conformance.harness.failure import CheckFailure
from conformance.jsonl import steps
from conformance.jsonl.steps import CZECH, encode, expect_json, expect_notice, next_chat, said
from conformance.run.servers import candidate_server, expect_listening_beyond_localhost

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


def barrier(members: list, sender=None, echoes: list = ()) -> None:
    """Proves that nothing else was sent to any member before: the sender's chat message must be the
    next thing every other member gets; then another member's, which the sender must get next. Only the
    echoes of the sender's own messages (`echoes`, then the barrier itself) may come before it: that
    the sender gets them back is JS3's business alone."""
    sender = sender or members[0]
    rest = others(members, sender)
    wire, name = sender
    text = "barrier " + name
    wire.send(encode("message", text))
    for other, _ in rest:
        expect_json(other, said(name, text), what=NEXT)
    if not rest:
        return
    back, back_name = rest[0]
    back_text = "barrier " + back_name
    back.send(encode("message", back_text))
    own = [said(name, m) for m in [*echoes, text]]
    got = steps.read_json(wire, NEXT)
    while own and got in own:   # its own messages coming back, in order
        own = own[own.index(got) + 1:]
        got = steps.read_json(wire, NEXT)
    steps.same_json(got, said(back_name, back_text), wire, NEXT)
    for other, _ in rest[1:]:   # the second barrier reaches the others too, and nothing stands before it
        expect_json(other, said(back_name, back_text), what=NEXT)


NEXT = "the next message (nothing else was due before it)"


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
            expect_json(wire, said(a_name, text))
    b.send(encode("message", texts[0]))
    for wire, _ in members:
        expect_json(wire, said(b_name, texts[0]))


@requirement("JS4", name="set-name")
def test_set_name(clients, rng):
    members = room(clients, 2)
    (a, a_name), (b, _) = members
    new, text = steps.name(rng), steps.text(rng)
    a.send(encode("set-name", new))
    for wire, _ in members:
        expect_notice(wire, a_name, new, what=f"announcing that {a_name} is now {new}")
    a.send(encode("message", text))
    expect_json(b, said(new, text),
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
        expect_json(b, said(a_name, text))
    b.send(encode("history", ""))
    for text in texts:   # oldest first, as message objects
        expect_json(b, said(a_name, text),
                    what="the history, oldest first")
    barrier(members, echoes=texts)     # to the requester only: ann's own messages may come back first


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
        expect_json(members[1][0], said(a_name, text))


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


@pytest.mark.parametrize("how", ["clean", "reset"])
@requirement("JS13", name="idle-after-leaving")
def test_idle_after_clients_leave(clients, server_idle, how):
    for wire, _ in room(clients, 2):
        wire.close() if how == "clean" else wire.vanish()
    server_idle(f"after its clients left ({how})")


@requirement("JS13", name="idle-with-clients-connected")
def test_idle_with_clients_connected(clients, server_idle):
    room(clients, 2)   # connected, announced, then silent
    server_idle("while its clients are connected and silent")


@pytest.mark.parametrize("how", ["clean", "reset", "mid-line"])
@requirement("JS10", name="disconnect")
def test_disconnect(clients, rng, how):
    members = room(clients, 2)
    (a, a_name), (b, _) = members
    if how == "mid-line":
        b.send(b'{"type": "message", "da')
    b_name = members[1][1]
    b.vanish() if how == "reset" else b.close()
    expect_notice(a, b_name, what=f"announcing that {b_name} left")
    a.send(encode("set-name", b_name))    # the name is free again
    expect_notice(a, a_name, b_name, what=f"announcing that {a_name} took the freed name {b_name}")


LONG_LINE = 16 * 1024 * 1024
MIB = 1024 * 1024


KERNEL_BUFFERS_MIB = 4   # of a long line sent, at most this much may still sit in socket buffers
MIN_KEPT_MIB = 8         # growth below this is never "kept the line"


@pytest.mark.parametrize("newline", [False, True], ids=["no-newline", "with-newline"])
@requirement("JS9", name="long-line")
def test_long_line(clients, raw, server_under_test, request, transcript, newline):
    """16 MiB in one line, sent 1 MiB at a time: an error notice or a close must come back before the
    last MiB is sent (the kernel's buffers hold a few MiB, far less than 16); the server's memory must
    grow by less than the line (it may not keep what it refused); and it must still serve."""
    members = room(clients, 1)
    a, _ = members[0]
    pgid = stash.record(request.node).server_pgid   # None with --server: memory unknown
    before = group_memory(pgid) if pgid else None
    first = b'{"type": "message", "data": "'
    chunk = b"x" * MIB
    sent, answered_at, closed = 0, None, False
    try:
        while sent < LONG_LINE:
            if answered_at is None and (a.eof or a.unread()):
                answered_at = sent
            piece = first + chunk[len(first):] if sent == 0 else chunk
            if not a.send_within(piece, settings.wait(settings.EVENT)):
                break                  # it stopped reading, so nothing more can pile up in it
            sent += len(piece)
        if sent == LONG_LINE and newline:
            a.send_raw(b'"}\n')
    except CheckFailure:
        closed = True                  # the server closed the connection on us: that is an answer
    if answered_at is None and not closed:
        raise CheckFailure("The server took a 16 MiB line without an error or a close.",
                           expected="an error notice or a closed connection before the whole line was sent",
                           actual=f"{sent // MIB} MiB sent, nothing back")
    steps.join(raw(server_under_test))   # it still serves (and has read what it was going to read)
    if before:
        rss_before, _ = before
        _, peak = group_memory(pgid)
        grown = (peak - rss_before) / 1024
        transcript.note(f"server memory: {rss_before / 1024:.1f} MiB resident before the line, "
                        f"peak {peak / 1024:.1f} MiB (+{grown:.1f} MiB)")
        # what it took in is what was sent, less what the kernel still buffers (a few MiB); a server
        # slow to read makes the loop above stop early, so the bound follows what was sent
        bound = max(sent / MIB - KERNEL_BUFFERS_MIB, MIN_KEPT_MIB)
        if grown >= bound:
            raise CheckFailure("The server's memory grew by about as much as it was sent of the refused line: "
                               "it kept what it refused.",
                               expected=f"less than {bound:.0f} MiB of growth (bounded memory)",
                               actual=f"{rss_before / 1024:.1f} MiB before, peak {peak / 1024:.1f} MiB after "
                                      f"{sent // MIB} MiB were sent")


@requirement("JS9", name="history-bounded")
def test_history_bounded(clients):
    members = room(clients, 2)
    (a, a_name), (b, b_name) = members
    count = 5000
    for start in range(0, count, 500):
        a.send_raw(b"".join(encode("message", f"m{i}") for i in range(start, start + 500)))
        for i in range(start, start + 500):
            expect_json(b, said(a_name, f"m{i}"))
    b.send_raw(encode("history", "") + encode("users", ""))
    replayed = 0
    while True:
        source, message = next_chat(b, "the history, then the user list")
        if source == steps.SERVER and b_name in message:
            break
        replayed += 1
    if replayed >= count:
        raise CheckFailure("The history is not limited: every one of 5,000 messages was kept.",
                           expected=f"fewer than {count} messages", actual=f"{replayed} messages")


@requirement("JS9", name="max-users")
def test_max_users(ctx, clients):
    limit = ctx.server_max_users
    if limit is None:
        pytest.skip("the server's user limit is unknown: pass --server-max-users N to test it")
    room(clients, limit)
    extra = clients.connect()
    why = f"user {limit + 1} of at most {limit}"
    source, message = steps.next_chat(extra, f"a [Server] notice to {why} that the chat is full")
    if source != steps.SERVER:
        raise CheckFailure(f"The connection past the limit was not told why it is refused ({why}).",
                           expected="a message from [Server] (any wording), then a close",
                           actual=f"source {source!r}, message {message!r}")
    extra.expect_closed(timeout=settings.wait(settings.EVENT), why=f" as {why}, after the notice")


@requirement("JS11", name="stalled-client")
def test_stalled_client(clients, rng):
    """A client that never reads: the others keep receiving, and the server drops it."""
    members = room(clients, 3)
    (a, a_name), (b, _), (stalled, stalled_name) = members
    stalled.pause_reading()
    big = "y" * 60_000
    dropped = False
    bulk = settings.wait(settings.BULK)
    for i in range(300):     # 18 MB: past any sane backlog bound
        a.send_raw(encode("message", f"{i} {big}"))   # (the harness drains a's socket on its own...
        for wire in (b,):
            obj = steps.read_json(wire, f"message {i} (a stalled client must not delay it)", bulk)
            while obj.get("data", {}).get("source") == steps.SERVER:   # the drop notice may come in between
                notice = obj["data"].get("message", "")
                dropped = dropped or stalled_name in notice
                obj = steps.read_json(wire, f"message {i} (after the notice {notice!r})", bulk)
            if obj != said(a_name, f"{i} {big}"):
                raise CheckFailure("A message was lost or changed while a client stalled.",
                                   expected=f"message {i} from {a_name}", actual=str(obj)[:200])
        a.wait_taken_in(bulk)   # ...and keeps up with it, as a client that reads does: only the stalled one lags
    if not dropped:
        stalled.resume_reading()   # what the server still had for it, then its close: after a long
        # zero window the kernel's persist timer paces the first bytes, hence the longer wait
        if not stalled.wait_closed(settings.wait(2 * settings.STARTUP)):
            raise CheckFailure("The server kept a client that read nothing of 18 MB of chat.",
                               expected="the stalled client dropped once its backlog passes a bound")


@requirement("JS1", name="help")
def test_help(ctx, launch):
    """(SHOULD) --help prints usage."""
    if ctx.server:
        pytest.skip("--server: the server was started by someone else")
    server = launch("server", argv=ctx.programs["server"].argv_with("--help"))
    server.expect_match(r"(?i)\busage\b", "a usage text", timeout=settings.wait(settings.STARTUP))


@requirement("JS12", name="web-view")
def test_web_view(ctx, raw, transcript, pytestconfig, rng):
    """The bonus: --web-port P serves an HTML page and /api/state, both current."""
    if not pytestconfig.option.bonus:
        pytest.skip("the web view is a bonus feature: pass --bonus to check it")
    if ctx.server:
        pytest.skip("--server: its web port is unknown")
    program = ctx.programs["server"]
    web = free_port()

    def argv(host, port):
        parts = program.argv(host=host, port=port, web_port=web)
        return parts if "{web_port}" in program.template else parts + ["--web-port", str(web)]

    server = candidate_server(ctx, argv, "candidate server with its web view")
    try:
        address = server.ensure(transcript)
        if not wait_listening("127.0.0.1", web, settings.wait(settings.STARTUP)):
            raise CheckFailure(f"Nothing listens on the web port {web} (started with --web-port {web}).")
        members = room(raw(address), 2)
        (a, a_name), (b, b_name) = members
        text = steps.text(rng)
        a.send(encode("message", text))
        expect_json(b, said(a_name, text))
        state = http_get(web, "/api/state", transcript)
        missing = [x for x in (a_name, b_name, text) if x not in state.decode("utf-8", "replace")]
        try:
            json.loads(state)
        except ValueError:
            raise CheckFailure("/api/state is not JSON.", actual=state[:300]) from None
        if missing:
            raise CheckFailure("/api/state does not show the current users and messages.",
                               expected=f"JSON naming {a_name}, {b_name} and the message {text!r}",
                               actual=state[:600])
        page = http_get(web, "/", transcript, want_html=True)
        if b"<" not in page:
            raise CheckFailure("/ is not an HTML page.", actual=page[:300])
    finally:
        raw.close_all()
        server.stop()


def http_get(port: int, path: str, transcript, want_html: bool = False) -> bytes:
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=settings.wait(settings.EVENT)) as response:
            body = response.read(1 << 20)
            kind = response.headers.get("Content-Type", "")
    except (OSError, ValueError) as exc:
        raise CheckFailure(f"GET {url} failed: {exc}") from None
    transcript.add("http<", f"GET {path} -> {kind}: " + body[:300].decode("utf-8", "replace"))
    if want_html and "html" not in kind:
        raise CheckFailure(f"GET {path} should be an HTML page.", expected="Content-Type: text/html",
                           actual=f"Content-Type: {kind}")
    return body


@requirement("JS14", name="listen-address")
def test_listen_address(ctx, raw, server_under_test):
    expect_listening_beyond_localhost(ctx, raw, server_under_test)
