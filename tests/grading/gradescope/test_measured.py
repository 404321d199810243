"""What `dgmlab gradescope <hw>` says of a homework that needs more memory than Gradescope's default container
(dgmlab.grading.gradescope.measured), from what benchmarks/bench_gradescope.py recorded."""
import json
from argparse import Namespace

from conftest import ROOT
from dgmlab import cli_commands
from dgmlab.grading.gradescope import autograder_zip
from dgmlab.grading.gradescope import measured as M


def test_a_homework_over_the_default_container_is_named_with_its_peak_and_the_setting(monkeypatch):
    monkeypatch.setitem(M.MEASURED, "hw5_explicit", (797.0, 24.9))
    said = M.advice("hw5_explicit")
    assert said.startswith("hw5_explicit needs more memory than Gradescope's default container (768 MB)")
    assert "peaked at 797 MiB" in said and M.RECORD in said
    assert "Autograder Settings, set the memory to at least 1.5 GB" in said


def test_a_homework_that_fits_with_room_gets_no_note(monkeypatch):
    monkeypatch.setitem(M.MEASURED, "hw3_flows", (540.2, 14.1))
    assert M.advice("hw3_flows") == ""


def test_a_homework_never_measured_gets_no_note():
    assert M.advice("my_own_homework") == ""


def test_the_memory_to_set_leaves_room_for_other_submissions():
    assert M.memory_needed(640.0) == 1.0 and M.memory_needed(1395.7) == 2.0


def test_the_measured_figures_are_the_records_own():
    record = json.loads((ROOT / M.RECORD).read_text(encoding="utf-8"))
    for rec in record["homeworks"]:
        runs = rec["submissions"]
        assert M.MEASURED[rec["hw"]] == (max(r["peak_memory_mib"] for r in runs),
                                         round(max(r["seconds"] for r in runs), 1))


def test_the_zips_build_prints_the_note(monkeypatch, tmp_path, capsys):
    zip_path = tmp_path / "hw1_wgan.zip"
    zip_path.write_bytes(b"zip")
    monkeypatch.setattr(cli_commands, "_course", lambda args: None)
    monkeypatch.setattr("dgmlab.grading.autograde.options.autograde_options", lambda *a, **k: None)
    monkeypatch.setattr("dgmlab.grading.autograde.options.run_options", lambda *a, **k: None)
    monkeypatch.setattr(autograder_zip, "write_autograder", lambda *a, **k: zip_path)
    monkeypatch.setitem(M.MEASURED, "hw1_wgan", (1395.7, 35.9))
    args = Namespace(hw="hw1_wgan", timeout=None, sandbox=None, memory=None, cell_timeout=None, out=str(zip_path),
                     visibility="visible", pip=None, wheels=None, force=False)
    assert cli_commands.cmd_gradescope(args) == 0
    out = capsys.readouterr().out
    assert "dgmlab gradescope: note: hw1_wgan needs more memory" in out and "at least 2 GB" in out
