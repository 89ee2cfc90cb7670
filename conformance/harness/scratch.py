"""A scratch copy of the submission: candidates run in it, so the original is never written.

The submission's folder is copied into a fresh temporary folder (without .git, caches and virtual
environments); the folders beside the original appear beside the copy as links, so a program that
imports from `../common` still finds it (read-only in the sandbox). A folder too big to copy is a
usage error, not a silent partial copy.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

SKIPPED = (".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", "node_modules", ".mypy_cache",
           ".pytest_cache")
MAX_BYTES = 200 * 1024 ** 2   # a chat assignment is a few files; a home folder is not a submission
MAX_SIBLINGS = 2000


class TooBig(Exception):
    pass


def _size(folder: Path) -> int:
    total = 0
    for top, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in SKIPPED]
        for name in files:
            try:
                total += os.lstat(os.path.join(top, name)).st_size
            except OSError:
                pass
            if total > MAX_BYTES:
                raise TooBig(f"{folder} holds more than {MAX_BYTES // 1024 ** 2} MB (not counting "
                             f"{', '.join(SKIPPED[:3])}, …); chatconform runs a copy of the submission's folder: "
                             "point it at the folder (or file) of the submission itself")
    return total


def make(submission: Path) -> tuple[Path, Path]:
    """(the submission in its copy, the scratch folder to remove afterwards)."""
    folder = submission if submission.is_dir() else submission.parent
    _size(folder)
    root = Path(tempfile.mkdtemp(prefix="chatconform-scratch-"))
    name = folder.name or "submission"
    copy = root / name
    shutil.copytree(folder, copy, symlinks=True, ignore=shutil.ignore_patterns(*SKIPPED))
    try:
        siblings = [p for p in folder.parent.iterdir() if p.name != folder.name][:MAX_SIBLINGS]
    except OSError:
        siblings = []
    for sibling in siblings:
        try:
            (root / sibling.name).symlink_to(sibling)
        except OSError:
            pass
    return (copy if submission.is_dir() else copy / submission.name), root


def remove(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
