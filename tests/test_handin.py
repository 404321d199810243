"""dgmlab.handin: each kit homework's hand-in as its handout states it, and what of it a folder lacks."""
import importlib
import json
import os
from pathlib import Path

import nbformat
import pytest

import homeworks
from conftest import ROOT
from dgmlab import handin
from dgmlab import pdf as P

KIT = list(homeworks.names())


def _release(hw):
    return nbformat.read(ROOT / "release" / hw / f"{hw}.ipynb", as_version=4)


def test_every_kit_homework_has_a_hand_in():
    assert KIT and all(handin.of(hw) is not None for hw in KIT)


def test_the_hand_in_table_names_only_kit_homeworks():
    assert set(handin.HAND_IN) <= set(KIT)


def test_a_kit_homework_without_an_entry_gets_the_default(monkeypatch):
    """A new homework folder needs no line in HAND_IN: the kit's default stands in for a handout's."""
    monkeypatch.delitem(handin.HAND_IN, "hw1_wgan")
    assert handin.of("hw1_wgan") == handin.default("hw1_wgan")


def test_the_default_hand_in_is_the_run_notebook_and_the_files_its_checks_grade():
    got = handin.default("hw1_wgan")
    assert (got.notebook, got.files, got.pdfs, got.stated) == ("hw1_wgan.ipynb", ("generator_weights.pt",),
                                                               handin.PDF_NONE, False)


@pytest.mark.parametrize("hw", KIT)
def test_the_files_handed_in_are_the_files_the_checks_grade(hw):
    checks = importlib.import_module(f"homeworks.{hw}.checks")
    graded = sorted({name for spec in checks.CHECKS for name in spec.files})
    assert sorted(handin.of(hw).files) == graded


def test_hw5_asks_one_pdf_per_question_and_says_which_are_missing(tmp_path):
    notebook = tmp_path / "hw5_explicit.ipynb"
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "hw5_explicit_Q1.pdf").write_bytes(b"%PDF")
    (tmp_path / "p1_pixelcnn_weights.pt").write_bytes(b"w")
    text = "\n".join(handin.lines("hw5_explicit", notebook, _release("hw5_explicit"), tmp_path))
    assert "Crowdmark" in text and "<YourLastname>_<YourFirstname>_Assgn2.ipynb" in text
    assert "Q1 hw5_explicit_Q1.pdf," in text and "Q2 hw5_explicit_Q2.pdf MISSING" in text
    assert "P2 hw5_explicit_P2.pdf MISSING" in text and ".jpg or .png" in text
    assert "ok p1_pixelcnn_weights.pt" in text and "!! p2_realnvp_weights.pt: MISSING" in text
    missing = text.splitlines()[-1]
    assert missing.startswith("missing from the hand-in: p2_realnvp_weights.pt, hw5_explicit_Q2.pdf")
    assert "hw5_explicit_Q1.pdf" not in missing and "p1_pixelcnn" not in missing
    assert "playwright install --with-deps chromium" in text and f"dgmlab pdf {notebook}" in text


def test_hw4_asks_a_report_and_finds_the_notebooks_pdf(tmp_path):
    notebook = tmp_path / "hw4_gans.ipynb"
    text = "\n".join(handin.lines("hw4_gans", notebook, _release("hw4_gans"), tmp_path))
    assert "!! the report <your kerberos>.pdf: no PDF of the notebook yet" in text
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "hw4_gans.pdf").write_bytes(b"%PDF")
    text = "\n".join(handin.lines("hw4_gans", notebook, _release("hw4_gans"), tmp_path))
    assert f"ok the report <your kerberos>.pdf: the notebook's PDF is {tmp_path / 'pdf' / 'hw4_gans.pdf'}" in text


def test_hw4_finds_the_report_renamed_as_the_handout_asks(tmp_path):
    """trial4: renaming the PDF to <kerberos>.pdf, as the handout and the list itself ask, made it say MISSING."""
    notebook = tmp_path / "hw4_gans.ipynb"
    (tmp_path / "pdf").mkdir()
    (tmp_path / "pdf" / "hw4_gans_P1.pdf").write_bytes(b"%PDF")  # dgmlab pdf's per-question PDFs are not the report
    (tmp_path / "hw4.pdf").write_bytes(b"%PDF")  # nor is a handout
    text = "\n".join(handin.lines("hw4_gans", notebook, _release("hw4_gans"), tmp_path))
    assert "!! the report <your kerberos>.pdf" in text
    (tmp_path / "pdf" / "jdoe.pdf").write_bytes(b"%PDF")
    got = handin.lines("hw4_gans", notebook, _release("hw4_gans"), tmp_path)
    assert f"  ok the report <your kerberos>.pdf: {tmp_path / 'pdf' / 'jdoe.pdf'}" in "\n".join(got)
    assert "<your kerberos>.pdf" not in got[-1]


def test_hw4_names_the_notebook_and_the_report_once_each(tmp_path):
    got = handin.lines("hw4_gans", tmp_path / "hw4_gans.ipynb", _release("hw4_gans"), tmp_path)
    assert sum(line.startswith("  ok the notebook") for line in got) == 1, got
    assert sum(line.startswith("  !! the report") for line in got) == 1 and not any("also:" in line for line in got)
    assert "  ok the notebook hw4_gans.ipynb, with all the cells run" in got
    cell = handin.markdown("hw4_gans")
    assert cell.count("all the cells run") == 1 and cell.count("the report, named `<your kerberos>.pdf`") == 1


def test_a_homework_asking_no_pdf_lists_none_and_nothing_missing_when_all_is_there(tmp_path):
    (tmp_path / "generator_weights.pt").write_bytes(b"w")
    got = handin.lines("hw1_wgan", tmp_path / "hw1_wgan.ipynb", _release("hw1_wgan"), tmp_path)
    assert got[-1] == "missing from the hand-in: nothing" and not any("PDF" in line for line in got)


def test_a_file_that_is_there_but_fails_its_checks_is_not_ok(tmp_path):
    """A student's wrong-size weights file scored 0 of 2 while the list said ok and nothing was missing."""
    (tmp_path / "generator_weights.pt").write_bytes(b"w")
    got = handin.lines("hw1_wgan", tmp_path / "hw1_wgan.ipynb", _release("hw1_wgan"), tmp_path,
                       failing={"generator_weights.pt": "q3_samples_quality_tests"})
    line = next(x for x in got if "generator_weights.pt" in x and "bytes" in x)
    assert line.startswith("  !!") and "q3_samples_quality_tests" in line
    assert got[-1] == "missing from the hand-in: generator_weights.pt (failing its checks)"


def _hw4_files(folder, results: bytes):
    for name in ("baseline_generator_weights.pt", "cgan_generator_weights.pt"):
        (folder / name).write_bytes(b"w")
    (folder / "hw4_results.json").write_bytes(results)


def test_a_results_file_lacking_models_says_which_and_is_missing_from_the_hand_in(tmp_path):
    """Careful-student trial (issue 62): hw4_results.json holding 1 of the 5 models' results was listed ok."""
    genuine = json.loads((ROOT / "tests" / "fixtures" / "hw4_results.json").read_text())
    _hw4_files(tmp_path, json.dumps({"baseline": genuine["baseline"]}).encode())
    got = handin.lines("hw4_gans", tmp_path / "hw4_gans.ipynb", _release("hw4_gans"), tmp_path)
    line = next(x for x in got if x.startswith("  !! hw4_results.json"))
    assert line.endswith("is not ready to hand in: it records no result for wide_generator, deep_discriminator, "
                         "d_steps_10 and cgan (1 of the 5 models the hand-in needs): run their training cells in "
                         "full mode")
    assert "hw4_results.json (incomplete)" in got[-1]


def test_the_kit_runs_results_file_is_ok(tmp_path):
    _hw4_files(tmp_path, (ROOT / "tests" / "fixtures" / "hw4_results.json").read_bytes())
    got = handin.lines("hw4_gans", tmp_path / "hw4_gans.ipynb", _release("hw4_gans"), tmp_path)
    assert any(x.startswith("  ok hw4_results.json (") for x in got), got


def test_a_notebook_never_run_and_blank_written_answers_are_missing_from_the_hand_in(tmp_path):
    """Careful-student trial (issue 62): the list said "missing from the hand-in: nothing" for the release notebook as
    handed out, never run, every written answer the template's line."""
    from dgmlab import unfinished

    nb = _release("hw3_flows")
    got = handin.lines("hw3_flows", tmp_path / "hw3_flows.ipynb", nb, tmp_path, saved=unfinished.of(nb))
    assert got[-1] == ("missing from the hand-in: the notebook's outputs (run it), the written answers to Q1(e), "
                       "Q2.3, Q3.3 and Q4.4")
    assert got[1].startswith("  ok the notebook hw3_flows.ipynb") and got[2].startswith("  !! the notebook has not been run")



def test_a_notebook_saved_under_another_name_says_the_name_asked_and_how_to_rename(tmp_path):
    """Issue 62: Colab saves a copy as "Copy of hw1_wgan.ipynb", and the list said ok."""
    (tmp_path / "generator_weights.pt").write_bytes(b"w")
    got = handin.lines("hw1_wgan", tmp_path / "Copy of hw1_wgan.ipynb", _release("hw1_wgan"), tmp_path)
    line = next(x for x in got if x.startswith("  !! the notebook hw1_wgan.ipynb"))
    assert "saved as Copy of hw1_wgan.ipynb" in line and "File > Rename" in line
    assert got[-1] == "missing from the hand-in: the notebook's name hw1_wgan.ipynb (yours is Copy of hw1_wgan.ipynb)"


def test_a_courses_own_homework_has_no_list():
    assert handin.lines("hw9_own", Path("hw9_own.ipynb"), nbformat.v4.new_notebook(), Path(".")) == []


@pytest.mark.parametrize("hw", KIT)
def test_the_release_notebook_ends_with_the_hand_in_list(hw):
    last = _release(hw).cells[-1]
    assert last.cell_type == "markdown" and last.source == handin.markdown(hw)
    for name in handin.of(hw).files:
        assert f"`{name}`" in last.source


@pytest.mark.parametrize("hw", [hw for hw in KIT if handin.of(hw).pdfs != handin.PDF_NONE])
def test_a_homework_asking_pdfs_says_how_to_make_them_in_colab(hw):
    text = handin.markdown(hw)
    assert f"!{handin.PDF_INSTALL}" in text  # Playwright's own Chromium: Colab's Ubuntu has no chromium package
    assert f'!dgmlab pdf "{handin.COLAB_NOTEBOOKS}/{handin.of(hw).notebook}"' in text


def test_a_homework_asking_no_pdf_gives_no_pdf_commands():
    assert "dgmlab pdf" not in handin.markdown("hw3_flows") and "playwright" not in handin.markdown("hw3_flows")


def test_the_hand_in_heading_ends_the_last_question_of_the_pdfs():
    from dgmlab.pdf import ENDING_HEADING, QUESTION_HEADING

    heading = handin.markdown("hw5_explicit").splitlines()[0]
    assert ENDING_HEADING.match(heading) and not QUESTION_HEADING.match(heading)


def test_hw4_hand_in_cell_says_which_files_the_course_adds_to_the_handout_s():
    """Careful-student trial (issue 62): the cell said "as the handout asks" over three files the handout never names."""
    asked, added = handin.markdown("hw4_gans").split("The handout lists only these")
    assert "<your kerberos>.pdf" in asked and not any(name in asked for name in handin.of("hw4_gans").files)
    assert all(name in added for name in handin.of("hw4_gans").files) and "scored from these files" in added


def _saved(path: Path, nb, when: float) -> Path:
    """``nb`` saved as ``path``, last modified at ``when`` (seconds since the epoch)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    os.utime(path, (when, when))
    return path


def _pdf(path: Path, when: float, data: bytes = b"%PDF-1.4 made") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (when, when))
    return path


def test_hw4_report_pdf_older_than_the_notebook_is_flagged_with_how_to_make_it_again(tmp_path):
    """Careful-student trial HW4D: the PDF made at 20:00:44, the notebook re-run and saved at 20:01:51, and the
    list said ok."""
    notebook = _saved(tmp_path / "hw4_gans.ipynb", _release("hw4_gans"), 2000)
    _pdf(tmp_path / "pdf" / "hw4_gans.pdf", 1000)
    got = handin.lines("hw4_gans", notebook, _release("hw4_gans"), tmp_path)
    line = next(x for x in got if "the report" in x)
    assert line.startswith("  !! the report <your kerberos>.pdf: ") and "older than the notebook" in line
    assert f"dgmlab pdf {notebook}" in line
    assert "<your kerberos>.pdf (older than the notebook)" in got[-1]


def test_hw4_report_pdf_newer_than_the_notebook_is_ok(tmp_path):
    notebook = _saved(tmp_path / "hw4_gans.ipynb", _release("hw4_gans"), 1000)
    _pdf(tmp_path / "pdf" / "hw4_gans.pdf", 2000)
    assert handin.stale_pdfs("hw4_gans", notebook, tmp_path) == []


def test_hw4_report_renamed_as_the_handout_asks_and_older_than_the_notebook_is_flagged(tmp_path):
    notebook = _saved(tmp_path / "hw4_gans.ipynb", _release("hw4_gans"), 2000)
    renamed = _pdf(tmp_path / "jdoe.pdf", 1000)
    got = handin.lines("hw4_gans", notebook, _release("hw4_gans"), tmp_path)
    line = next(x for x in got if "the report" in x)
    assert line.startswith(f"  !! the report <your kerberos>.pdf: {renamed} is older than the notebook")
    assert handin.stale_pdfs("hw4_gans", notebook, tmp_path) == [renamed]


def test_a_notebook_saved_after_its_pdf_only_for_the_cell_that_made_it_keeps_the_pdf(tmp_path):
    """Colab: `!dgmlab pdf` runs in a cell of the notebook, which Colab then saves, after the PDF."""
    nb = _release("hw4_gans")
    pdf = _pdf(tmp_path / "pdf" / "hw4_gans.pdf", 1000)
    P.note_printed([pdf], P.content_digest(nb))
    nb.cells.append(nbformat.v4.new_code_cell('!dgmlab pdf "/content/drive/MyDrive/Colab Notebooks/hw4_gans.ipynb"',
                                              outputs=[nbformat.v4.new_output("stream", text="pdf/hw4_gans.pdf\n")],
                                              execution_count=40))
    notebook = _saved(tmp_path / "hw4_gans.ipynb", nb, 2000)
    assert handin.stale_pdfs("hw4_gans", notebook, tmp_path) == []


def test_a_notebook_saved_after_its_pdf_only_for_the_cell_installing_the_pdf_tools_keeps_the_pdf(tmp_path):
    nb = _release("hw4_gans")
    pdf = _pdf(tmp_path / "pdf" / "hw4_gans.pdf", 1000)
    P.note_printed([pdf], P.content_digest(nb))
    nb.cells.append(nbformat.v4.new_code_cell(f"!{handin.PDF_INSTALL}", execution_count=39,
                                              outputs=[nbformat.v4.new_output("stream", text="Installing...\n")]))
    notebook = _saved(tmp_path / "hw4_gans.ipynb", nb, 2000)
    assert handin.stale_pdfs("hw4_gans", notebook, tmp_path) == []


def test_a_notebook_changed_after_its_noted_pdf_makes_the_pdf_old(tmp_path):
    nb = _release("hw4_gans")
    pdf = _pdf(tmp_path / "pdf" / "hw4_gans.pdf", 1000)
    P.note_printed([pdf], P.content_digest(nb))
    nb.cells[-1].source += "\n\nA sentence added after the PDF was made."
    notebook = _saved(tmp_path / "hw4_gans.ipynb", nb, 2000)
    assert handin.stale_pdfs("hw4_gans", notebook, tmp_path) == [pdf]


def test_hw5_question_pdfs_older_than_the_notebook_are_flagged_by_name(tmp_path):
    nb = _release("hw5_explicit")
    notebook = _saved(tmp_path / "hw5_explicit.ipynb", nb, 2000)
    (label, first), (_, second) = handin.question_pdfs(nb, "hw5_explicit")[:2]
    _pdf(tmp_path / "pdf" / first, 1000)
    _pdf(tmp_path / "pdf" / second, 3000)
    got = handin.lines("hw5_explicit", notebook, nb, tmp_path)
    line = next(x for x in got if "older than the notebook" in x)
    assert line.startswith(f"  !! {first}: older than the notebook") and second not in line
    assert f"{first} (older than the notebook)" in got[-1]
