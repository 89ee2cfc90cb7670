"""A private, loopback-only network for one harness run.

`python -m conformance check` re-executes itself in a network namespace of its own (util-linux's
`unshare --net`, with `--map-current-user` when not root), so the harness and every candidate it
starts share a loopback interface that nothing else on the machine can see: a fixed port (5378,
5555, 8765, 33002) never collides with another run or another program, and no candidate reaches
the network or a local service. `exec` keeps the process id, so signals, the exit status and the
candidates' death-with-the-harness are as without it. Not done where the run must reach the
outside (`--server HOST:PORT`), where the namespace cannot be made (no user namespaces, no
`unshare`), or with CHATCONFORM_NETWORK=shared; the report header says which.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import socket
import struct
import subprocess
import sys

VARIABLE = "CHATCONFORM_NETWORK"   # "private" inside the namespace; "shared" asks for none
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def unshare_command() -> list[str] | None:
    """The command prefix that makes a private network namespace here, or None where none can be made."""
    if shutil.which("unshare") is None:
        return None
    prefix = ["unshare", "--net"] + ([] if os.geteuid() == 0 else ["--map-current-user"])
    try:
        ok = subprocess.run([*prefix, "--", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    return prefix if ok else None


def enter_private(argv: list[str]) -> str:
    """Re-execute this command in a private network namespace (does not return where one can be
    made); otherwise say why the run shares the machine's network."""
    if os.environ.get(VARIABLE) == "shared":
        return "the machine's (CHATCONFORM_NETWORK=shared)"
    prefix = unshare_command()
    if prefix is None:
        return "the machine's (a network namespace cannot be made here: no unshare or no user namespaces)"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvpe(prefix[0], [*prefix, "--", sys.executable, "-m", "conformance", *argv],
               {**os.environ, VARIABLE: "private"})
    raise AssertionError("unreachable")


def inside() -> bool:
    return os.environ.get(VARIABLE) == "private"


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
    return os.environ.get("CHATCONFORM_NETWORK_WHY", "the machine's (plain pytest: use `python -m conformance "
                                                     "check` for a private one)")
