"""The class report, from the result documents alone: OUT/class.csv, OUT/index.html (one page, no
network: the students x requirements matrix, sortable, and the pass rate of every requirement), a
page per student (OUT/students/<slug>.html) and what each student should read (OUT/feedback/<slug>.md)."""
from __future__ import annotations

import csv
import html
from pathlib import Path

from ..diagnose.engine import diagnosis_text
from .collect import slugify
from .rubric import Rubric, requirements_of, score
from .run import HARNESS_FAULT, status

COLOURS = {"passed": "#c8efc8", "failed": "#f6c2c2", "error": "#f8dca8", "skipped": "#e4e4e4", "not run": "#ffffff",
           "not evaluated": "#e8e0f4", "not graded": "#f8dca8", "warning": "#f4efc0"}
SYMBOLS = {"passed": "✓", "failed": "✗", "error": "!", "skipped": "–", "not evaluated": "?", "not graded": "·",
           "warning": "w"}


def requirement_columns(documents: list) -> list:
    """Every requirement ID the class was checked on, in spec order, protocol by protocol."""
    seen: dict = {}
    for protocol in protocols_of(documents):
        for req in requirements_of(protocol):
            seen.setdefault(req, None)
    return list(seen)


def protocols_of(documents: list) -> list:
    """The protocols present in the class, in the order the tool lists them."""
    from ..protocols import NAMES
    present = {doc.get("protocol") for doc in documents}
    return [p for p in NAMES if p in present]


def graded(doc: dict) -> bool:
    return not status(doc).startswith("error")


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
th,td{{border:1px solid #bbb;padding:2px 6px;text-align:left}} td:first-child{{white-space:nowrap}} th{{cursor:pointer;background:#f2f2f2}}
td.v{{text-align:center;font-size:12px}} pre{{background:#f7f7f7;padding:8px;white-space:pre-wrap;max-width:110em}}
.bar{{background:#4a8;height:12px}} .rate td{{border:none;padding:1px 6px}}
</style></head><body>{body}<script>
var filter = document.getElementById("filter");
if (filter) filter.addEventListener("input", function() {{
  var q = filter.value.trim().toLowerCase();
  document.querySelectorAll("tr[data-student]").forEach(function(r) {{
    r.style.display = !q || r.dataset.student.indexOf(q) >= 0 ? "" : "none";
  }});
}});
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


def matrix(table: list, protocol: str) -> str:
    """One protocol's students x requirements matrix and its pass-rate bars."""
    columns = [req for req in requirements_of(protocol)
               if any(req in r["verdicts"] for r in table)]
    head = "".join(f"<th title='{E(requirements_of(protocol)[req][1])}'>{E(req)}</th>" for req in columns)
    body_rows = []
    for row in table:
        doc, scored = row["doc"], row["scored"]
        cells = "".join(f"<td class='v' style='background:{COLOURS.get(v, '#fff')}' title='{E(req)}: {E(v)}'>"
                        f"{SYMBOLS.get(v, '')}</td>" for req in columns for v in [row["verdicts"].get(req, "not run")])
        body_rows.append(f"<tr data-student='{E(doc['student'].lower())}'><td>{student_link(doc)}</td>"
                         f"<td data-key='{scored['score']}'>{scored['score']:g} / {scored['max_score']:g}</td>"
                         f"<td>{E(short_status(doc))}</td><td>{doc.get('grading_s', '')}</td>{cells}</tr>")
    rates = []
    for req in columns:
        judged = [r["verdicts"][req] for r in table if req in r["verdicts"] and r["verdicts"][req] != "not graded"]
        if judged:
            rates.append((sum(v == "passed" for v in judged) / len(judged), req, len(judged)))
    bars = "".join(f"<tr><td>{E(req)}</td><td style='width:320px'><div class='bar' style='width:{rate * 100:.0f}%'>"
                   f"</div></td><td>{rate:.0%} of {n}</td></tr>" for rate, req, n in sorted(rates))
    return (f"<section class='protocol' id='{E(protocol)}'><h2>{E(protocol)}: {len(table)} submission(s)</h2>"
            f"<table class='sortable'><thead><tr><th>student</th><th>score</th><th>status</th><th>seconds</th>{head}"
            f"</tr></thead><tbody>{''.join(body_rows)}</tbody></table>"
            f"<h3>{E(protocol)}: pass rate per requirement (the most missed first)</h3><table class='rate'>{bars}"
            f"</table></section>")


def student_link(doc: dict) -> str:
    return f"<a href='students/{E(doc['slug'])}.html'>{E(doc['student'])}</a>"


def short_status(doc: dict) -> str:
    text = status(doc)
    return "error" if text.startswith("error") else text


def write_html(out: Path, table: list, notes: tuple = ()) -> None:
    """index.html: first the submissions that could not be graded, with why; then one matrix per
    protocol; a filter box finds a student; the grader's --layout rules say whom they were used for."""
    (out / "students").mkdir(exist_ok=True)
    for row in table:
        write_student_page(out / "students" / f"{row['doc']['slug']}.html", row["doc"], row["scored"])
    ungraded = [row for row in table if not graded(row["doc"])]
    parts = [f"<h1>chatconform: the class</h1><p>{len(table)} submissions, {len(ungraded)} of them not graded. "
             "Click a column to sort; a name opens that student's page.</p>",
             "<p><label>Find a student: <input id='filter' type='search' placeholder='name'></label></p>"]
    parts += [f"<p><b>Note:</b> {E(n)}</p>" for n in notes]
    faulted = [row for row in ungraded if HARNESS_FAULT in status(row["doc"])]
    for rows_, anchor, heading in ((faulted, "harness-fault", "Could not be graded: harness fault (no verdict on the "
                                    "student: report it, then grade again)"),
                                   ([r for r in ungraded if r not in faulted], "ungraded",
                                    "Not graded: fix the cause and grade again")):
        if not rows_:
            continue
        items = "".join(f"<tr data-student='{E(r['doc']['student'].lower())}'><td>{student_link(r['doc'])}</td>"
                        f"<td>{E(r['doc'].get('protocol') or '?')}</td><td>not graded</td>"
                        f"<td>{E(r['doc'].get('error') or status(r['doc']))}</td></tr>" for r in rows_)
        parts.append(f"<section id='{anchor}'><h2>{E(heading)}</h2><table class='list'>"
                     f"<thead><tr><th>student</th><th>protocol</th><th>score</th><th>why</th></tr></thead>"
                     f"<tbody>{items}</tbody></table></section>")
    given = [row["doc"] for row in table if row["doc"].get("layout_given")]
    if given:
        items = "".join(f"<li>{student_link(d)}: {E(d['layout_given']['rule'])}: "
                        + "; ".join(f"{role} <code>{E(d['layout_given'][role])}</code>" for role in ("client", "server")
                                    if role in d["layout_given"]) + "</li>" for d in given)
        parts.append(f"<section id='layouts'><h2>Programs named by the grader (--layout)</h2><ul>{items}</ul></section>")
    not_checked = sorted({f"{req}: {why}" for row in table for req, why in row["scored"].get("not_checked", {}).items()})
    if not_checked:
        parts.append("<section id='not-checked'><h2>Not checked (left out of every maximum)</h2><ul>"
                     + "".join(f"<li>{E(line)}</li>" for line in not_checked) + "</ul></section>")
    for protocol in protocols_of([row["doc"] for row in table]):
        parts.append(matrix([row for row in table if row["doc"].get("protocol") == protocol], protocol))
    (out / "index.html").write_text(PAGE.format(title="chatconform: the class", body="".join(parts)), encoding="utf-8")


def write_student_page(path: Path, doc: dict, scored: dict) -> None:
    parts = [f"<p><a href='../index.html'>← the class</a></p><h1>{E(doc['student'])}</h1>",
             f"<p>{E(doc.get('protocol') or '?')} ({E(doc.get('detection', ''))}); submitted as "
             f"<code>{E(doc.get('folder', ''))}</code>; score {scored['score']:g} of {scored['max_score']:g}; "
             f"{E(status(doc))}</p>"]
    if doc.get("programs"):
        parts.append("<ul>" + "".join(f"<li>{E(role)}: {E(text)}</li>" for role, text in doc["programs"].items())
                     + "</ul>")
    if doc.get("layout_given"):
        parts.append(f"<p>Programs named by the grader: {E(doc['layout_given']['rule'])}</p>")
    if "error" in doc:
        parts.append(f"<h2>Not graded</h2><pre>{E(doc['error'])}</pre>")
    for req, why in scored.get("not_checked", {}).items():
        parts.append(f"<p>Not checked: {E(req)}: {E(why)}</p>")
    for test in failures(doc):
        parts.append(f"<h2>{E(test['id'])} — {E(test['outcome'])}</h2><pre>{E(test['message'])}</pre>")
        if test.get("diagnoses"):
            parts.append(f"<pre>{E(diagnosis_text(test['diagnoses']))}</pre>")
        if test.get("transcript"):
            parts.append(f"<details><summary>transcript</summary><pre>{E(test['transcript'])}</pre></details>")
        parts.append(f"<p>Rerun: <code>{E(test.get('rerun', ''))}</code></p>")
    if not failures(doc) and graded(doc):
        parts.append("<p>Every test that ran passed.</p>")
    path.write_text(PAGE.format(title=E(doc["student"]), body="".join(parts)), encoding="utf-8")


def feedback(doc: dict, scored: dict, rubric: Rubric) -> str:
    """What the student reads: each failed requirement with its sentence, then the failures' reports
    (expected, actual, the rerun command). Hidden requirements are left out until their date. "Every
    requirement passed" is said only when every requirement was evaluated and passed."""
    lines = [f"# Feedback for {doc['student']}", ""]
    if not graded(doc):
        why = doc.get("error") or status(doc).removeprefix("error: ")
        return "\n".join(lines + [f"Your submission could not be graded: {why}", "",
                                  f"Score: **not graded** (of {scored['max_score']:g}; "
                                  f"{doc.get('protocol') or 'protocol unknown'}). "
                                  "This is no verdict on your code: once the cause is fixed it is graded again.", ""])
    lines.append(f"Score: **{scored['score']:g} / {scored['max_score']:g}** ({doc.get('protocol')}).")
    if "budget_exceeded" in doc:
        lines.append(f"\nThe check was {doc['budget_exceeded']}: tests that did not finish count as failed.")
    missed = [(req, r) for req, r in scored["requirements"].items()
              if r["verdict"] not in ("passed", "warning") and not rubric.is_hidden(req)]
    warned = [(req, r) for req, r in scored["requirements"].items()
              if r["verdict"] == "warning" and not rubric.is_hidden(req)]
    hidden = [req for req in scored["requirements"] if rubric.is_hidden(req)]
    not_checked = scored.get("not_checked", {})
    if scored.get("missing"):
        lines += ["", "## Programs not found (their requirements score 0)", ""]
        lines += [f"- **{role}**: {why}" for role, why in scored["missing"].items()]
    if not_checked:
        lines += ["", "## Not checked (they do not count against you)", ""]
        lines += [f"- **{req}**: {why}" for req, why in not_checked.items()]
    warnings = doc.get("warnings", {})
    if warned:
        lines += ["", "## Warnings (beyond the assignment's text: they cost nothing)", ""]
        lines += [f"- **{req}** ({r['level']}, {r['points']:g} of {r['max_points']:g}): {r['sentence']}"
                  + (f" *Beyond the assignment's text: {warnings[req]}.*" if warnings.get(req) else "")
                  for req, r in warned]
    if not missed:
        if warned and not hidden and not not_checked:
            return "\n".join(lines + ["", "Every requirement passed (with the warnings above). Well done.", ""]
                             + warning_reports(doc, rubric))
        if not hidden and not not_checked:
            return "\n".join(lines + ["", "Every requirement passed. Well done.", ""])
        return "\n".join(lines + ["", "Every requirement that was checked and is shown here passed"
                                  + (f"; {len(hidden)} more are shown after the due date" if hidden else "") + ".", ""])
    lines += ["", "## Requirements not met", ""]
    for req, r in missed:
        verdict = "warning" if req in warnings else r["verdict"]
        lines.append(f"- **{req}** ({r['level']}, {verdict}, 0 of {r['max_points']:g}): {r['sentence']}"
                     + (f" *Beyond the assignment's text: {warnings[req]}.*" if warnings.get(req) else ""))
    lines += ["", "## What the tests saw", ""]
    for test in failures(doc):
        if all(rubric.is_hidden(req) for req in test.get("failed_requirements") or test["requirements"]):
            continue
        lines += [f"### {test['id']}", "", "```", test["message"].strip(), "```", "",
                  *([diagnosis_text(test["diagnoses"]), ""] if test.get("diagnoses") else []),
                  f"Rerun just this test (in your submission's folder): `{test.get('rerun', '')}`", ""]
    return "\n".join(lines)


def warning_reports(doc: dict, rubric: Rubric) -> list:
    """What the tests behind the warnings saw, for a submission that met every requirement."""
    lines = ["## What the tests saw", ""]
    for test in failures(doc):
        if all(rubric.is_hidden(req) for req in test.get("failed_requirements") or test["requirements"]):
            continue
        lines += [f"### {test['id']}", "", "```", test["message"].strip(), "```", "",
                  f"Rerun just this test (in your submission's folder): `{test.get('rerun', '')}`", ""]
    return lines


def interop_lines(student: str, interop: dict | None) -> list:
    """grade --matrix: what the student's client and server work with in the class (markdown)."""
    sides = (interop or {}).get("students", {}).get(student)
    if not sides:
        return []
    from ..matrix.verdicts import sentence
    lines = ["", "## Interop with the class (not scored)", ""]
    for side, summary in sides.items():
        lines.append(f"- {sentence(student, side, summary)}")
        lines += [f"  - with {f.get('server', f.get('client'))} ({f['blame']}): {f['why']}" for f in summary["fails_with"]]
    return lines + ["", f"Each conversation's transcripts: `matrix/students/{slugify(student)}.html` beside this "
                        "class report.", ""]


def write_all(out: Path, documents: list, rubric: Rubric, notes: tuple = (), interop: dict | None = None) -> dict:
    table = rows(documents, rubric)
    columns = requirement_columns(documents)
    write_csv(out / "class.csv", table, columns)
    write_html(out, table, notes)
    (out / "feedback").mkdir(exist_ok=True)
    for row in table:
        text = feedback(row["doc"], row["scored"], rubric) + "\n".join(interop_lines(row["doc"]["student"], interop))
        (out / "feedback" / f"{row['doc']['slug']}.md").write_text(text, encoding="utf-8")
    return {"students": len(table), "passed": sum(status(r["doc"]).startswith("passed") for r in table),
            "ungraded": sum(not graded(r["doc"]) for r in table),
            "layouts": [r["doc"]["student"] for r in table if r["doc"].get("layout_given")]}
