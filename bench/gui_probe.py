"""The GUI probe's cost: how long from starting a GUI client until the probe answers with its window
shown, and how long each probe command takes. Tk: the chat10 reference client (on Xvfb); Qt: the
brace reference client (PyQt5, offscreen).

    python bench/gui_probe.py [--toolkit tk|qt|both] [--runs 10] [--commands 200]

Tk needs Xvfb (or CHATCONFORM_DISPLAY naming an X server); Qt needs PyQt5.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from conformance.harness import programs  # noqa: E402
from conformance.harness.gui import GuiApp, Probe, VirtualScreen, Widgets  # noqa: E402
from conformance.harness.transcript import Transcript  # noqa: E402

def ms(values: list) -> str:
    return f"median {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"


TOOLKITS = {  # toolkit: (reference folder, the client's command for a port and a run number)
    "tk": (ROOT / "reference" / "chat10", lambda port, run: ["client.py", "--port", str(port), "--username", f"bench{run}"]),
    "qt": (ROOT / "reference" / "brace", lambda port, run: ["client.py", "--port", str(port)]),
}


def bench(toolkit: str, runs: int, commands: int) -> list:
    folder, client_args = TOOLKITS[toolkit]
    screen = None
    extra = {"QT_QPA_PLATFORM": "offscreen"}
    if toolkit == "tk":
        why = VirtualScreen.missing()
        if why:
            return [f"tk: cannot run: {why}"]
        screen = VirtualScreen()
        screen.start()
        extra = {"DISPLAY": screen.display}
    port = programs.free_port()
    server = subprocess.Popen([sys.executable, "server.py", "--port", str(port)], cwd=folder,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lines = []
    try:
        programs.wait_listening("127.0.0.1", port, 10)
        startups, timings = [], {"tree": [], "read": [], "type (5 characters)": [], "ping": []}
        for run in range(runs):
            folder_of_socket = tempfile.mkdtemp(prefix="chatconform-bench-")
            path = folder_of_socket + "/probe.sock"
            env = programs.environment(("gui_probe",), {**extra, "CHATCONFORM_PROBE_SOCKET": path,
                                                         "XDG_RUNTIME_DIR": folder_of_socket})
            began = time.perf_counter()
            proc = subprocess.Popen([sys.executable, *client_args(port, run)], cwd=folder, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            app = GuiApp(None, Probe(path, Transcript(), lambda: proc.poll() is None), screen)
            app.probe.connect(20)
            app.wait_shown(20)
            startups.append(time.perf_counter() - began)
            if run == 0:
                entry = Widgets(app.probe.tree()).input()["id"]
                for _ in range(commands):
                    for name, call in (("tree", lambda: app.probe.call("tree")),
                                       ("read", lambda: app.probe.call("read", id=entry)),
                                       ("type (5 characters)", lambda: app.probe.call("type", id=entry, text="hello")),
                                       ("ping", lambda: app.probe.call("ping"))):
                        t = time.perf_counter()
                        call()
                        timings[name].append(time.perf_counter() - t)
            proc.kill()
            proc.wait()
        lines.append(f"{toolkit}: start-up to a shown window with the probe answering ({runs} runs): {ms(startups)}")
        for name, values in timings.items():
            lines.append(f"{toolkit}: command {name:<20} ({len(values)} calls): {ms(values)}")
    finally:
        server.kill()
        if screen is not None:
            screen.stop()
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--toolkit", choices=("tk", "qt", "both"), default="both")
    parser.add_argument("--runs", type=int, default=10, help="client start-ups to time")
    parser.add_argument("--commands", type=int, default=200, help="commands of each kind to time")
    args = parser.parse_args()
    for toolkit in ("tk", "qt") if args.toolkit == "both" else (args.toolkit,):
        for line in bench(toolkit, args.runs, args.commands):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
