"""Reference cnlab chat server (asyncio), behaving as the course's ChatServer.jar without its quirks.

    python server.py [--host 127.0.0.1] [--port 5378] [--max-clients N] [--no-bots]

`--address` is the same as `--host`, and once listening the server prints `Server is on`: the course's
own server checker starts `server.py --address HOST --port PORT` and waits for that line.
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

log = logging.getLogger("cnlab-server")

MAX_LINE = 16 * 1024 * 1024       # a client sending more without a newline is cut off
HANDSHAKE_FAILURES = ("IN-USE", "BAD-RQST-BODY", "BAD-RQST-HDR")


class Chat:
    """Names, login order and routing; the server's state without any I/O of its own."""

    def __init__(self, max_clients: int | None, bots: bool, delay: float):
        self.max_clients = max_clients
        self.users: dict[str, Outbox | None] = {}  # login order; None marks a bot
        self.delay = delay
        if bots:
            self.users["echobot"] = None
            self.users["delaybot"] = None
        self.bot_count = len(self.users)

    def login(self, name: str, box: Outbox) -> str:
        if not codec.valid_name(name):
            return "BAD-RQST-BODY"
        if name in self.users:
            return "IN-USE"
        if self.max_clients is not None and len(self.users) - self.bot_count >= self.max_clients:
            return "BUSY"
        self.users[name] = box
        return "HELLO " + name

    def logout(self, name: str) -> None:
        self.users.pop(name, None)

    def request(self, sender: str, line: str) -> bytes:
        """Handle one request of a logged-in user; returns the reply to the sender."""
        header, body = codec.split_header(line)
        if line == "LIST":
            return codec.list_ok(list(self.users))
        if header != "SEND":
            return codec.Reply("BAD-RQST-HDR").to_bytes()
        dest, _, message = body.partition(" ")
        message = message.strip()
        if not dest or not message:
            return codec.Reply("BAD-RQST-BODY").to_bytes()
        if dest not in self.users:
            return codec.Reply("BAD-DEST-USER").to_bytes()
        self.deliver(sender, dest, message)
        return codec.Reply("SEND-OK").to_bytes()

    def deliver(self, sender: str, dest: str, message: str) -> None:
        """Queue a DELIVERY after the sender's SEND-OK (call_soon keeps that order)."""
        loop = asyncio.get_event_loop()
        box = self.users[dest]
        if box is not None:
            loop.call_soon(box.put, codec.delivery(sender, message))
        elif dest == "echobot" and sender in self.users:
            loop.call_soon(self._echo, sender, message)
        elif dest == "delaybot" and sender in self.users:
            loop.call_soon(self._delay, sender, message)

    def _echo(self, to: str, message: str) -> None:
        box = self.users.get(to)
        if box is not None:
            box.put(codec.delivery("echobot", message))

    def _delay(self, to: str, message: str) -> None:
        """Two DELIVERY lines in three writes, each cut mid-line, `delay` seconds apart."""
        box = self.users.get(to)
        if box is None:
            return
        line = codec.delivery("delaybot", message)
        data = line + line
        cut1, cut2 = len(line) // 2, len(line) + len(line) // 2
        box.put(data, [data[:cut1], data[cut1:cut2], data[cut2:]], self.delay)


async def serve_client(chat: Chat, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    peer = writer.get_extra_info("peername")
    box = Outbox(writer)
    lines = codec.LineBuffer(MAX_LINE)
    name = None
    try:
        async for data in chunks(reader, writer):
            for raw in lines.feed(data):
                line = codec.decode(raw)
                if name is not None:
                    box.put(chat.request(name, line))
                    continue
                header, body = codec.split_header(line)
                reply = "BAD-RQST-HDR" if header != "HELLO-FROM" else chat.login(body, box)
                box.put(codec.encode(reply))
                if reply.startswith("HELLO "):
                    name = body
                    log.info("%s logged in as %s", peer, name)
                elif reply in HANDSHAKE_FAILURES:
                    box.close(after_pending=True)
                    return
    except codec.LineTooLong:
        log.warning("%s sent a line over %d bytes; closing", peer, MAX_LINE)
        box.close()
    except ConnectionError:
        pass
    finally:
        if name is not None:
            chat.logout(name)
            log.info("%s (%s) left", peer, name)
        if name is None or not writer.is_closing():
            box.close(after_pending=True)


async def main(args: argparse.Namespace) -> None:
    chat = Chat(args.max_clients, not args.no_bots, args.delaybot_pause)
    await listen_and_serve(lambda r, w: serve_client(chat, r, w), args.host, args.port,
                           lambda host, port: f"cnlab server listening on {host}:{port}\nServer is on")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", "--address", dest="host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5378, help="0 picks a free port (printed at start)")
    parser.add_argument("--max-clients", type=int, default=None, metavar="N",
                        help="logged-in users (bots not counted) before BUSY; default unlimited")
    parser.add_argument("--no-bots", action="store_true", help="no echobot and delaybot")
    parser.add_argument("--delaybot-pause", type=float, default=0.5, metavar="SECONDS")
    return parser.parse_args(argv)


if __name__ == "__main__":
    run_until_stopped(main(parse_args()))
