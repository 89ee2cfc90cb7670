"""Reference brace server: behaves like the server handed out with the assignment (docs/protocols.md, "The handed-out server").

    python server.py [--host 127.0.0.1] [--port 33002] [--as-written]

- `{REGISTER}Hugo` -> to Hugo `{MSG}Welcome Hugo!` (with --as-written `{Hugo}Welcome, Hugo!`, as the
  assignment text says); to the others `{MSG}Hugo has joined the chat!`; then `{CLIENTS}a|b` to all.
- `{ALL}hi` -> `{MSG}Hugo: hi` to everyone, Hugo included; `{Bob}hi` -> a bare `Hugo: hi` to Bob only
  (an unknown target gets nothing back; the payload ends at a second `}`).
- `{QUIT}` or an empty read -> the connection is closed; the others get `{MSG}Hugo has left the chat.`
  and a new `{CLIENTS}`. Anything before `{REGISTER}` is ignored; names may repeat.
No framing, as upstream: one read is one message, one message is one write (so they glue).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "common")]
import codec  # noqa: E402
from outbox import Outbox  # noqa: E402
from serving import chunks, listen_and_serve, run_until_stopped  # noqa: E402

log = logging.getLogger("brace-server")
READ_SIZE = 2048   # upstream reads recv(2048): one read, one message


class Room:
    """The registered clients, in joining order. No I/O of its own: it queues bytes on outboxes."""

    def __init__(self, as_written: bool):
        self.as_written = as_written
        self.members: list[tuple[str, Outbox]] = []

    def names(self) -> list[str]:
        return [name for name, _ in self.members]

    def everyone(self, data: bytes, but: Outbox | None = None) -> None:
        for _, box in list(self.members):
            if box is not but:
                box.put(data)

    def register(self, name: str, box: Outbox) -> None:
        box.put(codec.to(name, f"Welcome, {name}!") if self.as_written else codec.notice(f"Welcome {name}!"))
        self.everyone(codec.notice(f"{name} has joined the chat!"))
        self.members.append((name, box))
        self.everyone(codec.clients(self.names()))

    def leave(self, box: Outbox) -> None:
        gone = [name for name, b in self.members if b is box]
        if not gone:
            return
        self.members = [(n, b) for n, b in self.members if b is not box]
        self.everyone(codec.notice(f"{gone[0]} has left the chat."))
        self.everyone(codec.clients(self.names()))

    def handle(self, name: str, box: Outbox, message: codec.Message) -> None:
        if message.header == codec.ALL:
            self.everyone(codec.notice(f"{name}: {message.payload}"))
        elif message.header is not None:
            for member, target in list(self.members):
                if member == message.header:
                    target.put(f"{name}: {message.payload}".encode("utf-8"))


async def serve_client(room: Room, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    peer = "%s:%s" % writer.get_extra_info("peername")[:2]
    box, name = Outbox(writer), None
    log.info("%s connected", peer)
    try:
        async for data in chunks(reader, writer, READ_SIZE):
            message = codec.parse_one(data.decode("utf-8", "replace"))
            if message.header == codec.QUIT:
                break
            if name is None:
                if message.header == codec.REGISTER and message.payload:
                    name = message.payload
                    room.register(name, box)
                continue    # anything before {REGISTER} is ignored
            room.handle(name, box, message)
    except ConnectionError:
        pass
    finally:
        box.close(after_pending=True)
        room.leave(box)
        log.info("%s disconnected", peer)


async def main(args) -> None:
    room = Room(args.as_written)
    await listen_and_serve(lambda r, w: serve_client(room, r, w), args.host, args.port,
                           lambda host, port: f"brace server listening on {host}:{port}")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="server.py", description="The reference brace chat server.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=codec.DEFAULT_PORT, help="TCP port (default 33002)")
    parser.add_argument("--as-written", action="store_true",
                        help="welcome as the assignment text writes it ({NAME}Welcome, NAME!)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    run_until_stopped(main(parse_args()))
