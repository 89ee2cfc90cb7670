"""Running the suite on a submission as a user would, and reading back what failed."""
from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


_server = []   # this process's CheckServer (tests/checkserver.py), started on first use


def check(protocol: str, submission: Path, tmp_path: Path, *extra: str, env: dict | None = None,
          forked: bool = False) -> tuple[int, dict, str]:
    """(exit status, --json document, console output) of `python -m conformance check`. `forked`:
    run it in a child of this worker's check server (the same CLI, without an interpreter start and
    imports per run); CHATCONFORM_SELFTEST_FORK=0 turns that off."""
    report = tmp_path / "report.json"
    argv = ["check", protocol, str(submission), "--json", str(report), *extra]
    environment = {**os.environ, **(env or {})}
    if forked and os.environ.get("CHATCONFORM_SELFTEST_FORK") != "0":
        from tests.checkserver import CheckServer
        if not _server:
            _server.append(CheckServer())
        output_file = tmp_path / "output.txt"
        code = _server[0].run(argv, environment, ROOT, output_file, timeout=900)
        output = output_file.read_text(errors="replace") if output_file.exists() else ""
    else:
        proc = subprocess.run([sys.executable, "-m", "conformance", *argv], cwd=ROOT, capture_output=True,
                              text=True, timeout=900, env=environment)
        code, output = proc.returncode, proc.stdout + proc.stderr
    document = json.loads(report.read_text()) if report.exists() else {}
    return code, document, output


def check_args(fixture: Path) -> list:
    """A fixture's own extra check options (args.txt), e.g. the user limit its server was given."""
    path = fixture / "args.txt"
    return shlex.split(path.read_text()) if path.exists() else []


ROLE_OF_FILE = {"client.py": "client", "server.py": "server"}


def role_args(fixture: Path) -> list:
    """--role R for a mutation that edits only R's program: the other program is its base's, whose
    own run already shows that it passes, so only the changed one needs checking."""
    spec_path = fixture / "mutation.json"
    if not spec_path.exists():
        return []
    spec = json.loads(spec_path.read_text())
    if "with" in spec:   # it brings another fixture's program: the two together are the point
        return []
    roles = {ROLE_OF_FILE.get(name) for name in spec.get("edits", {"?": 0})}
    return ["--role", roles.pop()] if len(roles) == 1 and None not in roles else []


def failed_requirements(document: dict) -> list:
    return sorted({req for test in document["tests"] if test["outcome"] in ("failed", "error")
                   for req in test["failed_requirements"]})


def explain(document: dict) -> str:
    return "\n".join(f"  {t['outcome']:7} {t['id']}: {t['message'].splitlines()[0] if t['message'] else ''}"
                     for t in document.get("tests", []) if t["outcome"] != "passed")


def fixtures(protocol: str) -> list:
    return sorted(p.parent for p in (FIXTURES / protocol).glob("*/expected.json"))


def materialize(fixture: Path, into: Path) -> Path:
    """A fixture folder ready to check. A broken fixture given as mutation.json (a correct base
    fixture and the text edits that put one bug in) is written out under `into`; the bug is the diff.
    `with` adds a file of another fixture's (`{"server.py": "threaded_server"}`) before the edits.
    A correct variant in another style says `variant` instead of `bug`."""
    spec_path = fixture / "mutation.json"
    if not spec_path.exists():
        return fixture
    spec = json.loads(spec_path.read_text())
    if "base" not in spec:   # a broken program written whole: mutation.json only names its bug and cause
        return fixture
    target = into / fixture.name
    base = fixture.parent / spec["base"]
    if (base / "mutation.json").exists():   # a variant's bug: the variant written out first
        base = materialize(base, into / "_bases")
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(base, target, ignore=shutil.ignore_patterns("expected.json", "args.txt", "__pycache__",
                                                                "mutation.json"))
    for name, other in spec.get("with", {}).items():   # a file of another fixture's, beside the base's
        shutil.copy(fixture.parent / other / name, target / name)
    for name, edits in spec["edits"].items():
        path = target / name
        text = path.read_text()
        for edit in edits:
            if text.count(edit["old"]) != 1:
                raise ValueError(f"{spec_path}: an edit of {name} does not match its base exactly once")
            text = text.replace(edit["old"], edit["new"])
        header = f"Broken on purpose (chatconform fixture {fixture.name}): {spec['bug']}" if "bug" in spec else \
            f"A variant of {spec['base']} (chatconform fixture {fixture.name}): {spec['variant']}"
        path.write_text(f"# {header}\n" + text)
    return target


if __name__ == "__main__":
    # python -m tests.selfcheck FIXTURE_DIR OUT_DIR: write a mutation fixture out, to read or run it
    print(materialize(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()))
