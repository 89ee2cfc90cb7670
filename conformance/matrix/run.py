"""Running the matrix: who has a client and who a server, then the cells, a few at a time.

Order: the references' own cell, then each server with the reference client (a server that never comes
up ends its column there: its other cells are not run), then each client with the reference server,
then the students' pairs. Each cell is one `check PROTOCOL CLIENT --with-server SERVER` in its own
process group: sandboxed, bounded, its candidates gone when it ends."""
from __future__ import annotations

import json
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .. import protocols
from ..grade.collect import Submission
from ..grade.run import waited_within
from ..resources import REFERENCE as REFERENCES, harness_python
from ..run import discover
from .verdicts import REFERENCE, Cell, dead, from_document

CELL_BUDGET_S = 240   # one cell's conversations, each bounded by the suite's own test timeout


@dataclass
class Side:
    name: str      # the student (or "reference")
    slug: str
    folder: Path


def roster(protocol: str, submissions: list[Submission]) -> tuple[list[Side], list[Side], dict]:
    """(clients, servers, student -> why it has no client or server), the reference first in both."""
    spec = protocols.get(protocol)
    reference = Side(REFERENCE, REFERENCE, REFERENCES / protocol)
    clients, servers, missing = [reference], [reference], {}
    for sub in submissions:
        surveyed = discover.survey(sub.folder)
        for role, into in (("client", clients), ("server", servers)):
            choice = discover.find(sub.folder, role, list(spec.layouts(role)), gui=role == "client" and spec.gui_client,
                                   by_behaviour=True, surveyed=surveyed, words=spec.header_words)
            if choice.program is not None:
                into.append(Side(sub.student, sub.slug, sub.folder))
            else:
                missing.setdefault(sub.student, {})[role] = choice.why
    return clients, servers, missing


class MatrixRun:
    def __init__(self, protocol: str, out: Path, jobs: int, seed: int, timeout_scale: float = 1.0, on_cell=None):
        self.protocol, self.out, self.jobs, self.seed = protocol, out, max(1, jobs), seed
        self.timeout_scale = timeout_scale
        self.on_cell = on_cell or (lambda cell, done, total: None)
        self.done = 0
        self.total = 0

    def run(self, clients: list[Side], servers: list[Side]) -> dict:
        (self.out / "cells").mkdir(parents=True, exist_ok=True)
        cells: dict = {}
        self.total = len(clients) * len(servers)
        ref_client, ref_server = clients[0], servers[0]
        cells[(REFERENCE, REFERENCE)] = self.cell(ref_client, ref_server)
        self._pool(cells, [(ref_client, s) for s in servers[1:]])
        alive = [s for s in servers[1:] if not dead(cells[(REFERENCE, s.name)])]
        for s in servers[1:]:
            if s not in alive:
                for c in clients[1:]:
                    cells[(c.name, s.name)] = Cell(c.name, s.name, not_run=(
                        f"not run: this server does not start (see the reference client's cell, {REFERENCE} x {s.name})"))
                    self._count(cells[(c.name, s.name)])
        self._pool(cells, [(c, ref_server) for c in clients[1:]])
        self._pool(cells, [(c, s) for c in clients[1:] for s in alive])
        return cells

    def _pool(self, cells: dict, pairs: list) -> None:
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            for (client, server), cell in zip(pairs, pool.map(lambda pair: self.cell(*pair), pairs)):
                cells[(client.name, server.name)] = cell

    def _count(self, cell: Cell) -> None:
        self.done += 1
        self.on_cell(cell, self.done, self.total)

    def cell(self, client: Side, server: Side) -> Cell:
        name = f"{client.slug}__{server.slug}"
        log = self.out / "cells" / f"{name}.txt"
        with tempfile.TemporaryDirectory(prefix="chatconform-cell-") as tmp:
            report = Path(tmp) / "cell.json"
            argv = harness_python("check", self.protocol, str(client.folder), "--with-server", str(server.folder),
                                  "--json", str(report), "--seed", str(self.seed), "--no-diagnose", "-j", "1",
                                  "--timeout-scale", str(self.timeout_scale), "--shown-as", client.name)
            began = time.monotonic()
            error = ""
            with open(log, "wb") as output:
                proc = subprocess.Popen(argv, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        start_new_session=True)
                if waited_within(proc, CELL_BUDGET_S * self.timeout_scale):
                    error = f"the cell was stopped after its budget of {CELL_BUDGET_S * self.timeout_scale:.0f}s"
            try:
                document = json.loads(report.read_text())
            except (OSError, ValueError):
                document = {"error": error or f"the check ended without a report (exit status {proc.returncode}); "
                                              f"see cells/{log.name}"}
        if error:
            document["error"] = error
        cell = from_document(client.name, server.name, document)
        cell.duration_s = time.monotonic() - began
        cell.log = f"cells/{name}.html"
        (self.out / "cells" / f"{name}.json").write_text(json.dumps(document, indent=1, ensure_ascii=False))
        self._count(cell)
        return cell
