"""What the grader says where discovery cannot find a program: `grade --layout layouts.toml` maps a
student (or a glob of students, as the class report names them) to the commands that start their
programs. The exact name wins over a glob; among globs, the first in the file.

    ["Ada Lovelace"]
    client = "{python} {dir}/ChatroomClient.py --target {host} --port {port} --username {username}"
    server = "{python} {dir}/ChatroomServer.py --port {port}"

    ["team-*"]
    client = "{python} -m our_chat --address {host} --port {port}"
"""
from __future__ import annotations

import fnmatch
import sys
from pathlib import Path

from ..protocol import ROLES

if sys.version_info >= (3, 11):
    import tomllib
else:   # pragma: no cover
    import tomli as tomllib


class LayoutError(Exception):
    pass


class Layouts:
    def __init__(self, rules: dict, source: str):
        self.rules, self.source = rules, source

    def for_student(self, student: str, slug: str) -> tuple[str, dict] | None:
        """(the rule's key, {role: command}) for this student, or None."""
        for key in (student, slug):
            if key in self.rules:
                return key, self.rules[key]
        for key, commands in self.rules.items():
            if fnmatch.fnmatchcase(student, key) or fnmatch.fnmatchcase(slug, key):
                return key, commands
        return None


def load(path: Path | None) -> Layouts | None:
    if path is None:
        return None
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LayoutError(f"cannot read the layouts {path}: {exc}") from None
    rules = {}
    for key, commands in data.items():
        if not isinstance(commands, dict) or not commands:
            raise LayoutError(f"{path}: [{key!r}] must be a table with client = \"…\" and/or server = \"…\"")
        unknown = set(commands) - set(ROLES)
        if unknown or not all(isinstance(v, str) and v.strip() for v in commands.values()):
            raise LayoutError(f"{path}: [{key!r}] may hold only client and server commands (strings); got "
                              f"{', '.join(sorted(unknown)) or 'an empty or non-string command'}")
        rules[key] = dict(commands)
    return Layouts(rules, Path(path).name)
