"""Where chatconform's own files are, installed or in a checkout: the reference programs, the
bundled example submissions, the suite's pytest configuration, and how to start the harness's own
Python so that the folder it runs in (a student's repository) is never on its import path."""
from __future__ import annotations

import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent


def _data(name: str) -> Path:
    installed = PACKAGE / "_data" / name
    return installed if installed.is_dir() else CHECKOUT / name


REFERENCE = _data("reference")
FIXTURES = _data("fixtures")
SUITE_INI = PACKAGE / "suite.ini"   # the suites' pytest configuration (the checkout's pyproject is the self-test's)


def harness_python(*args: str) -> list[str]:
    """argv that runs `python -m conformance ARGS` with neither the current folder nor the script's
    on sys.path (a student's own `conformance/` or `pytest.py` must never be imported instead)."""
    if sys.version_info >= (3, 11):
        return [sys.executable, "-P", "-m", "conformance", *args]
    return [sys.executable, "-c", "import sys; del sys.path[0]; import runpy; "
            "runpy.run_module('conformance', run_name='__main__', alter_sys=True)", *args]
