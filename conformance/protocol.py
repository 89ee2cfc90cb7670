"""What a protocol is, to every part of chatconform: one typed descriptor per protocol.

Each `conformance/<protocol>/__init__.py` exports `PROTOCOL = Protocol(...)`; `conformance/protocols.py`
lists them. The suite, discovery, grading, the diagnosis, the self-test and the benches read a
protocol only through its descriptor, never a module attribute by convention.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from .harness.programs import Layout

MUST, SHOULD = "MUST", "SHOULD"
ROLES = ("client", "server")   # every role a suite may have, in the order they are checked


@dataclass(frozen=True)
class Protocol:
    name: str
    roles: tuple[str, ...]               # the suites it has (test_<role>.py)
    student_roles: tuple[str, ...]       # what the assignment asks students to write: found by what the code
    #                                      does; another role only at the course's own layout (a cnlab server.py)
    default_port: int                    # where a server whose command has no {port} listens
    client_address: tuple[str, int]      # where the course serves: scripted and live servers listen there,
    #                                      in the run's private network (a client may dial it hard-wired)
    client_layouts: tuple[Layout, ...]   # where a submission's programs live, and how each is started
    server_layouts: tuple[Layout, ...]
    requirements: Mapping[str, tuple[str, str]]   # ID -> (MUST or SHOULD, the assignment's sentence)
    beyond_text: Mapping[str, str] = field(default_factory=dict)   # SHOULD IDs beyond the text -> the sentence
    gui_toolkit: str | None = None       # "tk" (on Xvfb) or "qt" (offscreen); None: a terminal client
    fresh_server: bool = False           # a fresh server per server test (else one server per run)
    disconnect_requirement: str | None = None   # one shared server that dies when clients hang up breaks this
    header_words: tuple[str, ...] = ()   # upper-case header words its programs contain (discovery tells
    #                                      the course's server.py from another assignment's by them)
    reference_server_args: tuple[str, ...] = ()   # what the reference server is started with in a run
    detection: tuple[tuple[str, str], ...] = ()   # (pattern, what it shows): `grade` tells protocols apart
    selftest_reference_args: tuple[str, ...] = ()   # the self-test's check options for the reference
    selftest_timeout_scale: int = 1      # the self-test's --timeout-scale (its reference and fixtures)
    selftest_unfailed: tuple[str, ...] = ()   # IDs no broken fixture fails, each shown to fail elsewhere
    #                                           (tests/test_harness.py, tests/test_cli.py): a broken one breaks every test

    def __post_init__(self):
        for name in ("requirements", "beyond_text"):   # frozen all the way: a run never edits a table
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        unknown = set(self.roles) - set(ROLES) or set(self.student_roles) - set(self.roles)
        if unknown:
            raise ValueError(f"{self.name}: unknown roles {sorted(unknown)}")
        if self.gui_toolkit not in (None, "tk", "qt"):
            raise ValueError(f"{self.name}: gui_toolkit must be 'tk', 'qt' or None")
        unknown = set(self.beyond_text) - {i for i, (level, _) in self.requirements.items() if level == SHOULD}
        if unknown:
            raise ValueError(f"{self.name}: beyond_text names IDs that are not SHOULD requirements: {sorted(unknown)}")

    @property
    def package(self) -> str:
        return f"conformance.{self.name}"

    @property
    def gui_client(self) -> bool:
        """Its client opens a window and runs its event loop."""
        return self.gui_toolkit is not None

    def layouts(self, role: str) -> tuple[Layout, ...]:
        return self.client_layouts if role == "client" else self.server_layouts

    def suite(self, role: str) -> list[Path]:
        """The test modules of a role's suite: test_<role>.py and any test_<role>_<part>.py beside it
        (run/identity.py: the file's name up to its first `_` after `test_` is the role)."""
        folder = Path(importlib.import_module(self.package).__file__).parent
        return sorted(path for path in folder.glob(f"test_{role}*.py") if suite_role(path) == role)

    def should(self) -> dict:
        """SHOULD IDs -> the sentence each goes beyond ("" where the text asks for it)."""
        return {req: self.beyond_text.get(req, "") for req, (level, _) in self.requirements.items() if level == SHOULD}

    def diagnosis(self) -> tuple[tuple, list]:
        """(code markers, rules): its diagnosis knowledge, `<package>/diagnose.py` (HEADERS: the literals
        a code fact looks for; RULES: the failed checks that name a cause), imported on first use (it
        needs the diagnosis engine); nothing where it has none."""
        name = f"{self.package}.diagnose"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            return (), []
        return tuple(module.HEADERS), list(module.RULES)

    def selftest_scale_args(self) -> list[str]:
        return ["--timeout-scale", str(self.selftest_timeout_scale)] if self.selftest_timeout_scale != 1 else []


def suite_role(path: Path) -> str:
    """The role a suite's test module checks: test_client.py and test_client_live.py, the client."""
    return path.stem.removeprefix("test_").split("_")[0]
