"""The chatconform wheel a platform's image installs (Gradescope's bundle, Kelvin's action): the one
given, or one built from this checkout."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..resources import CHECKOUT


class WheelError(Exception):
    pass


def copy_of_checkout(into: Path, checkout: Path = CHECKOUT) -> Path:
    """What a wheel or an sdist is built from, copied out of a checkout (pip builds in the source
    tree: the checkout, which other runs read, stays untouched)."""
    source = into / "source"
    shutil.copytree(checkout, source, ignore=shutil.ignore_patterns(".git", ".tox", "build", "dist", "*.egg-info",
                                                                    "__pycache__", "docs", "tests", "bench"))
    return source


def the_wheel(given: str | None) -> Path:
    """The chatconform wheel a platform image installs: the one given, or one built from this checkout."""
    if given:
        wheel = Path(given)
        if not wheel.is_file() or wheel.suffix != ".whl":
            raise WheelError(f"--wheel {given}: not a wheel file")
        return wheel
    if not (CHECKOUT / "pyproject.toml").is_file():
        raise WheelError("this chatconform is installed, not a checkout: give --wheel (the wheel you installed from, "
                         "or `pip download --no-deps chatconform`)")
    built = Path(tempfile.mkdtemp(prefix="chatconform-wheel-"))
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(built),
                           str(copy_of_checkout(built))], capture_output=True, text=True)
    wheels = list(built.glob("chatconform-*.whl"))
    if proc.returncode or not wheels:
        raise WheelError(f"could not build the chatconform wheel: {proc.stderr.strip()[-500:]}")
    return wheels[0]
