"""`chatconform matrix PROTOCOL CLASS -o DIR`: the interop matrix of a class."""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from ..grade.collect import CollectError, collect
from ..harness.machine import auto_jobs
from . import page, verdicts
from .run import MatrixRun, roster

INTEROP = ("jsonl", "sendto", "chat10")   # the protocols whose students write both a client and a server


def add_parser(sub) -> None:
    m = sub.add_parser("matrix", help="every student client against every student server (and the references): "
                       "the interop matrix", formatter_class=argparse.RawDescriptionHelpFormatter,
                       description="Run the protocol's interop conversation for every client x server pair of a "
                       "class, the references on both sides; blame by evidence (the same conversation with the "
                       "reference). Writes matrix.html, matrix.json, a page per cell and per student.",
                       epilog="example:\n  chatconform matrix jsonl class/ -o interop")
    m.add_argument("protocol", choices=INTEROP, help="a protocol whose students write both sides")
    m.add_argument("submissions", help="the class: a folder or LMS archive of submissions, as for grade")
    m.add_argument("-o", "--output", default="matrix", help="the folder to write (default ./matrix)")
    m.add_argument("-j", "--jobs", type=int, help="cells at once (default: what the machine allows, as check -j auto)")
    m.add_argument("--seed", type=int, help="the conversations' seed, the same in every cell (default: a new one)")
    m.add_argument("--timeout-scale", type=float, default=1.0, help="multiply every wait (default 1)")
    m.add_argument("--quiet", action="store_true", help="no line per cell")


def matrix(args) -> int:
    if args.timeout_scale <= 0:
        print("chatconform: error: --timeout-scale must be positive", file=sys.stderr)
        return 2
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="chatconform-matrix-") as work:
        try:
            submissions = collect(Path(args.submissions), Path(work))
        except CollectError as exc:
            print(f"chatconform: error: {exc}", file=sys.stderr)
            return 2
        doc = build(args.protocol, submissions, out, args.jobs or auto_jobs(), args.seed, args.timeout_scale,
                    args.quiet)
    return 1 if any(c["verdict"] == "error" for c in doc["cells"]) else 0


def build(protocol: str, submissions: list, out: Path, jobs: int, seed: int | None = None,
          timeout_scale: float = 1.0, quiet: bool = False, suites: dict | None = None) -> dict:
    """Run the matrix of these (collected) submissions, write its pages into `out`: its document.
    `suites` (grade --matrix): student -> role -> what its own suite failed, for the blame."""
    seed = seed if seed is not None else random.SystemRandom().randrange(1, 10 ** 6)
    began = time.monotonic()
    clients, servers, missing = roster(protocol, submissions)
    print(f"chatconform matrix {protocol}: {len(clients)} clients x {len(servers)} servers "
          f"(the reference in both), seed {seed}", file=sys.stderr)

    def said(cell, done, total):
        if not quiet:
            print(f"  [{done}/{total}] {cell.client} x {cell.server}: "
                  f"{'not run' if cell.not_run else 'error' if cell.error else 'done'}", file=sys.stderr)
    cells = MatrixRun(protocol, out, jobs, seed, timeout_scale, said).run(clients, servers)
    judged = verdicts.judge(cells, suites)
    doc = page.document(protocol, seed, clients, servers, judged, missing, time.monotonic() - began)
    page.write(out, doc)
    counts = {v: sum(c["verdict"] == v for c in judged) for v in ("passed", "failed", "unsupported", "error")}
    print(f"chatconform matrix {protocol}: " + ", ".join(f"{n} {v}" for v, n in counts.items())
          + f"; {len(doc['findings'])} finding(s) on the text; {out / 'matrix.html'}", file=sys.stderr)
    return doc
