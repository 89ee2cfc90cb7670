"""The run's header: what is checked, where each program was found, where a client is served, how
candidates are contained and networked, and the seed that reproduces the run (shown also in quiet mode)."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

from .. import stash
from ..harness import containment, network
from ..harness.programs import Program

if TYPE_CHECKING:   # the context is built with the programs shown as here
    from .context import RunContext


def shown_program(ctx: RunContext, program: Program) -> str:
    """The program's command and folder relative to the submission, and how it was found."""
    base = ctx.copy if ctx.copy is not None and ctx.copy.is_dir() else (ctx.copy.parent if ctx.copy else None)
    try:
        where = os.path.relpath(program.cwd, base) if base is not None else str(program.cwd)
    except ValueError:
        where = str(program.cwd)
    found = ctx.choices.get(program.role)
    return f"{program.template}  (in {where if where != '.' else 'the submission folder'})" + (
        f"\n      found: {found}" if found else "")


def header_lines(ctx: RunContext) -> list:
    lines = [f"chatconform: {ctx.protocol}  submission {ctx.shown}  seed {ctx.seed}  "
             f"(--seed {ctx.seed} reproduces this run)"]
    lines += [f"  {role}: {shown_program(ctx, program)}" + ("" if program.takes_port or role != "server" or ctx.server else
              f"  [no {{port}}: default port {ctx.descriptor.default_port}, "
              + ("each parallel worker in a network of its own]" if network.workers_private() else
                 "tests one at a time]"))
              for role, program in ctx.programs.items()]
    fixed = ctx.descriptor.client_address
    if "client" in ctx.programs:
        lines.append(f"  the client is served at {fixed[0]}:{fixed[1]}, where {ctx.protocol} clients connect (the "
                     "assignment's default): in the run's private network" + (
                         ", each parallel worker its own" if network.workers_private() else
                         "; its tests run one at a time" if network.inside() else
                         " NOT: the machine's network, so no other program may use that port meanwhile"))
    lines.append(f"  containment: {containment.describe()}")
    lines.append(f"  network: {network.describe()}")
    return lines


def pytest_sessionstart(session):
    """Say what is checked and the seed, also in quiet mode (the report header is not shown there)."""
    ctx = stash.context(session.config)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if ctx is None or reporter is None or hasattr(session.config, "workerinput"):
        return
    for line in header_lines(ctx):
        reporter.write_line(line)
