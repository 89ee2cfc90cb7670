"""brace: the `{HEADER}payload` wire of the PyQt5 chat assignment, sans-IO (no sockets here).

The wire has no delimiter. The handed-out server reads one message per recv() and writes one per
send(), so on the way to a client messages glue together (`{MSG}Welcome Hugo!{CLIENTS}Hugo`) and a
long one may arrive cut. A receiver therefore:
- splits the stream where a header it knows begins (`{MSG}`, `{CLIENTS}`, `{<its own name>}`), and
- takes the last piece as whole once the stream has been quiet for QUIET_S seconds (there is no other
  way to know where it ends; a message cut across reads arrives within milliseconds on one machine).
A private message arrives as a bare `NAME: text` (no header): it is whole when the next header begins
or the stream goes quiet. Bytes are decoded incrementally, so a UTF-8 character cut in two is joined.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

QUIET_S = 0.25          # the stream quiet this long: the last message is whole
DEFAULT_PORT = 33002
SERVER_HEADERS = ("MSG", "CLIENTS")
ALL, QUIT, REGISTER = "ALL", "QUIT", "REGISTER"


@dataclass(frozen=True)
class Message:
    header: str | None    # None: a bare line (a private message from the handed-out server)
    payload: str

    def encode(self) -> bytes:
        return (("" if self.header is None else "{%s}" % self.header) + self.payload).encode("utf-8")


def register(name: str) -> bytes:
    return Message(REGISTER, name).encode()


def to(target: str, text: str) -> bytes:
    """A message for a user, or for everyone with target ALL."""
    return Message(target, text).encode()


def quit_() -> bytes:
    return Message(QUIT, "").encode()


def clients(names: list[str]) -> bytes:
    return Message("CLIENTS", "|".join(names)).encode()


def notice(text: str) -> bytes:
    return Message("MSG", text).encode()


def parse_one(text: str) -> Message:
    """One message read whole (the server's side: one read is one message). As the handed-out server
    does, the payload ends at a second `}`."""
    match = re.match(r"\{([^{}]*)\}([^}]*)", text)
    if match is None:
        return Message(None, text)
    return Message(match.group(1), match.group(2))


class StreamSplitter:
    """A client's receive side: bytes in, whole messages out (see the module's docstring)."""

    def __init__(self, own_name: str | None = None):
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.pending = ""
        self.headers = set(SERVER_HEADERS)
        if own_name:
            self.headers.add(own_name)    # the welcome as the text writes it: {Hugo}Welcome, Hugo!

    def _starts(self) -> list[int]:
        return [m.start() for m in re.finditer(r"\{([^{}]{1,64})\}", self.pending) if m.group(1) in self.headers]

    def feed(self, data: bytes) -> list[Message]:
        """The messages that are certainly whole: each one followed by the start of another."""
        self.pending += self.decoder.decode(data)
        starts = [s for s in self._starts() if s > 0]
        out, begin = [], 0
        for start in starts:
            out.append(self._message(self.pending[begin:start]))
            begin = start
        self.pending = self.pending[begin:]
        return [m for m in out if m is not None]

    def flush(self) -> list[Message]:
        """The stream went quiet (QUIET_S): what is left is one whole message."""
        rest, self.pending = self.pending + self.decoder.decode(b"", final=False), ""
        message = self._message(rest)
        return [] if message is None else [message]

    def _message(self, text: str) -> Message | None:
        if not text:
            return None
        match = re.match(r"\{([^{}]{1,64})\}", text)
        if match and match.group(1) in self.headers:
            return Message(match.group(1), text[match.end():])
        return Message(None, text)

    @property
    def waiting(self) -> bool:
        return bool(self.pending)
