"""The hand-in rules a handout states beyond the notebook's name, checked at ``dgmlab collect``, listed by ``dgmlab
report``, and the formatting deduction a handout announces, applied by ``dgmlab report`` as a named adjustment.

**The report PDF.** MIT's hw4 handout asks for two files: the notebook and "your report named kerberos.pdf". The
rule of each homework is the course setting ``c.DgmlabHandIn.report_names`` (``{"hw4": "<kerberos>.pdf"}``, by
homework id or its prefix before ``_``; ``""``: none), in which ``<kerberos>`` is the student's id in nbgrader's
student table or the part of their e-mail there before ``@`` (either is accepted, case-insensitively, the LMS's
``-1``/`` (1)`` of a repeated upload dropped). ``dgmlab collect`` checks each placed submission: no PDF at all, or
PDFs of other names only, is listed ("no report PDF", "report named X, the homework asks for Y"), never refused,
and kept with the notebook-name check (:mod:`.hand_in_names`) in ``.dgmlab/hand_in_rules/<hw>.json``;
``dgmlab report`` lists them (:func:`report_lines`).

**The formatting deduction.** ECE1508's hw5 handout: "failure to meet the formatting can lead to mark deduction",
the formatting being the files' names (``<Lastname>_<Firstname>_Assgn2.ipynb``). The handout states no amount, so
the course sets it: ``c.DgmlabHandIn.format_deductions = {"hw5": 2}`` (points; none by default: the breaches are
listed, nothing is taken off). With an amount, ``dgmlab report`` takes it off each submission whose latest collect
broke a rule of the homework (its notebook's name, its report PDF), once per submission, as the adjustment named
``hand-in formatting`` with the breach as its reason (:mod:`..hand.adjustments`: the student's feedback and grade
summary show it), prints each adjustment it adds, changes or takes off, and takes it off again when a later collect
finds the hand-in right. A name that could not be checked (no first and last name in the roster) is listed, never
deducted.
"""
from __future__ import annotations

from traitlets import Dict
from traitlets.config import Configurable

from ..inert import terminal
from ..layout import Course
from . import hand_in_records as HIR

KERBEROS = "<kerberos>"


class DgmlabHandIn(Configurable):
    """The hand-in rules the handouts state beyond the notebook's name (``c.DgmlabCollect.notebook_names``)."""

    report_names = Dict(
        {"hw4": "<kerberos>.pdf"},
        help="The report PDF each homework's handout asks for beside the notebook, by homework id or its prefix "
             "before '_': <kerberos> is the student's id or e-mail name in nbgrader's student table (hw4's is MIT's "
             "'<kerberos>.pdf'). Checked at dgmlab collect and listed by it and dgmlab report, never refused; '' "
             "for none.").tag(config=True)
    format_deductions = Dict(
        {}, help="Points dgmlab report takes off a submission that breaks its homework's hand-in rules (the "
                 "notebook's name, the report PDF), by homework id or its prefix, as the named adjustment 'hand-in "
                 "formatting' the student's feedback shows. hw5's handout (ECE1508) announces a deduction without "
                 "an amount, so none is taken unless set here, e.g. {'hw5': 2}.").tag(config=True)


def rule_of(rules: dict, hw: str) -> str | None:
    """The report name ``rules`` (``c.DgmlabHandIn.report_names``) gives ``hw``: by its id, else its prefix before
    ``_``; None when it has none."""
    pattern = rules.get(hw, rules.get(hw.split("_")[0], ""))
    return pattern or None


def check_report(pdfs: list, pattern: str, student: str, email: str = "") -> str:
    """``""`` when one of the handed-in PDF names ``pdfs`` (as the student named them) is what ``pattern`` asks of
    ``student``, else what is wrong, in words."""
    local = email.split("@", 1)[0].strip() if "@" in (email or "") else ""
    asked = list(dict.fromkeys(pattern.replace(KERBEROS, who) for who in (student, local) if who))
    if any(name.casefold() in {a.casefold() for a in asked} for name in pdfs):
        return ""
    want = " or ".join(asked)
    if not pdfs:
        return f"no report PDF; the homework asks for {want}"
    return f"report named {', '.join(sorted(pdfs))}, the homework asks for {want}"


def roster_emails(course: Course) -> dict:
    """``{student id: e-mail}`` from nbgrader's student table (``{}`` without a gradebook)."""
    from .. import nbgrader_gradebook

    db = course.root / "gradebook.db"
    if not db.exists():
        return {}
    with nbgrader_gradebook.open_gradebook_file(db) as gb:
        return {st.id: st.email or "" for st in gb.students}


KIND = "hand_in_rules"  # its records sit beside the notebook-name check's (:func:`.hand_in_names.record`)


def record(course: Course, hw: str, results: dict) -> None:
    """Keep ``{student: what is wrong with the report ("" when right)}`` of one collect: each student's entry
    replaces the one before, others' are kept."""
    HIR.record(course, KIND, hw, results)


def read(course: Course, hw: str) -> dict:
    return HIR.read(course, KIND, hw)


def check_collected(course: Course, hw: str, rules: dict, chosen: dict) -> list:
    """At collect: each placed submission of ``chosen`` (``{student: {placed name: (entry, info)}}``) checked
    against ``hw``'s report rule; returns ``[(student, what is wrong)]`` and records every student's result."""
    pattern = rule_of(rules, hw)
    if pattern is None:
        return []
    emails = roster_emails(course)
    checked = {}
    for sid, files in chosen.items():
        pdfs = [e.base[0].rsplit("/", 1)[-1] for name, (e, _) in files.items() if name.lower().endswith(".pdf")]
        checked[sid] = check_report(pdfs, pattern, sid, emails.get(sid, ""))
    record(course, hw, checked)
    return [(sid, why) for sid, why in checked.items() if why]


def report_lines(course: Course, hws) -> list:
    """One line per student whose report PDF of one of ``hws`` is missing or misnamed (inert for a terminal)."""
    out = [terminal(f"  {hw} {sid}: {why}") for hw in hws for sid, why in read(course, hw).items() if why]
    return (["report PDFs not handed in as the homework asks (dgmlab collect checked them):"] + out) if out else []
