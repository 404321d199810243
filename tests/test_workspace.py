"""The homework folder: Google Drive in Colab (with a stand-in google.colab), the notebook's folder elsewhere."""
import sys
import types
from pathlib import Path

import pytest

import dgmlab
from dgmlab import workspace


@pytest.fixture
def fake_colab(tmp_path, monkeypatch):
    """A stand-in ``google.colab`` whose ``drive.mount`` makes <mount>/MyDrive in a temporary folder."""
    mounts = []

    def mount(mountpoint, force_remount=False):
        mounts.append(mountpoint)
        (Path(mountpoint) / "MyDrive").mkdir(parents=True, exist_ok=True)

    google = types.ModuleType("google")
    colab = types.ModuleType("google.colab")
    drive = types.ModuleType("google.colab.drive")
    drive.mount = mount
    colab.drive = drive
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setitem(sys.modules, "google.colab.drive", drive)
    monkeypatch.setenv(workspace.MOUNT_ENV, str(tmp_path / "drive"))
    monkeypatch.delenv(workspace.COURSE_ENV, raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(workspace, "_folder", None)
    content = tmp_path / "content"      # Colab's working folder, wiped on disconnect
    content.mkdir()
    monkeypatch.chdir(content)
    return types.SimpleNamespace(mounts=mounts, drive=tmp_path / "drive", content=content, drive_module=drive)


def test_colab_setup_mounts_drive_once_and_enters_the_homework_folder(fake_colab, capsys):
    dgmlab.setup("hw1_wgan")
    folder = fake_colab.drive / "MyDrive" / "dgm-course" / "hw1_wgan"
    assert Path.cwd() == folder.resolve() and folder.is_dir()
    assert fake_colab.mounts == [str(fake_colab.drive)]
    out = capsys.readouterr().out
    assert str(folder.resolve()) in out and "Google Drive" in out
    Path("figures").mkdir()                                   # a relative path the notebook uses lands on Drive
    assert (folder / "figures").is_dir() and not (fake_colab.content / "figures").exists()

    dgmlab.setup("hw1_wgan")                                  # running the setup cell again: no second mount
    assert fake_colab.mounts == [str(fake_colab.drive)]
    assert workspace.folder() == folder.resolve()


def test_colab_course_folder_from_argument_env_or_absolute_path(fake_colab, tmp_path, monkeypatch):
    workspace.enter("hw2_wgangp", quiet=True, course="DGM-2025")
    assert Path.cwd() == (fake_colab.drive / "MyDrive" / "DGM-2025" / "hw2_wgangp").resolve()
    monkeypatch.setenv(workspace.COURSE_ENV, "courses/dgm")
    workspace.enter("hw3_flows", quiet=True)
    assert Path.cwd() == (fake_colab.drive / "MyDrive" / "courses" / "dgm" / "hw3_flows").resolve()
    shared = tmp_path / "shared-drive" / "dgm"
    workspace.enter("hw4_gans", quiet=True, course=str(shared))
    assert Path.cwd() == (shared / "hw4_gans").resolve()


@pytest.mark.parametrize("course", ["../elsewhere", "a/../../b", "bad name!"])
def test_bad_course_folder_is_refused_with_how_to(fake_colab, course):
    with pytest.raises(ValueError, match="DGMLAB_HOME"):
        workspace.enter("hw1_wgan", quiet=True, course=course)
    assert Path.cwd() == fake_colab.content.resolve()


def test_bad_homework_id_is_refused(fake_colab):
    with pytest.raises(ValueError, match="homework id"):
        workspace.enter("../hw1", quiet=True)


def test_colab_without_drive_keeps_working_in_content_and_says_files_are_lost(fake_colab, capsys):
    def refuse(mountpoint, force_remount=False):
        raise ValueError("mount failed")

    fake_colab.drive_module.mount = refuse
    workspace.enter("hw1_wgan")
    assert Path.cwd() == fake_colab.content.resolve()
    out = capsys.readouterr().out
    assert "could not be mounted" in out and "LOST" in out


def test_grading_never_mounts_and_stays_beside_the_notebook(fake_colab, monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    workspace.enter("hw1_wgan")     # what dgmlab.setup calls (setup itself would also switch torch to deterministic)
    assert fake_colab.mounts == [] and Path.cwd() == fake_colab.content.resolve()
    assert "homework folder" not in capsys.readouterr().out   # no grader paths printed into feedback


def test_local_folder_is_the_notebooks_own(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(workspace, "_folder", None)
    monkeypatch.chdir(tmp_path)
    assert not workspace.in_colab()
    workspace.enter("hw1_wgan")
    assert Path.cwd() == tmp_path.resolve() and workspace.folder() == tmp_path.resolve()
    assert f"homework folder {tmp_path.resolve()} (this notebook's folder)" in capsys.readouterr().out


def test_saved_prints_the_full_path_and_the_graded_note(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Path("samples_100.pt").write_bytes(b"x")
    full = workspace.saved("samples_100.pt", graded=True)
    out = capsys.readouterr().out
    assert full == tmp_path.resolve() / "samples_100.pt"
    assert str(full) in out and "submit this file together with the notebook" in out
    workspace.saved("figures/a.png", what="figure saved")
    out = capsys.readouterr().out
    assert str(tmp_path.resolve() / "figures" / "a.png") in out and "submit" not in out


def test_plots_print_where_a_figure_went(tmp_path, monkeypatch, capsys):
    import torch

    from dgmlab import plots

    monkeypatch.chdir(tmp_path)
    plots.image_grid(torch.zeros(4, 1, 28, 28), save="figures/g.png")
    assert (tmp_path / "figures" / "g.png").exists()
    assert f"figure saved: {tmp_path.resolve() / 'figures' / 'g.png'}" in capsys.readouterr().out
    import matplotlib.pyplot as plt

    plt.close("all")


def test_setup_cell_of_every_homework_names_its_homework():
    import json

    from conftest import ROOT
    from dgmlab.grading.layout import Course

    notebooks = [Course(ROOT).source_notebook(hw) for hw in Course(ROOT).homeworks()]
    assert notebooks, "the course has no source notebook"
    for path in notebooks:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        setup = next(c for c in cells if c["metadata"].get("nbgrader", {}).get("grade_id") == "setup")
        source = "".join(setup["source"])
        assert f'dgmlab.setup("{path.stem}")' in source, path.stem
        assert "{hw}" not in source
