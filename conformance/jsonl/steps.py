"""Steps the jsonl tests share: JSON on the wire, names, texts."""
from __future__ import annotations

import json
import random

from conformance.harness import settings
from conformance.harness.failure import CheckFailure
from conformance.harness.peer import RawClients, WirePeer

SERVER = "[Server]"
CZECH = "Žluťoučký kůň úpěl ďábelské ódy"
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet")


def name(rng: random.Random, prefix: str = "user") -> str:
    return prefix + "".join(rng.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(6))


def text(rng: random.Random, words: int = 4) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def encode(type_: str, data) -> bytes:
    return json.dumps({"type": type_, "data": data}, ensure_ascii=False).encode() + b"\n"


def said(source: str, message: str) -> dict:
    """The message object a server sends for a chat message."""
    return {"type": "message", "data": {"source": source, "message": message}}


def chat(source: str, message: str) -> bytes:
    return encode("message", {"source": source, "message": message})


def read_json(wire: WirePeer, what: str = "a JSON line", timeout: float | None = None) -> dict:
    """The next line on the wire, which must be one JSON object in UTF-8 ending with \\n."""
    line = wire.read_line(timeout, what=what)
    try:
        obj = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise CheckFailure(f"A line on {wire.label} is not JSON in UTF-8 ({exc}).", expected=what,
                           actual=line) from None
    if not isinstance(obj, dict):
        raise CheckFailure(f"A line on {wire.label} is not a JSON object.", expected=what, actual=line)
    return obj


def expect_json(wire: WirePeer, expected: dict, what: str = "") -> dict:
    return same_json(read_json(wire, what or json.dumps(expected, ensure_ascii=False)), expected, wire, what)


def same_json(obj: dict, expected: dict, wire: WirePeer, what: str = "", requirement: str | None = None) -> dict:
    """obj, if it equals expected; else a CheckFailure (about `requirement`, where the framing was
    right and only the content is wrong)."""
    if obj != expected:
        raise CheckFailure(f"Wrong message on {wire.label}{what and ' (' + what + ')'}.",
                           expected=json.dumps(expected, ensure_ascii=False),
                           actual=json.dumps(obj, ensure_ascii=False), requirement=requirement)
    return obj


def chat_of(obj: dict) -> tuple:
    """(source, message) of a server message object, or a CheckFailure."""
    data = obj.get("data")
    if obj.get("type") != "message" or not isinstance(data, dict) or not isinstance(data.get("source"), str) \
            or not isinstance(data.get("message"), str):
        raise CheckFailure("The server sent something that is not a message object.",
                           expected='{"type": "message", "data": {"source": S, "message": M}}',
                           actual=json.dumps(obj, ensure_ascii=False))
    return data["source"], data["message"]


def next_chat(wire: WirePeer, what: str) -> tuple:
    return chat_of(read_json(wire, what))


def expect_notice(wire: WirePeer, *names: str, what: str) -> str:
    """The next message is a [Server] notice naming every one of `names` (its wording is free)."""
    source, message = next_chat(wire, what)
    if source != SERVER or not all(n in message for n in names):
        raise CheckFailure(f"Expected a [Server] notice on {wire.label} {what}.",
                           expected=f"source [Server], a message naming {', '.join(names)}",
                           actual=f"source {source!r}, message {message!r}")
    return message


def expect_notice_past(wire: WirePeer, *names: str, what: str) -> str:
    """Chat messages read past until a [Server] notice naming every one of `names` (a test's own
    traffic may come first)."""
    while True:
        source, message = chat_of(read_json(wire, what, settings.wait(settings.BULK)))
        if source == SERVER and all(n in message for n in names):
            return message


def join(clients: RawClients, receive_window: int | None = None) -> tuple:
    """A raw client connected and past its own entry notice: (wire, its ip:port name)."""
    wire = clients.connect(receive_window=receive_window)
    host, port = wire.sock.getsockname()[:2]
    own = f"{host}:{port}"
    expect_notice(wire, own, what="announcing this client's arrival")
    return wire, own
