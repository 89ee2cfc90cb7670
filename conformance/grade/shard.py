"""One class on many machines: which submissions shard K of N grades, and the shard's manifest.

The split is a pure function of the class and N (the submissions' names and contents, never the
machine, the order of a directory listing or Python's hash seed), balanced by each submission's
expected cost (its protocol's measured check time): the longest first, each to the least loaded
shard. Every machine that runs `grade CLASS --shard K/N` computes the same split and grades its part;
`grade merge` joins the parts (merge.py)."""
from __future__ import annotations

import hashlib
import heapq
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from .collect import IGNORED, Submission

MANIFEST = "shard.json"
# Seconds one submission's check takes (grade's defaults, a correct reference submission, 2 cores;
# measured by bench/shard_plan.py --measure on 2945098). Only their ratios matter to the split.
COST_S = {"cnlab": 11.6, "jsonl": 8.0, "sendto": 9.0, "chat10": 10.5, "brace": 8.6}
UNKNOWN_COST_S = 5.0   # a folder whose protocol cannot be detected is refused in a second


class ShardError(Exception):
    """A shard cannot be chosen or merged (a usage error: exit 2)."""


@dataclass(frozen=True)
class Shard:
    index: int   # 1 .. count
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse(spec: str, count: int | None = None, environ=os.environ) -> Shard:
    """`K/N` (K from 1 to N), or `auto`: the index (and count) the engine that started this copy gives."""
    if spec != "auto":
        try:
            index, total = (int(part) for part in spec.split("/"))
        except ValueError:
            raise ShardError(f"--shard takes K/N (shard K of N, K from 1 to N) or auto, not {spec!r}") from None
        return checked(index, total, f"--shard {spec}")
    for read in (from_slurm, from_kubernetes, from_variable):
        try:
            found = read(environ, count)
        except ValueError as exc:   # an index that is no number
            raise ShardError(f"--shard auto: {exc}") from None
        if found is not None:
            if count is not None and found.count != count:
                raise ShardError(f"--shard auto: the engine says shard {found}, but --shards says {count} shards")
            return found
    raise ShardError("--shard auto found no shard index: none of SLURM_ARRAY_TASK_ID (a Slurm job array), "
                     "JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or CHATCONFORM_SHARD=K/N is set; "
                     "in a GitHub Actions matrix pass the index in: --shard ${{ matrix.shard }}/N")


def checked(index: int, count: int, source: str) -> Shard:
    if count < 1 or not 1 <= index <= count:
        raise ShardError(f"{source}: shard {index} of {count} does not exist (shards are numbered 1 to N)")
    return Shard(index, count)


def from_slurm(environ, count: int | None) -> Shard | None:
    """A job array (`sbatch --array=MIN-MAX[:STEP]`): the task's place in the array, from 1."""
    if "SLURM_ARRAY_TASK_ID" not in environ:
        return None
    task = int(environ["SLURM_ARRAY_TASK_ID"])
    low = int(environ.get("SLURM_ARRAY_TASK_MIN", task))
    step = int(environ.get("SLURM_ARRAY_TASK_STEP", 1)) or 1
    total = environ.get("SLURM_ARRAY_TASK_COUNT")
    if total is None and "SLURM_ARRAY_TASK_MAX" in environ:
        total = (int(environ["SLURM_ARRAY_TASK_MAX"]) - low) // step + 1
    total = int(total) if total is not None else count
    if total is None:
        raise ShardError("SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX: "
                         "give the count with --shards N")
    return checked((task - low) // step + 1, total, f"SLURM_ARRAY_TASK_ID={task}")


def from_kubernetes(environ, count: int | None) -> Shard | None:
    """An Indexed Job: JOB_COMPLETION_INDEX counts from 0; the pod is not told the count (--shards)."""
    if "JOB_COMPLETION_INDEX" not in environ:
        return None
    if count is None:
        raise ShardError("JOB_COMPLETION_INDEX is set (a Kubernetes Indexed Job) but the pod is not told how many "
                         "shards there are: give the Job's completions with --shards N")
    return checked(int(environ["JOB_COMPLETION_INDEX"]) + 1, count, f"JOB_COMPLETION_INDEX={environ['JOB_COMPLETION_INDEX']}")


def from_variable(environ, count: int | None) -> Shard | None:
    value = environ.get("CHATCONFORM_SHARD")
    if value is None:
        return None
    if value == "auto":
        raise ShardError("CHATCONFORM_SHARD must be K/N, not auto")
    return parse(value)


def cost_of(protocol: str | None) -> float:
    return COST_S.get(protocol, UNKNOWN_COST_S)


def tie_break(slug: str) -> str:
    return hashlib.sha256(slug.encode()).hexdigest()


def split(costs: dict[str, float], count: int) -> tuple[list[list[str]], list[float]]:
    """Slugs -> expected seconds, split into `count` lists (and each list's expected seconds): longest
    first, each to the least loaded shard (ties: the lower shard), equal costs in an order fixed by the
    names alone. A heap: 10,000 submissions on 200 shards in milliseconds."""
    heap = [(0.0, i) for i in range(count)]
    shards: list[list[str]] = [[] for _ in range(count)]
    loads = [0.0] * count
    for slug in sorted(costs, key=lambda s: (-costs[s], tie_break(s))):
        load, target = heapq.heappop(heap)
        shards[target].append(slug)
        loads[target] = load + costs[slug]
        heapq.heappush(heap, (loads[target], target))
    return shards, loads


def plan(costs: dict[str, float], count: int) -> list[list[str]]:
    return split(costs, count)[0]


def loads(costs: dict[str, float], count: int) -> list[float]:
    return split(costs, count)[1]


def digest_of(folder: Path) -> str:
    """A submission's content, the same on every machine: each file's path (relative) and bytes, a
    link's target as written (never what it points to: a submitted virtualenv's python is each
    machine's own), leaving out what collecting leaves out (.git, __pycache__, dot files)."""
    h = hashlib.sha256()
    if folder.is_file() and not folder.is_symlink():
        return hashlib.sha256(folder.read_bytes()).hexdigest()
    for root, dirs, files in os.walk(folder):   # never into a linked folder
        dirs[:] = sorted(d for d in dirs if d not in IGNORED and not d.startswith("."))
        for name in sorted(f for f in files if f not in IGNORED and not f.startswith(".")):
            path = Path(root) / name
            h.update(str(path.relative_to(folder)).encode() + b"\0")
            if path.is_symlink():
                h.update(b"link:" + os.readlink(path).encode())
            elif path.is_file():
                h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def class_id(submissions: list[Submission]) -> str:
    h = hashlib.sha256()
    for sub in sorted(submissions, key=lambda s: s.slug):
        h.update(f"{sub.slug}\0{digest_of(sub.folder)}\n".encode())
    return h.hexdigest()[:16]


def write_manifest(out: Path, shard: Shard, class_: str, students: list[str], mine: list[str], extra: dict,
                   complete: bool = True) -> None:
    """`complete` False: written as the shard starts (what it grades, with which options); True once
    every submission of it has its result."""
    document = {"chatconform": __version__, "class": class_, "shard": shard.index, "of": shard.count,
                "complete": complete, "class_students": students, "students": mine, **extra}
    tmp = out / (MANIFEST + ".part")
    tmp.write_text(json.dumps(document, indent=2, ensure_ascii=False))
    os.replace(tmp, out / MANIFEST)


def resumable(out: Path, shard: Shard, class_: str, options: dict) -> str | None:
    """Why OUT cannot take up this shard (its results are of another class, shard or options), or None.
    A run resumes from the results it finds: they must be this shard's."""
    try:
        earlier = json.loads((out / MANIFEST).read_text())
    except FileNotFoundError:
        return None if not any((out / "results").glob("*.json")) else (
            f"{out} holds results of a run that was not this shard: give another -o (or --force to grade again)")
    except (OSError, ValueError):
        return None
    same = (earlier.get("chatconform"), earlier.get("class"), earlier.get("shard"), earlier.get("of"),
            earlier.get("options")) == (__version__, class_, shard.index, shard.count, options)
    return None if same else (f"{out} holds shard {earlier.get('shard')}/{earlier.get('of')} of class "
                              f"{earlier.get('class')} (chatconform {earlier.get('chatconform')}, other options or "
                              "submissions): give another -o, or --force to grade this shard again there")
