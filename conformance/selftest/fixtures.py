"""The fixtures of the self-test (fixtures/<protocol>/<name>/): listed, written out, and their own check
options. Shared by tests/ and bench/."""
from __future__ import annotations

import json
import shlex
import shutil
import sys
from pathlib import Path

from ..resources import FIXTURES


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
    # python -m conformance.selftest.fixtures FIXTURE_DIR OUT_DIR: write a mutation fixture out, to read or run it
    print(materialize(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()))
