"""A private, loopback-only network for one harness run.

`python -m conformance check` moves itself into a network namespace of its own (unshare(2) with
CLONE_NEWNET, as util-linux's `unshare --net` does; when not root, inside a user namespace that maps
the current user, as `--map-current-user` does), so the harness and every candidate it starts
share a loopback interface that nothing else on the machine can see: a fixed port (5378, 5555,
8765, 33002) never collides with another run or another program, and no candidate reaches the
network or a local service. It is done in the process itself, before any thread starts: the pid,
signals, the exit status and the candidates' death-with-the-harness are as without it, and no
second interpreter starts. Not done where the run must reach the outside (`--server HOST:PORT`),
where the namespace cannot be made (no user namespaces), or with CHATCONFORM_NETWORK=shared; the
report header says which.
"""
from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import struct

VARIABLE = "CHATCONFORM_NETWORK"   # "private" inside the namespace; "shared" asks for none
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000


def _unshare(flags: int) -> int:
    """unshare(2): 0, or the errno."""
    libc = ctypes.CDLL(None, use_errno=True)
    return 0 if libc.unshare(flags) == 0 else ctypes.get_errno()


def enter_private() -> str | None:
    """Move this (still single-threaded) process into a private network namespace: None when done,
    otherwise why the run shares the machine's network. CHATCONFORM_NETWORK=shared asks for that."""
    if os.environ.get(VARIABLE) == "shared":
        return "the machine's (CHATCONFORM_NETWORK=shared)"
    uid, gid = os.geteuid(), os.getegid()
    if uid == 0:
        failed = _unshare(CLONE_NEWNET)
    else:
        failed = _unshare(CLONE_NEWUSER | CLONE_NEWNET)
        if not failed:
            try:   # the current user, and only it, is mapped to itself (what --map-current-user does)
                for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
                    with open(f"/proc/self/{name}", "w") as f:
                        f.write(text)
            except OSError as exc:
                failed = exc.errno or 1
    if failed:
        return f"the machine's (a network namespace cannot be made here: {os.strerror(failed)})"
    os.environ[VARIABLE] = "private"
    return None


def can_be_private() -> bool:
    """Can a run here have a private network? (Tried in a child, which exits at once.)"""
    if os.environ.get(VARIABLE) == "shared":
        return False
    pid = os.fork()
    if pid == 0:
        os._exit(0 if enter_private() is None else 1)
    return os.waitpid(pid, 0)[1] == 0


def inside() -> bool:
    return os.environ.get(VARIABLE) == "private"


def workers_private() -> bool:
    """Can each parallel worker of a private run have a private network of its own? (A network
    namespace of its own, made by the worker: as root, where a thread may do it alone; a user namespace,
    which a worker without root would need, cannot be made by a process that has threads.) Then tests
    that use a fixed port (brace's 33002, a server on its default port) run in parallel."""
    return inside() and os.geteuid() == 0


def enter_worker() -> bool:
    """In a parallel worker (workers_private()): a private network of the worker's own."""
    if _unshare(CLONE_NEWNET):
        return False
    loopback_up()
    return True


def loopback_up() -> None:
    """A new network namespace has its loopback interface down: bring it up (as `ip link set lo up`)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(s, SIOCGIFFLAGS, request + b"\0" * 14)[:18])[1]
        if not flags & IFF_UP:
            fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | IFF_UP) + b"\0" * 14)


def describe() -> str:
    if inside():
        return "private: a loopback-only network namespace for this run (fixed ports never collide, no way out)"
    return os.environ.get("CHATCONFORM_NETWORK_WHY", "the machine's (plain pytest: use `chatconform "
                                                     "check` for a private one)")
