"""`chatconform grade merge OUT1 OUT2 … -o GRADES`: the shards of one class joined into the report a
single machine would have written. Refused, naming what is wrong, when the shards are not all of one
class, one chatconform and one N, when a shard is missing or given twice, or when a student would be
graded twice or not at all: a merge never leaves a silent hole."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from . import report
from .rubric import load, load_text
from .shard import MANIFEST, ShardError


def read_manifest(out: Path) -> dict:
    path = out / MANIFEST
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise ShardError(f"{out} is not a shard's output (no {MANIFEST}): grade the class with --shard K/N -o "
                         f"{out}, or the shard did not finish (grade it again: it resumes)") from None
    except (OSError, ValueError) as exc:
        raise ShardError(f"{path} cannot be read: {exc}") from None


def agreed(manifests: dict, key: str, what: str) -> object:
    values = {json.dumps(m.get(key), sort_keys=True): out for out, m in manifests.items()}
    if len(values) > 1:
        shown = "; ".join(f"{out}: {manifests[out].get(key)}" for out in values.values())
        raise ShardError(f"the shards are not of {what}: {shown}")
    return next(iter(manifests.values())).get(key)


def check(manifests: dict) -> list[str]:
    """The class's students, in its order, once every check has held."""
    agreed(manifests, "chatconform", "one chatconform version (grade every shard with the same one)")
    agreed(manifests, "class", "one class (the same submissions on every machine)")
    count = agreed(manifests, "of", "one shard count N")
    agreed(manifests, "options", "one set of grading options")
    by_index: dict = {}
    for out, m in manifests.items():
        by_index.setdefault(m["shard"], []).append(out)
        if not m.get("complete", True):
            raise ShardError(f"shard {m['shard']} of {count} ({out}) did not finish: grade that shard again "
                             "(it resumes) and merge again")
    twice = {k: outs for k, outs in by_index.items() if len(outs) > 1}
    if twice:
        raise ShardError("; ".join(f"shard {k} of {count} is given twice: {', '.join(map(str, outs))}"
                                   for k, outs in sorted(twice.items())))
    missing = [k for k in range(1, count + 1) if k not in by_index]
    if missing:
        raise ShardError(f"shard {', '.join(map(str, missing))} of {count} is missing (given: "
                         f"{', '.join(map(str, sorted(by_index)))}): every shard's output must be merged")
    students = agreed(manifests, "class_students", "one class")
    seen: dict = {}
    for out, m in manifests.items():
        for slug in m["students"]:
            if slug in seen:
                raise ShardError(f"{slug} is graded by two shards ({seen[slug]} and {out})")
            seen[slug] = out
            if not (out / "results" / f"{slug}.json").exists():
                raise ShardError(f"shard {m['shard']} of {count} ({out}) has no result for {slug}: it did not "
                                 "finish; grade that shard again (it resumes) and merge again")
    hole = [slug for slug in students if slug not in seen]
    if hole:
        raise ShardError(f"no shard graded {', '.join(hole[:5])}{' …' if len(hole) > 5 else ''}")
    return students


def merge(outs: list[Path], dest: Path, rubric_path: Path | None = None) -> dict:
    manifests = {out: read_manifest(out) for out in outs}
    students = check(manifests)
    # the rubric the shards were graded with, unless the grader gives another now
    rubric = load(rubric_path) if rubric_path is not None else \
        load_text(agreed(manifests, "rubric", "one rubric"), "carried by the shards")
    owner = {slug: out for out, m in manifests.items() for slug in m["students"]}
    (dest / "results").mkdir(parents=True, exist_ok=True)
    (dest / "logs").mkdir(exist_ok=True)
    documents = []
    for slug in students:
        source = owner[slug]
        shutil.copyfile(source / "results" / f"{slug}.json", dest / "results" / f"{slug}.json")
        log = source / "logs" / f"{slug}.txt"
        if log.exists():
            shutil.copyfile(log, dest / "logs" / f"{slug}.txt")
        documents.append(json.loads((dest / "results" / f"{slug}.json").read_text()))
    notes = tuple(dict.fromkeys(note for m in manifests.values() for note in m.get("notes", [])))
    summary = report.write_all(dest, documents, rubric, notes)
    summary["shards"] = len(manifests)
    return summary
