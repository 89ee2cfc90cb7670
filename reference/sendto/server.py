"""Reference sendto chat server: asyncio, one reply per request in order, bounded connections and
backlogs. The packet format is in PROTOCOL.md.

    python server.py [--port 6000] [--host 0.0.0.0] [--max-clients 100]
"""
from __future__ import annotations

import asyncio
import logging
import os
import sys
from types import SimpleNamespace

import click
from colorama import Fore, Style, just_fix_windows_console

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "common")]
import codec  # noqa: E402
from outbox import Outbox  # noqa: E402
from serving import chunks, listen_and_serve, run_until_stopped  # noqa: E402

log = logging.getLogger("sendto-server")


class Session:
    """One connection: its outbox and, once logged in, its username."""

    def __init__(self, box: Outbox, peer: str):
        self.box, self.peer = box, peer
        self.name: str | None = None


class Chat:
    """Who is logged in, in login order; turns each request into its replies. No I/O of its own."""

    def __init__(self):
        self.users: dict[str, Session] = {}

    def handle(self, session: Session, packet: codec.Packet) -> None:
        try:
            request = codec.parse_request(packet)
        except codec.Malformed as exc:
            log.info("%s: malformed packet: %s", session.peer, exc)
            session.box.put(codec.response(codec.MALFORMED))
            return
        kind = request[0]
        if kind == "list":
            session.box.put(codec.user_list(list(self.users)))
        elif kind == "login":
            ok = session.name is None and request[1] not in self.users
            if ok:
                session.name = request[1]
                self.users[session.name] = session
                log.info("%s logged in as %s", session.peer, session.name)
            session.box.put(codec.response(codec.OK if ok else codec.FAILURE))
        elif kind == "logout":
            ok = session.name is not None
            self.log_out(session)
            session.box.put(codec.response(codec.OK if ok else codec.FAILURE))
        elif kind == "sendto":
            destination = self.users.get(request[1])
            if session.name is None or destination is None:
                session.box.put(codec.response(codec.FAILURE))
                return
            session.box.put(codec.response(codec.OK))      # the sender's reply comes first
            destination.box.put(codec.sendto(session.name, request[2]))

    def log_out(self, session: Session) -> None:
        if session.name is not None:
            self.users.pop(session.name, None)
            log.info("%s (%s) logged out", session.peer, session.name)
            session.name = None


async def serve_client(chat: Chat, args, sessions: set, reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> None:
    peer = "%s:%s" % writer.get_extra_info("peername")[:2]
    if len(sessions) >= args.max_clients:
        log.warning("%s refused: %d connections already", peer, args.max_clients)
        writer.close()
        return
    session = Session(Outbox(writer, args.max_backlog), peer)
    sessions.add(session)
    log.info("%s connected", peer)
    decoder = codec.Decoder()
    try:
        async for data in chunks(reader, writer):
            for packet in decoder.feed(data):
                chat.handle(session, packet)
            if decoder.too_long:
                log.warning("%s: %s; closing", peer, decoder.too_long)
                session.box.put(codec.response(codec.MALFORMED))
                break
    except ConnectionError:
        pass
    finally:
        sessions.discard(session)
        chat.log_out(session)
        session.box.close(after_pending=True)
        log.info("%s disconnected", peer)


async def main(args) -> None:
    chat, sessions = Chat(), set()
    await listen_and_serve(lambda r, w: serve_client(chat, args, sessions, r, w), args.host, args.port,
                           lambda host, port: f"{Fore.GREEN}sendto server listening on {host}:{port}{Style.RESET_ALL}")


@click.command(help="The reference sendto chat server (packet format: PROTOCOL.md).")
@click.option("--host", default="0.0.0.0", show_default=True, help="address to listen on (every interface)")
@click.option("--port", type=int, default=6000, show_default=True, help="0 picks a free port (printed at start)")
@click.option("--max-clients", type=click.IntRange(1), default=100, show_default=True,
              help="connections at once; one more is closed at once")
@click.option("--max-backlog", type=click.IntRange(1024), default=8 * 1024 * 1024, show_default=True,
              help="bytes queued for a client that does not read before it is dropped")
def cli(**options) -> None:
    just_fix_windows_console()
    run_until_stopped(main(SimpleNamespace(**options)))


if __name__ == "__main__":
    cli()
