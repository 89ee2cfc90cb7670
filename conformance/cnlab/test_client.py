"""cnlab client suite: one test (or family) per requirement of the assignment, RA1–RI13.

Most tests play the server with the scripted peer (byte-exact, under every delivery policy); the
`live` ones, in test_client_live.py, run the client against a real server (the reference, or --server).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conformance import sources
from conformance.harness import settings
from conformance.harness.failure import CheckFailure, Findings, about
from conformance.harness.peer import POLICIES
from conformance.run.fixtures import accept_where_given
from conformance.cnlab import steps
from conformance.cnlab.spec import HEADERS, SEND_OK_TEXTS
from conformance.cnlab.steps import (WELCOME, assert_logged_in, attempt_login, ends_with, expect_delivery, log_in,
                                     message_lines)

requirement = pytest.mark.requirement


# --- authentication and the login messages ------------------------------------------------

@requirement("RI2", name="welcome")
def test_welcome(client):
    client.expect_line(WELCOME, timeout=settings.wait(settings.STARTUP), prompt=True)


@requirement("RA1", "RT1", name="login")
def test_login(client, scripted, rng):
    user = steps.name(rng)
    client.type(user)
    with about("RA1", "RT1"):   # no TCP connection at all: no login attempt, and nothing over TCP
        wire = scripted.accept(why=f" after the user typed the name {user!r}")
    with about("RA1"):
        wire.expect_line(f"HELLO-FROM {user}\n".encode())


@requirement("CL1", name="address-arguments")
def test_address_arguments(launch, served_elsewhere, rng):
    """Served at 127.0.0.2 on another port (the only test that does not serve at 127.0.0.1:5378), with
    a decoy at 127.0.0.1:5378: the client must connect where --address and --port say."""
    elsewhere, decoy = served_elsewhere
    client = launch("client", host=elsewhere.host, port=elsewhere.port)
    user = steps.name(rng)
    client.type(user)
    wire = accept_where_given(elsewhere, decoy, why=f" after the user typed the name {user!r}")
    wire.expect_line(f"HELLO-FROM {user}\n".encode())


@requirement("RI3", name="login-success")
def test_login_success(client, scripted, rng):
    user = steps.name(rng)
    log_in(client, scripted, user)
    client.expect_line(f"Successfully logged in as {user}!")


@requirement("RI4", name="in-use")
def test_in_use(client, scripted, rng):
    user = steps.name(rng)
    wire = attempt_login(client, scripted, user)
    wire.send(b"IN-USE\n")
    wire.close()
    client.expect_line(f"Cannot log in as {user}. That username is already in use.")


@requirement("RA2", "RA6", name="in-use-retry")
def test_in_use_retry(client, scripted, rng):
    first, second = steps.name(rng), steps.name(rng)
    wire = attempt_login(client, scripted, first)
    wire.send(b"IN-USE\n")
    wire.close()  # as the course server does: a new name needs a new connection
    wire = log_in(client, scripted, second)
    assert_logged_in(client, wire, f"IN-USE for {first!r} and HELLO for {second!r}")


@requirement("RI5", name="bad-name")
def test_bad_name(client, scripted, rng):
    user = steps.name(rng)
    wire = attempt_login(client, scripted, user)
    wire.send(b"BAD-RQST-BODY\n")
    wire.close()
    client.expect_line(f"Cannot log in as {user}. That username contains disallowed characters.")


def rejected_then_retry(client, scripted, bad: str, good: str) -> None:
    """Type a name the server rejects; once the client has reacted, a good one. A client may send the
    bad name (the server answers BAD-RQST-BODY and closes, as the course server does) or reject it
    itself, before or after opening a connection; either way the good name must then log in, on a
    new connection where the old one was closed. That nothing was sent is proved by a quiet window."""
    client.type(bad)
    client.settle()
    try:
        wire, line = scripted.next_line(timeout=steps.quiet(), why=f" after the user typed {bad!r}")
    except CheckFailure:
        wire = line = None   # the client rejected the name itself
    if line is not None:
        if line.rstrip(b"\r\n") != f"HELLO-FROM {bad}".encode():
            raise CheckFailure("Wrong login line from the client.", expected=f"HELLO-FROM {bad}\\n", actual=line)
        wire.send(b"BAD-RQST-BODY\n")
        wire.close()
    client.type(good)
    wire, line = scripted.next_line(why=f" for the name {good!r} after {bad!r} was rejected"
                                    + (" and the server closed the connection" if wire else ""))
    if line.rstrip(b"\r\n") != f"HELLO-FROM {good}".encode():
        raise CheckFailure("Wrong login line from the client.", expected=f"HELLO-FROM {good}\\n", actual=line)
    wire.send(f"HELLO {good}\n".encode())
    client.settle()
    assert_logged_in(client, wire, f"the rejection of {bad!r} and HELLO for {good!r}")


@requirement("RA4", "RA6", name="forbidden-symbols-retry")
def test_forbidden_symbols_retry(client, scripted, rng):
    rejected_then_retry(client, scripted, "no!" + steps.name(rng) + "#$", steps.name(rng))


@requirement("RA4", "RA6", name="server-rejected-name-retry")
def test_server_rejected_name_retry(client, scripted, rng):
    """A name only the server rejects (letters, digits and one '_': no symbol a client filters), so the
    client's own recovery after the server's BAD-RQST-BODY and close is what is judged."""
    rejected_then_retry(client, scripted, steps.name(rng) + "_" + steps.name(rng), steps.name(rng))


@requirement("RA5", "RA6", name="command-name-retry")
def test_command_name_retry(client, scripted, rng):
    rejected_then_retry(client, scripted, "@" + steps.name(rng), steps.name(rng))


@requirement("RA5", "RA6", name="who-as-name-retry")
def test_who_as_name_retry(client, scripted, rng):
    """!who typed as the name: sent as HELLO-FROM !who (the server rejects it) or refused by the client,
    but never taken for the command (a LIST before logging in)."""
    rejected_then_retry(client, scripted, "!who", steps.name(rng))


@requirement("RI6", name="busy")
def test_busy_message(client, scripted, rng):
    wire = attempt_login(client, scripted, steps.name(rng))
    wire.send(b"BUSY\n")   # the course server does not close after BUSY
    client.expect_line("Cannot log in. The server is full!")


@requirement("RA3", name="busy-exit")
def test_busy_exit(client, scripted, rng):
    wire = attempt_login(client, scripted, steps.name(rng))
    wire.send(b"BUSY\n")
    client.expect_exit(why=" after BUSY")


# --- special commands ---------------------------------------------------------------------

@requirement("RA8", name="quit-at-login")
def test_quit_at_login(client):
    """!quit typed at the login prompt, once the program is up and waiting for the name; it must then
    exit cleanly (no traceback) by itself."""
    client.expect_waiting(why=" before !quit was typed at the login prompt")
    client.type("!quit")
    client.expect_exit(why=" after !quit at the login prompt", clean=True)


@requirement("RC1", name="quit")
def test_quit_after_login(client, scripted, rng):
    wire = log_in(client, scripted, steps.name(rng))
    assert_logged_in(client, wire, "login")
    client.type("!quit")
    client.expect_exit(why=" after !quit", clean=True)


@requirement("RC2", name="who-request")
def test_who_request(client, scripted, rng):
    wire = log_in(client, scripted, steps.name(rng))
    client.type("!who")
    wire.expect_line(b"LIST\n")


@pytest.mark.parametrize("count", [1, 3])
@requirement("RI11", name="who-output")
def test_who_output(client, scripted, rng, count):
    user = steps.name(rng)
    wire = log_in(client, scripted, user)
    client.type("!who")
    wire.expect_line(b"LIST\n")
    names = [user] + [steps.name(rng) for _ in range(count - 1)]
    wire.send(("LIST-OK " + ",".join(names) + "\n").encode())
    client.expect_line(f"There are {count} online users:")
    for n in names:   # the course's reading: the page shows "- name", its template README bare names
        client.expect_line((f"- {n}", n))


# --- sending ------------------------------------------------------------------------------

@requirement("RI7", name="send")
def test_send(client, scripted, rng):
    wire = log_in(client, scripted, steps.name(rng))
    dest, message = steps.name(rng), steps.text(rng)
    client.type(f"@{dest} {message}")
    wire.expect_line(f"SEND {dest} {message}\n".encode())


def send_and_reply(client, scripted, rng, reply: bytes):
    """Type a message and answer whatever line the client sends (its format is RI7's business)."""
    wire = log_in(client, scripted, steps.name(rng))
    dest, message = steps.name(rng), steps.text(rng)
    client.type(f"@{dest} {message}")
    wire.read_line(what=f"the client's request for '@{dest} {message}'")
    wire.send(reply)
    return wire


@requirement("RI8", name="send-ok")
def test_send_ok(client, scripted, rng):
    send_and_reply(client, scripted, rng, b"SEND-OK\n")
    client.expect_line(SEND_OK_TEXTS)


@requirement("RI9", name="bad-dest-user")
def test_bad_dest_user(client, scripted, rng):
    send_and_reply(client, scripted, rng, b"BAD-DEST-USER\n")
    client.expect_line("The destination user does not exist")


@requirement("RI12", name="bad-header")
def test_bad_header(client, scripted, rng):
    send_and_reply(client, scripted, rng, b"BAD-RQST-HDR\n")
    client.expect_line("Error: Unknown issue in previous message header.")


@requirement("RI13", name="bad-body")
def test_bad_body(client, scripted, rng):
    send_and_reply(client, scripted, rng, b"BAD-RQST-BODY\n")
    client.expect_line("Error: Unknown issue in previous message body.")


@requirement("RT4", name="long-send")
def test_long_send(client, scripted, rng):
    """10,000 characters: past the 4095-byte line limit of a terminal in canonical mode."""
    wire = log_in(client, scripted, steps.name(rng))
    dest, message = steps.name(rng), steps.long_text(rng, 10_000)
    client.type(f"@{dest} {message}")
    wire.expect_line(f"SEND {dest} {message}\n".encode())


@requirement("RT4", name="partial-send")
def test_partial_send(launch, scripted, rng):
    """Every send() of the client transmits at most 3 bytes: the lines must still arrive whole."""
    client = steps.start(launch, (scripted.host, scripted.port), inject=("partial_send",))
    wire = log_in(client, scripted, steps.name(rng))
    dest, message = steps.name(rng), steps.text(rng, 8)
    client.type(f"@{dest} {message}")
    wire.expect_line(f"SEND {dest} {message}\n".encode())


@requirement("RT2", name="no-sendall")
def test_no_sendall(ctx, transcript):
    """By syntax tree, in the client's own files (its program and the submission's modules it imports;
    a server.py beside it is not the client): a comment or a string does not count, a call does."""
    program, root = ctx.programs["client"], submission_folder(ctx)
    calls = []
    for path, tree in own_files(program, root).items():
        if not isinstance(tree, ast.AST):
            transcript.note(f"could not parse {shown_path(path, root)}: {tree}")
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "sendall" or \
                    isinstance(node, ast.Name) and node.id == "sendall":
                calls.append(f"{shown_path(path, root)}:{node.lineno}")
        transcript.note(f"scanned {shown_path(path, root)}")
    if calls:
        raise CheckFailure("The client uses sendall().", expected="no use of sendall",
                           actual=", ".join(calls))


@requirement("RC1", name="no-os-exit")
def test_no_os_exit(ctx, transcript):
    """The course: "You cannot use os.exit() function to terminate your program" (it means os._exit,
    which ends the process at once, past every cleanup): by syntax tree, as RT2's check."""
    program, root = ctx.programs["client"], submission_folder(ctx)
    calls = []
    for path, tree in own_files(program, root).items():
        if not isinstance(tree, ast.AST):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("_exit", "exit") and \
                    isinstance(node.value, ast.Name) and node.value.id == "os" or \
                    isinstance(node, ast.ImportFrom) and node.module == "os" and \
                    any(alias.name in ("_exit", "exit") for alias in node.names):
                calls.append(f"{shown_path(path, root)}:{node.lineno}")
    if calls:
        raise CheckFailure("The client ends itself with os._exit(); the course says: \"You cannot use os.exit() "
                           "function to terminate your program\" (return from main, or sys.exit(), after closing "
                           "the socket).", expected="no os._exit / os.exit", actual=", ".join(calls))


def submission_folder(ctx) -> Path:
    """The submission's own folder (its scratch copy while checked): what source checks read."""
    folder = ctx.copy if ctx.copy is not None else ctx.submission
    return (folder if folder.is_dir() else folder.parent).resolve()


def shown_path(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def own_files(program, root: Path) -> dict:
    """path -> syntax tree (or, where it is not Python, the error's message) of the client's program file (or `-m`
    package) and, transitively, the modules of the submission it imports: only files inside the
    submission (`root`), never a grader's wrapper that --client-cmd names. Without a program of the
    submission in the command: every .py of the submission."""
    folder = program.cwd.resolve()
    parts = program.argv(host="h", port="0")
    entries = []
    for i, part in enumerate(parts):
        if part == "-m" and i + 1 < len(parts):
            entries += sources.module_files(folder, parts[i + 1], whole_packages=True)
        elif part.endswith(".py") and (folder / part).is_file():
            entries.append(folder / part)
    files = sources.imported_files(root, entries, places=lambda path: (folder, path.parent), whole_packages=True)
    if not files:
        files = sorted(sources.walk(root)[0])
    return {path: tree_or_why(path) for path in files}


def tree_or_why(path: Path):
    source = sources.read(path)
    return source.tree if source.tree is not None else source.detail


# --- receiving ----------------------------------------------------------------------------

@requirement("RI10", name="delivery")
def test_delivery(client, scripted, rng):
    wire = log_in(client, scripted, steps.name(rng))
    sender, message = steps.name(rng), steps.text(rng)
    wire.send(f"DELIVERY {sender} {message}\n".encode())
    client.expect_line(f"From {sender}: {message}")


@requirement("RI10", name="header-words-in-text")
def test_header_words_in_text(client, scripted, rng):
    """Messages whose text holds every header word of the protocol (as a client that finds a header by
    substring, `if "SEND-OK" in line`, gets wrong): each is printed once, whole, and the client stays."""
    wire = log_in(client, scripted, steps.name(rng))
    sender = steps.name(rng)
    messages = [f"{word} {steps.text(rng, 2)}" for word in HEADERS] + [" ".join(HEADERS)]
    wire.send(*[f"DELIVERY {sender} {m}\n".encode() for m in messages])
    client.expect_each_once([f"From {sender}: {m}" for m in messages],
                            why=" for messages whose text holds protocol header words")


@pytest.mark.parametrize("policy", POLICIES)
@requirement("RT3", name="framing")
def test_framing(client, scripted, rng, policy):
    """Two DELIVERY lines under a delivery policy: each printed once, whole, in order."""
    wire = log_in(client, scripted, steps.name(rng))
    sender = steps.name(rng)
    messages = [f"{steps.text(rng)} Žluťoučký kůň", f"{steps.text(rng)} úpěl ďábelské ódy"]
    wire.send(*[f"DELIVERY {sender} {m}\n".encode() for m in messages], policy=policy)
    expected = [f"From {sender}: {m}" for m in messages]
    for message in messages:
        expect_delivery(client, sender, message)
    shown = [message_lines(client, sender, m) for m in messages]
    printed = [p for p in client.plain_lines() if any(p in lines for lines in shown)]
    if [p for p in printed if not any(ends_with(p, m) >= 0 for m in messages)] or len(printed) != 2:
        raise CheckFailure(f"Messages delivered as {policy!r} were printed incomplete or more than once.",
                           expected=expected, actual=printed)


@requirement("RT3", name="delivery-with-hello")
def test_delivery_with_hello(client, scripted, rng):
    """HELLO and a first DELIVERY arrive in one segment: the message must be printed, once and whole
    (a client that drops what came after the handshake line loses it)."""
    user = steps.name(rng)
    wire = attempt_login(client, scripted, user)
    sender, message = steps.name(rng), steps.text(rng)
    wire.send(f"HELLO {user}\n".encode(), f"DELIVERY {sender} {message}\n".encode(), policy="coalesced")
    expect_delivery(client, sender, message, why=" that arrived in the same segment as the HELLO")


@requirement("RT3", name="cut-mid-line")
def test_cut_mid_line(client, scripted, rng):
    """The first half of a DELIVERY line must not be printed until its end arrives."""
    wire = log_in(client, scripted, steps.name(rng))
    assert_logged_in(client, wire, "login")
    sender, message = steps.name(rng), steps.text(rng, 6)
    line = f"DELIVERY {sender} {message}\n".encode()
    wire.send(line[: len(line) // 2])
    client.expect_quiet(why=" while only half of a DELIVERY line had arrived",
                        pattern=f"{sender}|{message.split()[0]}")
    wire.send(line[len(line) // 2:])
    expect_delivery(client, sender, message)


@requirement("RT5", name="print-promptly")
def test_print_promptly(client, scripted, rng):
    """Printed within 0.5 s (× timeout scale) of the message's last byte."""
    wire = log_in(client, scripted, steps.name(rng))
    assert_logged_in(client, wire, "login")
    sender, message = steps.name(rng), steps.text(rng, 6)
    line = f"DELIVERY {sender} {message}\n".encode()
    wire.send(line[:5])
    client.expect_quiet(settings.wait(0.1), pattern=sender)
    wire.send(line[5:])
    expect_delivery(client, sender, message, timeout=settings.wait(0.5),
                       why=" within 0.5 s of the message's last byte")


@requirement("RT5", name="two-in-one-segment")
def test_two_in_one_segment(client, scripted, rng):
    """Two whole DELIVERY lines in one segment: both printed promptly (a client that handles one line
    per readiness leaves the second in its buffer until the next one comes)."""
    wire = log_in(client, scripted, steps.name(rng))
    assert_logged_in(client, wire, "login")
    sender, first, second = steps.name(rng), steps.text(rng, 3), steps.text(rng, 5)
    wire.send(f"DELIVERY {sender} {first}\nDELIVERY {sender} {second}\n".encode())
    expect_delivery(client, sender, first, timeout=settings.wait(0.5), why=" within 0.5 s of the segment")
    expect_delivery(client, sender, second, timeout=settings.wait(0.5),
                       why=" within 0.5 s of the segment that also held the first")


@requirement("RI10", name="inner-spaces-kept")
def test_inner_spaces_kept(client, scripted, rng):
    """The server keeps a message's inner spaces (it trims only its ends): so must the client."""
    wire = log_in(client, scripted, steps.name(rng))
    sender = steps.name(rng)
    message = f"{steps.text(rng, 2)}  two  spaces   and three"
    wire.send(f"DELIVERY {sender} {message}\n".encode())
    client.expect_line(f"From {sender}: {message}", why=" with its inner spaces as they came")


@requirement("RT6", name="receive-while-idle")
def test_receive_while_idle(client, scripted, rng):
    """The user types nothing after logging in; a message must still be shown."""
    user = steps.name(rng)
    wire = log_in(client, scripted, user)
    sender, message = steps.name(rng), steps.text(rng)
    wire.send(f"DELIVERY {sender} {message}\n".encode())
    expect_delivery(client, sender, message, why=" while the client waited for keyboard input")


@requirement("RT4", name="long-receive")
def test_long_receive(client, scripted, rng):
    wire = log_in(client, scripted, steps.name(rng))
    sender, message = steps.name(rng), steps.long_text(rng, 64 * 1024)
    wire.send(f"DELIVERY {sender} {message}\n".encode(), policy="chops")
    expect_delivery(client, sender, message, timeout=settings.wait(settings.STARTUP))


UNEXPECTED = {
    "hello": b"HELLO someone\n",
    "in-use": b"IN-USE\n",
    "busy": b"BUSY\n",
    "send-ok": b"SEND-OK\n",
    "bad-dest-user": b"BAD-DEST-USER\n",
    "list-ok-empty": b"LIST-OK \n",
    "delivery-no-text": b"DELIVERY someone\n",
    "unknown-header": b"WHAT-IS-THIS 1 2 3\n",
    "empty-line": b"\n",
}


@pytest.mark.parametrize("header", UNEXPECTED)
@requirement("RT7", name="unexpected-header")
def test_unexpected_header(client, scripted, rng, header):
    """A header at a moment the client does not expect it: no crash, later messages still shown."""
    wire = log_in(client, scripted, steps.name(rng))
    wire.send(UNEXPECTED[header])
    client.settle()   # the checking DELIVERY only once the client has taken in the header before it
    sender, message = steps.name(rng), steps.text(rng)
    wire.send(f"DELIVERY {sender} {message}\n".encode())
    expect_delivery(client, sender, message, why=f" after an unexpected {UNEXPECTED[header]!r}")
    client.expect_alive(why=f" after an unexpected {UNEXPECTED[header]!r}")


@requirement("RI1", name="no-headers")
def test_no_headers(client, scripted, rng):
    """A whole session with every reply the server has; none of the headers may be printed."""
    user = steps.name(rng)
    wire = log_in(client, scripted, user)
    client.type("!who")
    wire.read_line(what="the client's request for !who")
    wire.send(f"LIST-OK {user}\n".encode())
    for reply in (b"SEND-OK\n", b"BAD-DEST-USER\n", b"BAD-RQST-HDR\n", b"BAD-RQST-BODY\n"):
        client.type(f"@{steps.name(rng)} hi")
        wire.read_line(what="the client's SEND request")
        wire.send(reply)
    client.settle()   # the checking DELIVERY only once the client has taken in the reply before it
    sender, message = steps.name(rng), steps.text(rng)
    wire.send(f"DELIVERY {sender} {message}\n".encode())
    findings = Findings()   # a raw DELIVERY printed breaks both: RI10's wording and RI1
    with findings.check("RI10"):
        client.expect_line(f"From {sender}: {message}")
    with findings.check("RI1"):
        steps.no_headers_printed([client])
    findings.raise_any()
