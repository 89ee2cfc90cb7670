"""How much a TCP connection holds in the kernel once its receiver stops reading.

Some tests must fill a connection to prove that a program keeps working while its writes pile up
(a client whose server stops reading, a server with a client that stops reading). They send more
than the connection can hold. A send buffer grows by itself up to tcp_wmem's maximum (4 MiB on a
stock Linux), so filling one takes megabytes; in the run's private network (network.py) the
harness lowers that maximum to SEND_MAX, and the same tests fill the buffers with a tenth of the
data. The tests read the limits in force, so they stay sound where the harness shares the
machine's network.
"""
from __future__ import annotations

import socket

from . import procstate

SEND_MAX = 256 * 1024        # tcp_wmem's maximum in the private network
RECEIVE_MAX = 1024 * 1024    # tcp_rmem's maximum there (a receiver that reads grows its buffer to it)
SYSCTL = "/proc/sys/net/ipv4/"


def _limit(name: str, default: int) -> int:
    try:
        return int(procstate.read(SYSCTL + name).split()[2])
    except (OSError, ValueError, IndexError):
        return default


def send_limit() -> int:
    """The largest send buffer a connection grows to by itself (tcp_wmem's maximum)."""
    return _limit("tcp_wmem", 4 * 1024 * 1024)


def lower_limits() -> bool:
    """In the private network: smaller buffers, the same defaults (False where they cannot be set)."""
    try:
        for name, most in (("tcp_wmem", SEND_MAX), ("tcp_rmem", RECEIVE_MAX)):
            low, default, _ = procstate.read(SYSCTL + name).split()
            with open(SYSCTL + name, "w") as sysctl:
                sysctl.write(f"{low} {min(int(default), most)} {most}")
        return True
    except (OSError, ValueError):
        return False


def holds(receiver: socket.socket, sender_pid: int | None = None) -> int:
    """The most bytes the connection to `receiver` (the harness's end, no longer read) can hold: the
    sender's send buffer as it may grow (or as the program set it: read from its socket where /proc
    allows) plus the receiver's buffer, which does not grow while nobody reads it."""
    sending = send_limit()
    if sender_pid is not None:
        ours = receiver.getsockname()[:2]
        for pid in procstate.descendants(sender_pid):
            for sock in procstate.tcp_sockets(pid):
                if sock.peer == f"{ours[0]}:{ours[1]}":
                    sending = max(sending, sock.send_buffer)
    return sending + receiver.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
