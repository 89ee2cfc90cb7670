"""Reference chat10 server: asyncio, every message forwarded to everyone but its sender.

    python server.py [--port 8765] [--host 0.0.0.0]
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

log = logging.getLogger("chat10-server")


class Room:
    """Everyone connected; forwards a message to all but its sender. No I/O of its own."""

    def __init__(self):
        self.boxes: set[Outbox] = set()

    def forward(self, sender: Outbox | None, data: bytes) -> None:
        for box in list(self.boxes):
            if box is not sender:
                box.put(data)


async def serve_client(room: Room, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    peer = "%s:%s" % writer.get_extra_info("peername")[:2]
    box = Outbox(writer)
    room.boxes.add(box)
    decoder, username, left = codec.Decoder(), None, False
    log.info("%s connected", peer)
    try:
        async for data in chunks(reader, writer):
            for message in decoder.feed(data):
                problem = message.problem()
                if problem:
                    log.info("%s: ignored (%s)", peer, problem)
                    continue
                username = message.username
                left = message.method == "LEAVE"
                room.forward(box, codec.encode(message.method, message.username, message.payload))
    except codec.ProtocolError as exc:
        log.warning("%s: %s; closing", peer, exc)
    except ConnectionError:
        pass
    finally:
        room.boxes.discard(box)
        box.close(after_pending=True)
        if username and not left:          # it vanished without LEAVE: tell the others
            room.forward(None, codec.leave(username))
        log.info("%s disconnected", peer)


async def main(args) -> None:
    room = Room()
    await listen_and_serve(lambda r, w: serve_client(room, r, w), args.host, args.port,
                           lambda host, port: f"chat10 server listening on {host}:{port}")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="server.py", description="The reference chat10 (CHAT/1.0) server.")
    parser.add_argument("--version", action="version", version="server.py 1.0")
    parser.add_argument("--port", type=int, default=8765, help="TCP port to listen on (default 8765)")
    parser.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    return parser.parse_args(argv)


if __name__ == "__main__":
    run_until_stopped(main(parse_args()))
