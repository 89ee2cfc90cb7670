"""A class on many machines: the shard split (stable, balanced, the engines' indexes), the merge (the
same report as one machine; a lost, doubled or foreign shard refused by name), a real class graded
as one run and as three shards, and the three launchers against their engines' schemas."""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conformance.grade import merge, report, rubric, shard
from conformance.grade.collect import collect
from conformance.selftest.checks import ROOT

FIXTURES = ROOT / "fixtures"


def synthetic_class(count: int) -> dict:
    protocols = list(shard.COST_S)
    return {f"student_{i:05d}": shard.cost_of(protocols[i * 7 % len(protocols)]) for i in range(count)}


def test_the_split_is_a_partition_balanced_by_cost():
    costs = synthetic_class(1000)
    shards, loads = shard.split(costs, 7)
    assert sorted(s for part in shards for s in part) == sorted(costs)
    assert max(loads) - min(loads) <= max(costs.values())     # greedy longest-first: within one submission
    assert [sum(costs[s] for s in part) for part in shards] == loads


def test_the_split_is_the_same_on_every_machine():
    """The split of one class does not depend on Python's hash seed or the order names come in."""
    program = ("import json, sys; sys.path.insert(0, sys.argv[1]); from conformance.grade import shard; "
               "costs = {f'student_{i}': shard.cost_of(['cnlab', 'brace', 'chat10'][i % 3]) for i in range(300)}; "
               "costs = dict(reversed(list(costs.items()))) if sys.argv[2] == 'reversed' else costs; "
               "print(json.dumps(shard.plan(costs, 5)))")
    plans = {subprocess.run([sys.executable, "-c", program, str(ROOT), order], capture_output=True, text=True,
                            env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout
             for seed, order in (("0", "as-is"), ("1", "reversed"), ("12345", "as-is"), ("random", "reversed"))}
    assert len(plans) == 1


@pytest.mark.parametrize("environ, count, expected", [
    ({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "8"}, None, "3/8"),
    ({"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "9"}, None, "1/10"),
    ({"SLURM_ARRAY_TASK_ID": "14", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_MAX": "16",
      "SLURM_ARRAY_TASK_STEP": "2"}, None, "3/4"),
    ({"JOB_COMPLETION_INDEX": "0"}, 4, "1/4"),
    ({"JOB_COMPLETION_INDEX": "3"}, 4, "4/4"),
    ({"CHATCONFORM_SHARD": "2/5"}, None, "2/5"),
    ({"CHATCONFORM_SHARD": "2/5"}, 5, "2/5"),
])
def test_auto_reads_the_engines_index(environ, count, expected):
    assert str(shard.parse("auto", count, environ)) == expected


@pytest.mark.parametrize("spec, environ, count, words", [
    ("0/3", {}, None, "numbered 1 to N"), ("3", {}, None, "K/N"), ("auto", {}, None, "no shard index"),
    ("auto", {"JOB_COMPLETION_INDEX": "1"}, None, "--shards N"),
    ("auto", {"JOB_COMPLETION_INDEX": "4"}, 4, "shard 5 of 4"),
    ("auto", {"JOB_COMPLETION_INDEX": "one"}, 4, "auto: invalid literal"),
    ("auto", {"CHATCONFORM_SHARD": "auto"}, None, "not auto"),
    ("auto", {"CHATCONFORM_SHARD": "2/5"}, 4, "--shards says 4"),
    ("auto", {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "3", "SLURM_ARRAY_TASK_MAX": "3"}, 4,
     "--shards says 4"),   # a task resubmitted alone is no class of one
])
def test_a_shard_that_cannot_be_chosen_is_refused(spec, environ, count, words):
    with pytest.raises(shard.ShardError, match=words.replace("/", ".")):
        shard.parse(spec, count, environ)


def test_the_class_fingerprint_is_its_content_alone(tmp_path):
    """The same class on two machines: other absolute paths, a .git of its own, __pycache__, a link to
    each machine's own python. Another byte in a program is another class."""
    def student(root: Path, python: str) -> Path:
        folder = root / "Ada Lovelace"
        (folder / "pkg").mkdir(parents=True)
        (folder / "pkg" / "client.py").write_text("print('hi')\n")
        (folder / "venv" / "bin").mkdir(parents=True)
        (folder / "venv" / "bin" / "python").symlink_to(python)
        (folder / ".git").mkdir()
        (folder / ".git" / "index").write_bytes(os.urandom(16))
        (folder / "pkg" / "__pycache__").mkdir()
        (folder / "pkg" / "__pycache__" / "client.cpython-311.pyc").write_bytes(os.urandom(16))
        return folder
    one = student(tmp_path / "machine1" / "class", "/usr/bin/python3")
    two = student(tmp_path / "elsewhere" / "copy", "/usr/bin/python3")
    assert shard.digest_of(one) == shard.digest_of(two)
    (two / "pkg" / "client.py").write_text("print('hi!')\n")
    assert shard.digest_of(one) != shard.digest_of(two)


def document(slug: str, outcome: str, seconds: float) -> dict:
    tests = [{"id": f"cnlab/client/RI{n}", "outcome": outcome if n == 4 else "passed", "requirements": [f"RI{n}"],
              "message": "" if outcome == "passed" or n != 4 else "Expected 'Hello'\nActual ''", "rerun": "r"}
             for n in (1, 2, 4)]
    return {"student": slug.replace("_", " "), "slug": slug, "protocol": "cnlab", "naming": "folder name",
            "folder": slug, "detected": "cnlab", "detection": "client.py", "grading_s": seconds, "exit_status": 0,
            "tests": tests, "summary": {"failed": int(outcome == "failed"), "error": 0},
            "requirements": {"RI1": "passed", "RI2": "passed", "RI4": outcome}}


CLASS = {f"Student_{i}": ("failed" if i % 3 == 0 else "passed") for i in range(7)}


def shard_outputs(tmp_path: Path, count: int, skip=(), twice=(), class_="c0ffee") -> list:
    """What `grade --shard K/N` leaves for each K, from documents written by hand."""
    slugs = list(CLASS)
    parts = shard.plan({s: 20.0 for s in slugs}, count)
    outs = []
    for index, mine in enumerate(parts, 1):
        if index in skip:
            continue
        for copy in range(2 if index in twice else 1):
            out = tmp_path / f"shard-{index}{'-again' * copy}"
            (out / "results").mkdir(parents=True)
            for slug in mine:
                (out / "results" / f"{slug}.json").write_text(json.dumps(document(slug, CLASS[slug], 1.0)))
            shard.write_manifest(out, shard.Shard(index, count), class_, slugs, mine, {"notes": [], "options": {},
                                 "rubric": "[points]\nRI4 = 3\n"})
            outs.append(out)
    return outs


def files_of(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.parts[-2] != "logs"}


def test_merged_shards_write_what_one_machine_writes(tmp_path):
    single = tmp_path / "single"
    (single / "results").mkdir(parents=True)
    documents = [document(slug, outcome, 1.0) for slug, outcome in CLASS.items()]
    for doc in documents:
        (single / "results" / f"{doc['slug']}.json").write_text(json.dumps(doc))
    report.write_all(single, documents, rubric.load_text("[points]\nRI4 = 3\n", "test"))
    merged = tmp_path / "merged"
    summary = merge.merge(shard_outputs(tmp_path, 3), merged)
    assert summary["students"] == 7 and summary["shards"] == 3
    assert files_of(merged) == files_of(single)
    assert "2 / 5" in (merged / "feedback" / "Student_0.md").read_text()   # the shards' rubric: RI4 = 3


@pytest.mark.parametrize("case, words", [
    ("lost", "shard 2 of 3 is missing"),
    ("doubled", "shard 2 of 3 is given twice"),
    ("foreign", "not of one class"),
    ("unfinished", "has no result for"),
    ("interrupted", "did not finish"),
    ("not a shard", "not a shard's output"),
])
def test_a_merge_that_would_leave_a_hole_is_refused(tmp_path, case, words):
    if case == "lost":
        outs = shard_outputs(tmp_path, 3, skip=(2,))
    elif case == "doubled":
        outs = shard_outputs(tmp_path, 3, twice=(2,))
    elif case == "foreign":
        outs = shard_outputs(tmp_path / "a", 3)[:2] + shard_outputs(tmp_path / "b", 3, class_="beef")[2:]
    elif case == "unfinished":
        outs = shard_outputs(tmp_path, 3)
        next((outs[1] / "results").glob("*.json")).unlink()
    elif case == "interrupted":   # its manifest as the shard wrote it when it started
        outs = shard_outputs(tmp_path, 3)
        manifest = json.loads((outs[1] / shard.MANIFEST).read_text())
        (outs[1] / shard.MANIFEST).write_text(json.dumps({**manifest, "complete": False}))
    else:
        outs = shard_outputs(tmp_path, 3)
        (outs[0] / shard.MANIFEST).unlink()
    proc = subprocess.run([sys.executable, "-m", "conformance", "grade", "merge", *map(str, outs), "-o",
                           str(tmp_path / "grades")], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2 and words in proc.stderr, proc.stderr
    assert not (tmp_path / "grades" / "class.csv").exists()


def scores(out: Path) -> list:
    """class.csv without its durations column."""
    rows = list(csv.reader((out / "class.csv").read_text().splitlines()))
    at = rows[0].index("duration_s")
    return [row[:at] + row[at + 1:] for row in rows]


@pytest.mark.timeout(600)
def test_a_class_graded_as_three_shards_and_merged_is_graded_as_on_one_machine(tmp_path):
    """A real class: the reference client, a client that crashes at start-up, a folder without a
    program. One run and three shards (one check each) give the same verdicts, scores and pages."""
    src = tmp_path / "class"   # the reference client, with the one helper it imports
    shutil.copytree(ROOT / "reference" / "cnlab", src / "Ada Lovelace", ignore=shutil.ignore_patterns("server*"))
    shutil.copy(ROOT / "reference" / "common" / "line_splitter.py", src / "Ada Lovelace")
    (src / "Alan Turing").mkdir()
    shutil.copy(FIXTURES / "hostile" / "syntax_error.py", src / "Alan Turing" / "client.py")
    (src / "Ken Thompson").mkdir()
    (src / "Ken Thompson" / "README.md").write_text("my client is on my laptop\n")
    grade = [sys.executable, "-m", "conformance", "grade", "cnlab", str(src), "--no-progress", "-j", "1"]
    one = subprocess.run([*grade, "-o", str(tmp_path / "one")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert one.returncode == 0, one.stdout + one.stderr
    outs = []
    for k in (1, 2, 3):
        proc = subprocess.run([*grade, "--shard", f"{k}/3", "-o", str(tmp_path / f"s{k}")], cwd=ROOT,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0 and f"shard {k}/3: 1 of 3" in proc.stdout, proc.stdout + proc.stderr
        outs.append(tmp_path / f"s{k}")
    merged = subprocess.run([sys.executable, "-m", "conformance", "grade", "merge", *map(str, outs), "-o",
                             str(tmp_path / "merged")], cwd=ROOT, capture_output=True, text=True)
    assert merged.returncode == 0 and "3 shards merged: 3 submissions" in merged.stdout, merged.stderr
    assert scores(tmp_path / "merged") == scores(tmp_path / "one")
    status = {row[0]: row[scores(tmp_path / "one")[0].index("status")] for row in scores(tmp_path / "one")[1:]}
    assert status["Ada Lovelace"] == "passed" and status["Alan Turing"] == "failed", status
    assert status["Ken Thompson"].startswith("error: no cnlab client"), status
    for name in ("Ada_Lovelace", "Alan_Turing", "Ken_Thompson"):
        a, b = (json.loads((tmp_path / run / "results" / f"{name}.json").read_text()) for run in ("one", "merged"))
        assert a.get("requirements") == b.get("requirements") and a.get("error") == b.get("error")
    assert sorted(files_of(tmp_path / "merged")) == sorted(files_of(tmp_path / "one"))


# --- the launchers, each against its engine's documented schema -----------------------------------

def emitted(tmp_path: Path, kind: str, count: int = 4, extra: tuple = ()) -> dict:
    src = tmp_path / "class"
    shutil.copytree(ROOT / "reference" / "cnlab", src / "Ada Lovelace", ignore=shutil.ignore_patterns("server*"))
    out = tmp_path / kind
    proc = subprocess.run([sys.executable, "-m", "conformance", "grade", "cnlab", "class", "--emit", kind,
                           "--shards", str(count), "-o", str(out), "--timeout-scale", "2", *extra], cwd=tmp_path,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    return {p.name: p.read_text() for p in out.iterdir()}


def test_the_github_actions_launcher_is_a_valid_workflow(tmp_path):
    import jsonschema
    from check_jsonschema.builtin_schemas import get_builtin_schema
    text = emitted(tmp_path, "github-actions")["chatconform-grade.yml"]
    workflow = yaml.safe_load(text)
    jsonschema.validate(workflow, get_builtin_schema("vendor.github-workflows"))
    grade, merge_job = workflow["jobs"]["grade"], workflow["jobs"]["merge"]
    assert grade["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    run = next(s["run"] for s in grade["steps"] if s.get("name") == "Grade one shard")
    assert run.startswith("chatconform grade cnlab class -j 4 --timeout-scale 2.0 --no-progress --shard ${{ matrix.shard }}/4")
    assert merge_job["needs"] == "grade" and merge_job["if"] == "${{ !cancelled() }}"
    assert any("grade merge shards/shard-*" in s.get("run", "") for s in merge_job["steps"])
    broken = {**workflow, "jobs": {"grade": {**grade, "runs-on": None, "strategy": "many"}}}
    with pytest.raises(jsonschema.ValidationError):   # the schema does reject what GitHub would
        jsonschema.validate(broken, get_builtin_schema("vendor.github-workflows"))


def test_the_kubernetes_launcher_is_a_valid_indexed_job_and_merge(tmp_path):
    import kubernetes_validate
    (tmp_path / "rubric.toml").write_text("[points]\nRI4 = 3\n")
    text = emitted(tmp_path, "k8s-job", extra=("--rubric", "rubric.toml"))["chatconform-k8s.yaml"]
    resources = list(yaml.safe_load_all(text))
    for resource in resources:
        kubernetes_validate.validate(resource, "1.30.0", strict=True)
    grade, merge_job, config = resources
    assert grade["spec"]["completionMode"] == "Indexed" and grade["spec"]["completions"] == 4
    args = grade["spec"]["template"]["spec"]["containers"][0]["args"][0]
    run = grade["metadata"]["name"].removeprefix("chatconform-grade-")
    assert "--shard auto --shards 4" in args and f'"/out/{run}/shard-$((JOB_COMPLETION_INDEX + 1))"' in args
    assert "--rubric /config/rubric.toml" in args and config["data"] == {"rubric.toml": "[points]\nRI4 = 3\n"}
    assert f"grade merge /out/{run}/shard-*" in merge_job["spec"]["template"]["spec"]["containers"][0]["args"][0]
    broken = json.loads(json.dumps(grade))
    broken["spec"]["completionMode"] = 3
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.30.0", strict=True)


# sbatch(1)'s options that the scripts use, with the form of their values (Slurm documents no schema)
SBATCH = {"--job-name": r"[\w.-]+", "--array": r"\d+-\d+(:\d+)?(%\d+)?", "--cpus-per-task": r"\d+",
          "--mem": r"\d+[KMGT]?", "--time": r"(\d+-)?\d{2}:\d{2}:\d{2}", "--output": r"\S+"}


def test_the_slurm_launcher_is_an_array_job_and_a_dependent_merge(tmp_path):
    import re
    files = emitted(tmp_path, "slurm")
    assert sorted(files) == ["grade.sbatch", "merge.sbatch", "submit.sh"]
    for name, text in files.items():
        subprocess.run(["bash", "-n", "-c", text], check=True)     # the shell takes it
        for line in text.splitlines():
            if line.startswith("#SBATCH"):
                flag, _, value = line.split()[1].partition("=")
                assert flag in SBATCH and re.fullmatch(SBATCH[flag], value), f"{name}: {line}"
    assert "#SBATCH --array=1-4\n" in files["grade.sbatch"]
    assert '--shard "$SLURM_ARRAY_TASK_ID/4"' in files["grade.sbatch"]
    assert "--dependency=afterany:" in files["submit.sh"] and "grade merge" in files["merge.sbatch"]
    # the array script run as Slurm would run task 2 of 4: the shard it grades is 2/4
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "chatconform").write_text("#!/bin/sh\necho \"$@\" > \"$CALLED\"\n")
    (stub / "chatconform").chmod(0o755)
    env = {**os.environ, "PATH": f"{stub}:{os.environ['PATH']}", "CALLED": str(tmp_path / "called"),
           "SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4"}
    subprocess.run(["bash", str(tmp_path / "slurm" / "grade.sbatch")], env=env, check=True)
    called = (tmp_path / "called").read_text().split()
    assert called[:3] == ["grade", "cnlab", str((tmp_path / "class").resolve())] and called[-1].endswith("/shard-2")
    assert called[called.index("--shard") + 1] == "2/4"
    # resubmitted on its own (sbatch --array=2): still shard 2 of 4
    env.update(SLURM_ARRAY_TASK_MIN="2", SLURM_ARRAY_TASK_MAX="2", SLURM_ARRAY_TASK_COUNT="1")
    subprocess.run(["bash", str(tmp_path / "slurm" / "grade.sbatch")], env=env, check=True)
    called = (tmp_path / "called").read_text().split()
    assert called[called.index("--shard") + 1] == "2/4"


def test_a_shard_does_not_resume_from_another_shards_results(tmp_path):
    """Results left in OUT by another shard, class or options are never taken up as this shard's."""
    src = tmp_path / "class"
    (src / "Ken Thompson").mkdir(parents=True)
    (src / "Ken Thompson" / "README.md").write_text("my client is on my laptop\n")
    out = shard_outputs(tmp_path, 3)[0]   # shard 1 of 3 of another class
    proc = subprocess.run([sys.executable, "-m", "conformance", "grade", "cnlab", str(src), "--shard", "1/3", "-o",
                           str(out), "--no-progress"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "holds shard 1/3 of class c0ffee" in proc.stderr, proc.stderr


SLURM_CONF = """ClusterName=chatconform
SlurmctldHost={node}
SlurmctldPort={ctld_port}
SlurmdPort={d_port}
AuthType=auth/munge
AuthInfo=socket={munge}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmUser=root
SlurmdUser=root
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd.pid
SlurmctldLogFile={dir}/slurmctld.log
SlurmdLogFile={dir}/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
ReturnToService=2
MpiDefault=none
NodeName={node} CPUs={cpus} RealMemory=4096 State=UNKNOWN
PartitionName=chatconform Nodes=ALL Default=YES MaxTime=INFINITE State=UP
"""


@pytest.fixture
def slurm(tmp_path):
    """A single-node Slurm of this test's own (Debian's slurmctld, slurmd and munge; as root): its
    configuration, sockets and state in tmp_path, its daemons stopped at the end."""
    from tests.system import need
    need("slurmctld", "slurmd", "sbatch", "munged", what="a real Slurm job array")
    if os.geteuid() != 0:
        pytest.skip("NOT TESTED HERE: a real Slurm job array needs root (its daemons run as root here)")
    from conformance.harness.programs import free_port
    home = tmp_path / "slurm"
    for part in ("state", "spool"):
        (home / part).mkdir(parents=True)
    node = subprocess.run(["hostname", "-s"], capture_output=True, text=True, check=True).stdout.strip()
    munge = home / "munge.socket"
    conf = home / "slurm.conf"
    conf.write_text(SLURM_CONF.format(node=node, ctld_port=free_port(), d_port=free_port(), munge=munge, dir=home,
                                      cpus=os.cpu_count() or 2))
    env = {**os.environ, "SLURM_CONF": str(conf)}
    daemons = [subprocess.Popen(["munged", "--force", "--foreground", f"--socket={munge}",
                                 f"--pid-file={home / 'munged.pid'}"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.STDOUT)]
    try:
        wait_for(lambda: munge.exists(), 10, "munged's socket")
        daemons.append(subprocess.Popen(["slurmctld", "-D", "-f", str(conf)], env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT))
        daemons.append(subprocess.Popen(["slurmd", "-D", "-f", str(conf), "-N", node], env=env,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
        wait_for(lambda: "idle" in subprocess.run(["sinfo", "-h", "-o", "%T"], env=env, capture_output=True,
                                                  text=True).stdout, 30, "the Slurm node to be idle")
        yield env
    finally:
        for daemon in reversed(daemons):
            daemon.terminate()
        for daemon in reversed(daemons):
            try:
                daemon.wait(15)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()


def wait_for(condition, seconds: float, what: str) -> None:
    import time
    deadline = time.monotonic() + seconds
    while not condition():   # polling: a daemon that has come up sends no event
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {seconds:.0f}s")
        time.sleep(0.2)


@pytest.mark.timeout(600)
def test_a_real_slurm_array_grades_the_shards_and_merges_them(tmp_path, slurm):
    """The launcher as a grader uses it: submit.sh submits the array of 2 shards and the merge that
    depends on it; the merged grades hold every student once."""
    src = tmp_path / "class"
    (src / "Alan Turing").mkdir(parents=True)
    shutil.copy(FIXTURES / "hostile" / "syntax_error.py", src / "Alan Turing" / "client.py")
    (src / "Ken Thompson").mkdir()
    (src / "Ken Thompson" / "README.md").write_text("my client is on my laptop\n")
    launch = tmp_path / "launch"
    env = {**slurm, "PYTHONPATH": str(ROOT)}
    emit = subprocess.run([sys.executable, "-m", "conformance", "grade", "cnlab", str(src), "--emit", "slurm",
                           "--shards", "2", "-o", str(launch)], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert emit.returncode == 0, emit.stderr
    # the jobs start `chatconform`: this Python's, wherever the self-test runs
    stub = tmp_path / "bin"
    stub.mkdir()
    (stub / "chatconform").write_text(f"#!/bin/sh\nexec {sys.executable} -m conformance \"$@\"\n")
    (stub / "chatconform").chmod(0o755)
    env["PATH"] = f"{stub}:{env['PATH']}"
    submitted = subprocess.run(["bash", str(launch / "submit.sh")], cwd=ROOT, capture_output=True, text=True, env=env)
    assert submitted.returncode == 0 and "merge job" in submitted.stdout, submitted.stdout + submitted.stderr

    def done() -> bool:
        return not subprocess.run(["squeue", "-h"], env=env, capture_output=True, text=True).stdout.strip()
    wait_for(done, 500, "end of the Slurm jobs")
    logs = "\n".join(p.read_text(errors="replace")[-800:] for p in sorted((launch / "logs").glob("*.out")))
    assert (launch / "grades" / "class.csv").exists(), logs
    rows = [line.split(",")[0] for line in (launch / "grades" / "class.csv").read_text().splitlines()[1:]]
    assert sorted(rows) == ["Alan Turing", "Ken Thompson"], logs
    assert {json.loads((launch / f"shard-{k}" / "shard.json").read_text())["shard"] for k in (1, 2)} == {1, 2}
