"""Small GUI programs started with the GUI probe inside, for the probe's own tests (Tk and Qt)."""
from __future__ import annotations

import shutil
import sys
import textwrap
from contextlib import contextmanager

from conformance.harness import programs
from conformance.harness.gui import GuiApp, Probe
from conformance.harness.terminal import Terminal
from conformance.harness.transcript import Transcript


@contextmanager
def virtual_screen():
    """A Xvfb for Tk programs, or None where Xvfb is not installed."""
    from conformance.harness.gui import VirtualScreen
    screen = VirtualScreen() if shutil.which("Xvfb") else None
    if screen is not None:
        screen.start()
    try:
        yield screen
    finally:
        if screen is not None:
            screen.stop()


@contextmanager
def gui_programs(tmp_path, env: dict, screen=None):
    """run(code) -> GuiApp with its window shown; every program started is killed at the end."""
    apps = []

    def run(code: str) -> GuiApp:
        script = tmp_path / "gui.py"
        script.write_text(textwrap.dedent(code))
        path = str(tmp_path / "probe.sock")   # in its folder: a sandboxed candidate sees only that
        term = Terminal([sys.executable, str(script)], str(tmp_path),
                        programs.environment(("gui_probe",), {**env, "CHATCONFORM_PROBE_SOCKET": path}), Transcript())
        app = GuiApp(term, Probe(path, Transcript(), term.alive), screen)
        apps.append(app)
        app.probe.connect(10)
        app.wait_shown(10)
        return app

    try:
        yield run
    finally:
        for app in apps:
            app.term.kill()
