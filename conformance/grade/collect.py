"""Collecting a class's submissions: a folder (one sub-folder or program file per student), or an LMS
download (.zip / .tar.gz) unpacked safely; a submission that is itself a zip is unpacked too. The
student's identity comes from the name the LMS gave the folder or file."""
from __future__ import annotations

import re
import shutil
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

MAX_UNPACKED = 512 * 1024 * 1024   # bytes an archive may unpack to (a zip bomb is refused)
MAX_MEMBERS = 20_000
IGNORED = {"__MACOSX", ".DS_Store", "__pycache__", ".git"}

# How LMSs name a student's folder or file (the student's name or login is the first group)
NAMINGS = [
    ("Moodle", re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_?$")),
    ("Brightspace", re.compile(r"^\d+-\d+ - (?P<name>.+?) - [A-Z][a-z]{2} \d{1,2}, \d{4} .*$")),
    ("Canvas", re.compile(r"^(?P<name>[a-z0-9]+?)(?:_LATE)?_(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$")),
]


class CollectError(Exception):
    """The submissions cannot be read (a usage error: exit 2)."""


@dataclass
class Submission:
    student: str       # as the report shows it
    slug: str          # a file-name-safe form, unique in the class
    folder: Path       # what is checked (a folder of the student's files)
    naming: str        # which LMS naming gave the student's name ("folder name" otherwise)
    origin: str = ""   # where it came from, relative to the class (no path of the grader's machine)


def slugify(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "student"


def identify(name: str) -> tuple[str, str]:
    """(student, naming) from an LMS folder or file name."""
    for lms, pattern in NAMINGS:
        match = pattern.match(name)
        if match:
            return match.group("name").strip(), lms
    return Path(name).stem if Path(name).suffix in (".py", ".zip") else name, "folder name"


def _check_members(names_sizes: list) -> None:
    if len(names_sizes) > MAX_MEMBERS:
        raise CollectError(f"the archive has {len(names_sizes)} files, more than {MAX_MEMBERS}")
    if sum(size for _, size in names_sizes) > MAX_UNPACKED:
        raise CollectError(f"the archive unpacks to more than {MAX_UNPACKED // 2**20} MiB")
    for name, _ in names_sizes:
        parts = Path(name).parts
        if name.startswith("/") or ".." in parts:
            raise CollectError(f"the archive has an unsafe path: {name!r}")


def unpack(archive: Path, into: Path) -> Path:
    """Unpack a .zip or .tar.gz (no absolute paths, no `..`, no links out, bounded size)."""
    into.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            _check_members([(i.filename, i.file_size) for i in z.infolist()])
            z.extractall(into)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as t:
            members = [m for m in t.getmembers() if m.isfile() or m.isdir()]   # no links, no devices
            _check_members([(m.name, m.size) for m in members])
            t.extractall(into, members=members)
    else:
        raise CollectError(f"{archive} is neither a folder nor a .zip or .tar.gz")
    return into


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name not in IGNORED and not p.name.startswith("."))


def collect(source: Path, work: Path) -> list[Submission]:
    """The class's submissions. `work` is a scratch folder for unpacking (the source is never written)."""
    source = source.resolve()
    if not source.exists():
        raise CollectError(f"not found: {source}")
    root = source if source.is_dir() else unpack(source, work / "unpacked")
    entries = _entries(root)
    while len(entries) == 1 and entries[0].is_dir() and identify(entries[0].name)[1] == "folder name" \
            and all((p.is_dir() and not is_package(p)) or p.suffix == ".zip" for p in _entries(entries[0])) \
            and _entries(entries[0]):
        root = entries[0]            # the archive's one top folder holds the submissions
        entries = _entries(root)
    submissions: dict[str, Submission] = {}
    canvas: dict[str, list[Path]] = {}
    for entry in entries:
        student, naming = identify(entry.name)
        if entry.is_file() and naming == "Canvas":   # Canvas: flat files, one set per student
            canvas.setdefault(student, []).append(entry)
            continue
        if entry.is_file() and entry.suffix == ".zip":
            folder = unpack(entry, work / "zips" / slugify(entry.stem))
        elif entry.is_file() and entry.suffix == ".py":
            folder = work / "files" / slugify(entry.stem)
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(entry, folder / entry.name)
        elif entry.is_dir():
            folder = entry
        else:
            continue
        inner = _inner(folder, work)
        add(submissions, student, inner, naming, entry.name + _below(folder, inner))
    for student, files in canvas.items():
        folder = work / "canvas" / slugify(student)
        folder.mkdir(parents=True, exist_ok=True)
        for path in files:
            name = NAMINGS[2][1].match(path.name).group("file")
            name = re.sub(r"-\d+(\.\w+)$", r"\1", name)   # Canvas numbers a re-submitted file: client-1.py
            if path.suffix == ".zip":
                unpack(path, folder)
            else:
                shutil.copy2(path, folder / name)
        add(submissions, student, _inner(folder, work), "Canvas", f"{len(files)} Canvas file(s) of {student}")
    if not submissions:
        raise CollectError(f"no submissions in {source} (expected one folder, .py or .zip per student)")
    return list(submissions.values())


def _inner(folder: Path, work: Path) -> Path:
    """A submission folder holding only a zip (or one folder) stands for what is inside, unless that
    folder is a package (the course's `a1_chat_client/`, run as `python -m`): unwrapping would hide it."""
    entries = _entries(folder)
    if len(entries) == 1 and entries[0].suffix == ".zip" and entries[0].is_file():
        return _inner(unpack(entries[0], work / "zips" / slugify(f"{folder.name}-{entries[0].stem}")), work)
    if len(entries) == 1 and entries[0].is_dir() and not is_package(entries[0]):
        return _inner(entries[0], work)
    return folder


def is_package(folder: Path) -> bool:
    return (folder / "__main__.py").is_file() or (folder / "__init__.py").is_file()


def _below(outer: Path, inner: Path) -> str:
    """How the folder that is checked lies in the student's entry ("/hw1", " (unzipped)/hw1", "")."""
    try:
        rel = inner.relative_to(outer)
        return "" if rel == Path(".") else f"/{rel.as_posix()}"
    except ValueError:
        return " (unzipped)"


def add(submissions: dict, student: str, folder: Path, naming: str, origin: str = "") -> None:
    slug, n = slugify(student), 2
    while slug in {s.slug for s in submissions.values()}:
        slug, n = f"{slugify(student)}-{n}", n + 1
    submissions[slug] = Submission(student, slug, folder, naming, origin or folder.name)
