"""`python -m conformance check` for the self-test, without an interpreter start and imports per run.

The self-test runs the CLI some 190 times; started anew, each run would start an interpreter and
import pytest and the harness (half a second of CPU on the 2-core CI machine: a fifth of a small
fixture's whole cost). This server imports them once, never starts a thread, and forks a child per run that does
what `python -m conformance ARGS` does (cli.main), with its own environment, working folder and
output files; the child's exit status is the run's. One server per self-test worker.

Protocol (JSON lines): request {"argv", "env", "cwd", "out"} -> {"pid"} once the run started, then
{"status"} when it ended. The client may kill the pid (a timeout): the status then says so.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from ..resources import CHECKOUT as ROOT


def preload() -> None:
    """What every run imports: pytest and its plugins, the harness, every protocol's suite."""
    sys.path.insert(0, str(ROOT))
    import pytest  # noqa: F401
    import conformance.cli  # noqa: F401
    import conformance.conftest  # noqa: F401
    from conformance import protocols
    for protocol in protocols.every():
        for role in protocol.roles:
            for path in protocol.suite(role):
                __import__(f"{protocol.package}.{path.stem}")


def run(request: dict) -> None:
    """In the forked child: the CLI, as `python -m conformance` would run it; never returns."""
    code = 2
    try:
        out = os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        sys.argv = [str(ROOT / "conformance" / "__main__.py"), *request["argv"]]
        from conformance import cli
        code = cli.main(request["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:   # noqa: BLE001 - reported in the output file, like an interpreter would
        import traceback
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    preload()
    replies = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            run(request)
        replies.write(json.dumps({"pid": pid}) + "\n")
        replies.flush()
        _, status = os.waitpid(pid, 0)
        replies.write(json.dumps({"status": os.waitstatus_to_exitcode(status)}) + "\n")
        replies.flush()


class CheckServer:
    """The self-test's side: start the server once, then run(argv, env, cwd, out, timeout)."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-m", "conformance.selftest.checkserver"], cwd=ROOT, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def run(self, argv: list[str], env: dict, cwd: Path, out: Path, timeout: float) -> int:
        self.proc.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": str(cwd), "out": str(out)}) + "\n")
        self.proc.stdin.flush()
        pid = json.loads(self.proc.stdout.readline())["pid"]
        timer = threading.Timer(timeout, lambda: os.kill(pid, 9))
        timer.start()
        try:
            reply = self.proc.stdout.readline()
        finally:
            timer.cancel()
        return json.loads(reply)["status"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(10)


if __name__ == "__main__":
    serve()
