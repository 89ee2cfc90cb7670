"""The fixtures every protocol's tests use: the context, transcripts, seeded randomness, candidates on
terminals and GUIs, raw wire clients, the scripted server."""
from __future__ import annotations

import os
import random
import shutil
import tempfile

import pytest

from .. import stash
from ..harness import containment, procstate, settings, waiting
from ..harness.programs import environment
from ..harness.failure import CheckFailure, Findings
from ..harness.gui import GuiApp, Probe, VirtualScreen
from ..harness.peer import RawClients, ScriptedServer
from ..harness.state import current
from ..harness.terminal import Terminal
from ..harness.transcript import Transcript
from .context import RunContext


@pytest.fixture(scope="session")
def ctx(pytestconfig) -> RunContext:
    context = stash.context(pytestconfig)
    if context is None:
        pytest.skip("no --protocol given")
    return context


@pytest.fixture(autouse=True)
def _programs_of_the_test():
    """The programs a test starts are what its waits watch (waiting.py)."""
    waiting.begin_test()
    yield
    waiting.begin_test()


@pytest.fixture
def transcript(request) -> Transcript:
    t = Transcript()
    stash.record(request.node).transcript = t
    return t


@pytest.fixture
def rng(request, ctx) -> random.Random:
    """Seeded per test, so one test's names do not depend on which tests ran before it."""
    stable = (stash.record(request.node).identity or (request.node.nodeid,))[0]
    return random.Random(f"{ctx.seed}/{stable}")


@pytest.fixture
def post_checks(request) -> list:
    """Checks run after the test body passed (e.g. RI1 over the whole transcript)."""
    checks: list = []
    stash.record(request.node).post_checks = checks
    yield checks
    checks.clear()   # they hold the test's terminals; the item lives to the end of the session


@pytest.fixture
def findings(request) -> Findings:
    """The test's soft findings: violations of other requirements met on the way (a message sent back
    to its sender while a room is set up), recorded and charged once the test ends, with its own
    verdict, so that the test goes on to judge its own requirement."""
    found = stash.record(request.node).findings = Findings()
    return found


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    record = stash.record(pyfuncitem)
    found = record.findings or Findings()
    own = (record.identity or ("", "", []))[2]   # the test's own requirement IDs
    try:
        result = yield
        # the body ran to its end: its own IDs are judged, whatever a post-check or a finding charges
        current().evaluated.extend(own)
        for check in record.post_checks:
            check()
    except CheckFailure as exc:
        if not found.failures:
            raise
        if exc.requirement is None:   # about the test's own IDs, beside what was found on the way
            exc.requirement = tuple(own)
        found.failures.append(exc)
    found.raise_any()
    return result


@pytest.fixture
def launch(ctx, transcript, request):
    """Start a program of the submission on a terminal; everything started is killed afterwards."""
    started: list[Terminal] = []

    def start(role: str = "client", inject: tuple = (), argv: list | None = None, env: dict | None = None,
              writable: tuple = (), **values) -> Terminal:
        program = ctx.programs[role]
        if os.environ.get(settings.FAULT_VARIABLE) == "test":   # the self-test's harness bug in a test
            raise NameError("name 'injected_by_the_self_test' is not defined")
        if "gui_probe" in inject:   # a GUI: its toolkit waits on channels /proc does not show (waiting.py)
            waiting.blind()
        term = Terminal(argv or program.argv(**values), str(program.cwd), environment(inject, env), transcript,
                        writable=writable)
        started.append(term)
        waiting.involve(lambda: term.pid)
        return term

    start.started = started
    stash.record(request.node).terminals = started
    yield start
    left = [process for term in started for process in term.escaped()]
    for term in started:
        term.kill()
    if left and not current().interruptions:   # after Ctrl-C or SIGTERM: only clean up, the test is an error anyway
        raise CheckFailure(f"The program left {len(left)} process(es) running after it was stopped (they had "
                           "left its process group, e.g. with setsid()); chatconform killed them.",
                           expected="nothing of the program running once its test ends",
                           actual=[f"pid {pid}: {cmd[:200]}" for pid, cmd in left], requirement=containment.OUTLIVES)


@pytest.fixture(scope="session")
def virtual_screen(pytestconfig):
    """The X server GUI candidates draw on: a session-wide Xvfb (None where it cannot run)."""
    why = VirtualScreen.missing()
    if why:
        pytestconfig.stash[stash.GUI_MISSING] = why
        yield None
        return
    screen = VirtualScreen()
    screen.start()
    yield screen
    screen.stop()


@pytest.fixture
def launch_gui(ctx, launch, transcript, request, pytestconfig):
    """Start a GUI program of the submission with the GUI probe inside it: launch_gui(role, **values).
    Tk programs draw on the session's Xvfb; Qt programs on Qt's own offscreen platform (no X server)."""
    qt = ctx.descriptor.gui_toolkit == "qt"
    screen = None if qt else request.getfixturevalue("virtual_screen")
    if not qt and screen is None:
        pytest.skip(f"GUI test not run: {pytestconfig.stash[stash.GUI_MISSING]}")
    apps: list[GuiApp] = []

    def start(role: str = "client", **values) -> GuiApp:
        folder = tempfile.mkdtemp(prefix="chatconform-probe-")   # shared with the candidate's sandbox
        path = os.path.join(folder, "probe.sock")                 # a Unix socket path: short
        env = {"CHATCONFORM_PROBE_SOCKET": path}
        if os.environ.get(settings.FAULT_VARIABLE) == "probe":   # the self-test's fault inside the GUI probe
            env[settings.FAULT_VARIABLE] = "probe"
        env.update({"QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": folder} if qt else {"DISPLAY": screen.display})
        term = launch(role, inject=("gui_probe",), env=env, writable=(folder,), **values)
        app = GuiApp(term, Probe(path, transcript, term.alive), screen)
        apps.append(app)
        app.probe.connect(settings.wait(settings.STARTUP))
        app.wait_shown(settings.wait(settings.STARTUP))
        return app

    stash.record(request.node).guis = apps
    yield start
    for app in apps:
        app.probe.close()
        shutil.rmtree(os.path.dirname(app.probe.path), ignore_errors=True)   # the socket, and what Qt put there


@pytest.fixture
def client(launch, scripted):
    """A candidate client started against the scripted server."""
    return launch("client", host=scripted.host, port=scripted.port)


class RawClientsFactory:
    """raw((host, port)) -> RawClients; close_all() closes every client it made."""

    def __init__(self, transcript, rng, settle):
        self.transcript, self.rng, self.opened, self.settle = transcript, rng, [], settle

    def __call__(self, address: tuple) -> RawClients:
        clients = RawClients(address[0], address[1], self.transcript, self.rng)
        clients.settle = self.settle   # the server under test's settle window (settle_server)
        self.opened.append(clients)
        return clients

    def close_all(self) -> None:
        for clients in self.opened:
            clients.close()
        self.opened.clear()


@pytest.fixture
def raw(transcript, rng, settle_server):
    """Factory of raw wire clients: raw((host, port)) -> RawClients."""
    factory = RawClientsFactory(transcript, rng, settle_server)
    yield factory
    factory.close_all()


ELSEWHERE_HOST = "127.0.0.2"   # on loopback, but not where any assignment's tests serve


@pytest.fixture
def served_elsewhere(ctx, transcript, rng, launch):
    """For the one test per protocol that judges whether a client honours its address arguments:
    (elsewhere, decoy): a scripted server at 127.0.0.2 on a free port, which the client is told to
    use, and a decoy at the address the assignment's tests serve at (the client_address), which records a
    client that dials there anyway. Every other test serves where the course serves."""
    servers = [watching(ScriptedServer(transcript, rng, ELSEWHERE_HOST, 0), launch),
               watching(ScriptedServer(transcript, rng, *ctx.descriptor.client_address), launch)]
    yield servers[0], servers[1]
    for server in servers:
        server.close()


def connects_where_given(launch, served_elsewhere, why: str, **values):
    """Start the client told to use the elsewhere server; its connection there (accept_where_given)."""
    elsewhere, decoy = served_elsewhere
    launch("client", host=elsewhere.host, port=elsewhere.port, **values)
    return accept_where_given(elsewhere, decoy, why)


def accept_where_given(elsewhere, decoy, why: str = ""):
    """The client's connection to the server it was told to use; a failure that says so when it dialled
    the assignment's promised address (the decoy) instead."""
    try:
        return elsewhere.accept(why=why)
    except CheckFailure:
        if decoy.accept_pending():
            raise CheckFailure(f"The client connected to {decoy.host}:{decoy.port}, where the assignment's tests "
                               f"serve, not to {elsewhere.host}:{elsewhere.port}, the address and port it was given: "
                               "it does not use its address arguments (a hard-wired address?).",
                               expected=f"a connection to {elsewhere.host}:{elsewhere.port}",
                               actual=f"a connection to {decoy.host}:{decoy.port}") from None
        raise


@pytest.fixture
def scripted(ctx, transcript, rng, launch):
    """A scripted server on loopback that plays the server for a candidate client; it stops waiting
    for a connection once every program the test started has exited."""
    server = watching(ScriptedServer(transcript, rng, *ctx.descriptor.client_address), launch)
    yield server
    server.close()


def watching(server: ScriptedServer, launch) -> ScriptedServer:
    """The scripted server stops waiting for a connection once every program the test started has
    exited, and can tell where they connected instead."""
    server.candidate_alive = lambda: not launch.started or any(term.alive() for term in launch.started)
    server.candidate_remotes = lambda: [a for term in launch.started for a in procstate.remote_addresses(term.pid)]
    return server
