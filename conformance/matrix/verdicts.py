"""From the cells' check documents to verdicts and blame: pure, no processes (tested on its own).

A failed conversation in cell (C, S) is the client's fault when C fails it with the reference server
too, the server's when the reference client fails it with S, both when both do; when each passes it
with the reference, the two disagree where the text leaves room: a finding on the text, charged to
neither. A skipped conversation is `unsupported` (never a failure); a harness fault is `error`; a
conversation that fails only SHOULDs beyond the text is a `warning`, listed and never a failure."""
from __future__ import annotations

from dataclasses import dataclass, field

REFERENCE = "reference"
DEAD = "The candidate server did not start"   # the start of every failure of a server that never listens


@dataclass
class Outcome:
    """One conversation (a test of the interop suite) in one cell."""
    test: str                  # its stable id, e.g. jsonl/interop/JC2-message
    outcome: str               # passed, failed, skipped, error
    requirements: tuple = ()   # the client's and the server's IDs it needs
    message: str = ""


@dataclass
class Cell:
    client: str
    server: str
    outcomes: dict = field(default_factory=dict)   # test id -> Outcome
    error: str = ""                                  # the cell could not be run (no report, over budget)
    not_run: str = ""                                # why it was not run (its server is dead)
    duration_s: float = 0.0
    log: str = ""                                    # where its transcript page is, relative to the output

    def failed(self) -> list:
        return [o for o in self.outcomes.values() if o.outcome == "failed"]


def from_document(client: str, server: str, document: dict) -> Cell:
    cell = Cell(client, server, duration_s=float(document.get("duration_s") or 0.0))
    if "error" in document:
        cell.error = str(document["error"]).strip().splitlines()[0][:300] if document["error"] else "no report"
    beyond = set(document.get("warnings") or {})   # SHOULDs beyond the text: a failure there costs nothing
    for test in document.get("tests", []):
        failed = set(test.get("failed_requirements") or ())
        outcome = "warning" if test["outcome"] == "failed" and failed and failed <= beyond else test["outcome"]
        cell.outcomes[test["id"]] = Outcome(test["id"], outcome, tuple(test.get("requirements", ())),
                                            (test.get("message") or "").strip())
    if not cell.outcomes and not cell.error:
        cell.error = "no conversation was run"
    return cell


def dead(cell: Cell) -> bool:
    """The reference client's cell shows a server that never comes up: every conversation failed so."""
    return bool(cell.outcomes) and all(o.outcome == "failed" and o.message.startswith(DEAD)
                                       for o in cell.outcomes.values())


def blame_of(test: str, client_alone: Cell | None, server_alone: Cell | None) -> str:
    """client, server, both, or text (each passes it with the reference: the text leaves it open);
    unknown where the evidence is missing."""
    def fails(cell):
        if cell is None or test not in cell.outcomes:
            return None
        return cell.outcomes[test].outcome == "failed"
    by_client, by_server = fails(client_alone), fails(server_alone)
    if by_client is None or by_server is None:
        return "unknown"
    return {(True, False): "client", (False, True): "server", (True, True): "both"}.get((by_client, by_server), "text")


def by_suites(failure: dict, client: str, server: str, suites: dict) -> None:
    """A 'text' blame (each side passes the conversation with the reference) where a side's own suite
    fails one of the conversation's requirements of its role is that side's (both: both's): the two
    agreed only with the references' robustness, not with the text (grade --matrix has the suites)."""
    mine = {side: sorted(set(failure["requirements"]) & set(suites.get(name, {}).get(side, ())))
            for side, name in (("client", client), ("server", server))}
    if mine["client"] or mine["server"]:
        failure["blame"] = "both" if mine["client"] and mine["server"] else "client" if mine["client"] else "server"
        failure["message"] += " (its own suite fails " + "; ".join(
            f"the {side}'s {', '.join(ids)}" for side, ids in mine.items() if ids) + ")"


def judge(cells: dict, suites: dict | None = None) -> list[dict]:
    """Every cell's verdict, as matrix.json lists it. `cells`: (client, server) -> Cell; `suites`:
    student -> role -> the requirements its own suite failed, where known (grade --matrix)."""
    out = []
    def order(key):
        client, server = key
        return client != REFERENCE, client, server != REFERENCE, server
    for (client, server), cell in sorted(cells.items(), key=lambda kv: order(kv[0])):
        entry = {"client": client, "server": server, "duration_s": round(cell.duration_s, 2), "log": cell.log}
        if cell.not_run:
            entry.update(verdict="failed", blame="server", why=cell.not_run, failures=[], not_run=True)
        elif cell.error or any(o.outcome == "error" for o in cell.outcomes.values()):
            why = cell.error or next(o.message for o in cell.outcomes.values() if o.outcome == "error")
            entry.update(verdict="error", blame=None, why=why.splitlines()[0][:300] if why else "a harness fault",
                         failures=[])
        elif cell.failed() and client == server == REFERENCE:
            entry.update(verdict="error", blame=None, failures=[],
                         why=f"the reference client and server disagree ({cell.failed()[0].test}): a harness fault")
        elif cell.failed():
            alone_c, alone_s = cells.get((client, REFERENCE)), cells.get((REFERENCE, server))
            failures = [{"test": o.test, "requirements": list(o.requirements),
                         "blame": blame_of(o.test, alone_c, alone_s) if REFERENCE not in (client, server)
                         else "client" if server == REFERENCE else "server",
                         "message": o.message.splitlines()[0][:300] if o.message else ""}
                        for o in cell.failed()]
            for failure in failures:
                if failure["blame"] == "text" and suites:
                    by_suites(failure, client, server, suites)
            blames = {f["blame"] for f in failures}
            blame = "text" if blames == {"text"} else \
                "both" if "both" in blames or {"client", "server"} <= blames else \
                next(iter(sorted(blames - {"text"})))
            entry.update(verdict="failed", blame=blame, failures=failures,
                         why=f"{failures[0]['test']}: {failures[0]['message']}")
        elif any(o.outcome == "skipped" for o in cell.outcomes.values()):   # no failure, no error: see above
            skipped = [o for o in cell.outcomes.values() if o.outcome == "skipped"]
            entry.update(verdict="unsupported", blame=None, failures=[],
                         why="; ".join(f"{o.test}: {o.message.splitlines()[0] if o.message else 'skipped'}"
                                       for o in skipped)[:300])
        else:
            entry.update(verdict="passed", blame=None, failures=[], why="")
        warned = [o for o in cell.outcomes.values() if o.outcome == "warning"]
        if warned:   # beyond the text: shown, never a failure
            entry["warnings"] = [{"test": o.test, "message": o.message.splitlines()[0][:300] if o.message else ""}
                                 for o in warned]
        out.append(entry)
    return out


def summaries(verdicts: list[dict]) -> dict:
    """Per student, what the feedback page says: how many of the class's others its client works with
    (and which fail, for what), and the same for its server. The references are not counted."""
    out: dict = {}
    for side, other in (("client", "server"), ("server", "client")):
        for v in verdicts:
            me, them = v[side], v[other]
            if me == REFERENCE or them == REFERENCE or v["verdict"] == "error":
                continue
            mine = out.setdefault(me, {}).setdefault(side, {"works_with": 0, "of": 0, "fails_with": []})
            mine["of"] += 1
            if v["verdict"] in ("passed", "unsupported"):
                mine["works_with"] += 1
            else:
                mine["fails_with"].append({other: them, "blame": v["blame"], "why": v["why"]})
    return out


def sentence(student: str, side: str, summary: dict) -> str:
    """'Your client works with 27 of 30 servers in the class; …' for the feedback page."""
    others = "servers" if side == "client" else "clients"
    text = f"Your {side} works with {summary['works_with']} of {summary['of']} {others} in the class"
    fails = summary["fails_with"]
    if not fails:
        return text + "."
    theirs = [f for f in fails if f["blame"] in ("server" if side == "client" else "client",)]
    text_open = [f for f in fails if f["blame"] == "text"]
    own = len(fails) - len(theirs) - len(text_open)
    parts = []
    if own:
        parts.append(f"{own} fail(s) also with the reference {'server' if side == 'client' else 'client'}: yours to fix")
    if theirs:
        parts.append(f"{len(theirs)} fail(s) because of the other side (it fails with the reference too)")
    if text_open:
        parts.append(f"{len(text_open)} where both sides pass alone and disagree where the text leaves room "
                     "(not charged)")
    return text + "; " + "; ".join(parts) + "."


def findings(verdicts: list[dict]) -> list[dict]:
    """Disagreements where both sides pass with the reference: findings on the text, not on a student."""
    return [{"client": v["client"], "server": v["server"], "test": f["test"], "requirements": f["requirements"],
             "message": f["message"]}
            for v in verdicts for f in v.get("failures", []) if f["blame"] == "text"]
