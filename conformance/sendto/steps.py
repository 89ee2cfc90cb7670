"""Steps the sendto tests share. The suite builds and reads packets itself, from PROTOCOL.md, so the
reference codec is never the oracle; fixed packets are written out as literal bytes."""
from __future__ import annotations

import struct

from conformance.harness.failure import CheckFailure
from conformance.harness.peer import RawClients, WirePeer

# Fixed packets, byte for byte (PROTOCOL.md's worked examples).
LIST_REQUEST = b"\x02\x00\x00\x00\x00"
LOGOUT = b"\x04\x00\x00\x00\x00"
OK = b"\x82\x00\x00\x00\x01\x00"
FAILURE = b"\x82\x00\x00\x00\x01\x01"
MALFORMED = b"\x82\x00\x00\x00\x01\x02"
EMPTY_LIST = b"\x81\x00\x00\x00\x02\x00\x00"
NAMES = {0x81: "LIST", 0x82: "RESPONSE", 0x83: "SENDTO", 0x01: "login", 0x02: "list", 0x03: "sendto",
         0x04: "logout"}
RESULTS = {OK: "RESPONSE ok", FAILURE: "RESPONSE failure", MALFORMED: "RESPONSE malformed"}
MAX_REPLY = 1 << 20   # no reply the suite provokes is longer; a longer length is a framing error


def packet(kind: int, body: bytes = b"") -> bytes:
    return struct.pack(">BI", kind, len(body)) + body


def field(name: str) -> bytes:
    raw = name.encode("utf-8")
    return bytes([len(raw)]) + raw


def login(name: str) -> bytes:
    return packet(0x01, field(name))


def sendto(name: str, text: str) -> bytes:
    return packet(0x03, field(name) + text.encode("utf-8"))


def delivery(sender: str, text: str) -> bytes:
    """The SENDTO packet a server sends to the destination."""
    return packet(0x83, field(sender) + text.encode("utf-8"))


def user_list(*names: str) -> bytes:
    return packet(0x81, struct.pack(">H", len(names)) + b"".join(field(n) for n in names))


def show(data: bytes) -> str:
    """A packet for a report: its name, then its bytes in hex (long ones cut in the middle)."""
    name = RESULTS.get(data) or (NAMES.get(data[0], f"type 0x{data[0]:02x}") if data else "nothing")
    shown = data.hex(" ") if len(data) <= 48 else f"{data[:24].hex(' ')} …[{len(data) - 32} bytes]… " \
                                                   f"{data[-8:].hex(' ')}"
    return f"{name}: {shown}"


def read_packet(wire: WirePeer, what: str = "a packet", timeout: float | None = None) -> bytes:
    """The next whole packet on the wire, header included."""
    header = wire.read_exact(5, timeout, what=f"{what} (its 5-byte header)")
    length = struct.unpack(">I", header[1:])[0]
    if length > MAX_REPLY:
        raise CheckFailure(f"A packet header on {wire.label} gives a length of {length} bytes: is the length "
                           "4 bytes big-endian?", expected=what, actual=show(header))
    return header + wire.read_exact(length, timeout, what=f"the {length}-byte body of {what}")


def expect_packet(wire: WirePeer, expected: bytes, what: str = "") -> bytes:
    got = read_packet(wire, what or show(expected))
    if got != expected:
        raise CheckFailure(f"Wrong packet on {wire.label}{what and ' (' + what + ')'}.",
                           expected=show(expected), actual=show(got))
    return got


def log_in(clients: RawClients, name: str, receive_window: int | None = None) -> WirePeer:
    """A raw client connected and logged in as name."""
    wire = clients.connect(receive_window=receive_window)
    wire.send(login(name))
    expect_packet(wire, OK, f"RESPONSE ok to login {name}")
    return wire
