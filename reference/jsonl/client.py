"""Reference jsonl chat client: asyncio for the socket, a thread for the keyboard.

    python client.py SERVER PORT

Commands: /setname NAME, /history, /users; any other line is a chat message.
"""
from __future__ import annotations

import asyncio
import os
import sys
import threading

import click
from colorama import Fore, Style, just_fix_windows_console

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "common")]
import codec  # noqa: E402

COMMANDS = {"/history": "history", "/users": "users"}


def request_for(line: str) -> bytes | None:
    """The request a typed line stands for; None for an unknown /command (not sent)."""
    if line.startswith("/setname "):
        return codec.encode("set-name", line[len("/setname "):])
    if line in COMMANDS:
        return codec.encode(COMMANDS[line], "")
    if line.startswith("/"):
        return None
    return codec.encode("message", line)


def show(event: codec.Event) -> None:
    parsed = codec.chat_message(event)
    if parsed is None:
        print(f"{Fore.RED}(ignored a malformed message from the server){Style.RESET_ALL}", flush=True)
        return
    source, message = parsed
    colour = Fore.YELLOW if source == codec.SERVER_SOURCE else Fore.CYAN
    print(f"{colour}{source}{Style.RESET_ALL}: {message}", flush=True)


def read_keyboard(loop: asyncio.AbstractEventLoop, lines: asyncio.Queue) -> None:
    """stdin in its own thread, so incoming messages are shown while the user types."""
    for line in sys.stdin:
        loop.call_soon_threadsafe(lines.put_nowait, line.rstrip("\r\n"))
    loop.call_soon_threadsafe(lines.put_nowait, None)


async def send_typed(writer: asyncio.StreamWriter, lines: asyncio.Queue) -> None:
    while True:
        line = await lines.get()
        if line is None:
            return
        request = request_for(line)
        if request is None:
            print(f"Unknown command {line.split()[0]}; commands: /setname NAME, /history, /users", flush=True)
            continue
        writer.write(request)
        await writer.drain()


async def receive(reader: asyncio.StreamReader) -> None:
    decoder = codec.Decoder()
    while True:
        data = await reader.read(65536)
        if not data:
            return
        for event in decoder.feed(data):
            show(event)


async def main(server: str, port: int) -> int:
    try:
        reader, writer = await asyncio.open_connection(server, port)
    except OSError as exc:
        print(f"Cannot connect to {server}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    lines: asyncio.Queue = asyncio.Queue()
    loop = asyncio.get_running_loop()
    threading.Thread(target=read_keyboard, args=(loop, lines), daemon=True).start()
    receiving = asyncio.ensure_future(receive(reader))
    sending = asyncio.ensure_future(send_typed(writer, lines))
    done, _ = await asyncio.wait({receiving, sending}, return_when=asyncio.FIRST_COMPLETED)
    if receiving in done:
        print("Server disconnected", flush=True)
    for task in (receiving, sending):
        task.cancel()
    writer.close()
    return 0


@click.command(help="The reference jsonl chat client.")
@click.argument("server")
@click.argument("port", type=click.IntRange(1, 65535))
def cli(server: str, port: int) -> None:
    just_fix_windows_console()
    sys.exit(asyncio.run(main(server, port)))


if __name__ == "__main__":
    cli()
