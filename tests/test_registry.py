"""One protocol, one descriptor, one registry (conformance/protocol.py, conformance/protocols.py): every
protocol package is registered and shipped, descriptors are checked when they are made, and a sixth
protocol (tests/toy/: echo) is added by registering it and nothing else shared: it is then checked,
self-tested and graded like the five."""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance import protocols
from conformance.harness.programs import Layout
from conformance.protocol import MUST, SHOULD, Protocol
from conformance.selftest.checks import ROOT

TOY = Path(__file__).resolve().parent / "toy"


def test_every_protocol_package_is_registered_and_every_registered_one_describes_itself():
    packages = {f"conformance.{p.parent.name}" for p in (ROOT / "conformance").glob("*/__init__.py")
                if "PROTOCOL = Protocol(" in p.read_text()}
    assert packages == set(protocols.PACKAGES)
    assert [p.name for p in protocols.every()] == list(protocols.NAMES)


def test_the_wheel_lists_every_registered_protocol():
    try:
        import tomllib
    except ModuleNotFoundError:   # Python < 3.11
        import tomli as tomllib
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    assert set(protocols.PACKAGES) <= set(listed)


def test_the_installed_package_is_tried_on_every_protocol():
    from tests.test_install import EXAMPLES
    assert sorted(example[0] for example in EXAMPLES) == sorted(protocols.NAMES)


def test_an_unknown_protocol_is_named_with_the_known_ones():
    with pytest.raises(KeyError, match="unknown protocol 'irc'.*cnlab, jsonl"):
        protocols.get("irc")


@pytest.mark.parametrize("change, error", [
    ({"roles": ("client", "peer")}, "unknown roles"),
    ({"student_roles": ("server",)}, "unknown roles"),
    ({"gui_toolkit": "gtk"}, "gui_toolkit"),
    ({"beyond_text": {"X1": "a MUST cannot go beyond the text"}}, "not SHOULD requirements"),
])
def test_a_descriptor_that_contradicts_itself_is_refused(change, error):
    fields = dict(name="toy", roles=("client",), student_roles=("client",), default_port=1,
                  client_address=("127.0.0.1", 1), client_layouts=(Layout("c.py", "{python} c.py"),), server_layouts=(),
                  requirements={"X1": (MUST, "one"), "X2": (SHOULD, "two")})
    Protocol(**fields)   # as it is, it stands
    with pytest.raises(ValueError, match=error):
        Protocol(**{**fields, **change})


def test_a_descriptor_is_frozen_tables_too():
    cnlab = protocols.get("cnlab")
    with pytest.raises(AttributeError):
        cnlab.default_port = 1
    with pytest.raises(TypeError):
        cnlab.requirements["RA1"] = ("SHOULD", "changed")


# --- a sixth protocol -----------------------------------------------------------------------------

def checkout_with_the_toy(into: Path) -> Path:
    """A copy of the checkout (what a run needs) with the toy's folders laid in and one line added to
    the registry; returns the copy. The toy's folders are its own: the registry is the shared edit."""
    copy = into / "checkout"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "toy")
    for folder in ("conformance", "reference", "tests"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=skip)
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    for part in ("conformance/echo", "reference/echo", "fixtures/echo"):
        shutil.copytree(TOY / part, copy / part)
    registry = copy / "conformance" / "protocols.py"
    text = registry.read_text()
    registered = text.replace('    "conformance.brace",\n', '    "conformance.brace",\n    "conformance.echo",\n')
    assert registered != text
    registry.write_text(registered)
    return copy


def run(copy: Path, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(copy)}   # the copy's chatconform, not the installed one
    return subprocess.run([sys.executable, *argv], cwd=copy, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.timeout(600)
def test_a_sixth_protocol_needs_only_its_own_folders_and_one_registry_line(tmp_path):
    copy = checkout_with_the_toy(tmp_path)
    # the shared edit is one line of the registry
    changed = [str(p.relative_to(copy)) for p in copy.rglob("*.py") if "echo" not in p.parts
               and (ROOT / p.relative_to(copy)).read_text() != p.read_text()]
    assert changed == ["conformance/protocols.py"]

    # checked: the reference passes, the broken fixture fails EC1 with its sentence
    good = run(copy, "-m", "conformance", "check", "echo", "reference/echo")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "EC1" in good.stdout
    bad = run(copy, "-m", "conformance", "check", "echo", "fixtures/echo/shouts")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "sends every line it receives back to its sender" in bad.stdout and "b'AHOJ, ECHO\\n'" in bad.stdout

    # self-tested: the self-test picks it up from the registry (reference, fixture, requirement coverage)
    selftest = run(copy, "-m", "pytest", "tests/test_selftest.py", "-k", "echo", "-p", "no:cacheprovider", "-q",
                   timeout=500)
    assert selftest.returncode == 0, selftest.stdout + selftest.stderr
    assert "3 passed" in selftest.stdout, selftest.stdout

    # graded: a class of two, detected as echo, one full marks and one without EC1
    klass = tmp_path / "class"
    shutil.copytree(copy / "reference" / "echo", klass / "alice")
    shutil.copytree(copy / "fixtures" / "echo" / "shouts", klass / "bob", ignore=shutil.ignore_patterns("*.json"))
    graded = run(copy, "-m", "conformance", "grade", str(klass), "-o", str(tmp_path / "out"), "--no-progress",
                 timeout=500)
    assert graded.returncode in (0, 1), graded.stdout + graded.stderr
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "out" / "class.csv").open())}
    assert set(rows) == {"alice", "bob"}, rows
    assert rows["alice"]["protocol"] == rows["bob"]["protocol"] == "echo", rows
    assert rows["alice"]["EC1"] == "passed" and rows["bob"]["EC1"] == "failed", rows
