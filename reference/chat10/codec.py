"""chat10 wire format, sans-IO: bytes in, messages out; messages in, bytes out. No sockets here.

    CHAT/1.0 METHOD\\r\\n
    Header-Name: value\\r\\n        (Username on every message; Msg-len on TEXT)
    \\r\\n
    payload                        (exactly Msg-len bytes; none if Msg-len is absent)

Header names are matched without regard to case (the assignment leaves case open).
"""
from __future__ import annotations

from dataclasses import dataclass, field

VERSION = "CHAT/1.0"
METHODS = ("JOIN", "LEAVE", "TEXT")
MAX_HEADER = 16 * 1024            # bytes of start line + headers; an endless header is an error
MAX_PAYLOAD = 16 * 1024 * 1024    # the largest Msg-len taken; an absurd one is an error


class ProtocolError(ValueError):
    """The stream cannot be framed any further (bad start line, endless header, absurd Msg-len)."""


@dataclass
class Message:
    method: str
    headers: dict = field(default_factory=dict)    # lower-case name -> value
    payload: bytes = b""

    @property
    def username(self) -> str | None:
        return self.headers.get("username")

    def text(self) -> str:
        return self.payload.decode("utf-8", "replace")

    def problem(self) -> str | None:
        """Why this message must be ignored (not forwarded, not shown), or None if it is valid."""
        if self.method not in METHODS:
            return f"unknown method {self.method!r}"
        if not self.username:
            return "no Username header"
        if self.method == "TEXT":
            if "msg-len" not in self.headers:
                return "a TEXT without Msg-len"
            if not self.payload:
                return "a TEXT with an empty payload"
        return None


def encode(method: str, username: str, payload: bytes = b"") -> bytes:
    head = f"{VERSION} {method}\r\nUsername: {username}\r\n"
    if method == "TEXT" or payload:
        head += f"Msg-len: {len(payload)}\r\n"
    return head.encode("utf-8") + b"\r\n" + payload


def join(username: str) -> bytes:
    return encode("JOIN", username)


def leave(username: str) -> bytes:
    return encode("LEAVE", username)


def text(username: str, message: str) -> bytes:
    return encode("TEXT", username, message.encode("utf-8"))


class Decoder:
    """Feed it bytes as they arrive, in any pieces; it returns whole messages. After a ProtocolError
    the stream is lost (the caller closes the connection)."""

    def __init__(self, max_header: int = MAX_HEADER, max_payload: int = MAX_PAYLOAD):
        self.max_header, self.max_payload = max_header, max_payload
        self.buffer = bytearray()
        self.pending: Message | None = None   # headers read, payload still coming
        self.need = 0

    def feed(self, data: bytes) -> list[Message]:
        self.buffer += data
        out = []
        while True:
            if self.pending is not None:
                if len(self.buffer) < self.need:
                    break
                self.pending.payload = bytes(self.buffer[:self.need])
                del self.buffer[:self.need]
                out.append(self.pending)
                self.pending = None
                continue
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > self.max_header:
                    raise ProtocolError(f"no end of headers within {self.max_header} bytes")
                break
            head = bytes(self.buffer[:end])
            del self.buffer[:end + 4]
            self.pending, self.need = self._parse_head(head)
        return out

    def _parse_head(self, head: bytes) -> tuple[Message, int]:
        try:
            lines = head.decode("utf-8").split("\r\n")
        except UnicodeDecodeError:
            raise ProtocolError("headers that are not UTF-8") from None
        version, _, method = lines[0].partition(" ")
        if version != VERSION or not method:
            raise ProtocolError(f"a start line {lines[0][:60]!r} (expected 'CHAT/1.0 METHOD')")
        headers = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon:
                raise ProtocolError(f"a header line without a colon: {line[:60]!r}")
            headers[name.strip().lower()] = value.strip()
        length = headers.get("msg-len", "0")
        if not length.isdigit() or int(length) > self.max_payload:
            raise ProtocolError(f"Msg-len {length[:30]!r} (a byte count up to {self.max_payload})")
        return Message(method.strip(), headers), int(length)
