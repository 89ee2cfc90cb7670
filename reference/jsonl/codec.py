"""Sans-IO codec for the jsonl chat protocol: one JSON object {"type", "data"} per line.

Lines are split at the byte level and decoded only when complete, so a UTF-8 character cut
across reads (or recv(1)) is reassembled before decoding. No sockets here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from line_splitter import LineSplitter, LineTooLong  # noqa: F401 (LineTooLong: the codec's error)

CLIENT_TYPES = ("message", "set-name", "history", "users")
SERVER_SOURCE = "[Server]"


@dataclass(frozen=True)
class Event:
    """One decoded line: `type`/`data` when valid, else `error` says what was wrong."""

    type: str | None = None
    data: object = None
    error: str | None = None


class Decoder:
    def __init__(self, max_line: int | None = None):
        self._lines = LineSplitter(max_line)

    def feed(self, data: bytes) -> list[Event]:
        return [parse(line) for line in self._lines.feed(data)]


def parse(line: bytes) -> Event:
    try:
        obj = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return Event(error="not valid JSON in UTF-8")
    if not isinstance(obj, dict):
        return Event(error="not a JSON object")
    if not isinstance(obj.get("type"), str):
        return Event(error='no "type" string')
    return Event(obj["type"], obj.get("data"))


def encode(type_: str, data) -> bytes:
    return json.dumps({"type": type_, "data": data}, ensure_ascii=False).encode("utf-8") + b"\n"


def chat(source: str, message: str) -> bytes:
    """The one server -> client type: a chat message or a notice (source [Server])."""
    return encode("message", {"source": source, "message": message})


def check_request(event: Event) -> str | None:
    """Why a client request is invalid, or None. history and users need no data."""
    if event.error:
        return event.error
    if event.type not in CLIENT_TYPES:
        return f"unknown type {event.type!r}"
    if event.type in ("message", "set-name") and not isinstance(event.data, str):
        return f'"{event.type}" needs a string in "data"'
    if event.type == "set-name" and not event.data.strip():
        return "an empty name"
    return None


def chat_message(event: Event) -> tuple[str, str] | None:
    """(source, message) of a server message event, or None if it is not a well-formed one."""
    if event.error or event.type != "message" or not isinstance(event.data, dict):
        return None
    source, message = event.data.get("source"), event.data.get("message")
    if not isinstance(source, str) or not isinstance(message, str):
        return None
    return source, message
