"""Reference cnlab chat client.

    python client.py --address 127.0.0.1 --port 5378

Commands: `@user message` sends, `!who` lists users, `!quit` exits (also at the login prompt).
A daemon thread reads the keyboard and another the socket, so incoming messages are printed
while the user is typing.
"""
from __future__ import annotations

import argparse
import os
import queue
import socket
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "common")]
import codec  # noqa: E402

_print_lock = threading.Lock()

TEXT = {
    "welcome": "Welcome to Chat Client. Enter your login:",
    "HELLO": "Successfully logged in as {name}!",
    "IN-USE": "Cannot log in as {name}. That username is already in use.",
    "BAD-RQST-BODY": "Cannot log in as {name}. That username contains disallowed characters.",
    "BUSY": "Cannot log in. The server is full!",
    "SEND-OK": "The message was sent succesfully",
    "BAD-DEST-USER": "The destination user does not exist",
    "BAD-RQST-HDR": "Error: Unknown issue in previous message header.",
    "BAD-RQST-BODY-after-login": "Error: Unknown issue in previous message body.",
    "lost": "Disconnected from the server.",
}


def say(text: str) -> None:
    with _print_lock:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def send_all(sock: socket.socket, data: bytes) -> None:
    """send() may transmit only part of the data; keep going until all of it is out."""
    view = memoryview(data)
    while view:
        sent = sock.send(view)
        view = view[sent:]


def read_keyboard(lines: "queue.Queue[str | None]") -> None:
    for line in sys.stdin:
        lines.put(line.rstrip("\r\n"))
    lines.put(None)  # end of input behaves like !quit


class Connection:
    def __init__(self, address: str, port: int):
        self.sock = socket.create_connection((address, port))
        self.buffer = codec.LineBuffer()
        self.ready: list[bytes] = []
        self.closing = False  # set when the user quits, so the reader stays quiet

    def read_line(self) -> bytes | None:
        """The next complete line, or None once the server has closed."""
        while not self.ready:
            data = self.sock.recv(4096)
            if not data:
                return None
            self.ready.extend(self.buffer.feed(data))
        return self.ready.pop(0)


def log_in(args: argparse.Namespace, lines: "queue.Queue[str | None]") -> Connection | None:
    """Ask for names until one is accepted; None when the user quits or the server is full."""
    say(TEXT["welcome"])
    while True:
        name = lines.get()
        if name is None or name == "!quit":
            return None
        conn = Connection(args.address, args.port)
        send_all(conn.sock, codec.hello_from(name))
        line = conn.read_line()
        reply = codec.Reply.parse(line) if line is not None else codec.Reply("")
        if reply.header == "HELLO":
            say(TEXT["HELLO"].format(name=name))
            return conn
        conn.sock.close()  # the server closes after a failed handshake: a new name needs a new connection
        if reply.header == "BUSY":
            say(TEXT["BUSY"])
            return None
        if reply.header in ("IN-USE", "BAD-RQST-BODY"):
            say(TEXT[reply.header].format(name=name))
        elif reply.header == "BAD-RQST-HDR":
            say(TEXT["BAD-RQST-HDR"])
        else:
            say(TEXT["lost"])
            return None


def show(reply: codec.Reply) -> None:
    if reply.header == "DELIVERY":
        sender, _, message = reply.body.partition(" ")
        say(f"From {sender}: {message}")
    elif reply.header == "LIST-OK":
        names = [n for n in reply.body.split(",") if n]
        say(f"There are {len(names)} online users:")
        for name in names:
            say(f"- {name}")
    elif reply.header == "BAD-RQST-BODY":
        say(TEXT["BAD-RQST-BODY-after-login"])
    elif reply.header in ("SEND-OK", "BAD-DEST-USER", "BAD-RQST-HDR"):
        say(TEXT[reply.header])
    # HELLO, IN-USE, BUSY after login and unknown headers carry nothing for the user.


def read_server(conn: Connection, lines: "queue.Queue[str | None]") -> None:
    try:
        while True:
            line = conn.read_line()
            if line is None:
                break
            show(codec.Reply.parse(line))
    except OSError:
        pass
    if not conn.closing:
        say(TEXT["lost"])
    lines.put(None)


def chat(conn: Connection, lines: "queue.Queue[str | None]") -> None:
    threading.Thread(target=read_server, args=(conn, lines), daemon=True).start()
    while True:
        line = lines.get()
        if line is None or line == "!quit":
            conn.closing = True
            return
        if line == "!who":
            send_all(conn.sock, codec.list_users())
        elif line.startswith("@"):
            user, _, message = line[1:].partition(" ")
            send_all(conn.sock, codec.send(user, message))
        elif line:
            say("Commands: @<username> <message>, !who, !quit")


def main() -> None:
    parser = argparse.ArgumentParser(description="cnlab chat client")
    parser.add_argument("-a", "--address", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5378)
    args = parser.parse_args()
    lines: "queue.Queue[str | None]" = queue.Queue()
    threading.Thread(target=read_keyboard, args=(lines,), daemon=True).start()
    try:
        conn = log_in(args, lines)
    except OSError as exc:
        say(f"Cannot connect to {args.address}:{args.port}: {exc.strerror or exc}")
        sys.exit(1)
    if conn is not None:
        try:
            chat(conn, lines)
        except OSError:
            say(TEXT["lost"])
        conn.sock.close()


if __name__ == "__main__":
    main()
