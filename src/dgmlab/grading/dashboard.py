"""The instructor's dashboard: one static, self-contained HTML page per course.

Charts are matplotlib figures embedded as base64 SVG images, the page carries
no script and a Content-Security-Policy that forbids loading anything, so it
opens from disk or an LMS file area with no server and no network. It holds
grades and names (unless anonymized), failure messages students also see, the
*names* of hidden checks, and never hidden-test source. The charts are drawn by
:mod:`.dashboard_charts`, the sections on copied answers and weights by :mod:`.dashboard_copies`.
"""
from __future__ import annotations

import time
from pathlib import Path

from . import analysis as A
from . import runtime_code as RC
from . import shared_weights as SW
from . import similarity as SIM
from .dashboard_charts import auto_manual_bars, histogram, pass_rate_bars, sample_grid
from .dashboard_copies import _anonymize_shared, _anonymize_similar, shared_weights_html, similarity_html
from .html_text import _e, _fmt
from .layout import Course

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:1150px;padding:0 16px 40px;color:#222}
.banner{background:#b00020;color:#fff;padding:10px 14px;font-weight:600;margin:0 -16px 16px}
h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:36px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f4f4f4} td.num{text-align:right;font-variant-numeric:tabular-nums}
.stats span{display:inline-block;margin-right:18px} .stats b{font-size:18px}
.charts{display:flex;flex-wrap:wrap;gap:12px} .charts img{border:1px solid #eee;max-width:100%}
.grid{display:flex;flex-wrap:wrap;gap:12px} .grid figure{margin:0;text-align:center;font-size:13px}
.muted{color:#595959} .bad{color:#b00020} details{margin:4px 0}
.side{display:flex;gap:8px} .side pre{flex:1;min-width:0;overflow:auto;max-height:420px;font-size:12px;background:#fafafa;padding:6px;margin:4px 0}
mark{background:#ffe08a}
"""


# ------------------------------------------------------------------ page
def _stats_html(hw, stats, extra=()) -> str:
    items = [("n", "submissions graded", stats.get("n")), ("mean", "mean", stats.get("mean")),
             ("median", "median", stats.get("median")), ("q1", "Q1", stats.get("q1")), ("q3", "Q3", stats.get("q3")),
             ("min", "min", stats.get("min")), ("max", "max", stats.get("max")), *extra]
    return '<p class="stats">' + "".join(
        f'<span>{_e(label)} <b data-hw="{_e(hw)}" data-stat="{key}">{_fmt(val)}</b></span>' for key, label, val in items
    ) + "</p>"




def homework_section(course: Course, data: A.ClassData, hw: str, names: dict | None, shared=(), similar=(),
                     runtime=()) -> str:
    graded = data.graded(hw)
    layout = data.cell_order[hw]
    auto_max = sum(t[2] for t in layout if t[3] == "auto")
    manual_max = sum(t[2] for t in layout if t[3] == "manual")
    stats = A.summary(s.score for s in graded)
    rows = A.cell_stats(data, hw)
    out = [f'<section class="hw" id="hw-{_e(hw)}"><h2>{_e(hw)}</h2>']
    out.append(f"<p>{_fmt(data.max_score[hw])} points: {_fmt(auto_max)} autograded, {_fmt(manual_max)} graded by "
               f"hand. {len(graded)} submissions in the gradebook.</p>")
    if graded:
        auto = A.summary(s.auto_score for s in graded)
        manual = A.summary(s.manual_score for s in graded)
        out.append(_stats_html(hw, stats, [("auto_mean", "mean autograded", auto["mean"]),
                                            ("manual_mean", "mean by hand", manual["mean"])]))
        out.append('<div class="charts">' + histogram([s.score for s in graded], stats, data.max_score[hw], hw)
                   + auto_manual_bars(graded, auto_max, manual_max, hw) + pass_rate_bars(rows, hw) + "</div>")
    else:
        out.append('<p class="muted">no graded submission yet</p>')

    # per cell
    out.append("<h3>Graded cells</h3><table class=\"cells\"><tr><th>cell</th><th>graded by</th><th>max</th>"
               "<th>pass rate</th><th>mean</th><th>visible passed, hidden lost</th><th>not graded yet</th></tr>")
    for r in rows:
        gap = (f'<span data-stat="gap">{len(r["gap"])}</span>' + (f": {_e(', '.join(r['gap']))}" if r["gap"] else "")
               if r["has_checks"] else '<span class="muted">n/a</span>')
        out.append(f'<tr data-hw="{_e(hw)}" data-cell="{_e(r["cell"])}"><td>{_e(r["cell"])}</td><td>{r["kind"]}</td>'
                   f'<td class="num">{_fmt(r["max"])}</td>'
                   f'<td class="num" data-stat="pass_rate">{_fmt(None if r["pass_rate"] is None else 100 * r["pass_rate"], 1)}'
                   f'{"%" if r["pass_rate"] is not None else ""}</td>'
                   f'<td class="num" data-stat="mean">{_fmt(r["mean"])}</td><td>{gap}</td>'
                   f'<td>{len(r["pending"]) or ""}</td></tr>')
    out.append("</table>")

    # failure reasons
    out.append("<h3>Why points were lost</h3><p class=\"muted\">The short messages students see in feedback, "
               "grouped per cell, largest group first.</p>")
    any_fail = False
    for r in rows:
        if not r["failures"]:
            continue
        any_fail = True
        out.append(f'<details open data-cell="{_e(r["cell"])}"><summary><b>{_e(r["cell"])}</b> '
                   f'({sum(len(v) for _, v in r["failures"])} failures)</summary><table class="failures">'
                   "<tr><th>students</th><th>reason</th><th>who</th></tr>")
        for reason, who in r["failures"]:
            out.append(f'<tr><td class="num" data-stat="count">{len(who)}</td><td>{_e(reason)}</td>'
                       f'<td>{_e(", ".join(sorted(who)))}</td></tr>')
        out.append("</table></details>")
    if not any_fail:
        out.append("<p>No autograded points lost.</p>")

    # hidden gap explanation
    gaps = [r for r in rows if r["gap"]]
    out.append("<h3>Visible vs hidden checks</h3><p class=\"muted\">Students whose visible checks all passed but "
               "who lost the cell's points on a hidden check (read from the runner's <code>passed</code>/"
               "<code>FAILED</code> lines): how much a visible test misleads.</p>")
    out.append("<ul>" + "".join(f"<li><b>{_e(r['cell'])}</b>: {len(r['gap'])} of {r['graded']} "
                                 f"({_e(', '.join(r['gap']))})</li>" for r in gaps) + "</ul>"
               if gaps else "<p>No such case.</p>")

    # grading outcomes
    subs = [s for s in data.submissions if s.hw == hw]
    counts = {}
    for s in subs:
        counts[s.status] = counts.get(s.status, 0) + 1
    out.append("<h3>Grading outcomes</h3><p>" + ", ".join(
        f'<span data-hw="{_e(hw)}" data-outcome="{_e(k)}">{n}</span> {_e(k)}' for k, n in sorted(counts.items()))
        + "</p><table class=\"outcomes\"><tr><th>student</th><th>outcome</th><th>seconds</th><th>score</th>"
        "<th>reason</th><th>late</th></tr>")
    for s in subs:
        cls = "" if s.status == "graded" else ' class="bad"'
        final = "" if s.score is None else str(round(s.score, 4))  # to the point, as the exports write it
        out.append(f"<tr><td>{_e(s.student)}</td><td{cls}>{_e(s.status)}</td>"
                   f'<td class="num">{_fmt(s.seconds, 1)}</td><td class="num" data-hw="{_e(hw)}" '
                   f'data-student="{_e(s.student)}" data-final="{final}">{_fmt(s.score)}</td>'
                   f"<td>{_e(s.reason)}</td><td>{_e(s.late_reason)}</td></tr>")
    out.append("</table>")
    if all(s.seconds is None for s in subs):
        out.append('<p class="muted">No grading times recorded (they are kept by <code>dgmlab autograde</code>).</p>')
    out.append(_phase_table(hw, [s.timings for s in subs]))

    # hand grading
    pending = [r for r in rows if r["pending"]]
    total_manual = sum(1 for c in data.cells_of(hw) if c.kind == "manual")
    left = sum(len(r["pending"]) for r in pending)
    out.append(f'<h3>Hand grading</h3><p><span data-hw="{_e(hw)}" data-stat="manual_left">{left}</span> of '
               f"{total_manual} hand-graded answers still to grade (<code>dgmlab grade {_e(hw)}</code>, or "
               "nbgrader's formgrader).</p>")
    if pending:
        out.append("<ul>" + "".join(f"<li><b>{_e(r['cell'])}</b>: {len(r['pending'])} "
                                     f"({_e(', '.join(r['pending']))})</li>" for r in pending) + "</ul>")
    out.append(rubric_counts_html(course, hw))

    # artifacts
    art = A.ARTIFACTS.get(hw.split("_")[0])
    if art:
        fname, cell = art
        out.append(f"<h3>Samples ({_e(fname)}) and their score ({_e(cell)})</h3><div class=\"grid\">")
        inverse = {v: k for k, v in (names or {}).items()}
        for s in graded:
            real = inverse.get(s.student, s.student)
            score = next((c for c in data.cells_of(hw, cell, s.student)), None)
            path = course.kept_folder(hw, real) / fname
            img, why = sample_grid(path) if path.exists() else (None, f"the grader kept no {fname}")
            pts = f"{_fmt(score.points)} / {_fmt(score.max_points)}" if score else "–"
            out.append(f'<figure data-student="{_e(s.student)}">{img or ""}<figcaption><b>{_e(s.student)}</b>'
                       f"<br>{pts}" + (f'<br><span class="muted">{_e(why)}</span>' if why else "")
                       + "</figcaption></figure>")
        out.append("</div>")
    out.append(shared_weights_html(hw, shared))
    out.append(similarity_html(hw, similar, texts=names is None))
    out.append(RC.html_section(hw, runtime))
    out.append("</section>")
    return "\n".join(out)


def rubric_counts_html(course: Course, hw: str) -> str:
    """Per written question graded with a rubric (``dgmlab grade``): how many students got each item."""
    from .rubrics import _signed, item_counts

    questions = [q for q in item_counts(course, hw) if q[2]]
    if not questions:
        return ""
    out = ['<h4>Rubric items applied</h4><table class="rubric-counts"><tr><th>question</th><th>points</th>'
           "<th>item</th><th>students</th></tr>"]
    for gid, items, graded in questions:
        for it, n in items:
            out.append(f'<tr data-hw="{_e(hw)}" data-cell="{_e(gid)}" data-item="{_e(it.id)}"><td>{_e(gid)}</td>'
                       f'<td class="num">{_e(_signed(it.points))}</td><td>{_e(it.text)}</td>'
                       f'<td class="num" data-stat="count">{n}</td></tr>')
    out.append("</table>")
    return "".join(out)


def student_section(data: A.ClassData, sid: str) -> str:
    r = data.roster.get(sid)
    title = _e(sid) + (f" ({_e(r.display)})" if r and r.named else "")
    out = [f'<details class="student" id="student-{_e(sid)}"><summary><b>{title}</b> – ' + ", ".join(
        f"{_e(s.hw)}: {_fmt(s.score)}/{_fmt(s.max_score)}" if s.score is not None else f"{_e(s.hw)}: {_e(s.status)}"
        for s in data.submissions if s.student == sid) + "</summary>"]
    for s in [s for s in data.submissions if s.student == sid]:
        out.append(f"<h3>{_e(s.hw)}: {_e(s.status)}" + (f" – {_e(s.reason)}" if s.reason else "") + "</h3>")
        if s.late_reason:
            out.append(f'<p class="bad" data-late="{_e(s.hw)}">{_e(s.late_reason)}</p>')
        cells = data.cells_of(s.hw, student=sid)
        if not cells:
            continue
        out.append("<table><tr><th>cell</th><th>points</th><th>max</th><th>graded by</th><th>reason</th></tr>")
        for c in cells:
            out.append(f'<tr data-student="{_e(sid)}" data-hw="{_e(c.hw)}" data-cell="{_e(c.cell)}">'
                       f'<td>{_e(c.cell)}</td><td class="num" data-stat="points">{_fmt(c.points)}</td>'
                       f'<td class="num">{_fmt(c.max_points)}</td><td>{c.kind}</td><td>{_e(c.reason)}</td></tr>')
        out.append("</table>")
    out.append("</details>")
    return "\n".join(out)


def render(course: Course, data: A.ClassData, names: dict | None = None, shared=(), similar=(), runtime=()) -> str:
    """The dashboard page for ``data`` (already anonymized when ``names`` maps ids to pseudonyms) and the
    :func:`~dgmlab.grading.shared_weights.compare` results ``shared`` (students named as in ``data``)."""
    banner = ("INSTRUCTOR ONLY: grades of named students. Do not share; for sharing, use --anonymize."
              if names is None else
              "INSTRUCTOR / TA ONLY: pseudonymized grades (student-xxxx). The key that links pseudonyms to "
              "students stays in the course's .dgmlab/pseudonym.key.")
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
           '<meta name="robots" content="noindex">', "<title>dgmlab grading dashboard</title>",
           f"<style>{STYLE}</style></head><body>",
           f'<header><div class="banner" id="instructor-only">{_e(banner)}</div>',
           "<h1>Grading dashboard</h1></header><main>",
           f'<p class="muted">Course {_e(course.root.name)}, written {time.strftime("%Y-%m-%d %H:%M")} by '
           f"<code>dgmlab report --html</code> from gradebook.db and autograded/. Homeworks: "
           + ", ".join(f'<a href="#hw-{_e(h)}">{_e(h)}</a>' for h in data.hws) + ".</p>"]
    if data.problems:
        out.append(f'<details id="roster-problems"><summary class="bad">Roster problems ({len(data.problems)}): '
                   "students the Canvas export cannot name</summary><ul>"
                   + "".join(f"<li>{_e(p)}</li>" for p in data.problems) + "</ul></details>")
    for hw in data.hws:
        out.append(homework_section(course, data, hw, names, shared, similar, runtime))
    out.append('<section id="students"><h2>Students</h2>')
    for sid in sorted({s.student for s in data.submissions}):
        out.append(student_section(data, sid))
    out.append("</section></main></body></html>")
    return "\n".join(out)


def write(course: Course, path: Path | str, hws=None, anonymize: bool = False,
          shared: list | None = None, similar: list | None = None,
          runtime: list | None = None) -> tuple[Path, A.ClassData]:
    """Collect, optionally pseudonymize, render and write the page; return its path and the data shown.

    ``shared``, ``similar``: the homeworks' :func:`~dgmlab.grading.shared_weights.compare` and
    :func:`~dgmlab.grading.similarity.compare` when already computed; ``runtime``, the
    :func:`~dgmlab.grading.runtime_code.scan`.
    """
    data = A.collect(course, hws)
    if shared is None:
        shared = SW.compare(course, data.hws)
    if similar is None:
        similar = SIM.compare(course, data.hws)
    if runtime is None:
        runtime = RC.scan(course, data.hws)
    names = None
    if anonymize:
        ids = (set(data.roster) | {s.student for s in data.submissions} | set(course.students())
               | {x for f in shared for p in f.pairs for x in p.students} | {m.student for f in shared for m in f.published}
               | {x for r in similar for m in r.matches for x in (m.student, m.other) if m.kind == "student"}
               | {m.student for r in similar for m in r.matches} | {x.student for r in runtime for x in r.findings})
        names = A.Pseudonyms.for_course(course).mapping(ids)
        data = A.anonymize(data, names)
        shared = _anonymize_shared(shared, names)
        similar = _anonymize_similar(similar, names)
        runtime = RC.anonymize(runtime, names)
    path = Path(path)
    path = path if path.is_absolute() else course.root / path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(course, data, names, shared, similar, runtime), encoding="utf-8")
    return path, data


def _phase_table(hw: str, timings: list) -> str:
    """Median and p95 seconds per grading phase (the records' ``timings``), or nothing without them."""
    from .cluster import PHASES, phase_rows

    rows = phase_rows(timings)
    if not rows:
        return ""
    what = dict(PHASES)
    out = ["<h3>Grading time by phase</h3><p class=\"muted\">Seconds per submission, over the gradings whose "
           "records hold timings (docs/autograder.md, \"Per-phase timings\").</p><table class=\"outcomes\">"
           "<tr><th>phase</th><th>gradings</th><th>median s</th><th>p95 s</th><th>what it covers</th></tr>"]
    for name, n, med, p95 in rows:
        out.append(f'<tr data-hw="{_e(hw)}" data-phase="{_e(name)}"><td>{_e(name)}</td><td class="num">{n}</td>'
                   f'<td class="num" data-stat="median">{med:.2f}</td><td class="num" data-stat="p95">{p95:.2f}</td>'
                   f"<td>{_e(what.get(name, 'one test cell' if name.startswith('test:') else ''))}</td></tr>")
    out.append("</table>")
    return "".join(out)
