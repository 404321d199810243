"""A PDF a student handed in, rewritten with its pages and nothing that runs: what ``dgmlab pdf`` merges into the
PDFs a TA opens (:func:`dgmlab.pdf_tools.merge_pdfs`, which runs this module as a child process, with a time and a
memory limit, since the PDF is the student's).

Only the pages are copied (pypdf), so the document's catalog stays behind: its ``/OpenAction``, its ``/Names``
(JavaScript, embedded files), its outline and its form. On each page: the page's ``/AA`` (page-open actions),
annotations that carry files or media (``/FileAttachment``, ``/Movie``, ``/Sound``, ``/Screen``, ``/RichMedia``,
``/3D``), and each annotation's (and form field's) ``/AA`` are removed; an annotation keeps its ``/A`` only when it
goes to a page of the document (``/GoTo``) or opens an ``http``, ``https`` or ``mailto`` address (``/URI``), never
with a ``/Next`` action. ``python -m dgmlab.pdf_scrub IN OUT``."""
from __future__ import annotations

import resource
import sys

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, NameObject

MEMORY_BYTES = 2 * 2 ** 30  # the child's address space: a PDF built to exhaust memory fails, not the machine
MEDIA = {"/FileAttachment", "/Movie", "/Sound", "/Screen", "/RichMedia", "/3D"}
WEB = ("http://", "https://", "mailto:")


def _kept_action(action) -> bool:
    kind = action.get("/S")
    if kind == "/GoTo":
        return True
    return kind == "/URI" and str(action.get("/URI", "")).strip().lower().startswith(WEB)


def _clean_annotation(annot) -> None:
    annot.pop("/AA", None)
    parent, seen = annot.get("/Parent"), 0
    while parent is not None and seen < 64:  # a form field's own actions sit on its field dictionaries
        parent = parent.get_object()
        parent.pop("/AA", None)
        parent.pop("/A", None)
        parent, seen = parent.get("/Parent"), seen + 1
    action = annot.get("/A")
    if action is None:
        return
    action = action.get_object()
    if not hasattr(action, "get") or not _kept_action(action):
        del annot["/A"]
    else:
        action.pop("/Next", None)


def scrub(source, target) -> None:
    """Write ``source``'s pages to ``target`` without actions, scripts or embedded files (the module's doc)."""
    reader = PdfReader(source)
    if reader.is_encrypted and not reader.decrypt(""):
        raise ValueError("the PDF is encrypted with a password")
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    for page in writer.pages:
        page.pop("/AA", None)
        annots = page.get("/Annots")
        if annots is None:
            continue
        kept = ArrayObject()
        for ref in annots.get_object():
            annot = ref.get_object()
            if annot.get("/Subtype") in MEDIA:
                continue
            _clean_annotation(annot)
            kept.append(ref)
        page[NameObject("/Annots")] = kept
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)  # what was cut off
    with open(target, "wb") as f:
        writer.write(f)


def main(argv=None) -> int:
    source, target = sys.argv[1:] if argv is None else argv
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    scrub(source, target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
