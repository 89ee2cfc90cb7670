"""sendto wire format, sans-IO: bytes in, packets out; packets in, bytes out. No sockets here.

Every packet: type (1 byte) | length (4 bytes, unsigned big-endian, the body's size) | body.
Username field: 1 byte n, then n bytes of UTF-8 (1-20 characters, no whitespace).
Text field: the rest of the body, UTF-8, at most 65535 characters. See PROTOCOL.md.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

LOGIN, LIST_REQUEST, SENDTO_REQUEST, LOGOUT = 0x01, 0x02, 0x03, 0x04
LIST, RESPONSE, SENDTO = 0x81, 0x82, 0x83
OK, FAILURE, MALFORMED = 0, 1, 2

MAX_NAME = 20            # characters
MAX_TEXT = 65535         # characters
MAX_BODY = 1 + 4 * MAX_NAME + 4 * MAX_TEXT   # 262221: a sendto body at its largest
HEADER = struct.Struct(">BI")

CLIENT_TYPES = {LOGIN: "login", LIST_REQUEST: "list", SENDTO_REQUEST: "sendto", LOGOUT: "logout"}
SERVER_TYPES = {LIST: "LIST", RESPONSE: "RESPONSE", SENDTO: "SENDTO"}


class Malformed(ValueError):
    """A packet that breaks the format: the server answers RESPONSE 2 (malformed packet)."""


class TooLong(Malformed):
    """A length above MAX_BODY: the server answers RESPONSE 2 and closes the connection."""


@dataclass(frozen=True)
class Packet:
    type: int
    body: bytes = b""

    def encode(self) -> bytes:
        return HEADER.pack(self.type, len(self.body)) + self.body


class Decoder:
    """Feed it bytes as they arrive, in any pieces; it returns whole packets (type + raw body).

    A header whose length is over the bound ends the stream: `too_long` is set (the packets before
    it are still returned) and nothing after it is framed."""

    def __init__(self, max_body: int = MAX_BODY):
        self.max_body = max_body
        self.buffer = bytearray()
        self.too_long: TooLong | None = None

    def feed(self, data: bytes) -> list[Packet]:
        if self.too_long:
            return []
        self.buffer += data
        packets = []
        while len(self.buffer) >= HEADER.size:
            kind, length = HEADER.unpack_from(self.buffer)
            if length > self.max_body:
                self.too_long = TooLong(f"a body of {length} bytes (at most {self.max_body})")
                self.buffer.clear()
                break
            if len(self.buffer) < HEADER.size + length:
                break
            packets.append(Packet(kind, bytes(self.buffer[HEADER.size:HEADER.size + length])))
            del self.buffer[:HEADER.size + length]
        return packets


# --- fields -------------------------------------------------------------------------------------

def valid_name(name: str) -> bool:
    return 1 <= len(name) <= MAX_NAME and not any(c.isspace() for c in name)


def name_field(name: str) -> bytes:
    raw = name.encode("utf-8")
    return bytes([len(raw)]) + raw


def read_name(body: bytes, at: int = 0) -> tuple[str, int]:
    """(username, offset after it) of a username field at `at`; Malformed if it is not one."""
    if at >= len(body):
        raise Malformed("a username field is missing")
    n = body[at]
    raw = body[at + 1:at + 1 + n]
    if len(raw) < n:
        raise Malformed("a username field runs past the body")
    try:
        name = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("a username is not UTF-8") from None
    if not valid_name(name):
        raise Malformed(f"a bad username {name!r} (1-{MAX_NAME} characters, no whitespace)")
    return name, at + 1 + n


def read_text(body: bytes, at: int) -> str:
    try:
        text = body[at:].decode("utf-8")
    except UnicodeDecodeError:
        raise Malformed("the text is not UTF-8") from None
    if len(text) > MAX_TEXT:
        raise Malformed(f"a text of {len(text)} characters (at most {MAX_TEXT})")
    return text


# --- packets, both directions --------------------------------------------------------------------

def login(name: str) -> bytes:
    return Packet(LOGIN, name_field(name)).encode()


def list_request() -> bytes:
    return Packet(LIST_REQUEST).encode()


def sendto_request(destination: str, text: str) -> bytes:
    return Packet(SENDTO_REQUEST, name_field(destination) + text.encode("utf-8")).encode()


def logout() -> bytes:
    return Packet(LOGOUT).encode()


def user_list(names: list[str]) -> bytes:
    return Packet(LIST, struct.pack(">H", len(names)) + b"".join(name_field(n) for n in names)).encode()


def response(result: int) -> bytes:
    return Packet(RESPONSE, bytes([result])).encode()


def sendto(sender: str, text: str) -> bytes:
    return Packet(SENDTO, name_field(sender) + text.encode("utf-8")).encode()


def parse_request(packet: Packet) -> tuple:
    """A client request as ("login", name) | ("list",) | ("sendto", destination, text) | ("logout",);
    Malformed if its type is unknown or its body does not fit the type."""
    kind, body = packet.type, packet.body
    if kind == LOGIN:
        name, end = read_name(body)
        if end != len(body):
            raise Malformed("bytes after the username of a login")
        return ("login", name)
    if kind in (LIST_REQUEST, LOGOUT):
        if body:
            raise Malformed(f"a {CLIENT_TYPES[kind]} packet with a body")
        return (CLIENT_TYPES[kind],)
    if kind == SENDTO_REQUEST:
        destination, end = read_name(body)
        return ("sendto", destination, read_text(body, end))
    raise Malformed(f"unknown packet type 0x{kind:02x}")


def parse_reply(packet: Packet) -> tuple:
    """A server packet as ("LIST", [names]) | ("RESPONSE", result) | ("SENDTO", sender, text)."""
    kind, body = packet.type, packet.body
    if kind == LIST:
        if len(body) < 2:
            raise Malformed("a LIST without its count")
        count, at, names = struct.unpack_from(">H", body)[0], 2, []
        for _ in range(count):
            name, at = read_name(body, at)
            names.append(name)
        if at != len(body):
            raise Malformed("bytes after the last name of a LIST")
        return ("LIST", names)
    if kind == RESPONSE:
        if len(body) != 1 or body[0] not in (OK, FAILURE, MALFORMED):
            raise Malformed("a RESPONSE body must be one byte: 0, 1 or 2")
        return ("RESPONSE", body[0])
    if kind == SENDTO:
        sender, end = read_name(body)
        return ("SENDTO", sender, read_text(body, end))
    raise Malformed(f"unknown packet type 0x{kind:02x}")
