"""The wall between a submission's kernel and the grader in a Gradescope container (dgmlab.grading.gradescope.boundary):
the unprivileged-user wall is taken only where it holds (its kernel: tests/grading/isolation/test_user_kernel.py)."""
import os
from pathlib import Path

import pytest

from dgmlab.grading.gradescope import boundary as B
from dgmlab.grading.isolation import user_kernel as U


def test_a_folder_other_users_can_list_is_readable_by_the_kernel_user(tmp_path):
    folder = tmp_path / "grader"
    folder.mkdir()
    folder.chmod(0o755)
    assert B.readable_by_others(folder, uid=12345)
    folder.chmod(0o700)
    assert not B.readable_by_others(folder, uid=12345)  # root's, mode 700


def test_a_path_under_a_folder_others_cannot_search_is_out_of_the_kernel_users_reach():
    import shutil
    import tempfile

    base = tempfile.mkdtemp(dir="/var/tmp")  # every folder above it searchable by all (pytest's tmp_path: not so)
    try:
        folder = Path(base) / "private"
        (folder / "bin").mkdir(parents=True)
        os.chmod(base, 0o755)
        assert B.reachable_by_others(folder / "bin", uid=12345)
        folder.chmod(0o700)
        assert not B.reachable_by_others(folder / "bin", uid=12345)
    finally:
        shutil.rmtree(base)


def test_the_user_wall_is_refused_while_the_grading_files_are_readable_by_others(monkeypatch, tmp_path):
    if os.geteuid() != 0 or B.kernel_user() is None:
        pytest.skip("needs root and a nobody user")
    monkeypatch.setattr(B, "kernel_paths", lambda: [])
    grader = tmp_path / "grader"
    grader.mkdir()
    grader.chmod(0o755)
    wall = B.user_boundary(grader, memory=2 ** 33, file_size=2 ** 28)
    assert wall.kind == "" and "could read" in wall.why and str(grader) in wall.why


def test_the_user_wall_is_refused_when_the_grader_is_not_root(monkeypatch, tmp_path):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    wall = B.user_boundary(tmp_path, memory=2 ** 33, file_size=2 ** 28)
    assert wall.kind == "" and "root" in wall.why


def test_the_user_wall_starts_the_kernel_through_user_kernel_when_everything_is_hidden(monkeypatch, tmp_path):
    if os.geteuid() != 0 or B.kernel_user() is None:
        pytest.skip("needs root and a nobody user")
    monkeypatch.setattr(B, "package_folders", lambda: [])
    monkeypatch.setattr(B, "kernel_paths", lambda: [])
    grader = tmp_path / "grader"
    grader.mkdir(mode=0o700)
    wall = B.user_boundary(grader, memory=2 ** 33, file_size=2 ** 28)
    assert wall.kind == "user" and wall.uid not in (0, -1)
    argv, uid, gid = wall.config_lines
    assert U.__file__ in argv and "{connection_file}" in argv
    # nbgrader's SealWorkingFolder kills every process of that user before root touches its folder
    assert uid == f"c.SealWorkingFolder.kernel_uid = {wall.uid}"
    assert gid == f"c.SealWorkingFolder.kernel_gid = {wall.gid}"


def test_the_user_wall_is_refused_where_the_kernel_user_cannot_reach_the_python(monkeypatch, tmp_path):
    if os.geteuid() != 0 or B.kernel_user() is None:
        pytest.skip("needs root and a nobody user")
    hidden = tmp_path / "hidden"
    (hidden / "python").mkdir(parents=True)
    hidden.chmod(0o700)
    monkeypatch.setattr(B, "kernel_paths", lambda: [hidden / "python"])
    wall = B.user_boundary(tmp_path, memory=2 ** 33, file_size=2 ** 28)
    assert wall.kind == "" and "cannot reach" in wall.why and str(hidden / "python") in wall.why
    # it names the folder that is closed and the command that opens it, not only the grader's usual place (TA trial)
    named = Path(wall.why.split("chmod o+x ")[1].split(";")[0])
    assert named in (hidden / "python").parents and not named.stat().st_mode & 0o001
    assert f"{named} is closed to other users" in wall.why


def test_a_course_that_requires_bubblewrap_grades_nothing_without_it(monkeypatch, tmp_path):
    from dgmlab.grading.isolation import kernel_sandbox as S

    monkeypatch.setattr(S, "available", lambda: (False, "no user namespaces"))
    wall = B.choose(True, tmp_path, 2 ** 33, 2 ** 28)
    assert wall.kind == "" and "no user namespaces" in wall.why
    assert B.choose(False, tmp_path, 2 ** 33, 2 ** 28).kind == "none"


def test_each_homeworks_installed_hidden_folder_is_hidden_from_the_kernel_user(monkeypatch, tmp_path):
    import importlib.util
    from types import SimpleNamespace

    site = tmp_path / "site"
    for hw in ("hw1_a", "hw2_b"):
        (site / "homeworks" / hw / "hidden").mkdir(parents=True)
        (site / "homeworks" / hw / "checks").mkdir(parents=True)
    real = importlib.util.find_spec

    def find_spec(name, *a):
        if name == "homeworks":  # installed in `site`, as dgmlab-grader's wheel installs it
            return SimpleNamespace(submodule_search_locations=[str(site / "homeworks")])
        return real(name, *a)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    found = B.package_folders()
    assert site / "homeworks" / "hw1_a" / "hidden" in found and site / "homeworks" / "hw2_b" / "hidden" in found
    assert not [p for p in found if p.name == "checks"]  # the visible tests stay the kernel's


def test_the_user_wall_is_refused_where_the_courses_config_does_not_seal_the_working_folder(monkeypatch, tmp_path):
    if os.geteuid() != 0 or B.kernel_user() is None:
        pytest.skip("needs root and a nobody user")
    monkeypatch.setattr(B, "package_folders", lambda: [])
    monkeypatch.setattr(B, "kernel_paths", lambda: [])
    grader = tmp_path / "grader"
    grader.mkdir(mode=0o700)
    (grader / "nbgrader_config.py").write_text("c = get_config()\n")
    wall = B.user_boundary(grader, memory=2 ** 33, file_size=2 ** 28)
    assert wall.kind == "" and "SealWorkingFolder" in wall.why


def test_where_bubblewrap_fails_the_user_walls_line_gives_bwraps_first_error_line_made_inert(monkeypatch, tmp_path):
    from dgmlab.grading.isolation import kernel_sandbox as S

    monkeypatch.setattr(S, "available", lambda: (False, "bwrap cannot create namespaces here (bwrap: No "
                                                        "permissions\x1b[31m to create new namespace\nsecond line)"))
    monkeypatch.setattr(B, "user_boundary", lambda *a: B.Boundary("user", "the kernel ran as the unprivileged user"))
    wall = B.choose(None, tmp_path, 2 ** 30, 2 ** 20)
    assert wall.kind == "user"
    assert wall.why.endswith("bubblewrap's error: bwrap cannot create namespaces here (bwrap: No permissions to "
                             "create new namespace")


def test_the_user_wall_taken_by_request_where_bubblewrap_runs_does_not_say_bubblewrap_could_not(monkeypatch, tmp_path):
    from dgmlab.grading.isolation import kernel_sandbox as S

    monkeypatch.setattr(S, "available", lambda: (True, ""))
    monkeypatch.setenv(B.FORCE_ENV, "user")
    monkeypatch.setattr(B, "user_boundary", lambda *a: B.Boundary(
        "user", "the kernel ran as the unprivileged user u; the judge ran apart from it (bubblewrap could not run "
                "here, so the kernel had the network)"))
    wall = B.choose(None, tmp_path, 2 ** 30, 2 ** 20)
    assert wall.kind == "user" and "could not run" not in wall.why
    assert f"({B.FORCE_ENV}=user chose this wall, so the kernel had the network)" in wall.why
