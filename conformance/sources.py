"""A submission's Python sources, read one way for everyone: which files there are (`walk`), each
file's text and syntax tree (`read`), and which files a program runs (`imported_files`).

Discovery (run/discover.py), protocol detection (grade/detect.py), the diagnosis's code facts
(diagnose/code.py) and cnlab's source checks (RT2, RC4) all read through here, with one set of
limits: a submission is a few files, a home folder or a virtual environment handed in with it is not.
"""
from __future__ import annotations

import ast
import functools
import os
from dataclasses import dataclass
from pathlib import Path

# Folders that hold no student program (environments, caches, other people's code)
SKIPPED_DIRS = {".git", ".hg", ".svn", "__pycache__", ".venv", "venv", "env", ".tox", "node_modules",
                "site-packages", "__MACOSX", ".idea", ".vscode", ".mypy_cache", ".pytest_cache", "build", "dist"}
MAX_FILES = 400            # .py files looked at in one submission
MAX_FILE_BYTES = 1 << 20   # of each file


@dataclass(frozen=True)
class Source:
    path: Path
    text: str                  # the first MAX_FILE_BYTES, as UTF-8 (undecodable bytes replaced)
    tree: ast.Module | None    # None where it is not Python (`error` says why, `detail` how)
    error: str | None = None   # the exception's name: SyntaxError, OSError, ...
    detail: str = ""           # its message


def walk(folder: Path) -> tuple[list[Path], list[Path]]:
    """(.py files, package folders with a __main__.py) below `folder`, shallowest first, skipping
    folders that hold no student program, at most MAX_FILES files."""
    files, packages = [], []
    for top, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        here = Path(top)
        if "__main__.py" in names:
            packages.append(here)
        files += [here / n for n in sorted(names) if n.endswith(".py")]
        if len(files) > MAX_FILES:
            break
    depth = lambda p: (len(p.relative_to(folder).parts), str(p))   # noqa: E731
    return sorted(files, key=depth)[:MAX_FILES], sorted(packages, key=depth)


def read(path: Path) -> Source:
    """The file's text and syntax tree (cached while the file is unchanged)."""
    try:
        stat = os.stat(path)
    except OSError as exc:
        return Source(Path(path), "", None, type(exc).__name__, str(exc))
    return _read(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)   # a submission is a few files: read once by each reader, kept small
def _read(path: str, mtime_ns: int, size: int) -> Source:
    try:
        text = Path(path).read_bytes()[:MAX_FILE_BYTES].decode("utf-8", "replace")
    except OSError as exc:
        return Source(Path(path), "", None, type(exc).__name__, str(exc))
    try:
        return Source(Path(path), text, ast.parse(text, filename=path))
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return Source(Path(path), text, None, type(exc).__name__, str(exc))


def imported_names(node) -> list[str]:
    """The dotted names an import statement may load: `import a.b` -> a.b; `from a import b` -> a,
    a.b; a relative import keeps its dots (`from .x import y` -> .x, .x.y)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        base = "." * node.level + (node.module or "")
        return [base] + [f"{base}.{a.name}" if node.module else base + a.name for a in node.names]
    return []


def module_files(base: Path, dotted: str, whole_packages: bool) -> list[Path]:
    """The files of an imported module below `base`: base/a/b.py, or a package's __init__.py (with
    `whole_packages`, every .py of the package)."""
    name = dotted.lstrip(".").replace(".", "/")
    if not name:
        return []
    target = base / name
    if target.with_suffix(".py").is_file():
        return [target.with_suffix(".py").resolve()]
    if (target / "__init__.py").is_file():
        if whole_packages:
            return sorted(p.resolve() for p in target.rglob("*.py"))
        return [(target / "__init__.py").resolve()]
    return []


def imported_files(root: Path, entries: list[Path], places=None, whole_packages: bool = False) -> list[Path]:
    """The files inside `root` that a program starting at `entries` runs: the entries and, through
    each other, the submission's modules they import, looked up in `places(path)` (default: beside the
    importing file and at the top of the submission). A file outside `root` (a grader's wrapper, the
    standard library) is never read."""
    root = root.resolve()
    places = places or (lambda path: (path.parent, root))
    inside = lambda path: path == root or root in path.parents   # noqa: E731
    todo = [p.resolve() for p in entries if inside(p.resolve())]
    seen: dict = {}
    while todo and len(seen) < MAX_FILES:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen[path] = None
        tree = read(path).tree
        if tree is None:
            continue
        for name in (name for node in ast.walk(tree) for name in imported_names(node)):
            for base in places(path):
                todo += [f for f in module_files(base, name, whole_packages) if f not in seen and inside(f)]
    return sorted(seen)
