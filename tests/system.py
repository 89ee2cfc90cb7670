"""The optional system packages some tests need (Xvfb for Tk programs, bubblewrap for the sandbox,
Chromium for the class page in a real browser, a single-node Slurm for the launcher's job array). On a machine without one, its tests are skipped
with one line naming the package to install, and the run ends with one line listing what was not
tested and why (tests/conftest.py). .ci/run installs them all, so CI tests everything."""
from __future__ import annotations

import contextlib
import os
import shutil

import pytest

NOT_TESTED = "NOT TESTED HERE"
PACKAGES = {"Xvfb": "xvfb", "bwrap": "bubblewrap", "chromium": "chromium", "chromedriver": "chromium-driver",
            "slurmctld": "slurmctld", "slurmd": "slurmd", "sbatch": "slurm-client", "munged": "munge"}


def missing(*tools: str) -> list:
    return [tool for tool in tools if shutil.which(tool) is None
            and not (tool == "chromium" and shutil.which("chromium-browser"))]


def reason(tools: list, what: str) -> str:
    return (f"{NOT_TESTED}: {what} needs {' and '.join(tools)} "
            f"(apt-get install {' '.join(PACKAGES.get(t, t) for t in tools)})")


def need(*tools: str, what: str = "this test") -> None:
    gone = missing(*tools)
    if gone:
        pytest.skip(reason(gone, what))


def needing(*tools: str, what: str = "this test"):
    """A skipif mark for a module or a test that needs the tools."""
    gone = missing(*tools)
    return pytest.mark.skipif(bool(gone), reason=reason(gone, what) if gone else "")


@contextlib.contextmanager
def headless_chromium(profile: str):
    """A Selenium driver of Debian's headless Chromium (skipped where it is not installed)."""
    need("chromium", "chromedriver", what="opening a page in a real browser")
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service
    options = Options()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}"):
        options.add_argument(flag)
    os.environ.setdefault("SE_OFFLINE", "true")   # no driver downloads: Debian's chromedriver is given
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        yield driver
    finally:
        driver.quit()
