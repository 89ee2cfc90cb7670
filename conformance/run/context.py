"""The run context: what is checked (protocol, submission in its scratch copy, programs, seed), set
up once per session with the run's state; the signals that stop a run (header.py says what is checked)."""
from __future__ import annotations

import os
import random
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .. import protocols, stash
from ..protocol import ROLES, Protocol
from ..harness import buffers, containment, network, scratch, variation
from ..harness.programs import Program, find_program
from ..harness.state import RunState, activate, current
from . import discover
from ..harness.results import Results, report_usage_error, show_paths_relative
from ..resources import CHECKOUT, PACKAGE, REFERENCE
from .header import shown_program


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
    descriptor: Protocol | None = None             # what the protocol is (conformance/protocol.py)
    scratch: Path | None = None                     # the folder of the submission's scratch copy
    shown: str = ""                                 # how reports name the submission
    choices: dict = field(default_factory=dict)     # role -> how its program was found (or what was looked at)
    copy: Path | None = None                        # the submission in its scratch copy
    partner: str | None = None                      # interop (--with-server): the folder whose server it is

    @property
    def reference(self) -> Path:
        return REFERENCE / self.protocol


def parse_address(text: str) -> tuple:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise pytest.UsageError(f"--server wants HOST:PORT, got {text!r}")
    return host or "127.0.0.1", int(port)


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
    ctx = RunContext(opt.protocol, submission, seed, descriptor=protocols.get(opt.protocol),
                     server_max_clients=opt.server_max_clients,
                     server_max_users=opt.server_max_users)
    if opt.server:
        ctx.server = parse_address(opt.server)
    try:   # candidates run in a copy: the original is never written
        copy, ctx.scratch = scratch.make(submission)
        ctx.copy = copy
    except (scratch.TooBig, OSError) as exc:
        raise pytest.UsageError(str(exc)) from None
    try:
        return find_programs(ctx, opt, copy, submission)
    except BaseException:   # a usage error (no program found): the run ends here, and so does its copy
        scratch.remove(ctx.scratch)
        raise


def find_programs(ctx: RunContext, opt, copy: Path, submission: Path) -> RunContext:
    spec = ctx.descriptor
    found, ctx.choices, surveyed = {}, {}, None
    for role in ROLES:
        override = opt.client_cmd if role == "client" else opt.server_cmd
        if role not in spec.roles:
            found[role] = None
        elif override or copy.is_file():
            found[role] = find_program(copy, role, list(spec.layouts(role)), override)
        else:
            surveyed = discover.survey(copy) if surveyed is None else surveyed   # read once for both roles
            choice = discover.find(copy, role, list(spec.layouts(role)), gui=role == "client" and spec.gui_client,
                                   by_behaviour=role in spec.student_roles, surveyed=surveyed,
                                   words=spec.header_words)
            found[role], ctx.choices[role] = choice.program, choice.why
    if copy.is_file() and not any(found.values()):
        # a program file of another name (hw/chat.py): the client, or the server with --role server
        role = opt.role if opt.role in spec.roles else next(r for r in ROLES if r in spec.roles)
        found[role] = find_program(copy, role, list(spec.layouts(role)), None, any_file=True)
    if ctx.server:  # an external server stands for the submission's own
        found["server"] = Program("server", f"(already running at {opt.server})", submission)
    if getattr(opt, "with_server", None):
        found["server"] = partner_server(ctx, Path(opt.with_server))
        if found["client"] is None:
            raise pytest.UsageError(f"interop: no {opt.protocol} client found in the submission "
                                    f"({ctx.choices.get('client') or 'nothing looked at'})")
    wanted = ROLES if opt.role == "all" else (opt.role,)
    for role in wanted:
        if found[role] is not None and role in spec.roles:
            ctx.programs[role] = found[role]
    if not ctx.programs:
        wanted_roles = [r for r in wanted if r in spec.roles]
        if not wanted_roles:
            raise pytest.UsageError(f"{opt.protocol} has no {opt.role} role")
        if opt.role == "all":   # what the assignment asks students to write
            wanted_roles = [r for r in wanted_roles if r in spec.student_roles] or wanted_roles
        looked = "; ".join(f"{role}: {ctx.choices[role]}" for role in wanted_roles if role in ctx.choices)
        raise pytest.UsageError(f"no {opt.protocol} {' or '.join(wanted_roles)} found in the submission"
                                + (f" ({looked})" if looked else "") + "; name the program with --client-cmd or "
                                "--server-cmd, e.g. --client-cmd '{python} {dir}/chat.py --address {host} --port "
                                "{port}' (grade: --layout)")
    server = ctx.programs.get("server")
    if server is not None and not ctx.server and not server.takes_port and getattr(opt, "numprocesses", None) \
            and not network.workers_private():
        # one default port: two workers would start two servers on it (xdist's loadgroup cannot be
        # relied on to keep them apart: pytest-xdist issue #1386)
        raise pytest.UsageError("a server command without {port} uses the default port, so its tests run one at "
                                "a time: leave out -n")
    return ctx


def partner_server(ctx: RunContext, folder: Path) -> Program:
    """Interop: the server of another submission, found as its own check would find it, in a scratch
    copy of its own (each side sees only its own files)."""
    spec = ctx.descriptor
    if "server" not in spec.roles:
        raise pytest.UsageError(f"{ctx.protocol} has no server role: nothing to talk to")
    if not folder.is_dir():
        raise pytest.UsageError(f"--with-server wants a submission folder, got {folder}")
    try:
        copy, _ = scratch.make(folder.resolve())
    except (scratch.TooBig, OSError) as exc:
        raise pytest.UsageError(f"--with-server: {exc}") from None
    choice = discover.find(copy, "server", list(spec.layouts("server")), gui=False, by_behaviour=True,
                           surveyed=discover.survey(copy), words=spec.header_words)
    if choice.program is None:
        raise pytest.UsageError(f"interop: no {ctx.protocol} server found in {folder} ({choice.why})")
    ctx.partner = str(folder)
    return choice.program


def paths_shown(ctx: RunContext) -> list:
    """What reports show instead of the grader's absolute paths: paths relative to the submission."""
    pairs = []
    for folder in (ctx.copy if ctx.copy is not None and ctx.copy.is_dir() else None,
                   ctx.submission if ctx.submission.is_dir() else ctx.submission.parent):
        if folder is not None:
            pairs += [(f"{folder}/", ""), (str(folder), ".")]
    if ctx.scratch is not None:
        pairs.append((f"{ctx.scratch}/", ""))
    pairs += [(sys.executable, "python"), (f"{PACKAGE}/", "conformance/"), (f"{CHECKOUT}/", ""),
              (f"{sys.base_prefix}/", ""), (f"{sys.prefix}/", "")]
    home = os.path.expanduser("~")
    if len(home) > 1:
        pairs.append((f"{home}/", "~/"))
    return pairs


def interrupt(signum, frame):
    raise KeyboardInterrupt(f"stopped by signal {signum}")


def _worker_terminated(signum, frame):
    scratch.remove_all()
    os._exit(128 + signum)


def pytest_keyboard_interrupt(excinfo):
    current().interruptions.append(excinfo)


def pytest_configure(config):
    if hasattr(config, "workerinput") and network.workers_private():
        if not network.enter_worker():   # each worker its own network: fixed ports never collide
            # never share one: two workers' servers on one fixed port would answer each other's clients
            raise RuntimeError("a -j worker could not get a network namespace of its own (run with -j 1)")
        buffers.lower_limits()
    config.addinivalue_line("markers", "requirement(*ids, name): the spec requirement(s) a test checks")
    if config.option.protocol and not hasattr(config, "workerinput"):
        # SIGTERM (a CI job's timeout, grade's budget or Ctrl-C) stops the run like Ctrl-C: the running
        # test is an error, candidates are killed, the scratch copy removed (from here on: its set-up too)
        signal.signal(signal.SIGTERM, interrupt)
    elif config.option.protocol:
        # an xdist worker: SIGTERM (grade's budget, Ctrl-C on grade) ends it at once, as before, but no
        # longer leaves its copy of the submission behind, even one it is still making (a loaded machine
        # starts workers late: the signal can come before the copy is finished)
        signal.signal(signal.SIGTERM, _worker_terminated)
    # the run's state; a diagnosis's experiment run (--experiment time=x3) has three times the time
    experiment = config.getoption("chatconform_experiment", None)
    config.stash[stash.STATE] = activate(RunState(
        timeout_scale=config.option.timeout_scale * variation.time_factor(experiment),
        active=variation.parse(experiment), config=config,
        spent={} if config.getoption("chatconform_profile", False) else None))
    if config.option.chatconform_junit:
        config.option.xmlpath = config.option.chatconform_junit
    try:
        ctx = build_context(config)
    except pytest.UsageError as exc:   # said once, in the tool's own words, and in the --json document
        report_usage_error(str(exc), config.option.chatconform_json)
        raise pytest.UsageError() from None
    config.stash[stash.CONTEXT] = ctx
    if ctx is not None:
        ctx.shown = config.option.shown_as or config.option.submission
        show_paths_relative(*paths_shown(ctx), copy_name=ctx.copy.name if ctx.copy is not None and ctx.copy.is_dir() else None)
        containment.start()
    if ctx is not None:
        results = config.stash[stash.RESULTS] = Results(ctx.protocol, ctx.shown, ctx.seed)
        results.should = ctx.descriptor.should()
        results.containment = containment.describe()
        results.programs = {role: shown_program(ctx, program).replace("\n      ", "; ")
                            for role, program in ctx.programs.items()}
        if config.option.role == "all":   # a role the protocol has but the submission lacks
            results.missing = {
                role: f"no {role} found ({ctx.choices.get(role) or 'nothing looked at'})"
                for role in ctx.descriptor.roles if role not in ctx.programs}


def pytest_unconfigure(config):
    scratch.remove_all()   # the run's copy, and one an interruption left before the run knew of it


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """xdist: every worker uses the controller's seed."""
    ctx = stash.context(node.config)
    if ctx is not None:
        node.workerinput["chatconform_seed"] = ctx.seed
