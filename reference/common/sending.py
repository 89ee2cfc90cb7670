"""The reference clients' writer thread: what the user's side queues goes out in order, and a
socket that blocks never blocks the window or the terminal."""
from __future__ import annotations

import queue
import socket


def send_queued(sock: socket.socket, outgoing: queue.Queue) -> None:
    """Send each item of `outgoing` until a None or a failed send; the caller then ends the
    connection its protocol's way."""
    while (data := outgoing.get()) is not None:
        try:
            sock.sendall(data)
        except OSError:
            return
