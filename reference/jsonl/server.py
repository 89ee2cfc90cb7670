"""Reference jsonl chat server: asyncio, bounded in users, history, line length and backlog, with an
optional Flask web view of who is connected and what was said.

    python server.py --port 5555 [--host 0.0.0.0] [--max-users 100] [--history 100]
                     [--max-line 1048576] [--web-port 8080]
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import os
import sys
import threading

import click
from colorama import Fore, Style, just_fix_windows_console

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "common")]
import codec  # noqa: E402
from outbox import Outbox  # noqa: E402
from serving import chunks, listen_and_serve, run_until_stopped  # noqa: E402

log = logging.getLogger("jsonl-server")
SERVER = codec.SERVER_SOURCE


class Room:
    """Who is connected (in arrival order) and the recent messages; no I/O of its own."""

    def __init__(self, max_users: int, history: int):
        self.max_users = max_users
        self.users: dict[str, Outbox] = {}
        self.history: collections.deque = collections.deque(maxlen=history)
        self.lock = threading.Lock()   # the web view reads from another thread

    def broadcast(self, source: str, message: str, record: bool = False) -> None:
        data = codec.chat(source, message)
        with self.lock:
            if record:
                self.history.append((source, message))
            boxes = list(self.users.values())
        for box in boxes:
            box.put(data)

    def join(self, name: str, box: Outbox) -> None:
        with self.lock:
            self.users[name] = box
        self.broadcast(SERVER, f"{name} has entered the chat")

    def leave(self, name: str) -> None:
        with self.lock:
            self.users.pop(name, None)
        self.broadcast(SERVER, f"{name} has left the chat")

    def rename(self, old: str, new: str) -> bool:
        with self.lock:
            if new in self.users:
                return False
            self.users = {(new if n == old else n): box for n, box in self.users.items()}
        self.broadcast(SERVER, f"{old} renamed to {new}")
        return True

    def snapshot(self) -> dict:
        with self.lock:
            return {"users": list(self.users),
                    "messages": [{"source": s, "message": m} for s, m in self.history]}


async def serve_client(room: Room, args, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    ip, port = writer.get_extra_info("peername")[:2]
    name = f"{ip}:{port}"
    box = Outbox(writer, args.max_backlog)
    if len(room.users) >= room.max_users:
        log.warning("%s refused: %d users already", name, room.max_users)
        box.put(codec.chat(SERVER, f"Error: the server is full ({room.max_users} users)"))
        box.close(after_pending=True)
        return
    log.info("%s connected", name)
    room.join(name, box)
    decoder = codec.Decoder(args.max_line)
    try:
        async for data in chunks(reader, writer):
            for event in decoder.feed(data):
                name = handle(room, name, box, event)
    except codec.LineTooLong:
        log.warning("%s sent a line over %d bytes; closing", name, args.max_line)
        box.put(codec.chat(SERVER, f"Error: a line over {args.max_line} bytes; closing the connection"))
        box.close(after_pending=True)
    except ConnectionError:
        pass
    finally:
        room.leave(name)
        log.info("%s left", name)
        box.close(after_pending=True)


def handle(room: Room, name: str, box: Outbox, event: codec.Event) -> str:
    """Act on one request; returns the client's (possibly new) name."""
    problem = codec.check_request(event)
    if problem:
        log.info("%s: bad request: %s", name, problem)
        box.put(codec.chat(SERVER, f"Error: {problem}"))
    elif event.type == "message":
        room.broadcast(name, event.data, record=True)
    elif event.type == "set-name":
        new = event.data.strip()
        if room.rename(name, new):
            return new
        box.put(codec.chat(SERVER, f"Error: the name {new} is already in use"))
    elif event.type == "history":
        for message in room.snapshot()["messages"]:
            box.put(codec.chat(message["source"], message["message"]))
    elif event.type == "users":
        box.put(codec.chat(SERVER, "Connected users: " + ", ".join(room.snapshot()["users"])))
    return name


def start_web_view(room: Room, host: str, port: int) -> None:
    """The Flask app runs in a thread of the server process and reads the room's snapshot."""
    from flask import Flask, jsonify, render_template_string
    from werkzeug.serving import make_server

    app = Flask("jsonl-chat")
    page = """<!doctype html><meta charset="utf-8"><title>jsonl chat</title>
<h1>Connected users</h1><ul id="users"></ul><h1>Recent messages</h1><ul id="messages"></ul>
<script>
async function refresh() {
  const state = await (await fetch("api/state")).json();
  const fill = (id, items) => { const ul = document.getElementById(id); ul.replaceChildren(
    ...items.map(t => { const li = document.createElement("li"); li.textContent = t; return li; })); };
  fill("users", state.users);
  fill("messages", state.messages.map(m => m.source + ": " + m.message));
}
refresh(); setInterval(refresh, 1000);
</script>"""

    app.add_url_rule("/", "index", lambda: render_template_string(page))
    app.add_url_rule("/api/state", "state", lambda: jsonify(room.snapshot()))
    server = make_server(host, port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True, name="web-view").start()
    log.info("web view on http://%s:%d/", host, port)


async def main(args) -> None:
    room = Room(args.max_users, args.history)
    await listen_and_serve(lambda r, w: serve_client(room, args, r, w), args.host, args.port,
                           lambda host, port: f"{Fore.GREEN}jsonl server listening on {host}:{port}{Style.RESET_ALL}",
                           started=lambda host, port: args.web_port is not None and
                           start_web_view(room, args.host, args.web_port))


def argparse_namespace(options: dict) -> argparse.Namespace:
    return argparse.Namespace(**options)


@click.command(help="The reference jsonl chat server.")
@click.option("--host", default="0.0.0.0", show_default=True, help="address to listen on (every interface)")
@click.option("--port", type=int, default=5555, show_default=True, help="0 picks a free port (printed at start)")
@click.option("--max-users", type=click.IntRange(1), default=100, show_default=True)
@click.option("--history", type=click.IntRange(1), default=100, show_default=True, help="messages kept")
@click.option("--max-line", type=click.IntRange(64), default=1024 * 1024, show_default=True,
              help="longest request in bytes; a longer one closes that connection")
@click.option("--max-backlog", type=click.IntRange(1024), default=8 * 1024 * 1024, show_default=True,
              help="bytes queued for a client that does not read before it is dropped")
@click.option("--web-port", type=int, default=None, help="serve the web view (Flask) on this port")
def cli(**options) -> None:
    just_fix_windows_console()
    run_until_stopped(main(argparse_namespace(options)))


if __name__ == "__main__":
    cli()
