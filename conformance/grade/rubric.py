"""Scores from a rubric: points per requirement ID, defaults per level, requirements hidden until a
date. A requirement scores when all of its tests passed (its verdict in the result document)."""
from __future__ import annotations

import datetime as dt
import functools
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .. import protocols

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
    roles: dict = field(default_factory=dict)   # protocol -> the roles a submission must have (overrides)

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
        [roles]              # the programs a submission must have (default: what the assignment asks)
        jsonl = ["client"]   # e.g. this course's jsonl students write only the client
    """
    if path is None:
        return Rubric()
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise RubricError(f"cannot read the rubric {path}: {exc}") from None
    return load_text(text, path)


def load_text(text: str | None, source) -> Rubric:
    """A rubric from its TOML text (None: the defaults); `source` names it in errors."""
    if text is None:
        return Rubric()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"cannot read the rubric {source}: {exc}") from None
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
    roles = data.get("roles", {})
    for protocol, wanted in roles.items():
        if protocol not in protocols.NAMES or not isinstance(wanted, list) or \
                any(role not in protocols.get(protocol).roles for role in wanted):
            raise RubricError(f"rubric [roles]: {protocol} = {wanted!r}: name a protocol and a list of its roles "
                              f"({', '.join(protocols.NAMES)})")
    rubric.roles = roles
    return rubric


def required_roles(protocol: str, rubric: "Rubric | None" = None) -> tuple:
    """The programs a submission must have (one it lacks scores 0 for its requirements): what the
    assignment asks students to write (cnlab and brace: the client; the others: both), unless the
    rubric says otherwise."""
    own = protocols.get(protocol).student_roles
    return tuple(rubric.roles.get(protocol, own) if rubric is not None else own)


def points_for(req: str, level: str, rubric: Rubric, beyond: dict) -> float:
    """What a requirement is worth: a SHOULD beyond the assignment's text is informational (0) unless
    the rubric names it."""
    return 0.0 if req in beyond and req not in rubric.points else rubric.worth(req, level)


def beyond_text(protocol: str) -> dict:
    """SHOULD ID -> the sentence of the assignment's text it goes beyond."""
    return dict(protocols.get(protocol).beyond_text)


def requirements_of(protocol: str) -> dict:
    """ID -> (level, sentence), in the spec's order."""
    return protocols.get(protocol).requirements


@functools.lru_cache(maxsize=None)
def requirements_of_role(protocol: str, role: str) -> tuple:
    """The IDs that the protocol's suite for this role checks (read from its test files' markers)."""
    ids = [i for path in protocols.get(protocol).suite(role)
           for marker in re.findall(r"@requirement\(([^)]*)\)", path.read_text())
           for i in re.findall(r"[\"']([A-Z]+[0-9]+)[\"']", marker)]
    return tuple(dict.fromkeys(ids))


def full_maximum(protocol: str, rubric: "Rubric | None" = None) -> list:
    """The requirements a submission is graded on when nothing of it could be run: those of the roles
    it must have."""
    wanted = set().union(*(requirements_of_role(protocol, role) for role in required_roles(protocol, rubric)))
    return [req for req in requirements_of(protocol) if req in wanted]


def score(document: dict, rubric: Rubric, protocol: str | None = None) -> dict:
    """{"score", "max_score", "requirements": {ID: {"verdict", "points", "max_points", "level",
    "sentence"}}, "not_checked": {ID: why}, "ungraded": why or None}.

    Requirements of roles the submission has no program for are left out (a cnlab submission with only
    a client is scored on the client's requirements). A requirement whose every test was skipped for
    want of the grader's configuration (a user limit not given, a bonus not asked for, no X server) is
    left out of the maximum and listed in not_checked: it never costs the student. So is a requirement
    whose test could not be run (verdict `error`: a fault of the harness's, or a stopped run), with
    the fault's one line; `harness_fault` then says why the submission is not graded yet. A SHOULD that
    goes beyond the assignment's text is informational: 0 of 0 points, `warning` when it failed, unless
    the rubric gives it points by ID. A submission that could not be graded at all scores 0 of the full
    maximum of its protocol, with the reason."""
    protocol = protocol or document.get("protocol")
    empty = {"score": 0.0, "max_score": 0.0, "requirements": {}, "not_checked": {}, "ungraded": None,
             "harness_fault": None}
    if not protocol:
        return {**empty, "ungraded": document.get("error") or "the protocol is not known"}
    reasons = {}
    for test in document.get("tests", []):
        if test.get("outcome") == "skipped":
            for req in test.get("requirements", []):
                reasons.setdefault(req, test.get("message") or "skipped")
    ran = [t for t in document.get("tests", []) if t.get("outcome") != "skipped"]
    if ("error" in document and not ran) or "tests" not in document:
        why = document.get("error") or "no result"
        out, most = {}, 0.0
        for req in full_maximum(protocol, rubric):
            level, sentence = requirements_of(protocol)[req]
            worth = points_for(req, level, rubric, beyond_text(protocol))
            out[req] = {"verdict": "not graded", "points": 0.0, "max_points": worth, "level": level,
                        "sentence": sentence}
            most += worth
        return {**empty, "max_score": round(most, 3), "requirements": out, "ungraded": why}
    verdicts = dict(document.get("requirements", {}))
    tested = {req for t in document["tests"] for req in t.get("requirements", [])}
    missing = document.get("missing", {})
    missing_why = {}   # requirement of a required program the submission lacks -> what was looked at
    for role in required_roles(protocol, rubric):   # 0 for its requirements
        if role in missing:
            for req in requirements_of_role(protocol, role):
                if req not in verdicts:
                    verdicts[req] = "missing"
                    missing_why[req] = missing[role]
    faults = {req: test.get("message", "").strip().splitlines()[0] if test.get("message", "").strip() else "no verdict"
              for test in document.get("tests", []) if test.get("outcome") == "error"
              for req in test.get("failed_requirements") or test.get("requirements", [])}
    beyond = beyond_text(protocol)
    out, not_checked, total, most = {}, {}, 0.0, 0.0
    for req, (level, sentence) in requirements_of(protocol).items():
        if req not in tested and req not in verdicts:
            continue
        verdict = verdicts.get(req, "not evaluated")
        if verdict == "skipped":
            not_checked[req] = reasons.get(req, "skipped")
            continue
        if verdict == "error":   # no verdict: never a 0 for the student
            not_checked[req] = f"not graded, no verdict: {faults.get(req, 'its test could not be run')}"
            continue
        worth = points_for(req, level, rubric, beyond)
        if verdict == "failed" and req in beyond:
            verdict = "warning"
        got = worth if verdict == "passed" else 0.0
        out[req] = {"verdict": verdict, "points": got, "max_points": worth, "level": level, "sentence": sentence}
        if req in missing_why:
            out[req]["why"] = missing_why[req]
        total, most = total + got, most + worth
    return {**empty, "score": round(total, 3), "max_score": round(most, 3), "requirements": out,
            "not_checked": not_checked, "harness_fault": next(iter(faults.values()), None),
            "missing": {role: why for role, why in missing.items() if role in required_roles(protocol, rubric)}}
