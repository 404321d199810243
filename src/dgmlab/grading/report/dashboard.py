"""The instructor's dashboard: one static, self-contained HTML page per course.

Charts are matplotlib figures embedded as base64 SVG images, the page carries
no script and a Content-Security-Policy that forbids loading anything, so it
opens from disk or an LMS file area with no server and no network. It holds
grades and names (unless anonymized), failure messages students also see, the
*names* of hidden checks, and never hidden-test source. The charts are drawn by
:mod:`.dashboard_charts`, the sections on copied answers and weights by :mod:`dgmlab.grading.copies.dashboard_copies`.

The page is rendered from the Jinja2 templates in ``templates/dashboard/`` with autoescape on
(:mod:`dgmlab.grading.html_text`): every student id, answer text, file name and reason is printed as text, never markup.
"""
from __future__ import annotations

import time
from pathlib import Path

from ..autograde.timings import PHASES, phase_rows
from ..copies import image_sets, runtime_code, shared_weights
from ..copies import similarity as SIM
from ..copies.dashboard_copies import anonymize_shared, anonymize_similar, shared_weights_html, similarity_html
from ..hand.rubrics import item_counts, signed_points
from ..html_text import fmt
from ..html_text import render as render_template
from ..layout import Course, CourseError
from ..term.deadlines import deadlines
from ..term.term_rules import term_rules
from . import analysis, training_records
from . import item_analysis as item_analysis_module
from . import registrar as REG
from .dashboard_charts import auto_manual_bars, histogram, pass_rate_bars, sample_grid
from .final_mark import final_mark

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


# ------------------------------------------------------------------ page
def homework_section(course: Course, data: analysis.ClassData, hw: str, names: dict | None, shared=(), similar=(),
                     runtime=(), looks=()) -> str:
    graded = data.graded(hw)
    layout = data.cell_order[hw]
    auto_max = sum(t[2] for t in layout if t[3] == "auto")
    manual_max = sum(t[2] for t in layout if t[3] == "manual")
    marks = {s.student: final_mark(s) for s in data.submissions if s.hw == hw}
    finals = [marks[s.student].number for s in graded if marks[s.student].final]  # pending marks are no marks
    stats = analysis.summary(finals)
    rows = analysis.cell_stats(data, hw)
    context = dict(hw=hw, max_score=data.max_score[hw], auto_max=auto_max, manual_max=manual_max, graded=graded,
                   rows=rows, marks=marks)
    if graded:
        auto = analysis.summary(s.auto_score for s in graded)
        manual = analysis.summary(s.manual_score for s in graded)
        context["stats"] = [("n", "final marks", stats.get("n")),
                            ("pending", "pending (answers to grade by hand)", len(graded) - len(finals)),
                            ("mean", "mean", stats.get("mean")),
                            ("median", "median", stats.get("median")), ("q1", "Q1", stats.get("q1")),
                            ("q3", "Q3", stats.get("q3")), ("min", "min", stats.get("min")),
                            ("max", "max", stats.get("max")), ("auto_mean", "mean autograded", auto["mean"]),
                            ("manual_mean", "mean by hand", manual["mean"])]
        context["charts"] = ((histogram(finals, stats, data.max_score[hw], hw) if finals else "")
                             + auto_manual_bars(graded, auto_max, manual_max, hw) + pass_rate_bars(rows, hw))
    context["failures"] = [(r, sum(len(who) for _, who in r["failures"])) for r in rows if r["failures"]]
    context["gaps"] = [r for r in rows if r["gap"]]

    # grading outcomes
    subs = [s for s in data.submissions if s.hw == hw]
    counts = {}
    for s in subs:
        counts[s.status] = counts.get(s.status, 0) + 1
    context.update(subs=subs, outcomes=sorted(counts.items()), no_times=all(s.seconds is None for s in subs),
                   phase_table=phase_table(hw, [s.timings for s in subs]))

    # hand grading
    pending = [r for r in rows if r["pending"]]
    context.update(pending=pending, manual_left=sum(len(r["pending"]) for r in pending),
                   manual_total=sum(1 for c in data.cells_of(hw) if c.kind == "manual"),
                   rubric_counts=rubric_counts_html(course, hw), to_look=_to_look(course, hw, names),
                   item_analysis=item_analysis_module.html_section(course, data, hw, names))

    # artifacts
    art = analysis.ARTIFACTS.get(hw.split("_")[0])
    if art:
        fname, cell = art
        inverse = {v: k for k, v in (names or {}).items()}
        figures = []
        for s in graded:
            real = inverse.get(s.student, s.student)
            score = next((c for c in data.cells_of(hw, cell, s.student)), None)
            path = course.kept_folder(hw, real) / fname
            img, why = sample_grid(path) if path.exists() else (None, f"the grader kept no {fname}")
            figures.append(dict(student=s.student, image=img, why=why,
                                points=f"{fmt(score.points)} / {fmt(score.max_points)}" if score else "–"))
        context["samples"] = dict(file=fname, cell=cell, figures=figures)
    return render_template("homework.html.j2", shared=shared_weights_html(hw, shared) + image_sets.html(hw, looks),
                  similar=similarity_html(hw, similar, texts=names is None), runtime=runtime_code.html_section(hw, runtime),
                  **context)


def _to_look(course: Course, hw: str, names: dict | None) -> list:
    """``[(student as the page names them, weights file, cells, reasons)]``: the trained results of ``hw`` whose
    training record waits for a look (:func:`.training_records.waiting`)."""
    return [((names or {}).get(sid, sid), str(v.get("name", "?")), ", ".join(map(str, v.get("cells", ()))),
             training_records.reasons(v)) for _, sid, v in training_records.waiting(course, [hw])]


def rubric_counts_html(course: Course, hw: str) -> str:
    """Per written question graded with a rubric (``dgmlab grade``): how many students got each item."""
    questions = [(gid, [(it, signed_points(it.points), n) for it, n in items])
                 for gid, items, graded in item_counts(course, hw) if graded]
    return render_template("rubric_counts.html.j2", hw=hw, questions=questions) if questions else ""


def totals_section(course: Course, data: analysis.ClassData, names: dict | None = None) -> str:
    """Each student's course total and letter, as ``dgmlab registrar`` computes them (:mod:`.registrar`) from
    ``data`` (not anonymized: a student's own due date is read by their id); with ``names`` (id -> pseudonym) the
    ids are replaced and the roster's names left out. A setting that makes no sense is shown, not raised."""
    try:
        rules = term_rules(course)
        rules.check_homeworks(course.homeworks())
        dates = deadlines(course)
        got = REG.rows(data, rules, due=lambda hw, sid: dates.due(hw, sid))
    except (CourseError, ValueError) as exc:  # a setting, or a homework with no points that a weight counts
        return render_template("course_totals.html.j2", why=str(exc))
    head, rows = got.rows[0], got.rows[1:]
    if names is not None:
        head = head[:1] + head[2:]
        rows = sorted(([names.get(r[0], r[0])] + r[2:] for r in rows), key=lambda r: r[0])
    counts = {}
    for t in got.totals.values():
        if t.letter:
            counts[t.letter] = counts.get(t.letter, 0) + 1
    weights = ", ".join(f"{hw} {w:g}" for hw, w in rules.weights.items())
    return render_template(
        "course_totals.html.j2", why="", head=head, rows=rows, named=names is None, total_at=head.index("total"),
        with_total=sum(t.percent is not None for t in got.totals.values()),
        pending=sum(t.percent is None for t in got.totals.values()),
        counts=[(name, counts[name]) for _, name in rules.letters if name in counts],
        weighting=f"weights {weights}" if weights else "all graded homeworks weigh the same",
        lettering="letters " + ", ".join(f"{name} from {cut:g}" for cut, name in rules.letters)
        if rules.letters else "no letters set (letters)")


def student_section(data: analysis.ClassData, sid: str):
    r = data.roster.get(sid)
    subs = [s for s in data.submissions if s.student == sid]
    return render_template("student.html.j2", sid=sid, named=r.display if r and r.named else None, subs=subs,
                  marks={s.hw: final_mark(s) for s in subs},
                  parts=[(s, data.cells_of(s.hw, student=sid)) for s in subs])


def render(course: Course, data: analysis.ClassData, names: dict | None = None, shared=(), similar=(), runtime=(),
           totals: str | None = None, looks=()) -> str:
    """The dashboard page for ``data`` (already anonymized when ``names`` maps ids to pseudonyms) and the
    :func:`~dgmlab.grading.copies.shared_weights.compare` results ``shared`` (students named as in ``data``);
    ``totals``: the :func:`totals_section` (made here from ``data`` when not given and ``names`` is None)."""
    banner = ("INSTRUCTOR ONLY: grades of named students. Do not share; for sharing, use --anonymize."
              if names is None else
              "INSTRUCTOR / TA ONLY: pseudonymized grades (student-xxxx). The key that links pseudonyms to "
              "students stays in the course's .dgmlab/pseudonym.key.")
    return str(render_template(
        "page.html.j2", csp=CSP, banner=banner, course=course.root.name, written=time.strftime("%Y-%m-%d %H:%M"),
        hws=data.hws, problems=data.problems,
        totals=totals if totals is not None else totals_section(course, data) if names is None else "",
        sections=[homework_section(course, data, hw, names, shared, similar, runtime, looks) for hw in data.hws],
        students=[student_section(data, sid) for sid in sorted({s.student for s in data.submissions})]))


def write(course: Course, path: Path | str, hws=None, anonymize: bool = False,
          shared: list | None = None, similar: list | None = None,
          runtime: list | None = None, looks: list | None = None) -> tuple[Path, analysis.ClassData]:
    """Collect, optionally pseudonymize, render and write the page; return its path and the data shown.

    ``shared``, ``similar``: the homeworks' :func:`~dgmlab.grading.copies.shared_weights.compare` and
    :func:`~dgmlab.grading.copies.similarity.compare` when already computed; ``runtime``, the
    :func:`~dgmlab.grading.copies.runtime_code.scan`.
    """
    data = analysis.collect(course, hws)
    if shared is None:
        shared = shared_weights.compare(course, data.hws)
    if similar is None:
        similar = SIM.compare(course, data.hws)
    if runtime is None:
        runtime = runtime_code.scan(course, data.hws)
    if looks is None:  # generators' image sets alike (image_sets)
        looks = image_sets.compare(course, data.hws)
    names = None
    totals = None
    if anonymize:
        ids = (set(data.roster) | {s.student for s in data.submissions} | set(course.students())
               | {x for f in shared for p in f.pairs for x in p.students} | {m.student for f in shared for m in f.published}
               | {x for f in shared for x, _ in f.not_finite} | {x for k in looks for x in (k.student, k.other) if x}
               | {x for r in similar for m in r.matches for x in (m.student, m.other) if m.kind == "student"}
               | {m.student for r in similar for m in r.matches} | {x.student for r in runtime for x in r.findings})
        names = analysis.Pseudonyms.for_course(course).mapping(ids)
        totals = totals_section(course, data, names)  # from the real ids: each student's own due date
        data = analysis.anonymize(data, names)
        shared = anonymize_shared(shared, names)
        similar = anonymize_similar(similar, names)
        runtime = runtime_code.anonymize(runtime, names)
        looks = image_sets.anonymize(looks, names)
    path = Path(path)
    path = path if path.is_absolute() else course.root / path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(course, data, names, shared, similar, runtime, totals, looks), encoding="utf-8")
    return path, data


def phase_table(hw: str, timings: list):
    """Median and p95 seconds per grading phase (the records' ``timings``), or nothing without them."""
    rows = phase_rows(timings)
    if not rows:
        return ""
    what = dict(PHASES)
    return render_template("phase_table.html.j2", hw=hw, rows=[
        (name, n, med, p95, what.get(name, "one test cell" if name.startswith("test:") else ""))
        for name, n, med, p95 in rows])
