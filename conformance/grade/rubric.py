"""Scores from a rubric: points per requirement ID, defaults per level, requirements hidden until a
date. A requirement scores when all of its tests passed (its verdict in the result document)."""
from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .. import spec_of

if sys.version_info >= (3, 11):
    import tomllib
else:   # pragma: no cover
    import tomli as tomllib

DEFAULTS = {"MUST": 1.0, "SHOULD": 0.5}


class RubricError(Exception):
    pass


@dataclass
class Rubric:
    """points[ID] overrides defaults[level]; `hidden` IDs are not shown to students before `until`."""
    defaults: dict = field(default_factory=lambda: dict(DEFAULTS))
    points: dict = field(default_factory=dict)
    hidden: set = field(default_factory=set)
    until: dt.datetime | None = None

    def worth(self, req: str, level: str) -> float:
        return float(self.points.get(req, self.defaults.get(level, 0.0)))

    def is_hidden(self, req: str, now: dt.datetime | None = None) -> bool:
        if req not in self.hidden:
            return False
        now = now or dt.datetime.now(dt.timezone.utc)
        return self.until is None or now < self.until


def load(path: Path | None) -> Rubric:
    """A TOML rubric:

        [defaults]           # points per level (default MUST = 1, SHOULD = 0.5)
        MUST = 2
        [points]             # points per requirement ID
        RI4 = 3
        [hidden]             # not shown to students until the date (ISO 8601; always hidden without one)
        ids = ["RT5"]
        until = 2026-12-24T23:59:00Z
    """
    if path is None:
        return Rubric()
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RubricError(f"cannot read the rubric {path}: {exc}") from None
    rubric = Rubric()
    rubric.defaults.update({k.upper(): float(v) for k, v in data.get("defaults", {}).items()})
    rubric.points = {k: float(v) for k, v in data.get("points", {}).items()}
    hidden = data.get("hidden", {})
    rubric.hidden = set(hidden.get("ids", []))
    until = hidden.get("until")
    if isinstance(until, str):
        until = dt.datetime.fromisoformat(until)
    if isinstance(until, dt.datetime) and until.tzinfo is None:
        until = until.replace(tzinfo=dt.timezone.utc)
    rubric.until = until
    return rubric


def requirements_of(protocol: str) -> dict:
    """ID -> (level, sentence), in the spec's order."""
    return spec_of(protocol).REQUIREMENTS


def score(document: dict, rubric: Rubric, protocol: str | None = None) -> dict:
    """{"score", "max_score", "requirements": {ID: {"verdict", "points", "max_points", "level",
    "sentence"}}}. Requirements of roles the submission has no program for are left out (a cnlab
    submission with only a client is scored on the client's requirements)."""
    protocol = protocol or document.get("protocol")
    if not protocol or "tests" not in document:
        return {"score": 0.0, "max_score": 0.0, "requirements": {}}
    verdicts = document.get("requirements", {})
    tested = {req for t in document["tests"] for req in t.get("requirements", [])}
    out, total, most = {}, 0.0, 0.0
    for req, (level, sentence) in requirements_of(protocol).items():
        if req not in tested and req not in verdicts:
            continue
        verdict = verdicts.get(req, "not run")
        worth = rubric.worth(req, level)
        got = worth if verdict == "passed" else 0.0
        out[req] = {"verdict": verdict, "points": got, "max_points": worth, "level": level, "sentence": sentence}
        total, most = total + got, most + worth
    return {"score": round(total, 3), "max_score": round(most, 3), "requirements": out}
