"""A PDF a student hands in is merged into the PDFs a TA opens (dgmlab pdf <hw>) without anything that runs: no
JavaScript, open or page actions, launches or embedded files (dgmlab/pdf_scrub.py via pdf_tools.merge_pdfs), and
with its page kept."""
import shutil

import pytest
from pypdf import PdfReader

from dgmlab import pdf_tools
from pdf_files import one_page_pdf as _page_pdf

pytestmark = pytest.mark.skipif(shutil.which("pdfunite") is None, reason="needs poppler's pdfunite")

RUNS = [b"/JavaScript", b"/JS", b"/OpenAction", b"/AA", b"/Launch", b"/EmbeddedFile", b"app.alert", b"calc.exe"]


# a scan whose page-open action (an indirect object), links, document action, JavaScript name tree and embedded file
# all run or carry something: objects 6 on
HOSTILE = _page_pdf(
    "SCANMARK",
    page_extra=b"/AA<</O 6 0 R>>/Annots[7 0 R 8 0 R 9 0 R 10 0 R]",
    catalog_extra=b"/OpenAction<</S/JavaScript/JS(app.alert('doc'))>>/Names<</JavaScript 11 0 R"
                  b"/EmbeddedFiles 12 0 R>>",
    more=[b"<</S/JavaScript/JS(app.alert('page-open'))>>",
          b"<</Type/Annot/Subtype/Link/Rect[0 0 100 100]/A<</S/JavaScript/JS(app.alert('link'))>>>>",
          b"<</Type/Annot/Subtype/Link/Rect[100 0 200 100]/A<</S/Launch/F(calc.exe)>>>>",
          b"<</Type/Annot/Subtype/Link/Rect[200 0 300 100]/AA<</E<</S/JavaScript/JS(app.alert('enter'))>>>>"
          b"/A<</S/URI/URI(https://example.org/notes)/Next<</S/JavaScript/JS(app.alert('next'))>>>>>>",
          b"<</Type/Annot/Subtype/FileAttachment/Rect[300 0 400 100]/FS<</Type/Filespec/F(x.exe)"
          b"/EF<</F 13 0 R>>>>>>",
          b"<</Names[(a)<</S/JavaScript/JS(app.alert('named'))>>]>>",
          b"<</Names[(x.exe) <</Type/Filespec/F(x.exe)/EF<</F 13 0 R>>>>]>>",
          b"<</Type/EmbeddedFile/Length 8>>stream\nMZcalc.e\nendstream"])


def test_a_merged_hand_in_keeps_its_page_and_loses_everything_that_runs(tmp_path):
    target, part = tmp_path / "ada_hw3_Q1.pdf", tmp_path / "Q1.pdf"
    target.write_bytes(_page_pdf("NOTEBOOKMARK"))
    part.write_bytes(HOSTILE)
    assert pdf_tools.merge_pdfs(target, [part]) == (True, "")
    data = target.read_bytes()
    assert [m for m in RUNS if m in data] == []
    pages = PdfReader(target).pages
    assert [("NOTEBOOKMARK" in p.extract_text(), "SCANMARK" in p.extract_text()) for p in pages] == \
        [(True, False), (False, True)]


def test_a_web_link_in_a_hand_in_is_kept(tmp_path):
    target, part = tmp_path / "ada_hw3_Q1.pdf", tmp_path / "Q1.pdf"
    target.write_bytes(_page_pdf("NOTEBOOKMARK"))
    part.write_bytes(HOSTILE)
    pdf_tools.merge_pdfs(target, [part])
    links = [a.get_object()["/A"]["/URI"] for a in PdfReader(target).pages[1].get("/Annots", [])
             if "/A" in a.get_object()]
    assert links == ["https://example.org/notes"]


def test_without_pypdf_a_hand_in_is_not_merged_and_says_what_to_install(tmp_path, monkeypatch):
    target, part = tmp_path / "ada_hw3_Q1.pdf", tmp_path / "Q1.pdf"
    target.write_bytes(_page_pdf("NOTEBOOKMARK"))
    part.write_bytes(HOSTILE)
    before = target.read_bytes()
    found = pdf_tools.importlib.util.find_spec
    monkeypatch.setattr(pdf_tools.importlib.util, "find_spec", lambda name: None if name == "pypdf" else found(name))
    merged, why = pdf_tools.merge_pdfs(target, [part])
    assert not merged and "pip install pypdf" in why and target.read_bytes() == before
