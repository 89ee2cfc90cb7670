"""Reference chat10 client: Tkinter in the main thread, the network in a data thread, queues between.

    python client.py --username NAME [--target localhost] [--port 8765]

The GUI never calls send() or recv(): it puts outgoing messages on a queue for the data thread and
polls a queue of incoming ones with `after`.
"""
from __future__ import annotations

import argparse
import os
import queue
import socket
import sys
import threading
import tkinter as tk
from tkinter import scrolledtext

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "common")]
import codec  # noqa: E402
from sending import send_queued  # noqa: E402

POLL_MS = 50


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="client.py", description="The reference chat10 (CHAT/1.0) GUI client.")
    parser.add_argument("--version", action="version", version="client.py 1.0")
    parser.add_argument("--target", default="localhost", help="server host name or address (default localhost)")
    parser.add_argument("--port", type=int, default=8765, help="server port (default 8765)")
    parser.add_argument("--username", required=True, help="your name in the chat room")
    return parser.parse_args(argv)


class Network:
    """The data thread: a reader and a writer around one socket, talking to the GUI through queues."""

    def __init__(self, sock: socket.socket, username: str):
        self.sock, self.username = sock, username
        self.outgoing: queue.Queue = queue.Queue()
        self.incoming: queue.Queue = queue.Queue()
        threading.Thread(target=self.write, daemon=True, name="net-writer").start()
        threading.Thread(target=self.read, daemon=True, name="net-reader").start()

    def write(self) -> None:
        send_queued(self.sock, self.outgoing)
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def read(self) -> None:
        decoder = codec.Decoder()
        while True:
            try:
                data = self.sock.recv(65536)
                messages = decoder.feed(data) if data else None
            except (OSError, codec.ProtocolError) as exc:
                self.incoming.put(("closed", f"connection lost: {exc}"))
                return
            if messages is None:
                self.incoming.put(("closed", "the server closed the connection"))
                return
            for message in messages:
                if message.problem() is None:
                    self.incoming.put(("message", message))


class ChatWindow:
    def __init__(self, root: tk.Tk, net: Network):
        self.root, self.net = root, net
        root.title(f"chat10 - {net.username}")
        self.display = scrolledtext.ScrolledText(root, width=60, height=20, state="disabled", wrap="word")
        self.display.pack(fill="both", expand=True, padx=6, pady=6)
        bottom = tk.Frame(root)
        bottom.pack(fill="x", padx=6, pady=(0, 6))
        self.entry = tk.Entry(bottom)
        self.entry.pack(side="left", fill="x", expand=True)
        self.entry.bind("<Return>", lambda _event: self.send())
        tk.Button(bottom, text="Send", command=self.send).pack(side="left", padx=(6, 0))
        root.protocol("WM_DELETE_WINDOW", self.close)
        self.entry.focus_set()
        root.after(POLL_MS, self.poll)

    def show(self, line: str) -> None:
        self.display.configure(state="normal")
        self.display.insert("end", line + "\n")
        self.display.configure(state="disabled")
        self.display.see("end")

    def send(self) -> None:
        text = self.entry.get()
        if not text:
            return
        self.entry.delete(0, "end")
        self.net.outgoing.put(codec.text(self.net.username, text))
        self.show(f"{self.net.username}: {text}")      # the server does not echo it back

    def poll(self) -> None:
        try:
            while True:
                kind, item = self.net.incoming.get_nowait()
                if kind == "closed":
                    self.show(f"*** {item}")
                elif item.method == "TEXT":
                    self.show(f"{item.username}: {item.text()}")
                elif item.method == "JOIN":
                    self.show(f"*** {item.username} joined the chat")
                elif item.method == "LEAVE":
                    self.show(f"*** {item.username} left the chat")
        except queue.Empty:
            pass
        self.root.after(POLL_MS, self.poll)

    def close(self) -> None:
        self.net.outgoing.put(codec.leave(self.net.username))
        self.net.outgoing.put(None)
        self.root.destroy()


def main() -> int:
    args = parse_args()
    try:
        sock = socket.create_connection((args.target, args.port), timeout=10)
    except OSError as exc:
        print(f"Cannot connect to {args.target}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    sock.settimeout(None)
    net = Network(sock, args.username)
    net.outgoing.put(codec.join(args.username))
    root = tk.Tk()
    ChatWindow(root, net)
    root.mainloop()
    writer = [t for t in threading.enumerate() if t.name == "net-writer"]
    for thread in writer:
        thread.join(timeout=2)   # LEAVE goes out before the process ends
    return 0


if __name__ == "__main__":
    sys.exit(main())
