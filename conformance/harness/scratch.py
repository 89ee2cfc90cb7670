"""A scratch copy of the submission: candidates run in it, so the original is never written.

The submission's folder is copied into a fresh temporary folder (without .git, caches and virtual
environments), alone: nothing beside the original (in a class folder: the other students) comes
along. The one exception is chatconform's own references, which share `reference/common`: checked
as submissions, that folder is copied beside them. A folder too big to copy is a usage error, not a
silent partial copy.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

SKIPPED = (".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".tox", "node_modules", ".mypy_cache",
           ".pytest_cache")
MAX_BYTES = 200 * 1024 ** 2   # a chat assignment is a few files; a home folder is not a submission
PREFIX = "chatconform-scratch-"
LIVE: list = []   # this process's scratch folders not yet removed: what a SIGTERM handler removes


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
    root = Path(tempfile.mkdtemp(prefix=PREFIX))
    LIVE.append(root)
    name = folder.name or "submission"
    copy = root / name
    try:
        shutil.copytree(folder, copy, symlinks=True, ignore=shutil.ignore_patterns(*SKIPPED))
        if is_reference(folder):   # chatconform's own references (or a copy of them) share ../common
            shutil.copytree(folder.parent / "common", root / "common", ignore=shutil.ignore_patterns(*SKIPPED))
    except BaseException:   # an error or an interruption half-way: no half copy is left behind
        remove(root)
        raise
    return (copy if submission.is_dir() else copy / submission.name), root


def is_reference(folder: Path) -> bool:
    """A reference of chatconform's (in the package, the checkout, or a copy of the references
    folder): a protocol's folder with its codec, beside the shared common/outbox.py."""
    from ..protocols import NAMES
    return folder.name in NAMES and (folder / "codec.py").is_file() and \
        (folder.parent / "common" / "outbox.py").is_file()


def root_of(path: str) -> str | None:
    """The scratch folder that holds `path`, or None: what a candidate started there may see."""
    parts = Path(path).parts
    for i, part in enumerate(parts):
        if part.startswith(PREFIX):
            return str(Path(*parts[: i + 1]))
    return None


def remove(root: Path) -> None:
    shutil.rmtree(root, ignore_errors=True)
    if root in LIVE:
        LIVE.remove(root)


def remove_all() -> None:
    for root in list(LIVE):
        remove(root)
