"""Containment of candidate programs: everything a candidate starts ends with its test and with the
harness, however the harness ends, and its limits cannot be lifted.

With bubblewrap (Debian's `bubblewrap`, where user namespaces work) every candidate runs in its own
PID namespace (killing its first process kills all it started, setsid() or not), with
--die-with-parent (a SIGKILLed harness takes it along), in a user namespace (so even as root it
cannot raise its hard limits), on a read-only view of the file system with its own folder writable
and a private /tmp. Without it (the fallback, said in the report header): the harness is a child
subreaper (orphans come back to it), each candidate gets PR_SET_PDEATHSIG, and survivors are found by
the token in their environment.
"""
from __future__ import annotations

import ctypes
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from . import cgroup, procstate, scratch
from .state import current
from ..resources import PACKAGE, REFERENCE

INJECT = Path(__file__).resolve().parent / "inject"   # the modules injected into candidates

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36
# The harness's own requirement, checked on every test of every protocol.
OUTLIVES = "HC1"
REQUIREMENTS = {OUTLIVES: ("MUST", "Nothing the program starts outlives its test: once the test stops the program, "
                                    "no process of it is left running (setsid() or not).")}
TOKEN_VARIABLE = "CHATCONFORM_CANDIDATE"   # in every candidate's environment: finds escapees

# Hard limits (soft = hard): the candidate cannot raise them again.
LIMITS = {
    resource.RLIMIT_AS: 2 * 1024 ** 3,       # address space: 2 GiB
    resource.RLIMIT_CPU: 120,                # seconds of CPU
    resource.RLIMIT_FSIZE: 64 * 1024 ** 2,   # largest file it may write
    resource.RLIMIT_CORE: 0,                 # no core dumps in the student's folder
}


def _find_prctl():
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


# looked up here, never in a forked child: dlopen/dlsym there can deadlock on a loader lock that
# another thread of the harness held at the fork, and the candidate would never start
_PRCTL = _find_prctl()


def _prctl(option: int, value: int) -> None:
    if _PRCTL is not None:
        _PRCTL(option, value, 0, 0, 0)


def child_setup(token: str = "") -> None:
    """Run in the candidate's process before exec: its control group, hard limits, and death with
    the harness."""
    if token:
        cgroup.join(token)
    for limit, value in LIMITS.items():
        _, hard = resource.getrlimit(limit)
        value = value if hard == resource.RLIM_INFINITY else min(value, hard)
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            pass
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # as from a terminal: a grader's run in the background (nohup, `&` in a script) has Ctrl-C and
    # Ctrl-\ ignored, and a candidate must not inherit that (Python would not even install its handler)
    for sig in (signal.SIGINT, signal.SIGQUIT):
        signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, set())


@functools.lru_cache(maxsize=None)
def mode() -> str:
    """'bubblewrap' where a sandbox can be made here, else 'subreaper' (CHATCONFORM_CONTAINMENT=off
    forces the fallback)."""
    if os.environ.get("CHATCONFORM_CONTAINMENT") == "off" or shutil.which("bwrap") is None:
        return "subreaper"
    try:
        done = subprocess.run(["bwrap", *_sandbox_options("/"), "--", "true"], capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "subreaper"
    return "bubblewrap" if done.returncode == 0 else "subreaper"


def describe() -> str:
    if mode() == "bubblewrap":
        how = ("bubblewrap: a PID and user namespace per candidate, dies with the harness, hard limits; it sees "
               "only its own scratch copy (writable), the system's programs and libraries and its Python (read-only), "
               "a private /tmp: no other submission, no grader file")
    else:
        how = ("fallback (no bubblewrap or no user namespaces): process groups, the harness as child subreaper, "
               "PR_SET_PDEATHSIG, hard limits; the candidate COULD READ THE MACHINE (other submissions, the "
               "grader's files) and write where the harness can: run it in a container (docs/containment.md)")
    return f"{how}; {cgroup.describe()}"


def start() -> None:
    """Once per harness process: orphans of candidates are re-parented to it, not to init."""
    _prctl(PR_SET_CHILD_SUBREAPER, 1)


# The candidate's view of the file system (docs/containment.md): nothing is visible unless it is named
# here. The system's programs and libraries (read-only); the few /etc files that the dynamic linker,
# name resolution, locales and fonts read; the Python it runs on and the libraries it may import
# (read-only), with chatconform's own package hidden but for the modules injected into candidates; a
# minimal /dev; a private /tmp; the X socket; its own folder (writable) and the folders a test shares
# with it (the GUI probe's socket). No home, no /work, /srv, /mnt, /media, /opt beyond the
# interpreter, no other submission, no grade output, no rubric, no repository of the grader.
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC = ("passwd", "group", "hosts", "host.conf", "nsswitch.conf", "resolv.conf", "gai.conf", "localtime",
       "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "fonts", "alternatives", "locale.alias", "locale.gen",
       "mime.types", "X11")
CACHES = ("/var/cache/fontconfig",)   # without it, every Tk or Qt start scans every font again
SHARED_DIRS = ("/tmp/.X11-unix",)     # the virtual screen's socket


@functools.lru_cache(maxsize=None)
def python_paths() -> tuple:
    """The interpreter candidates run on and the libraries they may import: the installation, the
    environment, every site-packages on the harness's own path (a .pth file may add another
    environment's) and what PYTHONPATH adds; never a checkout or a current folder on that path."""
    import site
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    libraries = [p for p in (*site.getsitepackages(), *sys.path)
                 if os.path.basename(p.rstrip("/")) in ("site-packages", "dist-packages")
                 or any(p.startswith(prefix.rstrip("/") + "/") for prefix in prefixes)]
    paths = {*prefixes, *libraries, *os.environ.get("PYTHONPATH", "").split(os.pathsep)}
    if site.ENABLE_USER_SITE and os.path.isdir(site.getusersitepackages()):
        paths.add(site.getusersitepackages())
    return tuple(sorted(p for p in paths if p and os.path.isdir(p)))


def _sandbox_options(cwd: str, writable: tuple = (), named: tuple = ()) -> list[str]:
    options = ["--die-with-parent", "--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
               "--dev", "/dev", "--proc", "/proc",
               "--tmpfs", "/proc/1"]   # the sandbox's init (bwrap): nothing of it to read
    for path in SYSTEM:
        if os.path.islink(path):      # a merged /usr: /bin -> usr/bin
            options += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            options += ["--ro-bind", path, path]
    for name in ETC:
        path = f"/etc/{name}"
        if os.path.exists(path):
            options += ["--ro-bind", path, path]
    for path in CACHES:
        if os.path.isdir(path):
            options += ["--ro-bind", path, path]
    options += ["--tmpfs", "/tmp"]
    for path in python_paths():
        options += ["--ro-bind", path, path]
    package = str(PACKAGE)
    if any(package == p or package.startswith(p.rstrip("/") + "/") for p in python_paths()):
        options += ["--tmpfs", package]   # chatconform itself: hidden where its environment shows it
    options += ["--ro-bind", str(INJECT), str(INJECT)]   # but for what is injected into candidates
    references = str(REFERENCE.resolve())
    if cwd == references or cwd.startswith(references + "/"):
        options += ["--ro-bind", references, references]   # chatconform's own references: their own files
        own = ()
    else:
        own = (scratch.root_of(cwd) or cwd,)   # its scratch copy (a program file's folder when run in place)
    for path in (*SHARED_DIRS, *writable, *own):
        if path != "/" and os.path.isdir(path):
            options += ["--bind", path, path]
    shown = (*SYSTEM, *python_paths(), *own, *writable)
    for path in named:   # what the grader's command names outside it (a wrapper): that file alone, read-only
        if not any(path == top or path.startswith(top.rstrip("/") + "/") for top in shown):
            options += ["--ro-bind", path, path]
    return options + ["--chdir", cwd]


def command(argv: list[str], cwd: str, writable: tuple = ()) -> list[str]:
    """argv as it is to be started: inside a sandbox where there is one. `writable`: folders besides
    its own (cwd) that it may see and write."""
    if mode() != "bubblewrap":
        return list(argv)
    named = tuple(os.path.realpath(part) for part in argv[1:] if os.path.isabs(part) and os.path.isfile(part))
    return ["bwrap", *_sandbox_options(str(Path(cwd).resolve()), tuple(map(str, writable)), named), "--", *argv]


def new_token() -> str:
    """A new candidate's token (in its environment: finds what it started); its control group is
    made with it, where there can be one."""
    token = uuid.uuid4().hex
    cgroup.create(token)
    return token


def carrying(token: str) -> list[int]:
    """Live processes whose environment holds this candidate's token (the candidate and what it
    started, however it detached)."""
    needle = f"{TOKEN_VARIABLE}={token}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fd = os.open(f"/proc/{entry.name}/environ", os.O_RDONLY)
        except OSError:
            continue
        try:
            if needle in os.read(fd, 1 << 20):
                found.append(int(entry.name))
        except OSError:
            pass
        finally:
            os.close(fd)
    return found


def command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode("utf-8", "replace").strip() or "?"


def escaped(token: str, group: int) -> list[tuple[int, str]]:
    """Processes of the candidate outside its process group (setsid(), setpgid()): those a plain
    kill of the group would leave running. Zombies and dying processes do not count, and each one
    found is looked at again: still the same process (its start time), still carrying the token,
    still outside. (The scan of /proc takes a while on a loaded machine, and pids are reused: with
    pid_max 32768 a self-test wraps them every few minutes. A correct client was once charged HC1
    for a process that was not its own.)"""
    out = []
    for pid in carrying(token):
        fields = procstate.stat_fields(str(pid))   # [state, ppid, pgrp, …, starttime (19)]
        if not outside(fields, group):
            continue
        again = procstate.stat_fields(str(pid)) if pid in carrying_one(token, pid) else None
        if outside(again, group) and again[19] == fields[19]:
            out.append((pid, command_line(pid)))
    return out


def outside(fields: list | None, group: int) -> bool:
    return bool(fields) and fields[0] not in ("Z", "X") and int(fields[2]) != group


def carrying_one(token: str, pid: int) -> list[int]:
    """[pid] if that process carries the token (carrying() for one process), else []."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return [pid] if f"{TOKEN_VARIABLE}={token}".encode() in f.read(1 << 20) else []
    except OSError:
        return []


def kill_all(token: str, timeout: float = 2.0) -> None:
    """SIGKILL every process carrying the token and wait until each is gone (dead processes hold no
    ports: a sandbox's processes die a moment after its first one, and a fixed-port server started
    next must find its port free)."""
    deadline = time.monotonic() + timeout
    killed: set = set()
    while True:
        found = (set(carrying(token)) | cgroup.members(token)) - killed   # (a scan of /proc: not polled)
        if not found or time.monotonic() >= deadline:
            break
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        killed |= found
        while any(exiting(pid) for pid in killed) and time.monotonic() < deadline:
            time.sleep(0.005)   # SIGKILL has no completion event for a process that is not our child
    reap_orphans()   # those that came back to the harness (subreaper) are zombies now: collect them
    cgroup.remove(token)


def exiting(pid: int) -> bool:
    """Is the process still on its way out? A dying process drops its memory (and so its environment,
    which `carrying` reads) before it closes its files: until it is a zombie or gone, its listening
    socket may still hold a port."""
    fields = procstate.stat_fields(str(pid))
    return fields is not None and fields[0] not in ("Z", "X")


def spawned(pid: int) -> int:
    """One of the harness's own children (pexpect, subprocess): its owner waits for it (the run's state)."""
    current().spawned.add(pid)
    return pid


def reap_orphans() -> None:
    """Collect the harness's children that it did not start itself: orphans of candidates, which the
    subreaper inherits. Its own children are left to their owners (pexpect, subprocess)."""
    children = set()
    try:
        for task in os.scandir("/proc/self/task"):
            try:
                children |= {int(c) for c in Path(task.path, "children").read_text().split()}
            except (OSError, ValueError):
                pass
    except OSError:
        return
    for pid in children - current().spawned:
        try:
            os.waitpid(pid, os.WNOHANG)
        except (ChildProcessError, OSError):
            pass
