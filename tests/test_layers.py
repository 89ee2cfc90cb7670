"""The house's layers point one way: the harness core imports nothing above it, bench/ never imports
tests/, and tests/ never loads bench/ by path (docs/harness.md: Layout)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported(path: Path, root: Path = ROOT) -> set[str]:
    """Every module a file imports, relative imports resolved against its package."""
    package = path.relative_to(root).with_suffix("").parts[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = list(package[:len(package) - node.level + 1]) if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def offenders(folder: str, forbidden: tuple, root: Path = ROOT) -> list:
    """(The probe injected into candidates, harness/inject/, runs in their interpreter: not a layer.)"""
    return sorted(f"{path.relative_to(root)}: {name}" for path in (root / folder).rglob("*.py")
                  if "inject" not in path.parts
                  for name in imported(path, root) if name.startswith(forbidden))


@pytest.mark.parametrize("folder, forbidden", [
    ("conformance/harness", ("conformance.diagnose", "conformance.run", "conformance.grade", "conformance.selftest")),
    ("conformance/diagnose", ("conformance.run", "conformance.grade", "conformance.selftest")),
    ("conformance/selftest", ("tests", "bench")),
    ("bench", ("tests",)),
])
def test_a_layer_imports_nothing_above_it(folder, forbidden):
    assert offenders(folder, forbidden) == []


def test_the_self_test_never_loads_a_bench_script():
    """(Not by import, not by a path to it: tests/test_hostile.py used to load bench/hostile.py.)"""
    loads = [str(path.relative_to(ROOT)) for path in (ROOT / "tests").glob("*.py") if path.name != "test_layers.py"
             and (any(name.startswith("bench") for name in imported(path))
                  or re.search(r"""["']bench(["']|/)""", path.read_text()))]
    assert loads == []


def test_the_layer_check_sees_a_relative_import(tmp_path):
    """The check itself can fail: a relative import of the diagnosis from the harness is found."""
    folder = tmp_path / "conformance" / "harness"
    folder.mkdir(parents=True)
    (folder / "peer.py").write_text("from ..diagnose import experiment\nfrom . import settings\n")
    assert offenders("conformance/harness", ("conformance.diagnose",), tmp_path) == \
        ["conformance/harness/peer.py: conformance.diagnose", "conformance/harness/peer.py: conformance.diagnose.experiment"]
