"""chatconform as a new user gets it: the wheel built from this checkout, installed into a fresh
virtual environment in a temporary folder, and run from folders that have nothing to do with the
checkout: `chatconform check` on a correct and a broken example of every protocol, a student's
repository that holds its own `conformance/` and `pytest.py`, `chatconform grade` on a small class
and in every `--format`, the generated Gradescope `run_autograder` against a simulated /autograder
tree, and the generated Classroom workflow's grading step run as a shell script, the reporter's
input decoded and checked.

The environment gets no dependency from the registry: a .pth file lends it the site-packages of the
interpreter running the self-test (pytest, pexpect, PyQt5, …), which come after its own, so the
`conformance` it imports is the installed wheel's (checked)."""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from conformance.grade.wheel import copy_of_checkout
from conformance.selftest.checks import ROOT
from conformance.selftest.fixtures import materialize
from tests.system import missing

# one worker builds the wheel and the environment once, and runs every test of this module
pytestmark = pytest.mark.xdist_group("install")

# (protocol, correct submission, broken fixture, the one test both run: the correct one passes it,
# the broken one fails it)
EXAMPLES = [
    ("cnlab", ROOT / "reference" / "cnlab", "wrong_send_ok_text", "cnlab/client/RI8-send-ok"),
    ("jsonl", ROOT / "reference" / "jsonl", "server_no_echo", "jsonl/server/JS3-broadcast"),
    ("sendto", ROOT / "reference" / "sendto", "server_delivers_before_reply", "sendto/server/SS4-reply-first"),
    ("chat10", ROOT / "reference" / "chat10", "client_no_join", "chat10/client/CC2-join"),
    ("brace", ROOT / "reference" / "brace", "welcome_header_shown", "brace/client/BC4-welcome[as-written]"),
]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The bin/ folder of a fresh virtual environment holding the wheel built from this checkout."""
    base = tmp_path_factory.mktemp("install")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(base / "dist"),
                    str(copy_of_checkout(base, ROOT))], check=True, capture_output=True, timeout=300)
    wheel = next((base / "dist").glob("chatconform-*.whl"))
    env_dir = base / "env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    bindir = env_dir / "bin"
    site = Path(subprocess.run([str(bindir / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "lent-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    with zipfile.ZipFile(wheel) as z:   # installed as pip installs a pure wheel: unpacked into site-packages
        z.extractall(site)
    entry = [line for line in (site / wheel.name.replace("-py3-none-any.whl", ".dist-info") / "entry_points.txt")
             .read_text().splitlines() if line.startswith("chatconform")]
    assert entry == ["chatconform = conformance.cli:main"]
    script = bindir / "chatconform"
    script.write_text(f"#!{bindir / 'python'}\nimport sys\nfrom conformance.cli import main\nsys.exit(main())\n")
    script.chmod(0o755)
    where = subprocess.run([str(bindir / "python"), "-c", "import conformance; print(conformance.__file__)"],
                           capture_output=True, text=True, check=True, cwd=base).stdout
    assert where.startswith(str(site)), where
    return bindir


def elsewhere(tmp_path: Path) -> Path:
    folder = tmp_path / "somewhere-else"
    folder.mkdir(exist_ok=True)
    return folder


def run(bindir: Path, *args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bindir}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run([str(bindir / "chatconform"), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def copy_of(submission: Path, into: Path) -> Path:
    if (submission / "mutation.json").exists():
        return materialize(submission, into)
    if submission.parent.name == "reference":   # the references share reference/common
        shutil.copytree(submission.parent, into / "reference", ignore=shutil.ignore_patterns("__pycache__"),
                        dirs_exist_ok=True)
        return into / "reference" / submission.name
    target = into / submission.name
    shutil.copytree(submission, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def test_pyproject_lists_every_package_of_conformance():
    """setuptools is given the packages by name (two are folders of the checkout mapped in): a new
    sub-package left out of the list would be missing from the wheel, and every installed run would fail."""
    try:
        import tomllib
    except ModuleNotFoundError:   # Python < 3.11
        import tomli as tomllib
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "conformance").rglob("__init__.py")
             if "inject" not in p.parts}
    assert found <= listed, sorted(found - listed)


@pytest.mark.timeout(600)
@pytest.mark.parametrize("protocol, correct, broken, test", EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_check_from_an_unrelated_folder(installed, tmp_path, protocol, correct, broken, test):
    cwd = elsewhere(tmp_path)
    good = copy_of(correct, tmp_path)
    bad = copy_of(ROOT / "fixtures" / protocol / broken, tmp_path)
    no_screen = protocol == "chat10" and missing("Xvfb")   # the product then skips, saying why: so must we
    for folder, code in ((good, 0), (bad, 1)):
        proc = run(installed, "check", protocol, str(folder), "--test", test, "--json", "r.json", cwd=cwd)
        document = json.loads((cwd / "r.json").read_text())
        if no_screen:
            assert [t["outcome"] for t in document["tests"]] == ["skipped"], proc.stdout + proc.stderr
            assert "Xvfb" in document["tests"][0]["message"] and "NOT graded" in proc.stdout
            continue
        assert proc.returncode == code, proc.stdout + proc.stderr
        assert [t["outcome"] for t in document["tests"]] == ["passed" if code == 0 else "failed"]
        assert "chatconform check" in (document["tests"][0]["rerun"] or "chatconform check")


@pytest.mark.timeout(600)
def test_a_student_repository_with_its_own_conformance_and_pytest(installed, tmp_path):
    """A student's `conformance/` package and `pytest.py` beside the client are never imported by the
    harness (each would exit 99), whether run from inside the repository or graded from outside."""
    repo = copy_of(ROOT / "reference" / "cnlab", tmp_path)
    (repo / "server.py").unlink()
    (repo / "conformance").mkdir()
    for name in ("conformance/__init__.py", "conformance/__main__.py", "pytest.py"):
        (repo / name).write_text("import sys\nprint('the student\\'s own module ran')\nsys.exit(99)\n")
    proc = run(installed, "check", "cnlab", ".", "--test", "cnlab/client/RI8-send-ok", cwd=repo)
    assert proc.returncode == 0 and "student's own module" not in proc.stdout, proc.stdout + proc.stderr
    result = tmp_path / "result.json"
    proc = run(installed, "grade", "cnlab", ".", "--format", "classroom", "--result", str(result), cwd=repo)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = json.loads(result.read_text())
    assert out["status"] == "pass" and sum(t["score"] for t in out["tests"]) == out["max_score"] > 0


@pytest.mark.timeout(600)
def test_grade_a_small_class_and_every_format(installed, tmp_path):
    cwd = elsewhere(tmp_path)
    klass = tmp_path / "class"
    klass.mkdir()
    ada = klass / "Ada Lovelace_1_assignsubmission_file_"   # the reference client, with the one helper it imports
    shutil.copytree(ROOT / "reference" / "brace", ada)
    (ada / "server.py").unlink()
    shutil.copy(ROOT / "reference" / "common" / "sending.py", ada)
    (klass / "Ken Thompson_2_assignsubmission_file_").mkdir()
    (klass / "Ken Thompson_2_assignsubmission_file_" / "notes.txt").write_text("no program here\n")
    proc = run(installed, "grade", "brace", str(klass), "-o", "grades", "-j", "2", "--no-progress", cwd=cwd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = (cwd / "grades" / "class.csv").read_text()
    assert "Ada Lovelace" in rows and "Ken Thompson" in rows and (cwd / "grades" / "index.html").is_file()
    empty = klass / "Ken Thompson_2_assignsubmission_file_"
    for fmt in ("gradescope", "classroom", "prairielearn", "kelvin", "codegrade", "junit"):
        result = cwd / f"result-{fmt}"
        proc = run(installed, "grade", "brace", str(empty), "--format", fmt, "--result", str(result), cwd=cwd)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        text = result.read_text()
        if fmt in ("codegrade", "junit"):
            assert ET.fromstring(text).find("testsuite").get("errors") == "1"
        else:
            assert "no brace client found" in text, text[:500]


@pytest.mark.timeout(600)
def test_gradescope_run_autograder_in_a_simulated_autograder_tree(installed, tmp_path):
    """The generated run_autograder, run with /autograder and /opt/chatconform-venv pointing at a tree
    laid out as Gradescope lays it out (the bundle's files in source/, the student's in submission/)."""
    cwd = elsewhere(tmp_path)
    wheel = next(Path(p) for p in (installed.parent.parent / "dist").glob("*.whl"))
    proc = run(installed, "gradescope-bundle", "brace", "--wheel", str(wheel), "-o", "autograder.zip", cwd=cwd)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tree = tmp_path / "autograder"
    with zipfile.ZipFile(cwd / "autograder.zip") as z:
        z.extractall(tree / "source")
        script = z.read("run_autograder").decode()
    shutil.copytree(copy_of(ROOT / "fixtures" / "brace" / "welcome_header_shown", tmp_path), tree / "submission")
    (tree / "results").mkdir()
    script = script.replace("/opt/chatconform-venv", str(installed.parent)).replace("/autograder", str(tree))
    (tree / "run_autograder").write_text(script)
    proc = subprocess.run(["bash", str(tree / "run_autograder")], cwd=tree, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((tree / "results" / "results.json").read_text())
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert [t["number"] for t in failed] == ["BC4"] and "chatconform check brace ." in failed[0]["output"]
    assert results["score"] == sum(t["score"] for t in results["tests"]) < sum(t["max_score"] for t in results["tests"])


@pytest.mark.timeout(600)
def test_classroom_workflow_grading_step_as_a_shell_script(installed, tmp_path):
    cwd = elsewhere(tmp_path)
    workflow = run(installed, "classroom-workflow", "brace", cwd=cwd).stdout
    step = workflow.split("    - name: chatconform\n")[1].split("      run: |\n")[1].split("    - name:")[0]
    script = "\n".join(line[8:] for line in step.splitlines())
    repo = copy_of(ROOT / "fixtures" / "brace" / "welcome_header_shown", tmp_path)
    output = tmp_path / "github_output"
    env = {**os.environ, "RUNNER_TEMP": str(tmp_path), "GITHUB_OUTPUT": str(output),
           "PATH": f"{installed}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=repo, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    encoded = output.read_text().strip().removeprefix("result=")
    assert len(encoded) <= 100_000
    result = json.loads(base64.b64decode(encoded))
    assert result["status"] == "fail" and result["max_score"] > sum(t["score"] for t in result["tests"]) > 0
    failed = [t for t in result["tests"] if t["status"] != "pass"]
    assert len(failed) == 1 and failed[0]["name"].startswith("BC4")
    assert failed[0]["test_code"].startswith("chatconform check brace . --test 'brace/client/BC4-welcome[as-written]'")


def test_the_sdist_carries_what_the_wheel_is_built_from(tmp_path):
    """A wheel built from the sdist (as pip does from a registry) needs the checkout's reference/ and
    fixtures/ and the suites' pytest configuration: the sdist holds them."""
    build_meta = pytest.importorskip("setuptools.build_meta")
    cwd = os.getcwd()
    os.chdir(copy_of_checkout(tmp_path, ROOT))
    try:
        name = build_meta.build_sdist(str(tmp_path))
    finally:
        os.chdir(cwd)
    import tarfile
    with tarfile.open(tmp_path / name) as tar:
        names = tar.getnames()
    root = name.removesuffix(".tar.gz")
    for needed in ("conformance/suite.ini", "reference/common/outbox.py", "reference/cnlab/server.py",
                   "fixtures/cnlab/select_client/client.py", "fixtures/cnlab/thread_not_daemon/client.py"):
        assert f"{root}/{needed}" in names, needed
