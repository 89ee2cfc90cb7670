"""One reader of a submission's sources (conformance/sources.py): the files looked at, each file's text
and tree, and the files a program runs, with one set of limits for discovery, detection, code facts
and cnlab's source checks."""
from __future__ import annotations

import os
from pathlib import Path

from conformance import sources


def write(folder: Path, files: dict) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def test_walk_skips_environments_and_hidden_folders_shallowest_first(tmp_path):
    write(tmp_path, {"hw/deep/c.py": "", "a.py": "", ".venv/lib/x.py": "", "venv/y.py": "", ".git/z.py": "",
                     "pkg/__main__.py": "", "node_modules/n.py": ""})
    files, packages = sources.walk(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in files] == ["a.py", "pkg/__main__.py", "hw/deep/c.py"]
    assert packages == [tmp_path / "pkg"]


def test_walk_stops_at_its_file_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_FILES", 3)
    write(tmp_path, {f"f{i}.py": "" for i in range(10)})
    assert len(sources.walk(tmp_path)[0]) == 3


def test_read_says_why_a_file_is_not_python_and_sees_a_change(tmp_path):
    path = tmp_path / "c.py"
    path.write_text("def f(:\n")
    broken = sources.read(path)
    assert broken.tree is None and broken.error == "SyntaxError" and "line 1" in broken.detail
    path.write_text("x = 'ž'\n")
    os.utime(path, ns=(1, 1))   # another mtime, whatever the clock's resolution
    fixed = sources.read(path)
    assert fixed.tree is not None and fixed.text == "x = 'ž'\n"
    (tmp_path / "bin.py").write_bytes(b"\xff\xfe\x00x")
    assert sources.read(tmp_path / "bin.py").error in ("SyntaxError", "ValueError")
    assert sources.read(tmp_path / "gone.py").error == "FileNotFoundError"


def test_read_keeps_only_the_first_megabyte(tmp_path, monkeypatch):
    monkeypatch.setattr(sources, "MAX_FILE_BYTES", 10)
    sources._read.cache_clear()
    path = tmp_path / "long.py"
    path.write_text("x = 1\n" * 100)
    assert sources.read(path).text == "x = 1\nx = "
    sources._read.cache_clear()


def test_imported_files_follow_the_program_inside_the_submission_only(tmp_path):
    write(tmp_path, {"client.py": "import net\nimport helpers\nfrom helpers.ui import window\nimport os, socket\n",
                     "net.py": "from .util import pack\n", "util.py": "",
                     "helpers/__init__.py": "", "helpers/ui.py": "", "helpers/other.py": "",
                     "server.py": "import net\n", "outside_import.py": ""})
    wrapper = tmp_path.parent / f"{tmp_path.name}-wrapper.py"
    wrapper.write_text("import outside_import\n")
    run = sources.imported_files(tmp_path, [tmp_path / "client.py", wrapper])
    assert [p.relative_to(tmp_path).as_posix() for p in run] == \
        ["client.py", "helpers/__init__.py", "helpers/ui.py", "net.py", "util.py"]
    whole = sources.imported_files(tmp_path, [tmp_path / "client.py"], whole_packages=True)
    assert tmp_path / "helpers" / "other.py" in whole   # a package imported: all of its files
    assert sources.imported_files(tmp_path, [wrapper]) == []   # never a file outside the submission
