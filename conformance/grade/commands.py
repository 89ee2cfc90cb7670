"""`python -m conformance grade | gradescope-bundle | classroom-workflow`."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

from ..protocols import NAMES as PROTOCOLS
from . import launch, layouts, merge, report, shard as sharding
from .detect import detect
from .collect import CollectError, Submission, collect, identify, slugify
from ..harness import containment, machine
from .emit import FORMATS, MARGIN_S, classroom, gradescope, kelvin
from .rubric import RubricError, load, score
from .run import ClassRun, Progress
from .wheel import WheelError, the_wheel



def add_parsers(sub) -> None:
    g = sub.add_parser("grade", help="grade a class: a folder or LMS archive of submissions (or, with --format, "
                       "one submission on an autograding platform)", formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="examples:\n  chatconform grade downloads/assignment.zip -o grades\n"
                              "  chatconform grade cnlab class/ --rubric rubric.toml -j 4\n"
                              "  chatconform grade brace /autograder/submission --format gradescope\n"
                              "  chatconform grade class/ --shard 2/8 -o shard-2     # one of 8 machines\n"
                              "  chatconform grade merge shard-* -o grades            # then, on one of them\n"
                              "  chatconform grade class/ --emit slurm --shards 8 -o launch/")
    g.add_argument("what", nargs="+", metavar="[PROTOCOL] SUBMISSIONS",
                   help="the protocol (detected from the code when left out) and the submissions")
    g.add_argument("--protocol", choices=PROTOCOLS, help="the protocol (wins over detection)")
    g.add_argument("-o", "--out", help="the output folder (default ./grades; with --emit ./chatconform-KIND)")
    g.add_argument("-j", "--jobs", type=int, help="submissions at once (default: 2 per core with --check-workers 2, "
                   "fewer where memory is short: each check's workers carry their own programs)")
    g.add_argument("--budget-s", type=float, help="seconds one submission may take (default from the suite)")
    g.add_argument("--check-workers", type=int, default=2, metavar="N",
                   help="parallel test workers inside each submission's check (default 2: the suites mostly wait)")
    g.add_argument("--force", action="store_true", help="grade again what an earlier run graded")
    g.add_argument("--rubric", help="a TOML rubric (points per requirement)")
    g.add_argument("--layout", metavar="LAYOUTS.toml", help="the commands that start the programs of students whose "
                   "programs cannot be found (a student's name or a glob -> client/server commands)")
    g.add_argument("--timeout-scale", type=float, default=1.0, metavar="F",
                   help="multiply every wait of every check by F (default 1)")
    g.add_argument("--format", choices=sorted(FORMATS), help="one submission, results in this platform's format")
    g.add_argument("--result", help="with --format: where to write the platform's file (default: its usual place)")
    g.add_argument("--platform-timeout", type=float, metavar="S", help="with --format: the time limit the platform "
                   "gives one submission, when the course set another than the platform's default (the budget fits it)")
    g.add_argument("--no-progress", action="store_true", help="no progress bar")
    g.add_argument("--matrix", action="store_true", help="also run the interop matrix of the class (jsonl, sendto, "
                   "chat10): OUT/matrix/, and each student's feedback says what its client and server work with")
    g.add_argument("--no-diagnose", action="store_true", help="verdicts only: no diagnosis of failures (no replays)")
    g.add_argument("--shard", metavar="K/N", help="grade only shard K of N (K from 1 to N; the same split on every "
                   "machine, balanced by cost) and write a shard manifest for `grade merge`; auto: the index from "
                   "the engine that started this copy (Slurm array, Kubernetes Indexed Job, CHATCONFORM_SHARD=K/N)")
    g.add_argument("--shards", type=int, metavar="N", help="the number of shards: for --emit, and for --shard auto "
                   "where the engine does not tell it (a Kubernetes Indexed Job's completions)")
    g.add_argument("--emit", choices=launch.KINDS, help="write a launcher that grades the class as --shards N shards "
                   "on this engine and merges them, into -o (default ./chatconform-KIND)")
    g.add_argument("--source", default="chatconform", help="with --emit github-actions: what pip installs "
                   "chatconform from (default: the package name)")
    g.add_argument("--image", default="chatconform:latest", help="with --emit k8s-job: the container image built "
                   "from the project's Dockerfile (default chatconform:latest)")
    b = sub.add_parser("gradescope-bundle", help="build a Gradescope autograder.zip", formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="example:\n  chatconform gradescope-bundle cnlab --rubric rubric.toml -o autograder.zip")
    b.add_argument("protocol", choices=PROTOCOLS, help="the protocol the assignment uses")
    b.add_argument("--rubric", help="a TOML rubric to grade with (default: MUST 1 point, SHOULD 0.5)")
    b.add_argument("-o", "--output", default="autograder.zip", help="the zip to write (default ./autograder.zip)")
    b.add_argument("--wheel", help="the chatconform wheel to put in it (default: built from this checkout)")
    k = sub.add_parser("kelvin-action", help="write a Kelvin custom action (Dockerfile, entry.sh, the wheel)", formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="example:\n  chatconform kelvin-action jsonl -o kelvin-chatconform")
    k.add_argument("protocol", choices=PROTOCOLS, help="the protocol the assignment uses")
    k.add_argument("-o", "--output", default="kelvin-chatconform", help="the folder to write (default ./kelvin-chatconform)")
    k.add_argument("--wheel", help="the chatconform wheel to put in it (default: built from this checkout)")
    w = sub.add_parser("classroom-workflow", help="print a GitHub Classroom workflow (.github/workflows/classroom.yml)",
                       formatter_class=argparse.RawDescriptionHelpFormatter, epilog="example:\n  chatconform classroom-workflow chat10 > .github/workflows/classroom.yml")
    w.add_argument("protocol", choices=PROTOCOLS, help="the protocol the assignment uses")
    w.add_argument("--source", default="git+https://github.com/YOUR-COURSE/chatconform",
                   help="where pip installs chatconform from (a git URL, a wheel's URL or a package name)")


def usage(message: str) -> int:
    print(f"chatconform: error: {message}", file=sys.stderr)
    return 2


def split_what(args) -> tuple[str | None, Path] | None:
    if len(args.what) == 1:
        return args.protocol, Path(args.what[0])
    if len(args.what) == 2 and args.what[0] in PROTOCOLS:
        return args.protocol or args.what[0], Path(args.what[1])
    return None


def grade(args) -> int:
    if args.what[0] == "merge":
        return merge_shards(args)
    what = split_what(args)
    if what is None:
        return usage(f"grade takes [PROTOCOL] SUBMISSIONS (PROTOCOL one of {', '.join(PROTOCOLS)}), or merge OUT…")
    protocol, source = what
    try:
        rubric = load(Path(args.rubric) if args.rubric else None)
        given = layouts.load(Path(args.layout) if args.layout else None)
        shard = sharding.parse(args.shard, args.shards) if args.shard else None
    except (RubricError, layouts.LayoutError, sharding.ShardError) as exc:
        return usage(str(exc))
    if args.format:
        return grade_one_for_platform(args, protocol, source, rubric, given)
    if args.emit:
        return emit_launcher(args, protocol, source)
    out = Path(args.out or "grades")
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="chatconform-class-"))
    try:
        try:
            submissions = collect(source, work)
        except CollectError as exc:
            return usage(str(exc))
        everyone = submissions
        if shard is not None:
            submissions = shard_of(submissions, protocol, shard)
            class_ = sharding.class_id(everyone)
            why = None if args.force else sharding.resumable(out, shard, class_, options_of(args))
            if why:
                return usage(why)
            manifest = (shard, class_, [s.slug for s in everyone], [s.slug for s in submissions])
            sharding.write_manifest(out, *manifest, shard_extra(args), complete=False)
        bar = ProgressBar(len(submissions), enabled=not args.no_progress)
        workers = ["-j", str(args.check_workers)] + \
            (["--no-diagnose"] if args.no_diagnose else [])
        jobs = args.jobs or machine.auto_grade_jobs(args.check_workers)
        run = ClassRun(out, protocol, jobs, args.budget_s, args.force, workers, args.timeout_scale, bar.update,
                       layouts=given)
        try:
            documents = run.run(submissions)
        except KeyboardInterrupt:
            bar.close()
            print(f"\nchatconform: stopped; the students graded so far are in {out}/results (run again to resume)",
                  file=sys.stderr)
            return 130
        bar.close()
        notes = run_notes(run)
        for note in notes:
            print(f"chatconform: note: {note}")
        if shard is not None:
            sharding.write_manifest(out, *manifest, {**shard_extra(args), "notes": list(notes)})
            print(f"chatconform: shard {shard}: {len(submissions)} of {len(everyone)} submissions graded into "
                  f"{out}/results; once every shard is done: chatconform grade merge SHARD-OUTPUTS… -o grades")
            return 0
        interop = class_matrix(args, protocol, documents, submissions, out) if args.matrix else None
        summary = report.write_all(out, documents, rubric, notes, interop)
        if summary["layouts"]:
            print(f"chatconform: programs named by {args.layout} for: {', '.join(summary['layouts'])}")
        print(f"chatconform: {summary['students']} submissions, {summary['students'] - summary['ungraded']} graded, "
              f"{summary['ungraded']} not graded (see the top of index.html), {summary['passed']} passed everything; "
              f"{out / 'index.html'}, {out / 'class.csv'}, {out / 'feedback'}/")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def class_matrix(args, protocol: str | None, documents: list, submissions: list, out: Path) -> dict | None:
    """grade --matrix: the interop matrix of the class graded, in OUT/matrix (None where the protocol's
    students write one side only)."""
    from ..matrix.command import INTEROP, build
    found = {d.get("protocol") for d in documents if d.get("protocol")}
    protocol = protocol or (found.pop() if len(found) == 1 else None)
    if protocol not in INTEROP:
        print(f"chatconform: note: no interop matrix: {protocol or 'the protocol'} is not one whose students write "
              f"both a client and a server ({', '.join(INTEROP)})")
        return None
    suites: dict = {}   # student -> role -> the requirements its own suite failed
    for doc in documents:
        for test in doc.get("tests", []):
            failed = suites.setdefault(doc.get("student"), {}).setdefault(test.get("role"), set())
            failed.update(test.get("failed_requirements") or ())
    return build(protocol, submissions, out / "matrix", args.jobs or machine.auto_jobs(), timeout_scale=args.timeout_scale,
                 quiet=args.no_progress, suites=suites)


def run_notes(run: ClassRun) -> tuple:
    """What the class report says about how this machine could grade."""
    notes = () if run.private else (
        "private networks cannot be made on this machine: every check shared the machine's network, and "
        "submissions with a fixed address (brace) were graded one at a time",)
    if containment.mode() != "bubblewrap":
        notes += ("no sandbox could be made here (bubblewrap missing or user namespaces forbidden): every "
                  "student's program could read this machine, the other submissions and this output included; "
                  "grade inside a container or on a platform's own isolation (docs/containment.md)",)
    return notes


def options_of(args) -> dict:
    """What changes a verdict or a score: every shard of a class must be graded with the same."""
    return {"protocol": args.protocol or (args.what[0] if len(args.what) == 2 else None),
            "timeout_scale": args.timeout_scale, "budget_s": args.budget_s, "no_diagnose": args.no_diagnose,
            "layout": Path(args.layout).read_text() if args.layout else None}


def shard_extra(args) -> dict:
    return {"options": options_of(args), "rubric": Path(args.rubric).read_text() if args.rubric else None}


def costs_of(submissions: list, protocol: str | None) -> dict:
    return {s.slug: sharding.cost_of(protocol or detect(s.folder)[0]) for s in submissions}


def shard_of(submissions: list, protocol: str | None, shard) -> list:
    mine = set(sharding.plan(costs_of(submissions, protocol), shard.count)[shard.index - 1])
    return [s for s in submissions if s.slug in mine]


def merge_shards(args) -> int:
    outs = [Path(p) for p in args.what[1:]]
    if not outs:
        return usage("grade merge takes the shards' output folders: grade merge OUT1 OUT2 … -o GRADES")
    dest = Path(args.out or "grades")
    if dest.resolve() in {o.resolve() for o in outs}:
        return usage(f"grade merge: -o {dest} is one of the shards; write the merged grades elsewhere")
    try:
        summary = merge.merge(outs, dest, Path(args.rubric) if args.rubric else None)
    except (sharding.ShardError, RubricError) as exc:
        return usage(f"grade merge: {exc}")
    print(f"chatconform: {summary['shards']} shards merged: {summary['students']} submissions, "
          f"{summary['students'] - summary['ungraded']} graded, {summary['ungraded']} not graded, {summary['passed']} "
          f"passed everything; {dest / 'index.html'}, {dest / 'class.csv'}, {dest / 'feedback'}/")
    return 0


def emit_launcher(args, protocol: str | None, source: Path) -> int:
    if not args.shards or args.shards < 1:
        return usage("--emit needs the number of shards: --shards N")
    folder = Path(args.out or f"chatconform-{args.emit}").resolve()
    work = Path(tempfile.mkdtemp(prefix="chatconform-class-"))
    try:
        try:
            submissions = collect(source, work)
        except CollectError as exc:
            return usage(str(exc))
        loads = sharding.loads(costs_of(submissions, protocol), args.shards)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # each engine's time limit: three times the predicted busiest shard (one check at a time), at least an hour
    limit_s = max(3600.0, 3 * max(loads) * max(1.0, args.timeout_scale))
    named = [protocol] if protocol else []
    try:
        if args.emit == "github-actions":   # paths as in the repository the workflow checks out
            files = launch.github_actions([*named, str(source)], args.shards, forwarded(args), args.source, limit_s)
        elif args.emit == "k8s-job":        # the rubric and layout travel in a ConfigMap, mounted at /config
            configs = {flag: Path(value) for flag, value in (("--rubric", args.rubric), ("--layout", args.layout)) if value}
            files = launch.k8s_job(named, args.shards, forwarded(args, lambda flag, p: f"/config/{configs[flag].name}"),
                                   args.image, limit_s, {p.name: p.read_text() for p in configs.values()})
        else:                               # the cluster's shared file system: absolute paths
            files = launch.slurm([*named, str(source.resolve())], args.shards,
                                 forwarded(args, lambda flag, p: str(Path(p).resolve())), str(folder), limit_s)
    except launch.LaunchError as exc:
        return usage(str(exc))
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
        if name.endswith((".sh", ".sbatch")):
            (folder / name).chmod(0o755)
    print(f"chatconform: {args.emit} launcher for {len(submissions)} submissions in {args.shards} shards "
          f"(predicted busiest shard {max(loads) / 60:.1f} min): " + ", ".join(str(folder / n) for n in files))
    return 0


def forwarded(args, paths=lambda flag, path: path) -> list:
    """The grading options every shard is given as this command was; `paths` says where the rubric
    and layout files are on the engine's machines. Each shard grades 4 submissions at once (what
    auto_grade_jobs gives 2 cores): the launchers ask for 2 CPUs a shard (a node's own core count is
    no measure of a pod's share)."""
    out = ["-j", "4"]
    for flag, value in (("--rubric", args.rubric), ("--layout", args.layout)):
        if value is not None:
            out += [flag, paths(flag, value)]
    if args.budget_s is not None:
        out += ["--budget-s", str(args.budget_s)]
    if args.timeout_scale != 1.0:
        out += ["--timeout-scale", str(args.timeout_scale)]
    if args.no_diagnose:
        out.append("--no-diagnose")
    return out


class ProgressBar:
    """tqdm: done / failed / running and the slowest submission so far."""

    def __init__(self, total: int, enabled: bool):
        self.bar = None
        if enabled:
            from tqdm import tqdm
            self.bar = tqdm(total=total, unit="student", dynamic_ncols=True, file=sys.stderr)
        self.lock = threading.Lock()

    def update(self, progress) -> None:
        if self.bar is None:
            return
        with self.lock:
            self.bar.n = progress.done
            slowest = f"{progress.slowest[0][:20]} {progress.slowest[1]:.0f}s" if progress.slowest[0] else "-"
            self.bar.set_postfix_str(f"failed {progress.failed}, running {len(progress.running)}, slowest {slowest}",
                                     refresh=False)
            self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def grade_one_for_platform(args, protocol: str | None, source: Path, rubric, given=None) -> int:
    """One submission (the platform's folder), graded; the platform's file rewritten as tests finish, so
    a platform timeout still leaves partial results. Exit 0 whenever the harness ran (Kelvin zeroes
    everything on a failed action; the verdicts are in the file)."""
    emit, default, limit = FORMATS[args.format]
    limit = args.platform_timeout or limit
    if args.budget_s is None and limit:
        args.budget_s = max(30.0, limit - MARGIN_S)
        print(f"chatconform: {args.format} gives a submission {limit:.0f} s: the budget is {args.budget_s:.0f} s (tests "
              "that do not finish in it count as failed; --platform-timeout or --budget-s to change it)", file=sys.stderr)
    target = Path(args.result or (os.environ.get("CG_JUNIT_XML_LOCATION") if args.format == "codegrade" else default)
                  or "junit.xml")
    target.parent.mkdir(parents=True, exist_ok=True)
    student, naming = identify(source.resolve().name)
    sub = Submission(student, slugify(student), source.resolve(), naming)
    out = Path(tempfile.mkdtemp(prefix="chatconform-one-"))
    extra = ["--json-every-test", *(["--no-diagnose"] if args.no_diagnose else [])]
    run = ClassRun(out, protocol, 1, args.budget_s, True, extra, args.timeout_scale, layouts=given)
    partial = out / "results" / f"{sub.slug}.check.json"
    stop = threading.Event()

    def write(document: dict) -> None:
        if "protocol" not in document and protocol:
            document["protocol"] = protocol
        scored = score(document, rubric)
        content = emit(document, scored, rubric)
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_text(content if isinstance(content, str) else json.dumps(content, indent=2, ensure_ascii=False))
        os.replace(tmp, target)
        if args.format == "kelvin":
            (target.parent / "result.html").write_text(kelvin.page(document, scored, rubric), encoding="utf-8")

    def follow() -> None:   # the check rewrites its --json document after every test
        seen = None
        while not stop.wait(0.5):
            try:
                stamp = partial.stat().st_mtime
                if stamp != seen:
                    seen = stamp
                    write(json.loads(partial.read_text()))
            except (OSError, ValueError):
                pass

    watcher = threading.Thread(target=follow, daemon=True)
    watcher.start()
    try:
        document = run.grade_one(sub, Progress(1))
    finally:
        stop.set()
        watcher.join(2)
    write(document)
    print(f"chatconform: {args.format} results written to {target}")
    shutil.rmtree(out, ignore_errors=True)
    return 0


def executable(z: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.external_attr = 0o755 << 16
    z.writestr(info, text)


def gradescope_bundle(args) -> int:
    output = Path(args.output)
    try:
        wheel = the_wheel(args.wheel)
        if args.rubric:
            load(Path(args.rubric))
    except (WheelError, RubricError) as exc:
        return usage(str(exc))
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(wheel, wheel.name)
        rubric = ""
        if args.rubric:
            z.write(args.rubric, "rubric.toml")
            rubric = "--rubric /autograder/source/rubric.toml"
        executable(z, "setup.sh", gradescope.SETUP_SH.format(wheel=wheel.name))
        executable(z, "run_autograder", gradescope.RUN_AUTOGRADER.format(protocol=args.protocol, rubric=rubric))
    print(f"chatconform: {output} (upload it as the assignment's autograder, base image Ubuntu 22.04; it checks "
          f"{args.protocol})")
    return 0


def kelvin_action(args) -> int:
    try:
        wheel = the_wheel(args.wheel)
    except WheelError as exc:
        return usage(str(exc))
    folder = Path(args.output)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(wheel, folder / wheel.name)
    (folder / "Dockerfile").write_text(kelvin.DOCKERFILE.format(protocol=args.protocol, wheel=wheel.name))
    (folder / "entry.sh").write_text(kelvin.ENTRY.format(protocol=args.protocol))
    print(f"chatconform: {folder}/ (docker build -t kelvin/chatconform-{args.protocol} {folder}; then in the task's "
          f"config.yml: pipeline: [{{type: chatconform-{args.protocol}}}], timeout: 900)")
    return 0


def classroom_workflow(args) -> int:
    print(classroom.WORKFLOW.format(protocol=args.protocol, source=args.source), end="")
    return 0
