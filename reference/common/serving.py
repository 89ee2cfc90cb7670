"""How every reference server starts and stops: listen, say where, serve until stopped; Ctrl-C ends
it quietly, and its log goes to stderr with a timestamp per line."""
from __future__ import annotations

import asyncio
import logging
import sys


async def listen_and_serve(handle, host: str, port: int, banner, started=None) -> None:
    """Serve `handle(reader, writer)` at host:port (0: a free port); `banner(host, port)` is printed
    once listening (tests wait for it), after `started(host, port)` where given."""
    server = await asyncio.start_server(handle, host, port)
    bound_host, bound_port = server.sockets[0].getsockname()[:2]
    if started is not None:
        started(bound_host, bound_port)
    print(banner(bound_host, bound_port), flush=True)
    async with server:
        await server.serve_forever()


async def chunks(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, size: int = 65536):
    """What a client sends, read by read, until it closes or the server closes it."""
    while not writer.is_closing():
        data = await reader.read(size)
        if not data:
            return
        yield data


def run_until_stopped(main) -> None:
    """`main`: the server's coroutine, run until Ctrl-C (which ends it without a traceback)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    try:
        asyncio.run(main)
    except KeyboardInterrupt:
        pass
