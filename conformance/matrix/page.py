"""The matrix's outputs: matrix.json (its schema: docs/matrix.md), matrix.html (rows clients, columns
servers, a colour per cell, each cell a link to its transcripts), one page per cell and one per
student (what its client and its server work with)."""
from __future__ import annotations

import json
from pathlib import Path

from ..grade.collect import slugify
from ..grade.report import PAGE, E
from .verdicts import REFERENCE, findings, sentence, summaries

SCHEMA = "chatconform-matrix/1"
COLOURS = {"passed": "#9d9", "failed": "#e88", "unsupported": "#ddd", "error": "#fc6"}
TEXT = {"passed": "ok", "failed": "fail", "unsupported": "n/a", "error": "error"}
BLAME = {"client": "client's fault", "server": "server's fault", "both": "both at fault",
         "text": "the text leaves it open (not charged)", "unknown": "blame unknown", None: ""}


def document(protocol: str, seed: int, clients: list, servers: list, verdicts: list, missing: dict,
             elapsed_s: float) -> dict:
    return {"schema": SCHEMA, "protocol": protocol, "seed": seed, "elapsed_s": round(elapsed_s, 1),
            "clients": [c.name for c in clients], "servers": [s.name for s in servers],
            "missing": missing, "cells": verdicts, "findings": findings(verdicts),
            "students": summaries(verdicts)}


def write(out: Path, doc: dict) -> None:
    (out / "matrix.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False))
    for verdict in doc["cells"]:
        write_cell(out, verdict)
    (out / "students").mkdir(exist_ok=True)
    for student, sides in doc["students"].items():
        body = f"<h1>{E(student)}: interop in the class ({E(doc['protocol'])})</h1>"
        for side, summary in sides.items():
            body += f"<h2>Your {side}</h2><p>{E(sentence(student, side, summary))}</p><ul>"
            for fail in summary["fails_with"]:
                other = fail.get("server", fail.get("client"))
                body += f"<li>with {E(other)}: {E(BLAME[fail['blame']])}: {E(fail['why'])}</li>"
            body += "</ul>"
        (out / "students" / f"{slugify(student)}.html").write_text(PAGE.format(title=E(student), body=body))
    (out / "matrix.html").write_text(PAGE.format(title=f"interop matrix: {E(doc['protocol'])}", body=table(doc)))


def table(doc: dict) -> str:
    by_pair = {(v["client"], v["server"]): v for v in doc["cells"]}
    head = "".join(f"<th>{E(s)}</th>" for s in doc["servers"])
    rows = []
    for client in doc["clients"]:
        cells = []
        for server in doc["servers"]:
            v = by_pair.get((client, server))
            if v is None:
                cells.append("<td class='v'></td>")
                continue
            title = f"{client} x {server}: {v['verdict']}" + (f", {BLAME[v['blame']]}" if v["blame"] else "") + \
                (f": {v['why']}" if v["why"] else "") + \
                "".join(f"; warning (beyond the text, not charged): {w['test']}" for w in v.get("warnings", ()))
            cells.append(f"<td class='v cell' data-verdict='{v['verdict']}' style='background:{COLOURS[v['verdict']]}' "
                         f"title='{E(title)}'><a href='{E(v['log'])}'>{TEXT[v['verdict']]}"
                         f"{'*' if v['blame'] == 'text' else ''}</a></td>")
        rows.append(f"<tr data-student='{E(client.lower())}'><th>{E(client)}</th>{''.join(cells)}</tr>")
    found = "".join(f"<li>{E(f['client'])} x {E(f['server'])}: {E(f['test'])} ({E(', '.join(f['requirements']))}): "
                    f"{E(f['message'])}</li>" for f in doc["findings"])
    legend = " ".join(f"<span style='background:{c};padding:0 6px'>{E(v)}</span>" for v, c in COLOURS.items())
    return (f"<h1>Interop matrix: {E(doc['protocol'])}</h1><p>Rows: clients; columns: servers; "
            f"{len(doc['cells'])} cells, seed {doc['seed']}, {doc['elapsed_s']} s. A cell is the protocol's interop "
            f"conversation; click it for its transcripts. {legend}; * both pass with the reference and disagree "
            f"where the text leaves room.</p><table id='matrix'><thead><tr><th>client \\ server</th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table><h2>Findings on the text</h2>"
            f"<ul>{found or '<li>none</li>'}</ul>")


def write_cell(out: Path, verdict: dict) -> None:
    """The cell's page: its verdict, then every conversation's transcript (both wires and the client's
    screen) from the cell's check document."""
    name = Path(verdict["log"]).stem
    source = out / "cells" / f"{name}.json"
    tests = json.loads(source.read_text()).get("tests", []) if source.exists() else []
    body = (f"<h1>{E(verdict['client'])} (client) x {E(verdict['server'])} (server): {E(verdict['verdict'])}</h1>"
            f"<p>{E(BLAME[verdict['blame']])} {E(verdict['why'])}</p><p><a href='../matrix.html'>back</a> · "
            f"<a href='{E(name)}.txt'>the check's output</a></p>")
    for test in tests:
        body += (f"<h2>{E(test['id'])}: {E(test['outcome'])} ({E(', '.join(test.get('requirements', [])))})</h2>"
                 + (f"<pre>{E(test.get('message', ''))}</pre>" if test.get("message") else "")
                 + f"<pre>{E(test.get('transcript', ''))}</pre>")
    (out / "cells" / f"{name}.html").write_text(PAGE.format(title=E(name), body=body))


