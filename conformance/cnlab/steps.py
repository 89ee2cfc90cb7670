"""Steps the cnlab tests share: starting the client, logging in, random names and messages."""
from __future__ import annotations

import random
import re
import socket
import string
import time

from conformance.harness import settings, waiting
from conformance.harness.failure import CheckFailure
from conformance.harness.peer import RawClients, ScriptedServer, WirePeer
from conformance.harness.prompts import trailing_prompt, without_prompts
from conformance.harness.terminal import Terminal

from .spec import HEADERS

WELCOME = "Welcome to Chat Client. Enter your login:"
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
         "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra", "tango")
HEADER_WORD = re.compile(r"(?<![\w-])(%s)(?![\w-])" % "|".join(re.escape(h) for h in HEADERS))
DELIVERED = re.compile(r"From \S+: ")   # what follows is a sender's text: header words are allowed in it


def name(rng: random.Random, prefix: str = "") -> str:
    """A valid, unlikely-to-clash user name: letters and digits only."""
    return (prefix or rng.choice(("ada", "bob", "cy", "dee", "eve", "fay"))) + "".join(
        rng.choice(string.ascii_lowercase + string.digits) for _ in range(6))


def text(rng: random.Random, words: int = 4) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def long_text(rng: random.Random, size: int) -> str:
    """`size` characters of words and single spaces, no leading or trailing space."""
    out = []
    length = 0
    while length < size:
        words = rng.choices(WORDS, k=(size - length) // 8 + 1)   # in batches: 70,000 choices one by one cost 0.3 s
        out += words
        length += sum(len(word) + 1 for word in words)
    return " ".join(out)[:size].strip().ljust(size, "x")


# RT5's experiment (Terminal.stuck_behind): a message line that did not come is tried once more after
# one more line reached the client; one that comes then waited in the client's buffer for the next read.
NUDGE = b"one more line, to see what comes after it"


def a_delivery(expected) -> bool:
    return any(str(e).startswith("From ") for e in (expected if isinstance(expected, (list, tuple)) else [expected]))


def start(launch, server_address: tuple, inject: tuple = ()) -> Terminal:
    host, port = server_address
    client = launch("client", inject=inject, host=host, port=port)
    client.server_address = server_address
    return client


def message_through(server_address: tuple, user: str, transcript) -> None:
    """One more DELIVERY for `user` from a real server: a helper logs in (from its own loopback
    address, past any per-address limit), sends NUDGE to user and leaves."""
    host, port = server_address
    helper = "nudge" + "".join(random.choices(string.ascii_lowercase, k=6))
    source = ("127.0.0.254", 0) if host.startswith("127.") else None
    transcript.note(f"experiment: {helper} sends {user} one more message through the server")
    with socket.create_connection((host, port), timeout=settings.wait(settings.EVENT), source_address=source) as sock:
        replies = sock.makefile("rb")
        sock.sendall(f"HELLO-FROM {helper}\n".encode())
        replies.readline()
        sock.sendall(f"SEND {user} ".encode() + NUDGE + b"\n")
        replies.readline()


def attempt_login(client: Terminal, scripted: ScriptedServer, user: str) -> WirePeer:
    """Type a name; the client must connect (if it has not yet) and send HELLO-FROM."""
    client.type(user)
    wire = scripted.accept(why=f" after the user typed the name {user!r}")
    client.nudge = (lambda: wire.send(b"DELIVERY nudge " + NUDGE + b"\n"), "RT5", a_delivery)
    wire.expect_line(f"HELLO-FROM {user}\n".encode())
    return wire


def log_in(client: Terminal, scripted: ScriptedServer, user: str) -> WirePeer:
    """A successful handshake, then the client has taken in the HELLO (it has settled); the success
    message is RI3's business, not waited for."""
    wire = attempt_login(client, scripted, user)
    wire.send(f"HELLO {user}\n".encode())
    client.settle()
    return wire


def live_log_in(client: Terminal, user: str) -> None:
    """Type a name on a real server and wait, as a person does, for the client to answer it (any
    output) before typing on. That the answer is the right text is RI3's business."""
    printed = client.type(user)
    client.wait_reaction(printed)
    if getattr(client, "server_address", None):
        client.nudge = (lambda: message_through(client.server_address, user, client.transcript), "RT5", a_delivery)


def assert_logged_in(client: Terminal, wire: WirePeer, why: str) -> None:
    """Proof that the client works after a login: !who makes it send a line on that connection
    (that the line is exactly LIST is RC2's business)."""
    client.type("!who")
    try:
        wire.read_line(what="the client's request for !who")
    except CheckFailure as exc:
        exc.what = f"After {why}, the client should be logged in and working, but !who sent nothing. " + exc.what
        raise


def header_in(line: str, prompts=()) -> str | None:
    """A protocol header word the client printed in a line of its own (a delivered message's text,
    after `From <sender>: `, is the sender's and may hold any word)."""
    text = min(without_prompts(line, prompts), key=len)
    delivered = DELIVERED.search(text)
    found = HEADER_WORD.search(text[:delivered.start()] if delivered else text)
    return found.group(1) if found else None


def no_headers_printed(terminals: list) -> None:
    """RI1, over the whole transcript of every client the test started."""
    for term in terminals:
        for line in term.all_lines():
            header = header_in(line, term.prompts)
            if header:
                raise CheckFailure(f"The client printed the protocol header {header} to the user.",
                                   expected="no protocol header (" + "/".join(HEADERS) + ") in a printed line, "
                                   "but in a delivered message's text", actual=line, requirement="RI1")


def quiet(seconds: float = settings.QUIET) -> float:
    return settings.wait(seconds)


def wait_logged_in(watcher: WirePeer, user: str) -> None:
    """Wait until the server knows `user`: a SEND to it from a raw user gets SEND-OK, not
    BAD-DEST-USER (this works on servers whose LIST hides names)."""
    began = time.monotonic()
    deadline = began + settings.wait(settings.STARTUP)
    hopeless = waiting.Hopeless(watcher._drained, deadline)
    stuck = False
    while True:   # the ping after the programs were seen blocked for good is the last word
        watcher.send(f"SEND {user} ping\n".encode())
        line = watcher.read_line(what="SEND-OK or BAD-DEST-USER")
        if line == b"SEND-OK\n":
            return
        if line != b"BAD-DEST-USER\n" or stuck or time.monotonic() > deadline:
            raise CheckFailure(f"The client did not log in as {user!r} on the server"
                               + (f": {waiting.explain(time.monotonic() - began)}." if stuck else "."),
                               expected="the server to know " + user, actual=line)
        stuck = hopeless()   # two looks between two pings: nothing changed means blocked for good
        if not stuck:
            time.sleep(0.05)  # polling the server's state; there is no event to wait for
            stuck = hopeless()


def raw_log_in(clients: RawClients, user: str) -> WirePeer:
    """A raw connection logged in as `user` (the harness playing a user of a real server)."""
    conn = clients.connect()
    conn.send(f"HELLO-FROM {user}\n".encode())
    conn.expect_line(f"HELLO {user}\n".encode())
    return conn


# --- a delivered message, in whatever wording (the RT tests and the live ones judge by it) -----

def ends_with(line: str, message: str) -> int:
    """Where `message` ends the line (a prompt another thread printed may follow it), or -1."""
    at = line.rfind(message)
    after = line[at + len(message):] if at >= 0 else ""
    return at if at >= 0 and (not after.strip() or trailing_prompt(after)) else -1


def is_delivery(line: str, sender: str, message: str) -> bool:
    """A printed line that shows this message whole, from this sender, in whatever wording: the RT tests
    judge framing and timing by it; RI10's own tests judge the wording (`From <user>: <message>`), so a
    client that prints `<user>: <message>` fails RI10 there, not every RT test too (a real client did)."""
    at = ends_with(line, message)
    if at < 0 or f"DELIVERY {sender} " in line:   # a raw protocol line is RI1's concern
        return False
    return re.search(rf"(?<!\w){re.escape(sender)}(?!\w)", line[:at]) is not None


def message_lines(client, sender: str, message: str) -> list:
    """The printed lines that show (a piece of) this sender's message, in whatever wording (a raw
    `DELIVERY …` a client also prints is RI1's concern)."""
    return [p for p in client.plain_lines() if re.search(rf"(?<!\w){re.escape(sender)}(?!\w)", p)
            and message.split()[0] in p and f"DELIVERY {sender} " not in p]


def expect_delivery(client, sender: str, message: str, **options) -> None:
    client.expect_where(lambda line: is_delivery(line, sender, message), f"From {sender}: {message}", **options)
