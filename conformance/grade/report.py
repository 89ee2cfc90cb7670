"""The class report, from the result documents alone: OUT/class.csv, OUT/index.html (one page, no
network: the students x requirements matrix, sortable, and the pass rate of every requirement), a
page per student (OUT/students/<slug>.html) and what each student should read (OUT/feedback/<slug>.md)."""
from __future__ import annotations

import csv
import html
from pathlib import Path

from .rubric import Rubric, requirements_of, score
from .run import status

COLOURS = {"passed": "#c8efc8", "failed": "#f6c2c2", "error": "#f8dca8", "skipped": "#e4e4e4", "not run": "#ffffff"}
SYMBOLS = {"passed": "✓", "failed": "✗", "error": "!", "skipped": "–"}


def requirement_columns(documents: list) -> list:
    """Every requirement ID the class was checked on, in spec order, protocol by protocol."""
    seen: dict = {}
    for doc in documents:
        protocol = doc.get("protocol")
        if protocol and "tests" in doc:
            for req in requirements_of(protocol):
                seen.setdefault(req, None)
    return list(seen)


def rows(documents: list, rubric: Rubric) -> list:
    out = []
    for doc in documents:
        scored = score(doc, rubric)
        out.append({"doc": doc, "scored": scored,
                    "verdicts": {req: r["verdict"] for req, r in scored["requirements"].items()}})
    return out


def write_csv(path: Path, table: list, columns: list) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "protocol", "detection", "score", "max_score", "duration_s", "status", *columns])
        for row in table:
            doc = row["doc"]
            w.writerow([doc.get("student"), doc.get("protocol") or "", doc.get("detection", ""),
                        row["scored"]["score"], row["scored"]["max_score"], doc.get("grading_s", ""), status(doc),
                        *[row["verdicts"].get(req, "") for req in columns]])


def failures(doc: dict) -> list:
    return [t for t in doc.get("tests", []) if t["outcome"] in ("failed", "error")]


PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>
body{{font:14px system-ui,sans-serif;margin:1.5em}} table{{border-collapse:collapse}}
th,td{{border:1px solid #bbb;padding:2px 6px;text-align:left}} th{{cursor:pointer;background:#f2f2f2}}
td.v{{text-align:center;font-size:12px}} pre{{background:#f7f7f7;padding:8px;white-space:pre-wrap;max-width:110em}}
.bar{{background:#4a8;height:12px}} .rate td{{border:none;padding:1px 6px}}
</style></head><body>{body}<script>
document.querySelectorAll("table.sortable th").forEach(function(th, col) {{
  th.addEventListener("click", function() {{
    var table = th.closest("table"), body = table.tBodies[0], rows = Array.from(body.rows);
    var asc = th.dataset.asc !== "1"; th.dataset.asc = asc ? "1" : "0";
    rows.sort(function(a, b) {{
      var x = a.cells[col].dataset.key || a.cells[col].textContent, y = b.cells[col].dataset.key || b.cells[col].textContent;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      return asc ? c : -c;
    }});
    rows.forEach(function(r) {{ body.appendChild(r); }});
  }});
}});
</script></body></html>"""

E = html.escape


def write_html(out: Path, table: list, columns: list, notes: tuple = ()) -> None:
    (out / "students").mkdir(exist_ok=True)
    head = "".join(f"<th title='{E(req)}'>{E(req)}</th>" for req in columns)
    body_rows = []
    for row in table:
        doc, scored = row["doc"], row["scored"]
        verdicts = [row["verdicts"].get(req, "not run") for req in columns]
        cells = "".join(f"<td class='v' style='background:{COLOURS.get(v, '#fff')}' title='{E(req)}: {E(v)}'>"
                        f"{SYMBOLS.get(v, '')}</td>" for req, v in zip(columns, verdicts))
        body_rows.append(f"<tr><td><a href='students/{E(doc['slug'])}.html'>{E(doc['student'])}</a></td>"
                         f"<td>{E(doc.get('protocol') or '?')}</td><td data-key='{scored['score']}'>{scored['score']:g} / "
                         f"{scored['max_score']:g}</td><td>{E(status(doc))}</td><td>{doc.get('grading_s', '')}</td>{cells}</tr>")
        write_student_page(out / "students" / f"{doc['slug']}.html", doc, scored)
    rates = []
    for req in columns:
        judged = [r["verdicts"][req] for r in table if req in r["verdicts"]]
        if judged:
            rate = sum(v == "passed" for v in judged) / len(judged)
            rates.append((rate, req, len(judged)))
    bars = "".join(f"<tr><td>{E(req)}</td><td style='width:320px'><div class='bar' style='width:{rate * 100:.0f}%'>"
                   f"</div></td><td>{rate:.0%} of {n}</td></tr>" for rate, req, n in sorted(rates))
    body = (f"<h1>chatconform: the class</h1><p>{len(table)} submissions. Click a column to sort; a name opens that "
            f"student's failures.</p>{''.join(f'<p><b>Note:</b> {E(n)}</p>' for n in notes)}<table class='sortable'><thead><tr><th>student</th><th>protocol</th><th>score</th>"
            f"<th>status</th><th>seconds</th>{head}</tr></thead><tbody>{''.join(body_rows)}</tbody></table>"
            f"<h2>Pass rate per requirement (the most missed first)</h2><table class='rate'>{bars}</table>")
    (out / "index.html").write_text(PAGE.format(title="chatconform: the class", body=body), encoding="utf-8")


def write_student_page(path: Path, doc: dict, scored: dict) -> None:
    parts = [f"<p><a href='../index.html'>← the class</a></p><h1>{E(doc['student'])}</h1>",
             f"<p>{E(doc.get('protocol') or '?')} ({E(doc.get('detection', ''))}); score {scored['score']:g} of "
             f"{scored['max_score']:g}; {E(status(doc))}</p>"]
    if "error" in doc:
        parts.append(f"<pre>{E(doc['error'])}</pre>")
    for test in failures(doc):
        parts.append(f"<h2>{E(test['id'])} — {E(test['outcome'])}</h2><pre>{E(test['message'])}</pre>")
        if test.get("transcript"):
            parts.append(f"<details><summary>transcript</summary><pre>{E(test['transcript'])}</pre></details>")
        parts.append(f"<p>Rerun: <code>{E(test.get('rerun', ''))}</code></p>")
    if not failures(doc) and "error" not in doc:
        parts.append("<p>Every test passed.</p>")
    path.write_text(PAGE.format(title=E(doc["student"]), body="".join(parts)), encoding="utf-8")


def feedback(doc: dict, scored: dict, rubric: Rubric) -> str:
    """What the student reads: each failed requirement with its sentence, then the failures' reports
    (expected, actual, the rerun command). Hidden requirements are left out until their date."""
    lines = [f"# Feedback for {doc['student']}", ""]
    if "error" in doc:
        return "\n".join(lines + [f"Your submission could not be checked: {doc['error']}", ""])
    lines.append(f"Score: **{scored['score']:g} / {scored['max_score']:g}** ({doc.get('protocol')}).")
    if "budget_exceeded" in doc:
        lines.append(f"\nThe check was {doc['budget_exceeded']}: tests that did not finish count as failed.")
    missed = [(req, r) for req, r in scored["requirements"].items()
              if r["verdict"] != "passed" and not rubric.is_hidden(req)]
    if not missed:
        return "\n".join(lines + ["", "Every requirement passed. Well done.", ""])
    lines += ["", "## Requirements not met", ""]
    for req, r in missed:
        lines.append(f"- **{req}** ({r['level']}, {r['verdict']}, 0 of {r['max_points']:g}): {r['sentence']}")
    lines += ["", "## What the tests saw", ""]
    for test in failures(doc):
        if all(rubric.is_hidden(req) for req in test.get("failed_requirements") or test["requirements"]):
            continue
        lines += [f"### {test['id']}", "", "```", test["message"].strip(), "```", "",
                  f"Rerun just this test: `{test.get('rerun', '')}`", ""]
    return "\n".join(lines)


def write_all(out: Path, documents: list, rubric: Rubric, notes: tuple = ()) -> dict:
    table = rows(documents, rubric)
    columns = requirement_columns(documents)
    write_csv(out / "class.csv", table, columns)
    write_html(out, table, columns, notes)
    (out / "feedback").mkdir(exist_ok=True)
    for row in table:
        (out / "feedback" / f"{row['doc']['slug']}.md").write_text(feedback(row["doc"], row["scored"], rubric),
                                                                    encoding="utf-8")
    return {"students": len(table), "passed": sum(status(r["doc"]) == "passed" for r in table)}
