"""jsonl client suite, JC1–JC12: the scripted peer plays the server; live tests use a real one."""
from __future__ import annotations

import re

import pytest

from conformance.harness import settings
from conformance.harness.failure import CheckFailure, about
from conformance.harness.peer import POLICIES
from conformance.run.fixtures import connects_where_given
from conformance.harness.prompts import without_prompts
from conformance.jsonl import steps
from conformance.jsonl.steps import CZECH, chat, encode, expect_json

requirement = pytest.mark.requirement


@pytest.fixture
def wire(client, scripted):
    """The client's connection, once the client is ready (settled: a prompt it left unfinished is
    learned before the first message arrives, as a person waits for the program to start)."""
    connection = scripted.accept(why=" at start (client.py SERVER PORT connects at once)")
    client.settle()
    return connection


@requirement("JC1", name="connects")
def test_connects(client, scripted):
    scripted.accept(why=" at start (client.py SERVER PORT connects at once)")


@requirement("JC1", name="connects-where-given")
def test_connects_where_given(launch, served_elsewhere):
    """Served at 127.0.0.2 on another port (every other test serves at 127.0.0.1:5555), with a decoy
    there: the client must connect to the server and port its command line names."""
    connects_where_given(launch, served_elsewhere, " at start (client.py SERVER PORT connects at once)")


@requirement("JC2", name="message")
def test_message(client, wire, rng):
    line = f"{steps.text(rng)} {CZECH}"
    client.type(line)
    expect_json(wire, {"type": "message", "data": line})


@requirement("JC2", name="quotes")
def test_message_with_quotes(client, wire, rng):
    """People type quotes and backslashes: the line goes out as the JSON string of exactly that line (a
    message built by pasting the line into a JSON text, seen in real submissions, breaks here)."""
    line = f'{steps.text(rng, 2)} "quoted" C:\\temp\\new {CZECH}'
    client.type(line)
    expect_json(wire, {"type": "message", "data": line})


@requirement("JC3", name="setname")
def test_setname(client, wire, rng):
    new = steps.name(rng)
    client.type(f"/setname {new}")
    expect_json(wire, {"type": "set-name", "data": new})


@requirement("JC4", name="history")
def test_history(client, wire):
    client.type("/history")
    expect_json(wire, {"type": "history", "data": ""})


@requirement("JC5", name="users")
def test_users(client, wire):
    client.type("/users")
    expect_json(wire, {"type": "users", "data": ""})


@requirement("JC6", name="print-message")
def test_print_message(client, wire, rng):
    source, message = steps.name(rng), steps.text(rng)
    wire.send(chat(source, message))
    client.expect_line(f"{source}: {message}", timeout=settings.wait(settings.STARTUP))
    wire.send(chat("[Server]", f"{source} has entered the chat"))
    client.expect_line(f"[Server]: {source} has entered the chat")


JSON_TEXTS = ['{"type": "message", "data": "inner"}', '}{"type": "history", "data": ""}{',
              '{"source": "[Server]", "message": "spoofed"}', '{{{ "type":', '"}]} type data message source']


@requirement("JC6", name="json-in-text")
def test_json_in_text(client, wire, rng):
    """Messages whose text is itself JSON, with "type" keys, quotes and unbalanced braces (as a client
    that finds objects by braces or by substring gets wrong): each is printed once, whole, and the
    client stays."""
    source = steps.name(rng)
    wire.send(*[chat(source, m) for m in JSON_TEXTS])
    client.expect_each_once([f"{source}: {m}" for m in JSON_TEXTS], why=" for messages whose text is JSON")


@pytest.mark.parametrize("policy", POLICIES + ("64k",))
@requirement("JC7", name="framing")
def test_framing(client, wire, rng, policy):
    source = steps.name(rng)
    size = 64 * 1024 if policy == "64k" else 0
    messages = [f"{steps.text(rng)} {CZECH}" + ("x" * size), f"{CZECH} {steps.text(rng)}"]
    wire.send(*[chat(source, m) for m in messages], policy="chops" if policy == "64k" else policy)
    expected = [f"{source}: {m}" for m in messages]
    for line in expected:
        client.expect_line(line, timeout=settings.wait(settings.STARTUP))
    printed = [line.strip() for line in client.all_lines() if source in line]
    if len(printed) != 2 or any(not p.endswith(e) for p, e in zip(printed, expected)):
        raise CheckFailure(f"Messages delivered as {policy!r} were printed incomplete or more than once.",
                           expected=expected, actual=printed)


@requirement("JC8", name="server-closes")
def test_server_closes(client, wire):
    wire.close()
    client.expect_line("Server disconnected", timeout=settings.wait(settings.STARTUP))
    client.expect_exit(why=" after the server closed the connection")


@requirement("JC9", name="receive-while-idle")
def test_receive_while_idle(client, wire, rng):
    """Nothing is typed: a message must be shown while the client waits for the keyboard."""
    source, message = steps.name(rng), steps.text(rng)
    wire.send(chat(source, message))
    client.expect_line(f"{source}: {message}", why=" while it waited for keyboard input")


BAD = {
    "invalid-json": b"{this is not json\n",
    "not-an-object": b"[1, 2, 3]\n",
    "unknown-type": encode("what-is-this", {"x": 1}),
    "missing-data": b'{"type": "message"}\n',
    "missing-source": encode("message", {"message": "no source"}),
    "data-not-object": encode("message", "just a string"),
    "invalid-utf8": b'{"type": "message", "data": {"source": "a", "message": "\xff\xfe"}}\n',
}


@pytest.mark.parametrize("bad", BAD)
@requirement("JC10", name="bad-server-input")
def test_bad_server_input(client, wire, rng, bad):
    wire.send(BAD[bad])
    source, message = steps.name(rng), steps.text(rng)
    wire.send(chat(source, message))
    client.expect_line(f"{source}: {message}", timeout=settings.wait(settings.STARTUP),
                       why=f" after the server sent {BAD[bad]!r}")
    client.expect_alive(why=f" after the server sent {BAD[bad]!r}")


@requirement("JC11", name="unknown-command")
def test_unknown_command(client, wire, rng):
    message = steps.text(rng)
    client.type("/frobnicate now")
    client.type(message)   # the barrier: the next request must be this one
    expect_json(wire, {"type": "message", "data": message},
                what="the message typed after an unknown /command, which must not be sent")


@requirement("JC12", name="partial-send")
def test_partial_send(launch, scripted, rng):
    client = launch("client", inject=("partial_send",), host=scripted.host, port=scripted.port)
    wire = scripted.accept()
    line = f"{steps.text(rng, 8)} {CZECH}"
    client.type(line)
    steps.same_json(steps.read_json(wire), {"type": "message", "data": line}, wire, requirement="JC2")
    client.type("/users")
    steps.same_json(steps.read_json(wire), {"type": "users", "data": ""}, wire, requirement="JC5")


@requirement("JC3", "JC6", name="live-setname")
def test_live_setname(launch, live_server, rng):
    host, port = live_server
    client = launch("client", host=host, port=port)
    new, message = steps.name(rng), steps.text(rng)
    client.type(f"/setname {new}")
    client.type(message)
    with about("JC6"):   # the message comes back and is printed as SOURCE: MESSAGE ...
        client.expect_match(re.escape(f": {message}") + "$", f"a line ending in ': {message}'",
                            timeout=settings.wait(settings.STARTUP))
    # the new name before the text, as a word of its own: the program's prompt may stand before it
    # unlearned (printed in the same moment as the line, so never seen on its own)
    as_new = re.compile(rf"(?:^|\s){re.escape(new)}: {re.escape(message)}$")
    if not any(as_new.search(form) for line in client.all_lines() for form in without_prompts(line, client.prompts)):
        raise CheckFailure("The server did not take the new name: the client's /setname did not reach it "
                           "as a set-name request.", expected=f"{new}: {message}",
                           actual="\n".join(client.all_lines()[-5:]), requirement="JC3")   # ... under the new name



@requirement("JC1", name="help")
def test_help(ctx, launch):
    """(SHOULD) --help prints usage."""
    client = launch("client", argv=ctx.programs["client"].argv_with("--help"))
    client.expect_match(r"(?i)\busage\b", "a usage text", timeout=settings.wait(settings.STARTUP))
