"""What Linux's /proc tells about a running candidate: is it idle, waiting for input it has not got?

A program is *idle* when every thread of every one of its processes is asleep (state S: blocked in
read, select, poll, accept, a lock or a sleep) and no input is waiting for it: nothing unread on its
terminal and nothing in the receive (or accept) queue of its TCP sockets. Such a program cannot
make progress until the harness (or a timer) gives it something: it is ready to be typed into, and
an answer it has not printed is not on its way. Where /proc cannot tell, `idle()` returns None.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import socket
import struct
import termios
import time
from dataclasses import dataclass
from pathlib import Path

from . import settings
from .ready import ready

PROC = Path("/proc")
ASLEEP = {"S", "I", "T", "t", "Z", "X"}   # D (disk) and R (runnable) are work in progress


# Paths are plain strings and files are read with os.read below: these functions are polled every
# 10 ms for every program of a test, and pathlib and text files cost most of that polling's CPU.
def read(path: str) -> str:
    """The whole of a small /proc file (OSError if it is gone)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.read(fd, 65536).decode("utf-8", "replace")
    finally:
        os.close(fd)


def available() -> bool:
    return os.path.isdir("/proc/self/task")


def descendants(pid: int) -> list[int]:
    """pid and every live process below it (children files; a full scan where the kernel has none)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        tasks = f"/proc/{current}/task/"
        try:
            tids = os.listdir(tasks)
        except OSError:
            continue
        out.append(current)
        for tid in tids:
            try:
                todo += [int(c) for c in read(tasks + tid + "/children").split()]
            except (OSError, ValueError):
                pass
    return out


def stat_fields(path: str | Path) -> list[str] | None:
    """The fields of a /proc stat file (`PID/stat`, `PID/task/TID/stat`) after the command name:
    [state, ppid, pgrp, session, …, utime (11), stime (12), …]; None if it is gone."""
    try:
        return read(f"/proc/{path}/stat").rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def thread_states(pid: int) -> list[str]:
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    return [fields[0] for tid in tids if (fields := stat_fields(f"{pid}/task/{tid}"))]


def socket_fds(pid: int) -> dict[int, str]:
    """The process's socket descriptors: fd -> socket inode."""
    out = {}
    fd_dir = f"/proc/{pid}/fd/"
    try:
        fds = os.listdir(fd_dir)
    except OSError:
        return out
    for fd in fds:
        try:
            target = os.readlink(fd_dir + fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            out[int(fd)] = target[8:-1]
    return out


@dataclass(frozen=True)
class TcpSocket:
    """What the kernel holds for one of a program's TCP sockets."""

    listening: bool
    unread: int        # bytes in its receive queue; for a listener: whether connections wait (1 or 0)
    unsent: int        # bytes in its send queue (not yet acknowledged)
    peer: str | None   # 'host:port' it is connected to
    send_buffer: int = 0   # its SO_SNDBUF (0 where unknown)
    readable: bool = False   # a read would not block: bytes, the peer's close (EOF) or an error waits
    fd: int = -1             # its descriptor in the program (-1 where unknown)


_libc = ctypes.CDLL(None, use_errno=True)
SYS_PIDFD_GETFD = 438   # the same number on every Linux machine (5.6 and later)
SIOCOUTQ = 0x5411


def int_ioctl(fd: int, request: int) -> int:
    """An ioctl that answers one int: bytes queued (FIONREAD, SIOCOUTQ)."""
    return struct.unpack("i", fcntl.ioctl(fd, request, b"\0\0\0\0"))[0]


def _look_at(fd: int, own: int) -> TcpSocket | None:
    """A copy (`fd`) of a program's socket descriptor (`own`, its number there), looked at without
    touching its data."""
    sock = socket.socket(fileno=fd)
    try:
        if sock.family not in (socket.AF_INET, socket.AF_INET6) or sock.type != socket.SOCK_STREAM:
            return None
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            waiting = ready(fd, 0)
            return TcpSocket(True, 1 if waiting else 0, 0, None, readable=bool(waiting), fd=own)
        try:
            host, port = sock.getpeername()[:2]
            peer = f"{host}:{port}"
        except OSError:
            peer = None
        return TcpSocket(False, int_ioctl(fd, termios.FIONREAD), int_ioctl(fd, SIOCOUTQ), peer,
                         sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF),
                         ready(fd, 0), own)
    finally:
        sock.detach()   # the copy is closed by the caller


def tcp_sockets(pid: int) -> list[TcpSocket]:
    """The process's TCP sockets. Each descriptor is copied into the harness (pidfd_getfd) and asked
    directly: reading /proc/net/tcp walks the kernel's whole connection table (10 ms a read here),
    which polling cannot afford. Where copies cannot be made, from /proc/net/tcp after all."""
    fds = socket_fds(pid)
    if not fds:
        return []
    try:
        pidfd = os.pidfd_open(pid)
    except (OSError, AttributeError):
        return _tcp_sockets_from_tables(pid, set(fds.values()))
    out = []
    try:
        for fd in fds:
            copy = _libc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0)
            if copy < 0:
                if ctypes.get_errno() == errno.EBADF:
                    continue   # closed meanwhile
                return _tcp_sockets_from_tables(pid, set(fds.values()))
            try:
                found = _look_at(copy, fd)
            except OSError:
                found = None
            finally:
                os.close(copy)
            if found is not None:
                out.append(found)
    finally:
        os.close(pidfd)
    return out


def _address(hex_address: str) -> str:
    """'0100007F:14F2' -> '127.0.0.1:5362' (IPv4 rows of /proc/net/tcp; IPv6 left in hex)."""
    host, port = hex_address.split(":")
    if len(host) == 8:
        host = ".".join(str(b) for b in bytes.fromhex(host)[::-1])
    return f"{host}:{int(port, 16)}"


def _tcp_sockets_from_tables(pid: int, inodes: set[str]) -> list[TcpSocket]:
    out = []
    for table in ("tcp", "tcp6"):
        try:
            rows = (PROC / str(pid) / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for fields in map(str.split, rows):
            if len(fields) > 9 and fields[9] in inodes:
                unsent, unread = (int(q, 16) for q in fields[4].split(":"))
                listening = fields[3] == "0A"
                readable = bool(unread) or fields[3] == "08"   # CLOSE_WAIT: the peer closed, EOF waits
                out.append(TcpSocket(listening, unread, unsent, None if listening else _address(fields[2]),
                                     readable=readable))
    return out


def unread_socket_bytes(pid: int) -> int:
    """Bytes waiting in the receive queues of the process's TCP sockets (for a listener: connections
    waiting in its accept queue)."""
    return sum(s.unread for s in tcp_sockets(pid))


def unread_tty_bytes(pid: int) -> int:
    """Bytes typed into the program's terminal (its stdin) that it has not read yet.

    A pty passes written bytes on through a kernel worker, so for a moment after the harness types,
    the bytes are neither readable nor read and the reader is not yet woken (up to 38 ms seen here
    under load). A poll makes the kernel finish that hand-over at once (n_tty_poll), so the terminal
    is polled first. Both are done on a copy of the program's own descriptor (pidfd_getfd): a fresh
    open of the terminal could outlive the program's last close of it, and the harness would not see
    its end."""
    try:
        pidfd = os.pidfd_open(pid)
    except (OSError, AttributeError):
        return 0
    try:
        copy = _libc.syscall(SYS_PIDFD_GETFD, pidfd, 0, 0)
        if copy < 0:
            return 0
        try:
            if not os.isatty(copy):
                return 0
            ready(copy, 0)
            return int_ioctl(copy, termios.FIONREAD)
        except OSError:
            return 0
        finally:
            os.close(copy)
    finally:
        os.close(pidfd)


def idle(pid: int) -> bool | None:
    """True when the program rooted at pid is asleep with no input waiting; None where /proc cannot tell."""
    if not available():
        return None
    pids = descendants(pid)
    if not pids:
        return None
    if unread_tty_bytes(pid):   # first: its poll wakes a reader whose typed bytes are still on their way
        return False
    for p in pids:
        states = thread_states(p)
        if any(s not in ASLEEP for s in states):
            return False
    return all(unread_socket_bytes(p) == 0 for p in pids)


def remote_addresses(pid: int) -> list[str]:
    """Where the program's TCP sockets are connected to: 'host:port' each."""
    return sorted({sock.peer for p in descendants(pid) for sock in tcp_sockets(p) if sock.peer})


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
        time.sleep(settings.PROC_POLL)  # polling /proc: the kernel signals no event when a process falls asleep


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


# --- blocked for good: waiting that only input can end ----------------------------------------
# The system calls these checks know, by number, one table per machine; every rule below names them.
SYSCALLS = {
    "x86_64": {0: "read", 1: "write", 7: "poll", 17: "pread64", 19: "readv", 20: "writev", 23: "select",
               34: "pause", 43: "accept", 44: "sendto", 45: "recvfrom", 47: "recvmsg", 61: "wait4",
               130: "rt_sigsuspend", 202: "futex", 230: "clock_nanosleep", 232: "epoll_wait", 247: "waitid",
               270: "pselect6", 271: "ppoll", 281: "epoll_pwait", 288: "accept4", 299: "recvmmsg",
               441: "epoll_pwait2"},
    "aarch64": {22: "epoll_pwait", 63: "read", 64: "write", 65: "readv", 66: "writev", 67: "pread64",
                72: "pselect6", 73: "ppoll", 95: "waitid", 98: "futex", 115: "clock_nanosleep",
                133: "rt_sigsuspend", 202: "accept", 206: "sendto", 207: "recvfrom", 212: "recvmsg",
                242: "accept4", 243: "recvmmsg", 260: "wait4", 441: "epoll_pwait2"},
}
# The calls a thread can sit in that only input (a byte, a connection, another thread or process
# that is itself blocked) can end, with the argument holding the timeout (None: the call has none;
# else the pointer or int that must be NULL / negative, or the futex operation's timeout).
INPUT_WAITS = {
    "read": None, "pread64": None, "readv": None, "recvfrom": None, "recvmsg": None, "recvmmsg": None,
    "accept": None, "accept4": None,
    "poll": ("int", 2), "ppoll": ("ptr", 2), "select": ("ptr", 4), "pselect6": ("ptr", 4),
    "epoll_wait": ("int", 3), "epoll_pwait": ("int", 3), "epoll_pwait2": ("ptr", 3),
    "futex": ("futex", 3), "wait4": None, "waitid": None, "pause": None, "rt_sigsuspend": None,
}
# Calls that may wait on sockets, by how the descriptors they wait on are found: in an epoll instance
# (its fdinfo lists them), in a pollfd array or an fd_set in the program's memory, or the call's
# first argument (recv*, accept*, read). A thread in one of them wakes for a readable socket among
# those (bytes, a peer's close, a connection), so while one is readable the thread is not blocked for
# good, whatever its state says (a woken thread may not have run yet). Where the descriptors cannot
# be read, it may: the wait runs its window.
WATCHES = {
    "epoll_wait": "epoll", "epoll_pwait": "epoll", "epoll_pwait2": "epoll", "poll": "poll", "ppoll": "poll",
    "select": "select", "pselect6": "select",
    "recvfrom": "fd", "recvmsg": "fd", "recvmmsg": "fd", "accept": "fd", "accept4": "fd", "read": "fd",
}
MAX_WATCHED = 4096   # descriptors read from a program's memory at most (a larger set: cannot tell)


SLEEP = "clock_nanosleep"                     # blocked for good if its deadline is far
FUTEX_WAITS = {0, 9, 11}                     # FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI
TIMER_ABSTIME = 1


def _sleeps_past(pid: int, args: list[int], until: float) -> bool:
    """A clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, deadline) (Python's time.sleep) that ends
    after `until` (time.monotonic()): read the deadline from the sleeper's memory."""
    if args[0] != time.CLOCK_MONOTONIC or not args[1] & TIMER_ABSTIME:
        return False
    try:
        with open(PROC / str(pid) / "mem", "rb", buffering=0) as mem:
            mem.seek(args[2])
            seconds, nanoseconds = struct.unpack("qq", mem.read(16))
    except (OSError, struct.error, ValueError, OverflowError):
        return False
    return seconds + nanoseconds / 1e9 > until


def _blocked_for_input(pid: int, line: str, machine: str, until: float) -> bool:
    """Is a thread whose /proc syscall file reads `line` in a call that only input can end (or a
    sleep that outlasts `until`)?"""
    fields = line.split()
    if not fields or fields[0] == "running" or not fields[0].lstrip("-").isdigit():
        return False
    name = SYSCALLS.get(machine, {}).get(int(fields[0]))
    try:
        args = [int(a, 16) for a in fields[1:7]]
    except ValueError:
        return False
    if name == SLEEP:
        return _sleeps_past(pid, args, until)
    if name not in INPUT_WAITS:
        return False
    rule = INPUT_WAITS[name]
    if rule is None:
        return True
    kind, index = rule
    if kind == "int":
        value = args[index] & 0xFFFFFFFF
        return value >= 0x80000000   # a negative int: no timeout
    if kind == "futex":
        return (args[1] & 0x7F) in FUTEX_WAITS and args[index] == 0
    return args[index] == 0


def blocked_snapshot(pids: list[int], until: float) -> tuple | None:
    """What the programs rooted at `pids` are doing, if each of their threads is blocked for good:
    asleep (state S: a thread that input has just woken is R) in a call only input can end, or
    asleep past `until`, with nothing they sent still on its way (their TCP send queues empty).
    Per thread: its state, its system call and its CPU time (ns); two equal snapshots a settle window
    apart mean nothing ran in between. A socket with something to read (bytes, the peer's close, a
    connection) that a thread waits on (select, poll or epoll naming it, recv, accept or read on it)
    means that thread can still act, whatever its state says; unread bytes that no thread waits for
    do not count (a program blocked in input() with a message on its socket): nothing will read them.
    None otherwise, and where /proc cannot tell."""
    machine = os.uname().machine
    if machine not in SYSCALLS or not available():
        return None
    snapshot = []
    programs = [pid for root in pids for pid in descendants(root)]
    for pid in programs:
        unread_tty_bytes(pid)   # (its poll) a reader that typed bytes are about to wake must not look blocked
    for pid in programs:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        calls = []
        for tid in tids:
            task = f"/proc/{pid}/task/{tid}/"
            fields = stat_fields(f"{pid}/task/{tid}")
            if fields is None:
                continue   # the thread ended meanwhile
            try:
                line = read(task + "syscall").strip()
                runtime = read(task + "schedstat").split()[0]
            except (OSError, IndexError):
                return None
            if fields[0] != "S" or not _blocked_for_input(pid, line, machine, until):
                return None
            calls.append(line)
            snapshot.append((tid, fields[0], line, runtime))
        sockets = tcp_sockets(pid)
        if any(sock.unsent for sock in sockets):
            return None   # bytes it sent are not yet through
        readable = {sock.fd for sock in sockets if sock.readable}
        if readable and _waited_on(pid, calls, machine, readable):
            return None   # a thread waits on a socket that has something to read: it can still act
    return tuple(snapshot) or None   # nothing running at all: an exit, which its own checks report


def _waited_on(pid: int, calls: list, machine: str, fds: set) -> bool:
    """Does a thread in one of these calls wait on one of these descriptors (or may it: where what
    it waits on cannot be read, or a descriptor is unknown, -1)?"""
    if -1 in fds:
        return True
    for line in calls:
        watched = _watched_fds(pid, line, machine)
        if watched is None or watched & fds:
            return True
    return False


def _watched_fds(pid: int, line: str, machine: str) -> set | None:
    """The descriptors a thread in this call waits on (set() for a call that waits on none); None
    where they cannot be read."""
    fields = line.split()
    try:
        number, args = int(fields[0]), [int(a, 16) for a in fields[1:7]]
    except (ValueError, IndexError):
        return None
    how = WATCHES.get(SYSCALLS.get(machine, {}).get(number))
    if how is None:
        return set()
    try:
        if how == "fd":
            return {args[0]}
        if how == "epoll":
            text = (PROC / str(pid) / "fdinfo" / str(args[0])).read_text()
            return {int(row.split()[1]) for row in text.splitlines() if row.startswith("tfd:")}
        with open(PROC / str(pid) / "mem", "rb", buffering=0) as mem:
            if how == "poll":
                count = args[1]
                if count > MAX_WATCHED:
                    return None
                mem.seek(args[0])
                data = mem.read(8 * count)
                return {struct.unpack_from("i", data, 8 * i)[0] for i in range(count)} - {-1}
            count = args[0]   # select: nfds, then the read set
            if count > MAX_WATCHED or not args[1]:
                return set() if not args[1] else None
            mem.seek(args[1])
            bits = int.from_bytes(mem.read((count + 7) // 8), "little")
            return {fd for fd in range(count) if bits >> fd & 1}
    except (OSError, ValueError, IndexError, struct.error, OverflowError):
        return None


# --- what each thread waits in, for a diagnosis (conformance/diagnose/observe.py) ----------------

def fd_kind(pid: int, fd: int) -> str:
    """'keyboard' (a terminal), 'socket', 'pipe' or 'file'."""
    try:
        target = os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        return "?"
    if target.startswith("/dev/pts") or target.startswith("/dev/tty"):
        return "keyboard"
    return target.split(":")[0] if ":[" in target else "file"


def thread_waits(pid: int) -> list[dict]:
    """Each thread of the process: its name, state, the call it is in (by name where known) and the
    descriptors that call waits on (None where they cannot be read)."""
    machine = os.uname().machine
    out = []
    try:
        tids = sorted(os.listdir(f"/proc/{pid}/task"), key=int)
    except OSError:
        return out
    for tid in tids:
        task = f"/proc/{pid}/task/{tid}/"
        fields = stat_fields(f"{pid}/task/{tid}")
        try:
            line = read(task + "syscall").strip()
            name = read(task + "comm").strip()
        except OSError:
            continue
        if fields is None:
            continue
        number = line.split()[0] if line else "running"
        call = SYSCALLS.get(machine, {}).get(int(number), f"syscall {number}") if number.lstrip("-").isdigit() \
            else "running"
        fds = _watched_fds(pid, line, machine) if call != "running" else set()
        out.append({"tid": int(tid), "name": name, "state": fields[0], "call": call, "fds": fds,
                    "cpu_ticks": int(fields[11]) + int(fields[12])})
    return out
