"""The release folder (`make wheels`: tools/build_wheels.py into dist/): its two wheels install by path, offline,
into a fresh venv and work there, and the Gradescope zip built with `--wheels` carries those very files.

Offline as the Gradescope clean-image test is: pip with no index, the release folder and a folder of the wheels'
dependencies (tests/fixtures/gradescope_image.py's wheelhouse, made once) as its only sources."""
import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest

from conftest import ROOT, load_script

# one xdist group with the other fresh-venv file: a venv with torch takes 6 GiB of /tmp, a 12 GiB tmpfs here
FRESH_VENVS = pytest.mark.xdist_group("fresh-venvs")
pytestmark = [pytest.mark.slow, pytest.mark.e2e, FRESH_VENVS]  # make test-e2e


def run(cmd, **kw):
    res = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert res.returncode == 0, f"{cmd} failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """The release folder as `make wheels` writes it (the same script, another folder)."""
    folder = tmp_path_factory.mktemp("release") / "dist"
    (folder).mkdir()
    (folder / "dgmlab-0.0.1-py3-none-any.whl").write_bytes(b"an earlier build")  # removed by the build
    assert load_script(ROOT / "tools" / "build_wheels.py").main([str(folder)]) == 0
    return folder


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_the_release_folder_holds_the_two_wheels_of_this_version(release):
    from dgmlab import __version__

    assert sorted(p.name for p in release.iterdir()) == [f"dgmlab-{__version__}-py3-none-any.whl",
                                                        f"dgmlab_grader-{__version__}-py3-none-any.whl"]


def test_the_wheels_install_by_path_offline_in_a_fresh_venv_and_grade(release, tmp_path):
    from gradescope_image import wheelhouse

    deps, why = wheelhouse()
    if deps is None:
        pytest.skip(f"no folder of the wheels' dependencies for an offline install: {why}")
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    run([str(py), "-m", "pip", "install", "--quiet", "--no-index", "--find-links", str(release), "--find-links",
         str(deps), *map(str, sorted(release.glob("*.whl")))], env=env, timeout=1800)
    script = textwrap.dedent("""
        import dgmlab, dgmlab.grading.judge, homeworks.hw3_flows.hidden
        from dgmlab.grading.course import Course
        assert "site-packages" in dgmlab.__file__, dgmlab.__file__
        print(dgmlab.__version__, "from", dgmlab.__file__)
        """)
    res = run([str(py), "-c", script], cwd=tmp_path, env=env, timeout=600)
    assert str(ROOT / "src") not in res.stdout
    version = run([str(venv / "bin" / "dgmlab"), "--version"], cwd=tmp_path, env=env, timeout=300)
    from dgmlab import __version__

    assert __version__ in version.stdout + version.stderr


def test_only_the_release_folders_grader_wheel_declares_the_plugin_entry_points(release):
    """make wheels' student wheel names no dgmlab.grading class (its users lack that package); the grader's does."""
    def groups(wheel) -> set:
        with zipfile.ZipFile(wheel) as whl:
            names = [n for n in whl.namelist() if n.endswith(".dist-info/entry_points.txt")]
            return {line.strip("[]") for line in (whl.read(names[0]).decode() if names else "").splitlines()
                    if line.startswith("[")}

    [student] = release.glob("dgmlab-*.whl")
    [grader] = release.glob("dgmlab_grader-*.whl")
    assert groups(student) == {"console_scripts"} and groups(grader) == {"dgmlab.lms", "dgmlab.clusters"}


def test_the_gradescope_zip_carries_the_release_folders_wheels(release, tmp_path):
    from dgmlab.grading import course as C
    from dgmlab.grading.gradescope.autograder_zip import write_autograder

    hw = "hw3_flows"
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    shutil.copytree(ROOT / "source" / hw, tmp_path / "source" / hw, ignore=shutil.ignore_patterns("figures", "*.pt"))
    course = C.Course(tmp_path)
    C.release(course, [hw], local_only=True)
    path = write_autograder(course, hw, tmp_path / "gradescope" / f"{hw}.zip", wheels=release)
    with zipfile.ZipFile(path) as zf:
        carried = {n.split("/", 1)[1]: _sha(zf.read(n)) for n in zf.namelist() if n.startswith("wheels/")}
    assert carried == {p.name: _sha(p.read_bytes()) for p in release.glob("*.whl")}
