"""Steps the chat10 tests share: CHAT/1.0 messages built and read by the suite itself (never by the
reference codec). Header names are compared without regard to case (the assignment leaves it open)."""
from __future__ import annotations

from dataclasses import dataclass

from conformance.harness.failure import CheckFailure
from conformance.harness.peer import WirePeer

CZECH = "Žluťoučký kůň úpěl ďábelské ódy"
# No message the suite sends has a longer header or payload: anything bigger that comes back was made
# up by the candidate (a relayed endless header, an absurd Msg-len), and is reported as such.
MAX_HEADER = 64 * 1024
MAX_PAYLOAD = 16 * 1024 * 1024


def message(method: str, username: str | None = None, payload: bytes = b"", msg_len: int | None = None,
            extra: str = "") -> bytes:
    head = f"CHAT/1.0 {method}\r\n"
    if username is not None:
        head += f"Username: {username}\r\n"
    if msg_len is not None:
        head += f"Msg-len: {msg_len}\r\n"
    return (head + extra + "\r\n").encode("utf-8") + payload


def join(username: str) -> bytes:
    return message("JOIN", username)


def leave(username: str) -> bytes:
    return message("LEAVE", username)


def text(username: str, body: str) -> bytes:
    payload = body.encode("utf-8")
    return message("TEXT", username, payload, len(payload))


@dataclass
class Received:
    method: str
    headers: dict
    payload: bytes
    raw: bytes

    @property
    def username(self) -> str | None:
        return self.headers.get("username")


def parse_head(head: bytes, label: str, what: str) -> tuple:
    """(method, headers) of a message's head (its bytes up to and with the blank line), as the text
    defines it; a CheckFailure naming what is off (no start line, a header without a colon or twice, a
    Msg-len that is no byte count or more than the suite ever sent)."""
    lines = head[:-4].decode("utf-8", "replace").split("\r\n")
    start = lines[0].split(" ")
    if len(start) != 2 or start[0] != "CHAT/1.0":
        raise CheckFailure(f"A message on {label} does not start with 'CHAT/1.0 METHOD'.", expected=what,
                           actual=head)
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            raise CheckFailure(f"A header line on {label} has no colon.", expected="Name: value",
                               actual=line)
        key = name.strip().lower()
        if key in headers:
            raise CheckFailure(f"A message on {label} has the header {name.strip()} twice.",
                               expected=what, actual=head[:400])
        headers[key] = value.strip()
    length = headers.get("msg-len", "0")
    if not length.isdigit():
        raise CheckFailure(f"A Msg-len on {label} is not a byte count.", actual=head[:400])
    if int(length) > MAX_PAYLOAD:
        raise CheckFailure(f"A message on {label} announces a payload of {length} bytes, more than any "
                           f"message the suite sent ({MAX_PAYLOAD} bytes at most).", expected=what,
                           actual=head[:400])
    return start[1], headers


def read_message(wire: WirePeer, what: str = "a CHAT/1.0 message") -> Received:
    """The next message on the wire. A wire of the server suite's room knows its member's name
    (`own_name`): a message of that member's coming back to it is handed to `on_echo` (which records
    it against the requirement it breaks) and skipped, so the test goes on to judge its own."""
    while True:
        got = read_one(wire, what)
        if got.username is None or got.username != getattr(wire, "own_name", None):
            return got
        wire.on_echo(got)


def read_one(wire: WirePeer, what: str) -> Received:
    head = wire.read_until(b"\r\n\r\n", what=what, limit=MAX_HEADER)
    method, headers = parse_head(head, wire.label, what)
    length = int(headers.get("msg-len", "0"))
    payload = wire.read_exact(length, what=f"the {length}-byte payload of {method}") if length else b""
    return Received(method, headers, payload, head + payload)


def expect_message(wire: WirePeer, method: str, username: str, payload: bytes | None = None,
                   what: str = "") -> Received:
    """The next message must be METHOD from username (with exactly this payload and a Msg-len that
    counts its bytes, for TEXT)."""
    want = f"CHAT/1.0 {method}, Username: {username}" + (f", a {len(payload)}-byte payload" if payload else "")
    got = read_message(wire, what or want)
    if got.method != method or got.username != username:
        raise CheckFailure(f"Wrong message on {wire.label}{what and ' (' + what + ')'}.", expected=want,
                           actual=got.raw[:400])
    if payload is not None and (got.payload != payload or got.headers.get("msg-len") != str(len(payload))):
        raise CheckFailure(f"The payload or Msg-len of a {method} on {wire.label} is wrong.",
                           expected=f"Msg-len: {len(payload)} and the payload {payload[:200]!r}",
                           actual=got.raw[:400])
    return got


def parse_all(data: bytes, label: str) -> list:
    """Every whole CHAT/1.0 message in `data` (Received), read as read_message reads one from a wire; a
    CheckFailure naming what is off in the first one that is not."""
    out = []
    while data:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            raise CheckFailure("Bytes that are no whole CHAT/1.0 message (no blank line after the headers).",
                               actual=data[:400])
        method, headers = parse_head(data[:end + 4], label, "a CHAT/1.0 message")
        size = int(headers.get("msg-len", "0"))
        out.append(Received(method, headers, data[end + 4:end + 4 + size], data[:end + 4 + size]))
        data = data[end + 4 + size:]
    return out


def sent_loosely(wire: WirePeer, username: str, bodies: list, what: str) -> CheckFailure | None:
    """For a test about something else (the window answering, sending twice in a row): wait until
    each body has come from the client in whatever form, so that the test goes on to its own check;
    then judge the exact CHAT/1.0 form of what came, which is CC3's business. Returns that verdict as
    a CheckFailure about CC3 (to raise once the test's own check passed), or None."""
    data = b""
    for body in bodies:
        data += wire.read_until(body.encode("utf-8"), what=f"{what}: {body!r} in any form", limit=MAX_HEADER)
    want = [f"CHAT/1.0 TEXT, Username: {username}, Msg-len: {len(b.encode())}, payload {b!r}" for b in bodies]
    try:
        got = parse_all(data, wire.label)
    except CheckFailure as exc:
        return CheckFailure(f"The TEXT messages for {what} are not in CHAT/1.0 form: {exc.what}", expected=want,
                            actual=data[:600], requirement="CC3")
    texts = [m for m in got if m.method == "TEXT"]
    if [(m.username, m.payload, m.headers.get("msg-len")) for m in texts] != \
            [(username, b.encode(), str(len(b.encode()))) for b in bodies]:
        return CheckFailure(f"The TEXT messages for {what} arrived, but not in the form CC3 asks for.",
                            expected=want, actual=data[:600], requirement="CC3")
    return None
