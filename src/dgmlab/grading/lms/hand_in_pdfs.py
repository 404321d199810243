"""The instructor's ``dgmlab pdf <hw>``: each student's PDFs named as the handout asks, with the photos and PDFs the
student handed in beside the notebook merged in question order (:class:`dgmlab.pdf.Plan`, one per student).

**Names.** A homework whose notebook name has the student's names in it (hw5's handout, ECE1508 on Crowdmark:
``<Lastname>_<Firstname>_Assgn2.ipynb``, ``c.DgmlabCollect.notebook_names``) gets PDFs of that stem:
``Lovelace_Ada_Assgn2.pdf`` and ``Lovelace_Ada_Assgn2_Q1.pdf``, the names as nbgrader's student table has them;
any other homework ``<student>_<hw>.pdf`` and ``<student>_<hw>_<Q>.pdf``. A homework that asks for a report PDF
(hw4's handout, MIT: ``<kerberos>.pdf``, ``c.DgmlabHandIn.report_names``) gets its whole PDF under that name, the
student's id as the kerberos.

**What the student handed in beside the notebook.** Each photo (``.png``, ``.jpg``) and PDF that ``dgmlab collect``
placed in ``submitted/<student>/<hw>/`` goes with the question its name names (:mod:`..hand.question_files`:
``Q3.jpg``, ``q3-page2.png``), in name order: a photo is printed at the end of that question, in its PDF and in
the whole one (a markdown cell with the photo attached, through the same sanitiser and pixel budget as a pasted
image); a PDF's pages are added at the end of that question's PDF (poppler's ``pdfunite``; where it cannot, the
PDF is copied beside, and the command says so). A file that names no question goes at the end of the whole PDF.
A file that is not the image or PDF its name says is left out and listed.
"""
from __future__ import annotations

import base64
import re
from pathlib import Path

import nbformat

from ...pdf import Plan, safe_name
from ..hand import question_files
from ..hand.answers_html import image_type
from ..inert import terminal
from ..layout import Course
from . import hand_in_names, hand_in_rules
from .intake import DgmlabCollect
from .roster_match import roster_names

PHOTOS = (".png", ".jpg", ".jpeg")
MAX_PHOTO_BYTES = 50 * 2 ** 20  # a photo larger than this is left out (its pixels are budgeted when printed)


def _stem(course: Course, hw: str, student: str, names: dict) -> str:
    try:
        rule = hand_in_names.rule_of(course.settings(DgmlabCollect).notebook_names, hw)
    except hand_in_names.NameRuleError:
        rule = None
    first, last = names.get(student, ("", ""))
    if rule and hand_in_names.PLACEHOLDER.search(rule) and first.strip() and last.strip():
        asked = hand_in_names.asked_names(rule, first.strip(), last.strip())[-1]  # the one without spaces: a file name
        return safe_name(re.sub(r"\.ipynb$", "", asked, flags=re.I))
    return safe_name(f"{student}_{hw}")


def _photo_cell(path: Path, label, notes: list, student: str):
    if path.stat().st_size > MAX_PHOTO_BYTES:
        notes.append(terminal(f"{student}: {path.name} left out of the PDFs: larger than "
                              f"{MAX_PHOTO_BYTES // 2 ** 20} MiB"))
        return None
    data = path.read_bytes()
    mime = image_type(data)
    if mime not in ("image/png", "image/jpeg"):
        notes.append(terminal(f"{student}: {path.name} left out of the PDFs: not the PNG or JPEG image its name says"))
        return None
    where = f"handed in with {label}" if label else "handed in beside the notebook"
    ext = "png" if mime == "image/png" else "jpg"
    return nbformat.v4.new_markdown_cell(
        f"**{where}: {safe_name(path.stem)}.{ext}**\n\n![{where}](attachment:photo.{ext})",
        attachments={f"photo.{ext}": {mime: base64.b64encode(data).decode()}})


def planner(course: Course, hw: str):
    """``plan(student) -> Plan`` for :func:`dgmlab.pdf.write_class_pdfs`; ``plan.notes`` (a list the planner
    fills) says what it left out."""
    names = roster_names(course)
    labels = question_files.homework_questions(course, hw).labels
    report = hand_in_rules.rule_of(course.settings(hand_in_rules.DgmlabHandIn).report_names, hw)
    notes: list = []

    def plan(student: str) -> Plan:
        out = Plan(_stem(course, hw, student, names))
        if report:
            out.whole = safe_name(re.sub(r"\.pdf$", "", report.replace(hand_in_rules.KERBEROS, student), flags=re.I))
        folder = course.folder("submitted", hw, student)
        for path in sorted(folder.iterdir()) if folder.is_dir() else ():
            if not path.is_file() or path.is_symlink():
                continue
            label = question_files.question_of(path.name, labels) if labels else None
            if path.suffix.lower() in PHOTOS:
                cell = _photo_cell(path, label, notes, student)
                if cell is not None:
                    out.extra.setdefault(label, []).append(cell)
            elif path.suffix.lower() == ".pdf":
                out.attach.setdefault(label, []).append(path)
        return out

    plan.notes = notes
    return plan
