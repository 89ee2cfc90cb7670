"""Finding a submission's programs, filling command templates, starting them fenced in.

Every process the harness starts gets its own process group (so a forking candidate is killed
whole) and resource limits (so a runaway one cannot take the grader's machine with it).
"""
from __future__ import annotations

import functools
import os
import random
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import containment, procstate, settings, sockdiag
from .failure import CheckFailure, HarnessError  # noqa: F401 (HarnessError: imported from here too)
from .transcript import Transcript

INJECT_DIR = Path(__file__).parent / "inject"

@dataclass(frozen=True)
class Program:
    """One program of a submission: how to start it and where."""

    role: str        # "client" or "server"
    template: str    # e.g. "{python} client.py --address {host} --port {port}"
    cwd: Path

    def argv(self, **values) -> list[str]:
        values = {"python": sys.executable, "dir": str(self.cwd), **values}
        try:
            return [part.format(**values) for part in shlex.split(self.template)]
        except (KeyError, IndexError, ValueError) as exc:
            raise HarnessError(f"bad command template {self.template!r}: {exc}") from None

    @property
    def takes_port(self) -> bool:
        """False for a command without {port}: the program listens on its default port."""
        return "{port}" in self.template

    def argv_with(self, *args: str, **values) -> list[str]:
        """The command without its address arguments, then `args` (e.g. --help): the template is cut
        at the first part that names {host} or {port}, with an option flag just before it."""
        parts = shlex.split(self.template)
        cut = next((i for i, p in enumerate(parts) if "{host}" in p or "{port}" in p), len(parts))
        if cut and parts[cut - 1].startswith("-"):
            cut -= 1
        return Program(self.role, shlex.join(parts[:cut]), self.cwd).argv(**values) + list(args)

    def describe(self) -> str:
        return f"{self.template}  (in {self.cwd})"


@dataclass(frozen=True)
class Layout:
    """Where a protocol's program may live in a submission, and how that layout is started."""

    path: str        # a file or folder relative to the submission
    template: str


def find_program(submission: Path, role: str, layouts: list[Layout], override: str | None,
                 any_file: bool = False) -> Program | None:
    """The first layout present in the submission; a file submission stands for its folder's program.
    `any_file`: a .py file of another name (hw/chat.py) is started as this role's first .py layout."""
    folder = submission if submission.is_dir() else submission.parent
    if override:
        return Program(role, override, folder)
    if submission.is_file():
        for layout in layouts:
            if Path(layout.path).name == submission.name and layout.path.endswith(".py"):
                return Program(role, layout.template.replace(layout.path, submission.name), folder)
        if any_file and submission.suffix == ".py":
            layout = next((lay for lay in layouts if lay.path.endswith(".py")), None)
            if layout is not None:
                return Program(role, layout.template.replace(layout.path, submission.name), folder)
        return None
    for layout in layouts:
        target = folder / layout.path
        if target.exists():
            parent = target.parent if target.is_file() else folder
            rel = target.name if target.is_file() else layout.path
            return Program(role, layout.template.replace(layout.path, rel), parent)
    return None


# All a candidate gets of the grader's environment: nothing secret, nothing of the harness's own.
PASSED_ON = ("PATH", "HOME", "USER", "LOGNAME", "TZ", "PYTHONPATH", "DISPLAY", "XAUTHORITY", "QT_QPA_PLATFORM")


def environment(inject: tuple[str, ...] = (), extra: dict | None = None) -> dict:
    env = {k: os.environ[k] for k in PASSED_ON if k in os.environ}
    env.update(TERM="dumb", PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8", PYTHONDONTWRITEBYTECODE="1",
               LANG="C.UTF-8", LC_ALL="C.UTF-8", COLUMNS="1000", LINES="50")
    paths = [str(INJECT_DIR / name) for name in inject] + ([str(INJECT_DIR / "common")] if inject else [])
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    else:
        env.pop("PYTHONPATH", None)
    env.update(extra or {})
    return env


_ports = random.SystemRandom()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing is bound to, chosen below the kernel's ephemeral range: the harness's own
    outgoing connections take ports from that range, and one of them could take the port between
    this choice and the candidate's bind()."""
    try:
        low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for _ in range(50):
        port = _ports.randrange(10000, max(low, 10001))
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0", port))   # free on every address, as a server binding 0.0.0.0 needs
            except OSError:
                continue
        return port
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def listening(host: str, port: int) -> bool:
    """Is something listening on the port? Asked of the kernel (sockdiag, else its socket tables),
    because a probing connection would be a visible client to a chat server (a join and a leave)."""
    try:
        return sockdiag.is_listening(port)
    except OSError:
        pass
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        try:
            socket.create_connection((host, port), 0.2).close()
            return True
        except OSError:
            return False
    wanted = f":{port:04X}"
    for table in tables:
        try:
            rows = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if fields[1].endswith(wanted) and fields[3] == "0A":   # 0A: LISTEN
                return True
    return False


def wait_listening(host: str, port: int, timeout: float, proc: subprocess.Popen | None = None) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        if listening(host, port):
            return True
        time.sleep(0.02)  # polling for the port to open; there is no event to wait for
    return False


def group_memory(pgid: int) -> tuple[int, int]:
    """(resident KiB, peak resident KiB) summed over the live processes of a process group, from
    /proc: how much memory a candidate holds, forks included. (0, 0) where /proc cannot tell."""
    rss = hwm = 0
    for pid in os.listdir("/proc"):   # (not Path.glob: a process ending meanwhile makes it raise ESRCH)
        fields = procstate.stat_fields(pid) if pid.isdigit() else None
        if not fields or int(fields[2]) != pgid:     # the process group
            continue
        try:
            status = procstate.read(f"/proc/{pid}/status")
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss += int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm += int(line.split()[1])
    return rss, hwm


class Background:
    """A server process in its own group; its output goes to a file, read back for reports."""

    def __init__(self, argv: list[str], cwd: Path, transcript: Transcript | None = None, env: dict | None = None):
        self.argv = argv
        self.log = tempfile.TemporaryFile()
        self.token = containment.new_token()
        env = {**(env or environment()), containment.TOKEN_VARIABLE: self.token}
        self.proc = subprocess.Popen(containment.command(argv, str(cwd)), cwd=cwd, env=env,
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True,
                                     preexec_fn=functools.partial(containment.child_setup, self.token))
        containment.spawned(self.proc.pid)
        if transcript is not None:
            transcript.note("start: " + " ".join(argv))

    def log_size(self) -> int:
        return len(self.final_output.encode()) if self.log.closed else self.log.seek(0, os.SEEK_END)

    def output_since(self, start: int, limit: int = 64000) -> str:
        """What it wrote after `start` bytes (at most the last `limit`)."""
        if self.log.closed:
            return self.final_output.encode()[start:][-limit:].decode("utf-8", "replace")
        size = self.log.seek(0, os.SEEK_END)
        self.log.seek(max(start, size - limit))
        return self.log.read(limit).decode("utf-8", "replace")

    def output(self, limit: int = 4000) -> str:
        if self.log.closed:
            return self.final_output[-limit:]
        size = self.log.seek(0, os.SEEK_END)
        self.log.seek(max(0, size - limit))   # only the tail: the log may be gigabytes
        data = self.log.read(limit)
        return data.decode("utf-8", "replace")

    def wait_listening(self, host: str, port: int, what: str) -> None:
        if not wait_listening(host, port, settings.wait(settings.STARTUP), self.proc):
            state = f"exited with status {self.proc.returncode}" if self.proc.poll() is not None else "not listening"
            self.kill()
            raise CheckFailure(f"The {what} did not start: {state} on {host}:{port} after "
                               f"{settings.wait(settings.STARTUP):.1f}s.\nCommand: {' '.join(self.argv)}\n"
                               f"Its output:\n{self.output()}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        containment.kill_all(self.token)   # whatever it started outside its group
        if not self.log.closed:
            self.final_output = self.output(limit=16000)
            self.log.close()
