"""The GUI probe's cost: how long from starting a Tk client (the chat10 reference) until the probe
answers with its window shown, and how long each probe command takes.

    python bench/gui_probe.py [--runs 10] [--commands 200]

Needs Xvfb (or CHATCONFORM_DISPLAY naming an X server).
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
from conformance.harness import candidate  # noqa: E402
from conformance.harness.gui import GuiApp, Probe, VirtualScreen, Widgets  # noqa: E402
from conformance.harness.transcript import Transcript  # noqa: E402

REFERENCE = ROOT / "reference" / "chat10"


def ms(values: list) -> str:
    return f"median {statistics.median(values) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="client start-ups to time")
    parser.add_argument("--commands", type=int, default=200, help="commands of each kind to time")
    args = parser.parse_args()
    why = VirtualScreen.missing()
    if why:
        print(f"cannot run: {why}")
        return 2
    screen = VirtualScreen()
    screen.start()
    port = candidate.free_port()
    server = subprocess.Popen([sys.executable, "server.py", "--port", str(port)], cwd=REFERENCE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        candidate.wait_listening("127.0.0.1", port, 10)
        startups, timings = [], {"tree": [], "read": [], "type (5 characters)": [], "ping": []}
        for run in range(args.runs):
            path = tempfile.mktemp(prefix="chatconform-bench-", suffix=".sock")
            env = candidate.environment(("gui_probe",), {"DISPLAY": screen.display, "CHATCONFORM_PROBE_SOCKET": path})
            began = time.perf_counter()
            proc = subprocess.Popen([sys.executable, "client.py", "--port", str(port), "--username", f"bench{run}"],
                                    cwd=REFERENCE, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            app = GuiApp(None, Probe(path, Transcript(), lambda: proc.poll() is None), screen)
            app.probe.connect(20)
            app.wait_shown(20)
            startups.append(time.perf_counter() - began)
            if run == 0:
                entry = Widgets(app.probe.tree()).input()["id"]
                for _ in range(args.commands):
                    for name, call in (("tree", lambda: app.probe.call("tree")),
                                       ("read", lambda: app.probe.call("read", id=entry)),
                                       ("type (5 characters)", lambda: app.probe.call("type", id=entry, text="hello")),
                                       ("ping", lambda: app.probe.call("ping"))):
                        t = time.perf_counter()
                        call()
                        timings[name].append(time.perf_counter() - t)
            proc.kill()
            proc.wait()
        print(f"start-up to a shown window with the probe answering ({args.runs} runs): {ms(startups)}")
        for name, values in timings.items():
            print(f"command {name:<20} ({len(values)} calls): {ms(values)}")
    finally:
        server.kill()
        screen.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
