"""What Linux's /proc tells about a running candidate: is it idle, waiting for input it has not got?

A program is *idle* when every thread of every one of its processes is asleep (state S: blocked in
read, select, poll, accept, a lock or a sleep) and no input is waiting for it: nothing unread on its
terminal and nothing in the receive (or accept) queue of its TCP sockets. Such a program cannot
make progress until the harness (or a timer) gives it something: it is ready to be typed into, and
an answer it has not printed is not on its way. Where /proc cannot tell, `idle()` returns None.
"""
from __future__ import annotations

import fcntl
import os
import struct
import termios
import time
from pathlib import Path

PROC = Path("/proc")
ASLEEP = {"S", "I", "T", "t", "Z", "X"}   # D (disk) and R (runnable) are work in progress


def available() -> bool:
    return (PROC / "self" / "task").is_dir()


def descendants(pid: int) -> list[int]:
    """pid and every live process below it (children files; a full scan where the kernel has none)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        tasks = PROC / str(current) / "task"
        try:
            tids = os.listdir(tasks)
        except OSError:
            continue
        out.append(current)
        for tid in tids:
            try:
                todo += [int(c) for c in (tasks / tid / "children").read_text().split()]
            except (OSError, ValueError):
                pass
    return out


def stat_fields(path: str | Path) -> list[str] | None:
    """The fields of a /proc stat file (`PID/stat`, `PID/task/TID/stat`) after the command name:
    [state, ppid, pgrp, session, …, utime (11), stime (12), …]; None if it is gone."""
    try:
        return (PROC / path / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def thread_states(pid: int) -> list[str]:
    try:
        tids = os.listdir(PROC / str(pid) / "task")
    except OSError:
        return []
    return [fields[0] for tid in tids if (fields := stat_fields(f"{pid}/task/{tid}"))]


def socket_inodes(pid: int) -> set[str]:
    inodes = set()
    fd_dir = PROC / str(pid) / "fd"
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return inodes
    for fd in fds:
        try:
            target = os.readlink(fd_dir / fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def socket_rows(pid: int) -> list[list[str]]:
    """The rows of /proc/net/tcp and tcp6 (the process's own network namespace) for the TCP sockets
    the process holds, split into fields: [sl, local, remote, state, tx:rx queue, …, inode, …]."""
    inodes = socket_inodes(pid)
    if not inodes:
        return []
    out = []
    for table in ("tcp", "tcp6"):
        try:
            rows = (PROC / str(pid) / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        out += [fields for fields in map(str.split, rows) if len(fields) > 9 and fields[9] in inodes]
    return out


def unread_socket_bytes(pid: int) -> int:
    """Bytes waiting in the receive queues of the process's TCP sockets (for a listener: connections
    waiting in its accept queue)."""
    return sum(int(fields[4].split(":")[1], 16) for fields in socket_rows(pid))


def unread_tty_bytes(pid: int) -> int:
    """Bytes typed into the program's terminal (its stdin) that it has not read yet."""
    try:
        fd = os.open(f"/proc/{pid}/fd/0", os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return 0
    try:
        if not os.isatty(fd):
            return 0
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    except OSError:
        return 0
    finally:
        os.close(fd)


def idle(pid: int) -> bool | None:
    """True when the program rooted at pid is asleep with no input waiting; None where /proc cannot tell."""
    if not available():
        return None
    pids = descendants(pid)
    if not pids:
        return None
    for p in pids:
        states = thread_states(p)
        if any(s not in ASLEEP for s in states):
            return False
    if unread_tty_bytes(pid):
        return False
    return all(unread_socket_bytes(p) == 0 for p in pids)


def _address(hex_address: str) -> str:
    """'0100007F:14F2' -> '127.0.0.1:5362' (IPv4 rows of /proc/net/tcp; IPv6 left in hex)."""
    host, port = hex_address.split(":")
    if len(host) == 8:
        host = ".".join(str(b) for b in bytes.fromhex(host)[::-1])
    return f"{host}:{int(port, 16)}"


def remote_addresses(pid: int) -> list[str]:
    """Where the program's TCP sockets are connected (or connecting) to: 'host:port' each."""
    return sorted({_address(fields[2]) for p in descendants(pid) for fields in socket_rows(p)
                   if fields[3] != "0A"})   # 0A: a listener


def wait_idle(pid: int, window: float, timeout: float) -> bool | None:
    """Wait until the program has been idle for `window` seconds: True; False after `timeout`; None
    where /proc cannot tell."""
    if idle(pid) is None:
        return None
    start = time.monotonic()
    since = None
    while True:
        now = time.monotonic()
        if idle(pid):
            since = since or now
            if now - since >= window:
                return True
        else:
            since = None
        if now - start >= timeout:
            return False
        time.sleep(0.003)  # polling /proc: the kernel signals no event when a process falls asleep


def cpu_seconds(pid: int) -> float | None:
    """CPU time (user + system) used so far by pid and every live process below it; None without /proc."""
    total, seen = 0, False
    for current in descendants(pid):
        fields = stat_fields(str(current))
        if fields:
            total += int(fields[11]) + int(fields[12])    # utime, stime (clock ticks)
            seen = True
    return total / os.sysconf("SC_CLK_TCK") if seen else None


def cpu_share(pid: int, window: float) -> float | None:
    """The share of one core that pid's process tree used over the next `window` seconds (1.0 = a whole
    core); None without /proc. The window is the measurement itself, not a synchronisation."""
    before = cpu_seconds(pid)
    if before is None:
        return None
    start = time.monotonic()
    time.sleep(window)
    after = cpu_seconds(pid)
    return max(0.0, (after or before) - before) / (time.monotonic() - start)
