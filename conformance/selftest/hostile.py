"""The hostile corpus (fixtures/hostile/, its manifest.json): one case run against cnlab client tests as
a grader runs it, with what is left running afterwards, the harness's peak RSS and the size of the
--json report, checked against the manifest's bounds. Shared by tests/test_hostile.py and
bench/hostile.py (the whole suite, and a SIGKILLed harness)."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ..harness import containment, network, procstate
from ..harness.programs import listening
from ..resources import CHECKOUT as ROOT, FIXTURES

CORPUS = FIXTURES / "hostile"


def peak_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def left_running(folder: Path) -> list[str]:
    """Processes whose working directory or command line is in the case's folder."""
    out = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = os.readlink(f"/proc/{entry.name}/cwd")
        except OSError:
            continue
        cmd = containment.command_line(int(entry.name))
        fields = procstate.stat_fields(entry.name)
        if fields and fields[0] != "Z" and (cwd.startswith(str(folder)) or str(folder) in cmd):
            out.append(f"{entry.name}: {cmd[:100]}")
    return out


def outside_listener(port: int) -> socket.socket | None:
    """A listening socket in the bench's own network (the machine's), or None if the port is taken."""
    try:
        listener = socket.create_server(("127.0.0.1", port))
    except OSError:
        return None
    listener.setblocking(False)
    return listener


def reached(listener: socket.socket) -> bool:
    try:
        listener.accept()[0].close()
        return True
    except BlockingIOError:
        return False


def private_network() -> bool:
    """Does `check` run in a network of its own here? (Without one nothing keeps a connection in.)"""
    return network.can_be_private()


def run_case(name: str, spec: dict, bounds: dict, sigkill: bool, tests: list) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"chatconform-hostile-{name}-"))
    shutil.copy(CORPUS / f"{name}.py", folder / "client.py")
    report = folder.parent / f"{folder.name}.json"
    argv = [sys.executable, "-m", "conformance", "check", "cnlab", str(folder), "--json", str(report), "-j", "1"]
    for test in tests:
        argv += ["--test", test]
    listeners = [outside_listener(port) for port in spec.get("nothing_reached", [])]
    began = time.monotonic()
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = [0]

    def watch():
        while proc.poll() is None:
            peak[0] = max(peak[0], peak_rss_kb(proc.pid))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    if sigkill:
        time.sleep(6)
        proc.send_signal(signal.SIGKILL)
    code = proc.wait()
    watcher.join()
    wall = time.monotonic() - began
    time.sleep(1.0)   # what dies with the harness takes a moment
    survivors = left_running(folder)
    size = report.stat().st_size if report.exists() else 0
    problems = []
    if survivors:
        problems.append(f"{len(survivors)} left running")
    if not sigkill:
        if code != spec.get("exit", 1):
            problems.append(f"exit status {code}, expected {spec.get('exit', 1)}")
        if peak[0] / 1024 > bounds["harness_rss_mb"]:
            problems.append(f"harness RSS {peak[0] / 1024:.0f} MB")
        if size / 1e6 > bounds["report_mb"]:
            problems.append(f"report {size / 1e6:.1f} MB")
        document = json.loads(report.read_text()) if size else {}
        failed = {r for t in document.get("tests", []) for r in t.get("failed_requirements", [])}
        for req in spec.get("failed_includes", []):
            if req not in failed:
                problems.append(f"{req} not failed")
        for path in spec.get("nothing_written", []):
            written = Path(os.path.expanduser(path.format(submission=folder)))
            if written.exists():
                if containment.mode() == "bubblewrap" or "{submission}" in path:   # the fallback does not
                    problems.append(f"it wrote {written}")                        # keep writes in (docs/containment.md)
                written.unlink()
        for port, listener in zip(spec.get("nothing_reached", []), listeners):
            if listener is not None and reached(listener) and private_network():
                problems.append(f"it connected to port {port} outside its network")
        for port in spec.get("port_free_after", []):
            if listening("127.0.0.1", port):
                problems.append(f"port {port} is still held after the run")
    for listener in listeners:
        if listener is not None:
            listener.close()
    for pid_line in survivors:   # leave the machine clean for the next case
        try:
            os.kill(int(pid_line.split(":")[0]), signal.SIGKILL)
        except (OSError, ValueError):
            pass
    shutil.rmtree(folder, ignore_errors=True)
    report.unlink(missing_ok=True)
    for left in Path(tempfile.gettempdir()).glob(f"chatconform-scratch-*/{folder.name}"):
        shutil.rmtree(left.parent, ignore_errors=True)   # the copy of a SIGKILLed harness, which could not
    return {"case": name, "wall_s": wall, "exit": code, "survivors": len(survivors),
            "rss_mb": peak[0] / 1024, "report_mb": size / 1e6, "problems": problems}


# --- candidates that read ------------------------------------------------------------------------

READER = FIXTURES / "cnlab" / "select_client" / "client.py"   # a correct client, made to read first
PEEK = """
def _peek(targets):
    # reads what a grading machine holds, and prints whatever it gets: all of it should be out of reach
    for label, path in targets:
        try:
            with open(path, "rb") as f:
                print("READ", label, f.read(300).replace(b"\\0", b" ").decode("utf-8", "replace"), flush=True)
        except OSError as exc:
            print("DENIED", label, type(exc).__name__, flush=True)


_peek({paths!r})
"""


def reading_world(base: Path, marker: str) -> tuple[dict, Path, Path, Path]:
    """A grading machine in miniature: a class folder (the reader and a classmate), the rubric, an
    earlier grade output, a file in the grader's home; every one holds the marker. Returns ({what:
    path the reader tries}, the class folder, the rubric, the output folder)."""
    klass, out = base / "class", base / "grades"
    reader = klass / "Mallory Reader_1_assignsubmission_file_"
    classmate = klass / "Alice Classmate_2_assignsubmission_file_"
    for folder in (reader, classmate, out / "results"):
        folder.mkdir(parents=True)
    (classmate / "client.py").write_text(f"# {marker} classmate\n" + READER.read_text())
    rubric = base / "rubric.toml"
    rubric.write_text(f"# {marker} rubric\n[points]\nRI4 = 2\n")
    (out / "results" / "earlier.json").write_text(json.dumps({"note": f"{marker} grade output"}))
    home = Path(os.path.expanduser("~")) / f".chatconform-bench-{marker}"
    home.write_text(f"{marker} home\n")
    from conformance import resources
    source = resources.PACKAGE / "cli.py"   # chatconform's own source: its docstring is the marker here
    paths = {"classmate": str(classmate / "client.py"), "rubric": str(rubric),
             "grade-output": str(out / "results" / "earlier.json"), "grader-home": str(home),
             "chatconform-source": str(source), "proc1-environ": "/proc/1/environ"}
    client = READER.read_text().replace('\ndef main():', PEEK.format(paths=list(paths.items())) + '\n\ndef main():', 1)
    (reader / "client.py").write_text(client)
    return paths, klass, rubric, out


def printed(report: dict) -> str:
    """What the candidates printed in a --json report, each transcript's terminal chunks joined
    (one print may arrive in two reads, so a line can straddle two transcript rows)."""
    return "\n".join("".join(re.findall(r"^\+\s*[\d.]+s term< {5}(.*)$", test.get("transcript") or "", re.M))
                     .replace("\\r\\n", "\n") for test in report.get("tests", []))


def run_reading() -> list:
    """Grade the miniature class; (what, reached?, how it was denied) per target, and problems."""
    marker = "MARKER" + os.urandom(6).hex()
    base = Path(tempfile.mkdtemp(prefix="chatconform-reading-"))
    paths, klass, rubric, out = reading_world(base, marker)
    source_marker = "thin front over pytest"   # in chatconform's cli.py, nowhere in a report
    env = {**os.environ, "CHATCONFORM_BENCH_SECRET": marker}   # the harness's own environment
    try:
        proc = subprocess.run([sys.executable, "-m", "conformance", "grade", "cnlab", str(klass), "-o", str(out),
                               "--rubric", str(rubric), "-j", "2", "--no-progress"], cwd=base, env=env,
                              capture_output=True, text=True, timeout=900)
        files = [p for p in out.rglob("*") if p.is_file() and p.name != "earlier.json"]
        reports = "\n".join(p.read_text(errors="replace") for p in files)
        output = "\n".join(printed(json.loads(p.read_text())) for p in files
                           if p.suffix == ".json" and '"tests"' in p.read_text(errors="replace"))
        rows, problems = [], []
        if proc.returncode != 0:
            problems.append(f"grade exited {proc.returncode}: {proc.stderr[-300:]}")
        for what, path in paths.items():
            denied = re.search(rf"DENIED {what} (\w+)", output)
            read = f"READ {what}" in reports or f"READ {what}" in output
            rows.append((what, read, denied.group(1) if denied else "?"))
            if read or not denied:
                problems.append(f"{what}: {'read' if read else 'no denial seen'}")
        for needle in (marker, source_marker):
            if needle in reports:
                problems.append(f"the marker {needle!r} is in a report")
        return rows, problems
    finally:
        Path(paths["grader-home"]).unlink(missing_ok=True)
        shutil.rmtree(base, ignore_errors=True)
