"""The pytest side of chatconform: options, the run context, the requirement marker, reports."""
from __future__ import annotations

import contextlib
import importlib
import json
import os
import random
import shlex
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from . import PROTOCOLS
from .harness import containment, network, procstate, scratch, settings
from .harness.candidate import (Background, HarnessError, Program, environment, find_program,
                                free_port, listening)
from .harness.failure import CheckFailure
from .harness.gui import GuiApp, Probe, VirtualScreen, screenshot_dir
from .harness.peer import RawClients, ScriptedServer
from .harness.terminal import Terminal
from .harness.results import Results, report_usage_error
from .harness.transcript import LEGEND, Transcript, clip

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "reference"
ROLES = ("client", "server")
_config_holder: dict = {}  # pytest_runtest_logreport receives no config


def pytest_addoption(parser):
    group = parser.getgroup("chatconform")
    group.addoption("--protocol", choices=PROTOCOLS, help="the protocol to check")
    group.addoption("--submission", help="the submission: a folder or a program file")
    group.addoption("--role", choices=ROLES + ("all",), default="all",
                    help="which programs to check (default: every program the submission has)")
    group.addoption("--server", metavar="HOST:PORT", help="an already-running server: the live client "
                    "tests use it and the server suite tests it")
    group.addoption("--server-max-clients", type=int, metavar="N",
                    help="the --server's user limit; enables its BUSY test")
    group.addoption("--server-max-users", type=int, metavar="N",
                    help="jsonl: the server's user limit; enables its max-users test")
    group.addoption("--bonus", action="store_true", help="also run the checks of bonus features (jsonl: the "
                    "web view)")
    group.addoption("--client-cmd", metavar="TEMPLATE", help="how to start the client; {python} {dir} "
                    "{host} {port} are filled in")
    group.addoption("--server-cmd", metavar="TEMPLATE", help="how to start the server; as --client-cmd")
    group.addoption("--timeout-scale", type=float, default=1.0, metavar="F", help="multiplies every wait")
    group.addoption("--seed", type=int, help="reproduce the random names and messages of an earlier run")
    group.addoption("--json", dest="chatconform_json", metavar="FILE", help="write the results as JSON")
    group.addoption("--junit", dest="chatconform_junit", metavar="FILE", help="write JUnit XML")
    group.addoption("--test", dest="chatconform_tests", action="append", default=[], metavar="ID",
                    help="run only the test with this id (e.g. cnlab/client/RI4-in-use); repeatable")
    group.addoption("--rerun-prefix", default="python -m conformance check",
                    help="how the rerun hint in a failure report starts")


@dataclass
class RunContext:
    """What every fixture may need to know about this run."""

    protocol: str
    submission: Path
    seed: int
    programs: dict = field(default_factory=dict)   # role -> Program, for the roles being checked
    server: tuple | None = None                     # (host, port) of --server
    server_max_clients: int | None = None
    server_max_users: int | None = None
    spec: object = None
    scratch: Path | None = None                     # the folder of the submission's scratch copy

    @property
    def reference(self) -> Path:
        return REFERENCE / self.protocol


def parse_address(text: str) -> tuple:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise pytest.UsageError(f"--server wants HOST:PORT, got {text!r}")
    return host or "127.0.0.1", int(port)


def layouts_of(spec, role: str) -> list:
    return spec.CLIENT_LAYOUTS if role == "client" else spec.SERVER_LAYOUTS


def build_context(config) -> RunContext | None:
    opt = config.option
    if not opt.protocol:
        return None
    if not opt.submission:
        raise pytest.UsageError("--submission is required (a folder or a program file)")
    submission = Path(opt.submission).resolve()
    if not submission.exists():
        raise pytest.UsageError(f"submission not found: {opt.submission}")
    seed = opt.seed
    if seed is None:
        seed = getattr(config, "workerinput", {}).get("chatconform_seed")
    if seed is None:
        seed = random.SystemRandom().randrange(1, 10 ** 6)
    spec = importlib.import_module(f"conformance.{opt.protocol}.spec")
    ctx = RunContext(opt.protocol, submission, seed, spec=spec, server_max_clients=opt.server_max_clients,
                     server_max_users=opt.server_max_users)
    if opt.server:
        ctx.server = parse_address(opt.server)
    try:   # candidates run in a copy: the original is never written
        copy, ctx.scratch = scratch.make(submission)
    except (scratch.TooBig, OSError) as exc:
        raise pytest.UsageError(str(exc)) from None
    original_folder = submission if submission.is_dir() else submission.parent
    containment.READABLE.append(str(original_folder.parent))   # what the copy's links point to
    found = {
        "client": find_program(copy, "client", layouts_of(spec, "client"), opt.client_cmd),
        "server": find_program(copy, "server", layouts_of(spec, "server"), opt.server_cmd),
    }
    if copy.is_file() and not any(found.values()):
        # a program file of another name (hw/chat.py): the client, or the server with --role server
        role = opt.role if opt.role in spec.ROLES else next(r for r in ROLES if r in spec.ROLES)
        found[role] = find_program(copy, role, layouts_of(spec, role), None, any_file=True)
    if ctx.server:  # an external server stands for the submission's own
        found["server"] = Program("server", f"(already running at {opt.server})", submission)
    wanted = ROLES if opt.role == "all" else (opt.role,)
    for role in wanted:
        if found[role] is not None and role in spec.ROLES:
            ctx.programs[role] = found[role]
    if not ctx.programs:
        if opt.role == "all":
            places = ", ".join(layout.path for layout in spec.CLIENT_LAYOUTS + spec.SERVER_LAYOUTS)
            raise pytest.UsageError(f"no {opt.protocol} program found in {opt.submission} (looked for {places}); "
                                    "name the program with --client-cmd or --server-cmd, e.g. --client-cmd "
                                    "'{python} {dir}/chat.py --address {host} --port {port}'")
        raise pytest.UsageError(f"no {opt.role} found in {opt.submission}"
                                + (f" (looked for {', '.join(lay.path for lay in layouts_of(spec, opt.role))}; name it with "
                                   f"--{opt.role}-cmd)" if opt.role in spec.ROLES else
                                   f" ({opt.protocol} has no {opt.role} role)"))
    server = ctx.programs.get("server")
    if server is not None and not ctx.server and not server.takes_port and getattr(opt, "numprocesses", None):
        # one default port: two workers would start two servers on it (xdist's loadgroup cannot be
        # relied on to keep them apart: pytest-xdist issue #1386)
        raise pytest.UsageError("a server command without {port} uses the default port, so its tests run one at "
                                "a time: leave out -n")
    return ctx


_interrupted: list = []


def interrupt(signum, frame):
    raise KeyboardInterrupt(f"stopped by signal {signum}")


def pytest_keyboard_interrupt(excinfo):
    _interrupted.append(excinfo)


def pytest_configure(config):
    config.addinivalue_line("markers", "requirement(*ids, name): the spec requirement(s) a test checks")
    settings.timeout_scale = config.option.timeout_scale
    if config.option.chatconform_junit:
        config.option.xmlpath = config.option.chatconform_junit
    try:
        ctx = build_context(config)
    except pytest.UsageError as exc:   # said once, in the tool's own words, and in the --json document
        report_usage_error(str(exc), config.option.chatconform_json)
        raise pytest.UsageError() from None
    config.chatconform = ctx
    if ctx is not None:
        containment.start()
        if not hasattr(config, "workerinput"):   # SIGTERM (a CI job's timeout) stops the run like Ctrl-C:
            signal.signal(signal.SIGTERM, interrupt)   # the running test is an error, candidates are killed
    _config_holder["config"] = config
    if ctx is not None:
        config.chatconform_results = Results(ctx.protocol, str(ctx.submission), ctx.seed)


def pytest_unconfigure(config):
    ctx = getattr(config, "chatconform", None)
    if ctx is not None and ctx.scratch is not None:
        scratch.remove(ctx.scratch)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """xdist: every worker uses the controller's seed."""
    ctx = node.config.chatconform
    if ctx is not None:
        node.workerinput["chatconform_seed"] = ctx.seed


def header_lines(ctx: RunContext) -> list:
    lines = [f"chatconform: {ctx.protocol}  submission {ctx.submission}  seed {ctx.seed}  "
             f"(--seed {ctx.seed} reproduces this run)"]
    lines += [f"  {role}: {program.describe()}" + ("" if program.takes_port or role != "server" or ctx.server else
              f"  [no {{port}}: default port {ctx.spec.DEFAULT_PORT}, tests one at a time]")
              for role, program in ctx.programs.items()]
    lines.append(f"  containment: {containment.describe()}")
    lines.append(f"  network: {network.describe()}")
    return lines


def pytest_sessionstart(session):
    """Say what is checked and the seed, also in quiet mode (the report header is not shown there)."""
    ctx = session.config.chatconform
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if ctx is None or reporter is None or hasattr(session.config, "workerinput"):
        return
    for line in header_lines(ctx):
        reporter.write_line(line)


# --- test identity ------------------------------------------------------------------------

def test_identity(item) -> tuple[str, str, str, list] | None:
    """(protocol, role, stable id, requirement IDs) of a suite test, from its file and marker."""
    marker = item.get_closest_marker("requirement")
    path = Path(str(item.fspath))
    if marker is None or path.parent.parent != Path(__file__).parent:
        return None
    protocol, role = path.parent.name, path.stem.removeprefix("test_")
    name = marker.kwargs.get("name") or item.originalname.removeprefix("test_")
    ids = list(marker.args)
    stable = f"{protocol}/{role}/{ids[0]}-{name}"
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        stable += f"[{callspec.id}]"
    return protocol, role, stable, ids


def pytest_collection_modifyitems(config, items):
    ctx = config.chatconform
    if ctx is None:
        return
    keep, drop = [], []
    only = set(config.option.chatconform_tests)
    for item in items:
        identity = test_identity(item)
        if identity is None:
            drop.append(item)
            continue
        protocol, role, stable, ids = identity
        if protocol != ctx.protocol or role not in ctx.programs or (only and stable not in only):
            drop.append(item)
            continue
        item.chatconform_id = (stable, role, ids)
        for req in ids:
            item.user_properties.append(("requirement", req))
        keep.append(item)
    if only and not keep:
        raise pytest.UsageError(f"no test with id {', '.join(sorted(only))}")
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


def rerun_command(config, stable: str) -> str:
    ctx = config.chatconform
    opt = config.option
    parts = shlex.split(opt.rerun_prefix) + [ctx.protocol, os.path.relpath(ctx.submission), "--test", stable,
                                             "--seed", str(ctx.seed)]
    for flag, value in (("--server", opt.server), ("--client-cmd", opt.client_cmd),
                        ("--server-cmd", opt.server_cmd), ("--server-max-clients", opt.server_max_clients),
                        ("--server-max-users", opt.server_max_users)):
        if value is not None:
            parts += [flag, str(value)]
    if opt.timeout_scale != 1.0:
        parts += ["--timeout-scale", str(opt.timeout_scale)]
    return shlex.join(parts)


# --- fixtures every protocol uses ---------------------------------------------------------

@pytest.fixture(scope="session")
def ctx(pytestconfig) -> RunContext:
    if pytestconfig.chatconform is None:
        pytest.skip("no --protocol given")
    return pytestconfig.chatconform


@pytest.fixture
def transcript(request) -> Transcript:
    t = Transcript()
    request.node.chatconform_transcript = t
    return t


@pytest.fixture
def rng(request, ctx) -> random.Random:
    """Seeded per test, so one test's names do not depend on which tests ran before it."""
    stable = getattr(request.node, "chatconform_id", (request.node.nodeid,))[0]
    return random.Random(f"{ctx.seed}/{stable}")


@pytest.fixture
def post_checks(request) -> list:
    """Checks run after the test body passed (e.g. RI1 over the whole transcript)."""
    checks: list = []
    request.node.chatconform_post_checks = checks
    return checks


@pytest.hookimpl(wrapper=True)
def pytest_pyfunc_call(pyfuncitem):
    result = yield
    for check in getattr(pyfuncitem, "chatconform_post_checks", []):
        check()
    return result


# --- reports ------------------------------------------------------------------------------

def failure_text(item, exc: CheckFailure, transcript: Transcript | None, rerun: str, notes: list) -> str:
    stable, _, ids = item.chatconform_id
    spec = requirement_sentences(item.config)
    about = exc.blamed(ids)
    out = [f"{stable}"]
    for req in about:
        level, sentence = spec[req]
        out.append(f"  {req} ({level}): {sentence}")
    out += ["", exc.describe(), ""]
    out += notes
    if transcript is not None:
        out += ["Transcript (seconds since the test started):", LEGEND, clip(transcript.render(), MAX_REPORT_TRANSCRIPT, CUT), ""]
    out += ["Rerun just this test:", f"  {rerun}"]
    return "\n".join(out)


def exited_notes(item) -> list:
    """A candidate that died during the test explains most failures: say so, with its last words."""
    notes = []
    for term in getattr(item, "chatconform_terminals", []):
        if not term.alive():
            tail = "\n".join(term.all_lines()[-15:]).strip()
            notes += [f"Note: the candidate exited during the test ({term.exit_description()}). "
                      f"Its last output:", tail or "[nothing]", ""]
    return notes


# What one test may put into the --json report: the whole document stays small (≤ 2 MB for a suite)
# whatever the candidate prints. Cut in the middle, saying how much.
MAX_REPORT_MESSAGE = 6000
MAX_REPORT_TRANSCRIPT = 16000
CUT = "\n… {} characters more, cut …\n"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    identity = getattr(item, "chatconform_id", None)
    if identity is None:
        return report
    stable, role, ids = identity
    rerun = rerun_command(item.config, stable)
    transcript = getattr(item, "chatconform_transcript", None)
    info = {"id": stable, "requirements": ids, "role": role, "rerun": rerun}
    if report.failed and call.excinfo is not None:
        exc = call.excinfo.value
        if isinstance(exc, CheckFailure):
            info["check_failure"] = True
            info["failed_requirements"] = exc.blamed(ids)
            notes = (exited_notes(item) if report.when == "call" else []) + gui_notes(item)   # teardown killed it
            info["message"] = clip("\n".join([exc.describe(), ""] + notes).strip(), MAX_REPORT_MESSAGE, CUT)
            report.longrepr = failure_text(item, exc, transcript, rerun, notes)
        else:
            info["message"] = f"{type(exc).__name__}: {exc}"
            if isinstance(exc, HarnessError):   # the harness or the machine, not the candidate: no traceback
                report.longrepr = f"chatconform could not run this test: {exc}\n\nRerun: {rerun}"
    if transcript is not None and (report.when == "call" or report.failed):
        info["transcript"] = clip(transcript.render(), MAX_REPORT_TRANSCRIPT, CUT)
    report.chatconform = info
    if report.when == "teardown":   # the test is over: its terminals, GUIs and transcript can go
        for name in ("chatconform_terminals", "chatconform_guis", "chatconform_transcript"):
            item.__dict__.pop(name, None)
    return report


def pytest_runtest_logreport(report):
    config = _config_holder.get("config")
    if config is not None and getattr(report, "chatconform", None) is not None:
        config.chatconform_results.add(report)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    config = session.config
    if config.chatconform is None or hasattr(config, "workerinput"):
        return
    if session.exitstatus == pytest.ExitCode.INTERRUPTED or session.shouldstop or session.shouldfail:
        config.chatconform_results.interrupted()
    if config.chatconform_results.summary()["error"] and session.exitstatus in (0, 1):
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR   # some test could not be run: no verdict (exit 2)
    if config.option.chatconform_json:
        document = config.chatconform_results.document()
        with open(config.option.chatconform_json, "w", encoding="utf-8") as f:
            json.dump(document, f, indent=2, ensure_ascii=False)


def pytest_terminal_summary(terminalreporter, config):
    if config.chatconform is None or hasattr(config, "workerinput"):
        return
    results = config.chatconform_results
    verdicts = results.by_requirement()
    if not verdicts:
        return
    tr = terminalreporter
    tr.section("requirements")
    spec = requirement_sentences(config)
    for req in sorted(verdicts, key=spec_order(spec)):
        level, sentence = spec[req]
        tr.write_line(f"{verdicts[req]:>7}  {req:<6} {level:<6} {sentence[:90]}")
    counts = results.summary()
    tr.write_line(f"chatconform {results.protocol}: {counts['passed']} passed, {counts['failed']} failed, "
                  f"{counts['skipped']} skipped, {counts['error']} error; seed {results.seed}")
    gui_skips = [r for r in results.records.values() if r.outcome == "skipped" and r.message.startswith("GUI test")]
    if gui_skips:
        tr.write_line(f"!!! {len(gui_skips)} GUI TEST(S) NOT RUN: {gui_skips[0].message.split(': ', 1)[-1]}. "
                      "The GUI client is NOT graded: install Xvfb and run again. !!!", red=True, bold=True)
    if counts["error"]:
        tr.write_line(f"{counts['error']} test(s) could not be run (see ERROR above): this is no verdict on the "
                      "submission; fix the cause and run again (exit status 2)")


def requirement_sentences(config) -> dict:
    """ID -> (level, sentence): the protocol's requirements and the harness's own (HC1)."""
    return {**config.chatconform.spec.REQUIREMENTS, **containment.REQUIREMENTS}


def spec_order(spec: dict):
    order = {req: i for i, req in enumerate(spec)}
    return lambda req: order.get(req, len(order))


# --- candidates and servers ---------------------------------------------------------------

@pytest.fixture
def launch(ctx, transcript, request):
    """Start a program of the submission on a terminal; everything started is killed afterwards."""
    started: list[Terminal] = []

    def start(role: str = "client", inject: tuple = (), argv: list | None = None, env: dict | None = None,
              writable: tuple = (), **values) -> Terminal:
        program = ctx.programs[role]
        term = Terminal(argv or program.argv(**values), str(program.cwd), environment(inject, env), transcript,
                        writable=writable)
        started.append(term)
        return term

    start.started = started
    request.node.chatconform_terminals = started
    yield start
    left = [process for term in started for process in term.escaped()]
    for term in started:
        term.kill()
    if left and not _interrupted:   # after Ctrl-C or SIGTERM: only clean up, the test is an error anyway
        raise CheckFailure(f"The program left {len(left)} process(es) running after it was stopped (they had "
                           "left its process group, e.g. with setsid()); chatconform killed them.",
                           expected="nothing of the program running once its test ends",
                           actual=[f"pid {pid}: {cmd[:200]}" for pid, cmd in left], requirement=containment.OUTLIVES)


@pytest.fixture(scope="session")
def virtual_screen(pytestconfig):
    """The X server GUI candidates draw on: a session-wide Xvfb (None where it cannot run)."""
    why = VirtualScreen.missing()
    if why:
        pytestconfig.chatconform_gui_missing = why
        yield None
        return
    screen = VirtualScreen()
    screen.start()
    yield screen
    screen.stop()


@pytest.fixture
def launch_gui(launch, virtual_screen, transcript, request, pytestconfig):
    """Start a GUI program of the submission with the GUI probe inside it: launch_gui(role, **values)."""
    if virtual_screen is None:
        pytest.skip(f"GUI test not run: {pytestconfig.chatconform_gui_missing}")
    apps: list[GuiApp] = []

    def start(role: str = "client", **values) -> GuiApp:
        folder = tempfile.mkdtemp(prefix="chatconform-probe-")   # shared with the candidate's sandbox
        path = os.path.join(folder, "probe.sock")                 # a Unix socket path: short
        term = launch(role, inject=("gui_probe",), env={"DISPLAY": virtual_screen.display,
                                                        "CHATCONFORM_PROBE_SOCKET": path}, writable=(folder,),
                      **values)
        app = GuiApp(term, Probe(path, transcript, term.alive), virtual_screen)
        apps.append(app)
        app.probe.connect(settings.wait(settings.STARTUP))
        app.wait_shown(settings.wait(settings.STARTUP))
        return app

    request.node.chatconform_guis = apps
    yield start
    for app in apps:
        app.probe.close()
        with contextlib.suppress(OSError):
            os.unlink(app.probe.path)
            os.rmdir(os.path.dirname(app.probe.path))


def gui_notes(item) -> list:
    """For a failed GUI test: each GUI's widget tree, its uncaught exceptions and a screenshot."""
    notes = []
    for n, app in enumerate(getattr(item, "chatconform_guis", []), 1):
        notes += app.report(screenshot_dir() / f"{item.chatconform_id[0].replace('/', '_')}-{n}.png")
    return notes


class ServerProcess:
    """A server started once per session and started again if a test brought it down."""

    def __init__(self, argv_for_port, cwd: Path, what: str, fixed_port: int | None = None):
        self.argv_for_port, self.cwd, self.what = argv_for_port, cwd, what
        self.fixed_port = fixed_port   # a command without {port}: the program's default port
        self.process: Background | None = None
        self.address: tuple | None = None

    def ensure(self, transcript: Transcript | None = None) -> tuple:
        if self.process is not None and self.process.alive():
            return self.address
        if self.process is not None:
            output = self.process.output()
            self.process.kill()
            if transcript is not None:
                transcript.note(f"the {self.what} had exited; starting it again. Its last output:\n{output}")
        host, port = "127.0.0.1", self.fixed_port or free_port()
        if self.fixed_port and listening(host, port):
            raise HarnessError(f"port {port} is already taken by another program, so the {self.what} cannot "
                               f"listen on it (its command has no {{port}}, so it uses the default port {port})")
        self.process = Background(self.argv_for_port(host, port), self.cwd, transcript)
        self.process.wait_listening(host, port, self.what)
        self.address = (host, port)
        return self.address

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()


def candidate_server(ctx, argv_for_port=None, what: str = "candidate server") -> ServerProcess:
    """The submission's server, on a free port, or on the protocol's default port where its command
    template has no {port} (then the tests run one at a time: see build_context).
    argv_for_port(host, port) overrides the command (e.g. to add an option)."""
    program = ctx.programs["server"]
    argv_for_port = argv_for_port or (lambda host, port: program.argv(host=host, port=port))
    return ServerProcess(argv_for_port, program.cwd, what,
                         fixed_port=None if program.takes_port else ctx.spec.DEFAULT_PORT)


@pytest.fixture(scope="session")
def _candidate_server(ctx):
    if ctx.server or "server" not in ctx.programs:
        yield None
        return
    server = candidate_server(ctx)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _reference_server(ctx):
    if ctx.server:
        yield None
        return
    argv = lambda host, port: [sys.executable, "server.py", "--host", host, "--port", str(port),  # noqa: E731
                               *ctx.spec.REFERENCE_SERVER_ARGS]
    server = ServerProcess(argv, ctx.reference, "reference server")
    yield server
    server.stop()


@pytest.fixture
def server_under_test(ctx, request) -> tuple:
    """(host, port) of the server the server suite checks: --server, or the submission's own: one per
    session, or a fresh one per test where the protocol's spec says FRESH_SERVER (names, history and
    notices of one test must not reach another)."""
    if ctx.server:
        return ctx.server
    if getattr(ctx.spec, "FRESH_SERVER", False):
        return request.getfixturevalue("fresh_server")
    server = request.getfixturevalue("_candidate_server")
    address = server.ensure(request.getfixturevalue("transcript"))
    request.node.chatconform_server_pgid = server.process.proc.pid
    return address


@pytest.fixture
def client(launch, scripted):
    """A candidate client started against the scripted server."""
    return launch("client", host=scripted.host, port=scripted.port)


@pytest.fixture
def fresh_server(ctx, raw, transcript, request):
    """A fresh candidate server for one test (server_under_test, where the spec says FRESH_SERVER).
    With --server the tests share that one."""
    if ctx.server:
        yield ctx.server
        return
    server = candidate_server(ctx)
    try:
        address = server.ensure(transcript)
        request.node.chatconform_server_pgid = server.process.proc.pid   # for memory checks
        yield address
    finally:
        raw.close_all()   # clients hang up first, so no TIME_WAIT holds the server's port (default-port runs)
        server.stop()


@pytest.fixture
def settle_server(request, transcript):
    """settle(): wait until the server under test has taken in everything sent to it, where the protocol
    acknowledges nothing (a chat10 JOIN): every thread of it asleep with nothing unread, for the settle
    window (/proc); where that cannot be seen (--server, not Linux), a settle window of SERVER_SETTLE s."""
    def settle() -> None:
        pid = getattr(request.node, "chatconform_server_pgid", None)
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
        pid = getattr(request.node, "chatconform_server_pgid", None)
        settle_server()
        share = procstate.cpu_share(pid, settings.wait(settings.IDLE_WINDOW)) if pid else None
        if share is None:
            pytest.skip("the server's CPU time cannot be seen here (--server, or no /proc)")
        transcript.note(f"the server used {share:.0%} of a core over {settings.wait(settings.IDLE_WINDOW):.2f}s "
                        f"{why}")
        if share > settings.IDLE_CPU:
            raise CheckFailure(f"The server keeps working {why}: it should be idle (waiting for a connection).",
                               expected=f"at most {settings.IDLE_CPU:.0%} of a core",
                               actual=f"{share:.0%} of a core over {settings.wait(settings.IDLE_WINDOW):.2f}s")
    return check


@pytest.fixture
def live_server(ctx, _reference_server, transcript) -> tuple:
    """(host, port) of a real server for the live client tests: --server, or the reference server."""
    return ctx.server or _reference_server.ensure(transcript)


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


@pytest.fixture
def scripted(transcript, rng, launch):
    """A scripted server on loopback that plays the server for a candidate client; it stops waiting
    for a connection once every program the test started has exited."""
    server = ScriptedServer(transcript, rng)
    server.candidate_alive = lambda: not launch.started or any(term.alive() for term in launch.started)
    server.candidate_remotes = lambda: [a for term in launch.started for a in procstate.remote_addresses(term.pid)]
    yield server
    server.close()
