"""Server processes: the candidate's server (on a free port, or its default port), the reference
server for live tests, settle windows and the idle check."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from .. import stash
from ..diagnose import observe
from ..harness import network, procstate, settings, timing, waiting
from ..harness.programs import Background, HarnessError, environment, free_port, listening
from ..harness.failure import CheckFailure
from ..harness.transcript import Transcript


class ServerProcess:
    """A server started once per session and started again if a test brought it down."""

    def __init__(self, argv_for_port, cwd: Path, what: str, fixed_port: int | None = None):
        self.argv_for_port, self.cwd, self.what = argv_for_port, cwd, what
        self.fixed_port = fixed_port   # a command without {port}: the program's default port
        self.process: Background | None = None
        self.address: tuple | None = None

    def ensure(self, transcript: Transcript | None = None) -> tuple:
        waiting.involve(lambda: self.process.proc.pid if self.process is not None else None)
        if self.process is not None and self.process.alive():
            self._watch()
            return self.address
        if self.process is not None:
            output = self.process.output()
            self.process.kill()
            if transcript is not None:
                transcript.note(f"the {self.what} had exited; starting it again. Its last output:\n{output}")
        host, port = "127.0.0.1", self.fixed_port or free_port()
        if self.fixed_port and not released(host, port):
            raise HarnessError(f"port {port} is already taken by another program, so the {self.what} cannot "
                               f"listen on it (its command has no {{port}}, so it uses the default port {port})")
        # on a fixed port, the client tests' connections may wait in TIME_WAIT (inject/reuse_address)
        env = environment(inject=("reuse_address",)) if self.fixed_port else None
        with timing.booked("start", self.what):
            self.process = Background(self.argv_for_port(host, port), self.cwd, transcript, env=env)
            self.process.wait_listening(host, port, self.what)
        self.address = (host, port)
        self._watch()
        return self.address

    def _watch(self) -> None:
        """What it prints from now on is read if the test fails (a diagnosis's tracebacks)."""
        process = self.process
        observe.watch_log(self.what, process.log_size, process.output_since)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()


def released(host: str, port: int) -> bool:
    """Nothing listens on the fixed port, or it stops within the exit window: the last test's server,
    killed, may still be closing its sockets (a sandbox's process dies a moment after its parent)."""
    deadline = time.monotonic() + settings.wait(settings.EXIT)
    while listening(host, port):
        if time.monotonic() > deadline:
            return False
        time.sleep(settings.POLL)   # a socket's close has no event to wait on
    return True


def candidate_server(ctx, argv_for_port=None, what: str = "candidate server") -> ServerProcess:
    """The submission's server, on a free port, or on the protocol's default port where its command
    template has no {port} (then the tests run one at a time: see build_context).
    argv_for_port(host, port) overrides the command (e.g. to add an option)."""
    program = ctx.programs["server"]
    argv_for_port = argv_for_port or (lambda host, port: program.argv(host=host, port=port))
    fixed_port = None if program.takes_port else ctx.descriptor.default_port
    if ctx.partner and network.inside():
        # interop, one test at a time in a network of its own: served where the course serves, so that
        # a client hard-wired to that address talks to it too (its own suite judges the address)
        fixed_port = ctx.descriptor.client_address[1]
    return ServerProcess(argv_for_port, program.cwd, what, fixed_port=fixed_port)


# a module's: a server on a fixed port (one that reads no arguments) must be gone before a client test
# of the same worker serves at that address (cnlab serves clients at 127.0.0.1:5378, such servers' port)
@pytest.fixture(scope="module")
def _candidate_server(ctx):
    if ctx.server or "server" not in ctx.programs:
        yield None
        return
    server = candidate_server(ctx)
    yield server
    server.stop()


def reference_server(ctx, fixed_port: int | None = None, extra: tuple = ()) -> ServerProcess:
    """The protocol's reference server, on a free port or on `fixed_port` (started once the last
    test's server there is gone: ServerProcess.ensure), with `extra` arguments."""
    argv = lambda host, port: [sys.executable, "server.py", "--host", host, "--port", str(port),  # noqa: E731
                               *ctx.descriptor.reference_server_args, *extra]
    return ServerProcess(argv, ctx.reference, "reference server", fixed_port=fixed_port)


@pytest.fixture
def server_under_test(ctx, request) -> tuple:
    """(host, port) of the server the server suite checks: --server, or the submission's own: one per
    session, or a fresh one per test where the protocol's descriptor says fresh_server (names, history and
    notices of one test must not reach another)."""
    if ctx.server:
        waiting.blind()   # a server outside the run: /proc cannot show what it is doing
        yield ctx.server
        return
    if ctx.descriptor.fresh_server:
        yield request.getfixturevalue("fresh_server")
        return
    server = request.getfixturevalue("_candidate_server")
    raw = request.getfixturevalue("raw")
    transcript = request.getfixturevalue("transcript")
    if server.process is not None:   # the last test's clients have hung up: let it finish with them first
        procstate.wait_idle(server.process.proc.pid, settings.wait(settings.SETTLE), settings.wait(settings.EVENT))
    address = server.ensure(transcript)
    pid = stash.record(request.node).server_pgid = server.process.proc.pid

    def still_serving() -> None:
        """After a body that passed: the server is shared by the tests, so if this test's clients hanging
        up brings it down, that is charged here (to the protocol's disconnect requirement), never to the
        next test, which would find nobody listening."""
        raw.close_all()
        procstate.wait_idle(pid, settings.wait(settings.SETTLE), settings.wait(settings.EVENT))
        if not server.process.alive():
            raise CheckFailure("The server exited when this test's clients hung up: it must go on serving the others.",
                               expected="the server still running after its clients closed their connections",
                               actual=server.process.output()[-1500:] or "[it printed nothing]",
                               requirement=ctx.descriptor.disconnect_requirement)

    request.getfixturevalue("post_checks").append(still_serving)
    yield address


@pytest.fixture
def fresh_server(ctx, raw, transcript, request):
    """A fresh candidate server for one test (server_under_test, where the spec says FRESH_SERVER).
    With --server the tests share that one."""
    if ctx.server:
        waiting.blind()
        yield ctx.server
        return
    server = candidate_server(ctx)
    try:
        address = server.ensure(transcript)
        stash.record(request.node).server_pgid = server.process.proc.pid   # for memory checks
        yield address
    finally:
        raw.close_all()   # clients hang up first, so no TIME_WAIT holds the server's port (default-port runs)
        server.stop()


@pytest.fixture
def settle_server(request, transcript):
    """settle(): wait until the server under test has taken in everything sent to it, where the protocol
    acknowledges nothing (a chat10 JOIN): every thread of it asleep with nothing unread, for the settle
    window (/proc); where that cannot be seen (--server, not Linux), a settle window of SERVER_SETTLE s."""
    @timing.books("window", "server settle")
    def settle() -> None:
        pid = stash.record(request.node).server_pgid
        done = procstate.wait_idle(pid, settings.wait(settings.SETTLE), settings.wait(settings.EVENT)) \
            if pid else None
        if done is None:
            time.sleep(settings.wait(settings.SERVER_SETTLE))   # the documented settle window: no event exists
        elif not done:
            transcript.note("the server was still busy after the settle timeout; going on")
    return settle


@pytest.fixture
def server_idle(request, transcript, settle_server):
    """server_idle(why): the server under test, its clients gone, must stay idle: over IDLE_WINDOW s its
    process tree may use at most IDLE_CPU of one core (read from /proc). A server that loops on a
    closed connection (recv() returning b'' again and again) uses all of it. Skipped where the
    server's processes cannot be seen (--server, no /proc)."""
    def check(why: str) -> None:
        pid = stash.record(request.node).server_pgid
        settle_server()
        share = procstate.cpu_share(pid, settings.wait(settings.IDLE_WINDOW)) if pid else None
        if share is None:
            pytest.skip("the server's CPU time cannot be seen here (--server, or no /proc)")
        transcript.note(f"the server used {share:.0%} of a core over {settings.wait(settings.IDLE_WINDOW):.2f}s "
                        f"{why}")
        if share > settings.IDLE_CPU:
            raise CheckFailure(f"The server keeps working {why}: it should be idle (waiting in select(), recv(), "
                               "accept() or a queue's blocking get(), not polling).",
                               expected=f"at most {settings.IDLE_CPU:.0%} of a core",
                               actual=f"{share:.0%} of a core over {settings.wait(settings.IDLE_WINDOW):.2f}s")
    return check


@pytest.fixture
def live_server(ctx, transcript):
    """(host, port) of a real server for the live client tests: --server, or the reference server,
    one per test, at the address where the protocol's clients are served."""
    if ctx.server:
        waiting.blind()
        yield ctx.server
        return
    server = reference_server(ctx, fixed_port=ctx.descriptor.client_address[1])
    try:
        yield server.ensure(transcript)
    finally:
        server.stop()


def expect_listening_beyond_localhost(ctx, raw, address: tuple) -> None:
    """A server started without an address must listen on every interface: connect to it at 127.0.0.2,
    which a bind to '' or 0.0.0.0 serves and a bind to 'localhost' (127.0.0.1) refuses. Skipped for a
    --server (started by someone else, on an address of its choosing)."""
    if ctx.server:
        pytest.skip("--server: the server was started by someone else, on an address of its choosing")
    host, port = address
    if host != "127.0.0.1":
        return   # given another address, the server listens where it was told
    try:
        raw(("127.0.0.2", port)).connect()
    except CheckFailure as exc:
        raise CheckFailure("The server accepts connections on 127.0.0.1 only: it listens on 'localhost', so "
                           "no other machine can connect to it.",
                           expected="a connection accepted at 127.0.0.2 as well (bind to '' or '0.0.0.0')",
                           actual=exc.what) from None
