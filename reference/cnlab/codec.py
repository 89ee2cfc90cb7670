"""Sans-IO codec for the cnlab line protocol: bytes in -> lines/events out, events in -> bytes.

No sockets here, so the reference server and client frame the stream the same way whatever
size their reads happen to be (recv(1) included).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from line_splitter import LineSplitter, LineTooLong  # noqa: F401 (LineTooLong: the codec's error)

NAME_RE = re.compile(r"[A-Za-z0-9]+")
ENCODING = "utf-8"
ERRORS = "surrogateescape"  # arbitrary bytes survive a decode/encode round trip

# Every header the server may send (the lab guide's list); clients must never print these.
SERVER_HEADERS = (
    "HELLO", "IN-USE", "BUSY", "BAD-RQST-HDR", "BAD-RQST-BODY",
    "SEND-OK", "BAD-DEST-USER", "DELIVERY", "LIST-OK",
)


class LineBuffer(LineSplitter):
    """Complete lines, without `\\n` or `\\r\\n`; the bound is on what waits for its line end."""

    def __init__(self, max_line: int | None = None):
        super().__init__(max_line, whole_lines_too=False)

    def feed(self, data: bytes) -> list[bytes]:
        return [line[:-1] if line.endswith(b"\r") else line for line in super().feed(data)]


def decode(line: bytes) -> str:
    return line.decode(ENCODING, ERRORS)


def encode(text: str) -> bytes:
    return text.encode(ENCODING, ERRORS) + b"\n"


def split_header(line: str) -> tuple[str, str]:
    """'SEND bob hi there' -> ('SEND', 'bob hi there'); 'LIST' -> ('LIST', '')."""
    header, _, rest = line.partition(" ")
    return header, rest


def valid_name(name: str) -> bool:
    return NAME_RE.fullmatch(name) is not None


# --- client -> server ---------------------------------------------------------------------

def hello_from(name: str) -> bytes:
    return encode(f"HELLO-FROM {name}")


def send(user: str, message: str) -> bytes:
    return encode(f"SEND {user} {message}")


def list_users() -> bytes:
    return encode("LIST")


# --- server -> client ---------------------------------------------------------------------

@dataclass(frozen=True)
class Reply:
    """One parsed server line."""

    header: str
    body: str = ""

    @classmethod
    def parse(cls, line: bytes) -> "Reply":
        return cls(*split_header(decode(line)))

    def to_bytes(self) -> bytes:
        return encode(f"{self.header} {self.body}" if self.body else self.header)


def delivery(sender: str, message: str) -> bytes:
    return Reply("DELIVERY", f"{sender} {message}").to_bytes()


def list_ok(names: list[str]) -> bytes:
    return Reply("LIST-OK", ",".join(names)).to_bytes()
