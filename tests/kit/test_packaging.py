"""dgmlab as a package: one version, complete metadata, a wheel that holds its assets, lower-bound
requirements that leave Colab's torch/torchvision/numpy alone (pip's own dry run proves it), and
the install source a release notebook's setup cell gets."""
import email
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import dgmlab
import tiny_homework as tiny
from conftest import ROOT
from dgmlab import cli
from dgmlab.grading.preprocessors import InstallSourceError, SetInstallSource, install_source_problem
from dgmlab.grading.preprocessors.install_source import NO_SOURCE_LINE

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python < 3.11
    tomllib = None

needs_tomllib = pytest.mark.skipif(tomllib is None, reason="needs Python 3.11's tomllib")

# What a fresh Colab runtime already holds (the versions issue 14 names, plus the packages they
# depend on), with the requirements their wheels declare among these packages: torch 2.6.0 pins
# sympy==1.13.1, torchvision 0.21.0 pins torch==2.6.0, scipy 1.14.1 caps numpy<2.3. Colab has no POT.
COLAB = {
    "torch": ("2.6.0", ['sympy==1.13.1; python_version >= "3.9"']),
    "torchvision": ("0.21.0", ["numpy", "torch==2.6.0", "pillow!=8.3.*,>=5.3.0"]),
    "numpy": ("2.0.2", []),
    "scipy": ("1.14.1", ["numpy<2.3,>=1.23.5"]),
    "sympy": ("1.13.1", ["mpmath<1.4,>=1.1.0"]),
    "mpmath": ("1.3.0", []),
    "matplotlib": ("3.10.0", ["numpy>=1.23", "pillow>=8", "packaging>=20.0"]),
    "pillow": ("11.1.0", []),
    "packaging": ("24.2", []),
    "tqdm": ("4.67.1", ['colorama; platform_system == "Windows"']),
}


def _project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


# ------------------------------------------------------------------ pyproject (no build)
@needs_tomllib
def test_runtime_requirements_are_lower_bounds_only():
    """`==`, `<`, `~=` would let `pip install dgmlab` replace what Colab preinstalled."""
    for line in _project()["dependencies"]:
        req = Requirement(line)
        ops = {spec.operator for spec in req.specifier}
        assert ops == {">="}, f"{line!r}: a runtime requirement must be one lower bound (>=), not {ops or 'none'}"
        assert req.url is None and req.marker is None, f"{line!r}: plain name>=version only"


@needs_tomllib
def test_one_version_number():
    project = _project()
    assert "version" not in project and project["dynamic"] == ["version"]
    build = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert build["dynamic"]["version"] == {"attr": "dgmlab.__version__"}


@needs_tomllib
def test_the_grader_wheel_reads_the_same_version_number():
    grader = tomllib.loads((ROOT / "grader" / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in grader["project"] and grader["project"]["dynamic"] == ["version"]
    assert grader["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "dgmlab.__version__"}


def test_dgmlab_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"dgmlab {dgmlab.__version__}"


@needs_tomllib
def test_metadata_is_complete_and_placeholder_free():
    project = _project()
    for key in ("description", "readme", "requires-python", "license", "authors", "maintainers", "classifiers"):
        assert project.get(key), f"pyproject.toml [project] lacks {key}"
    for path in project["license-files"] + [project["readme"]]:
        assert (ROOT / path).is_file(), f"pyproject.toml names {path}, which does not exist"
    text = json.dumps(project)
    for placeholder in ("<org>", "<repo>", "dgm-course/dgm-course", "example.com", "TODO"):
        assert placeholder not in text, f"pyproject.toml [project] holds the placeholder {placeholder}"


# ------------------------------------------------------------------ the install source
@pytest.mark.parametrize("value", [
    "dgmlab==0.1.0",
    "dgmlab[fidelity]==0.1.0",
    "dgmlab @ git+https://github.com/someone/dgm-homeworks@v0.1.0",
    "dgmlab @ git+ssh://git@github.com/someone/dgm-homeworks.git@v0.1.0",
    "https://course.university.edu/dgm/dgmlab-0.1.0-py3-none-any.whl",
    "dgmlab @ https://course.university.edu/dgm/dgmlab-0.1.0-py3-none-any.whl",
    "/content/drive/MyDrive/dgm/dgmlab-0.1.0-py3-none-any.whl",
])
def test_install_source_accepts_one_fixed_version(value):
    assert install_source_problem(value) is None


@pytest.mark.parametrize("value, why", [
    ("", "no install source is set"),
    ("   ", "no install source is set"),
    ("dgmlab @ git+https://github.com/dgm-course/dgm-course@main", "does not exist"),
    ("dgmlab @ git+https://github.com/<org>/<repo>@v0.1.0", "placeholder <org>"),
    ("https://<host>/dgmlab-0.1.0-py3-none-any.whl", "placeholder <host>"),
    ("dgmlab", "does not pin one dgmlab version"),
    ("dgmlab>=0.1", "does not pin one dgmlab version"),
    ("dgmlab==0.1.*", "does not pin one dgmlab version"),
    ("dgmlab @ git+https://github.com/someone/dgm-homeworks", "names no Git tag"),
    ("numpy==2.0.2", "installs the package 'numpy', not dgmlab"),
    ("https://course.university.edu/dgm/torch-2.6.0-py3-none-any.whl", "not dgmlab"),
    ("https://course.university.edu/dgm/dgmlab.whl", "valid wheel file name"),
    ("pip install dgmlab", "neither a pip requirement"),
])
def test_install_source_refuses_unset_placeholder_and_unpinned(value, why):
    problem = install_source_problem(value)
    assert problem is not None and why in problem


def _setup_cell(**traits):
    """The setup cell of a release written by SetInstallSource(**traits), from the builders' SETUP_SOURCE."""
    from dgmlab.authoring import SETUP_SOURCE

    cell = nbformat.v4.new_code_cell(SETUP_SOURCE)
    cell.metadata = {"nbgrader": {"grade_id": "setup", "grade": False, "solution": False, "locked": True}}
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb, _ = SetInstallSource(**traits).preprocess(nb, {})
    return nb.cells[0].source


def test_preprocessor_refuses_with_the_setting_and_the_three_forms():
    with pytest.raises(InstallSourceError) as err:
        _setup_cell(install_source="dgmlab @ git+https://github.com/dgm-course/dgm-course@main")
    text = str(err.value)
    for needed in ("c.SetInstallSource.install_source", "nbgrader_config.py", f'"dgmlab=={dgmlab.__version__}"',
                   "git+https://", "-py3-none-any.whl", "--local-only", "docs/publishing.md"):
        assert needed in text, f"the refusal does not mention {needed}"


def _run_in_fake_colab(source, tmp_path):
    """Run a setup cell where `google.colab` is imported and dgmlab is not installed; pip calls are recorded."""
    calls = tmp_path / "pip_calls.json"
    prelude = (
        "import json, subprocess, sys, types\n"
        "sys.modules['google.colab'] = types.ModuleType('google.colab')\n"
        f"def run(args, **kw):\n    json.dump(list(args[1:]), open({str(calls)!r}, 'w'))\n"
        "subprocess.run = run\n")
    # -I -S: no site-packages and no PYTHONPATH, so `dgmlab` is not importable, as in a fresh Colab.
    res = subprocess.run([sys.executable, "-I", "-S", "-c", prelude + source], capture_output=True, text=True,
                         cwd=tmp_path, timeout=60)
    return res, (json.loads(calls.read_text()) if calls.exists() else None)


def test_configured_setup_cell_installs_exactly_that_source_in_colab(tmp_path):
    source = "dgmlab @ git+https://github.com/someone/dgm-homeworks@v0.1.0"
    res, pip = _run_in_fake_colab(_setup_cell(install_source=source), tmp_path)
    assert pip == ["-m", "pip", "install", "-q", source]


def test_local_only_setup_cell_stops_in_colab_with_a_message(tmp_path):
    cell = _setup_cell(local_only=True)
    assert 'DGMLAB_INSTALL = ""' in cell
    res, pip = _run_in_fake_colab(cell, tmp_path)
    assert pip is None, f"pip ran with {pip}"
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("RuntimeError: This notebook does not say where to install dgmlab from")
    assert "Ask your instructor" in last and "!pip install" in last


def test_local_only_setup_cell_says_nothing_of_how_it_was_released():
    """A student reads the setup cell: what to do in Colab, never the instructor's release process."""
    cell = _setup_cell(local_only=True).lower()
    assert [w for w in ("local-only", "local use", "release") if w in cell] == []


@pytest.mark.parametrize("traits, says", [
    ({"install_source": "dgmlab @ git+https://github.com/someone/dgm-homeworks@v0.3.1"},
     'run: pip install "dgmlab @ git+https://github.com/someone/dgm-homeworks@v0.3.1"'),
    ({"local_only": True}, "pip install the dgmlab wheel (.whl) your instructor hands out"),
], ids=["configured", "local-only"])
def test_setup_cell_outside_colab_names_the_configured_source(traits, says, tmp_path):
    """Off Colab, with dgmlab missing, the cell says what to install: the course's pinned source, never a bare name."""
    res = subprocess.run([sys.executable, "-I", "-S", "-c", _setup_cell(**traits)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=60)
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("ModuleNotFoundError: dgmlab is not installed here: ") and says in last, last


def test_committed_release_is_local_only():
    """This kit names no course's install source, so its release/ is local-only (nbgrader_config.py)."""
    for path in sorted((ROOT / "release").glob("*/*.ipynb")):
        setup = next(c for c in nbformat.read(path, as_version=4).cells
                     if c.metadata.get("nbgrader", {}).get("grade_id") == "setup")
        assert NO_SOURCE_LINE in setup.source, path.name


def _tiny_course(tmp_path, config_line=""):
    text = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (tmp_path / "nbgrader_config.py").write_text(text + config_line, encoding="utf-8")
    tiny.build(tmp_path)
    return tmp_path


@pytest.mark.parametrize("config_line", [
    "",
    'c.SetInstallSource.install_source = "dgmlab @ git+https://github.com/dgm-course/dgm-course@main"\n',
    'c.SetInstallSource.install_source = "dgmlab @ git+https://github.com/<org>/<repo>@v0.1.0"\n',
    'c.SetInstallSource.install_source = "dgmlab"\n',
], ids=["unset", "retired", "placeholder", "unpinned"])
def test_dgmlab_release_refuses_and_writes_nothing(tmp_path, capsys, config_line):
    root = _tiny_course(tmp_path, config_line)
    earlier = root / "release" / tiny.HW / f"{tiny.HW}.ipynb"
    earlier.parent.mkdir(parents=True)
    earlier.write_text("an earlier release")
    assert cli.main(["--course", str(root), "release"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("dgmlab: error: refusing to write release notebooks")
    assert "c.SetInstallSource.install_source in nbgrader_config.py" in err and "--local-only" in err
    assert earlier.read_text() == "an earlier release"


# ------------------------------------------------------------------ pip's view of a Colab-like runtime
def _wheel(folder, name, version, requires=(), metadata=None):
    """A wheel holding only metadata: what `pip install --dry-run` reads to resolve."""
    info = f"{name}-{version}.dist-info"
    path = folder / f"{name}-{version}-py3-none-any.whl"
    metadata = metadata or "".join([f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
                                    *(f"Requires-Dist: {r}\n" for r in requires)])
    with zipfile.ZipFile(path, "w") as whl:
        whl.writestr(f"{info}/METADATA", metadata)
        whl.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        whl.writestr(f"{info}/RECORD", f"{info}/METADATA,,\n{info}/WHEEL,,\n{info}/RECORD,,\n")
    return path


def _colab_like_env(tmp_path, preinstalled=COLAB):
    """A virtual environment whose site-packages holds the preinstalled distributions (metadata only)."""
    venv = tmp_path / "colab"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = next((venv / "lib").glob("python3*/site-packages"))
    for name, (version, requires) in preinstalled.items():
        info = site / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(f"Requires-Dist: {r}\n" for r in requires))
        (info / "INSTALLER").write_text("pip\n")
        (info / "RECORD").write_text(f"{info.name}/METADATA,,\n{info.name}/INSTALLER,,\n{info.name}/RECORD,,\n")
    return venv / "bin" / "python"


def _pot_wheel(folder):
    """POT as the index offers it, from the installed POT's own metadata (its requirements included)."""
    from importlib.metadata import distribution

    pot = distribution("pot")
    return _wheel(folder, "pot", pot.version, metadata=pot.read_text("METADATA"))


def dry_run_installs(python, requirement, find_links, tmp_path) -> dict:
    """``{name: version}`` that ``pip install --dry-run`` would install into ``python``'s environment."""
    report = tmp_path / "report.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_CONFIG_FILE"] = os.devnull  # no index, find-links or constraints from this machine's pip config
    res = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--dry-run", "--quiet",
                          "--report", str(report), "--no-index", "--find-links", str(find_links), str(requirement)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, f"pip could not resolve:\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}"
    return {canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
            for item in json.loads(report.read_text())["install"]}


@pytest.mark.slow  # runs a release dry run
def test_dry_run_sees_a_replacement(tmp_path):
    """The check can fail: a package that needs a newer torch would replace Colab's."""
    links = tmp_path / "links"
    links.mkdir()
    _wheel(links, "torch", "2.7.0", ['sympy>=1.13.3'])
    _wheel(links, "sympy", "1.14.0", ["mpmath<1.4,>=1.1.0"])
    needs = _wheel(links, "needs_new_torch", "1.0", ["torch>=2.7"])
    installs = dry_run_installs(_colab_like_env(tmp_path), needs, links, tmp_path)
    assert installs == {"needs-new-torch": "1.0", "torch": "2.7.0", "sympy": "1.14.0"}


# ------------------------------------------------------------------ the built distributions (slow: builds)
# `dist` (conftest.py): the wheel and sdist, built once per session.


@pytest.mark.slow
@needs_tomllib
def test_wheel_and_sdist_carry_complete_metadata(dist):
    with zipfile.ZipFile(dist["wheel"]) as whl:
        meta = email.message_from_string(whl.read(f"dgmlab-{dgmlab.__version__}.dist-info/METADATA").decode())
        names = whl.namelist()
    assert dist["wheel"].name == f"dgmlab-{dgmlab.__version__}-py3-none-any.whl"
    assert meta["Name"] == "dgmlab" and meta["Version"] == dgmlab.__version__
    assert meta["Author"] and meta["Maintainer"] and meta["License-Expression"] == "MIT AND CC-BY-SA-3.0"
    assert meta["Requires-Python"] == ">=3.10" and meta.get_all("Classifier")
    assert "Project-URL" not in meta, "project URLs are omitted until the course has a public home"
    assert meta.get_payload().startswith("# dgmlab"), "the README is the long description"
    assert sorted(meta.get_all("License-File")) == ["LICENSE", "src/dgmlab/assets/MNIST_LICENSE.txt"]
    assert f"dgmlab-{dgmlab.__version__}.dist-info/licenses/LICENSE" in names
    runtime = [r for r in meta.get_all("Requires-Dist") if "extra ==" not in r]
    assert sorted(runtime) == sorted(_project()["dependencies"])
    with tarfile.open(dist["sdist"]) as sdist:
        top = f"dgmlab-{dgmlab.__version__}"
        pkg_info = email.message_from_string(sdist.extractfile(f"{top}/PKG-INFO").read().decode())
        members = sdist.getnames()
    assert pkg_info["Version"] == dgmlab.__version__
    assert f"{top}/LICENSE" in members and f"{top}/README.md" in members
    assert not [m for m in members if m.startswith(f"{top}/tests")], "the sdist ships the package, not the course tests"


@pytest.mark.slow
def test_student_wheel_and_sdist_leave_out_the_grader_and_the_authoring_tooling(dist):
    """The student package holds no grader (dgmlab.grading is dgmlab-grader's) and no dgmlab.authoring, which
    builds and proves the kit from homeworks/ and holds the solutions: a checkout's tool."""
    with zipfile.ZipFile(dist["wheel"]) as whl:
        wheel = whl.namelist()
    with tarfile.open(dist["sdist"]) as sdist:
        members = sdist.getnames()
    assert {"dgmlab/probes/__init__.py", "dgmlab/probes/wire.py", "dgmlab/probes/points.py", "dgmlab/probes/asserts.py",
            "dgmlab/checks.py", "dgmlab/testing.py"} <= set(wheel)  # the protocol, and the two deprecated aliases
    assert [n for n in wheel if n.startswith(("dgmlab/authoring", "dgmlab/grading"))] == []
    assert [m for m in members if "/dgmlab/authoring" in m or "/dgmlab/grading" in m] == []
    # of homeworks/ (solutions, hidden tests, proofs), the package's description and each homework's checks/ alone
    assert "homeworks/__init__.py" in wheel and "homeworks/hw2_wgangp/checks/__init__.py" in wheel
    assert "homeworks/hw2_wgangp/checks/expected.json" in wheel and "homeworks/hw2_wgangp/checks/points.json" in wheel
    assert [n for n in wheel if n.startswith("homeworks/") and n != "homeworks/__init__.py"
            and n.split("/")[2] != "checks"] == []
    shipped = [m.split("/", 1)[1].split("/") for m in members if "/homeworks/" in m]
    assert ["homeworks", "hw2_wgangp", "checks", "__init__.py"] in shipped
    assert [m for m in shipped if len(m) > 2 and m[2] != "checks"] == []


def _entry_point_groups(wheel) -> list:
    """The entry-point groups a wheel's metadata declares (what importlib.metadata shows once it is installed)."""
    with zipfile.ZipFile(wheel) as whl:
        names = [n for n in whl.namelist() if n.endswith(".dist-info/entry_points.txt")]
        text = whl.read(names[0]).decode() if names else ""
    return re.findall(r"^\[([^\]]+)\]", text, re.M)


@pytest.mark.slow
def test_only_the_grader_wheel_advertises_the_plugin_entry_points(dist):
    """A student's environment has no dgmlab.grading: entry points there would name code it lacks."""
    assert _entry_point_groups(dist["wheel"]) == ["console_scripts"]
    assert sorted(_entry_point_groups(dist["grader"])) == ["dgmlab.clusters", "dgmlab.lms"]


@pytest.mark.slow
def test_grader_wheel_holds_the_grader_only(dist):
    with zipfile.ZipFile(dist["grader"]) as whl:
        modules = [n for n in whl.namelist() if ".dist-info/" not in n]
    assert "dgmlab/grading/judge/judge.py" in modules and "dgmlab/grading/isolation/kernel_sandbox.py" in modules
    # and of homeworks/, each kit homework's hidden tests and references alone (the package comes with dgmlab)
    assert [n for n in modules if not n.startswith("dgmlab/grading/")
            and not (n.startswith("homeworks/") and n.split("/")[2:3] == ["hidden"])] == []
    assert "homeworks/hw3_flows/hidden/q1_change_of_variables.py" in modules
    assert "homeworks/hw3_flows/hidden/references.py" in modules


def _found(pyproject: Path) -> set:
    """The packages setuptools finds from ``pyproject``'s [tool.setuptools.packages.find], as the wheel's build does."""
    import setuptools

    find = tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]["find"]
    return {name for where in find["where"]
            for name in setuptools.find_packages(where=str(pyproject.parent / where), include=find["include"])}


@needs_tomllib
def test_the_wheels_find_their_packages_in_the_folders():
    """No homework is named in either pyproject.toml: the student wheel finds every package of src/dgmlab but the
    grader's and the authoring tooling's, and each homework's homeworks.<hw>.checks; the grader's wheel finds every
    package of src/dgmlab/grading and each homeworks.<hw>.hidden. A new homework's folder is in both."""
    from dgmlab import probes

    src = ROOT / "src"
    mine = {".".join(p.parent.relative_to(src).parts) for p in src.glob("dgmlab/**/__init__.py")}
    grading = {name for name in mine if name.split(".")[:2] == ["dgmlab", "grading"]}
    student = {name for name in mine if name.split(".")[:2] not in (["dgmlab", "grading"], ["dgmlab", "authoring"])}
    folders = sorted(p.parent.parent.name for p in (ROOT / "homeworks").glob("*/checks/__init__.py"))
    assert list(probes.KIT_HOMEWORKS) == folders
    assert _found(ROOT / "pyproject.toml") == student | {"homeworks"} | {f"homeworks.{hw}.checks" for hw in folders}
    assert _found(ROOT / "grader" / "pyproject.toml") == grading | {f"homeworks.{hw}.hidden" for hw in folders}
    for pyproject in (ROOT / "pyproject.toml", ROOT / "grader" / "pyproject.toml"):
        packaging = json.dumps(tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["setuptools"])
        named = [hw for hw in folders if hw in packaging]
        assert named == [], f"{pyproject.relative_to(ROOT)} names {named}: let packages.find find them"


@needs_tomllib
def test_grader_requires_the_student_package_and_the_grading_extra():
    """dgmlab-grader's requirements are dgmlab and, item for item, the root pyproject's `grading` extra (what a
    checkout's `make venv` installs for grading)."""
    import tomllib

    grader = tomllib.loads((ROOT / "grader" / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert grader["dependencies"] == ["dgmlab", *_project()["optional-dependencies"]["grading"]]


@pytest.mark.parametrize("command", [["build"], ["examples"], ["new-homework", "hw6_mine"]])
def test_authoring_commands_without_the_authoring_package_say_it_needs_a_checkout(command, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "dgmlab.authoring", None)  # as installed from the wheel
    for name in [m for m in sys.modules if m.startswith("dgmlab.authoring.")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(SystemExit) as stop:
        cli.main(command)
    assert stop.value.code == 2 and "needs a checkout of the course kit" in capsys.readouterr().err


@pytest.mark.slow
def test_wheel_holds_the_assets(dist):
    assets = sorted(p.relative_to(ROOT / "src").as_posix() for p in (ROOT / "src" / "dgmlab" / "assets").iterdir()
                    if p.is_file())
    with zipfile.ZipFile(dist["wheel"]) as whl:
        names = set(whl.namelist())
    assert len(assets) >= 5 and [a for a in assets if a not in names] == []
    recorded = sorted(f"homeworks/{p.parent.parent.name}/checks/{p.name}"
                      for p in (ROOT / "homeworks").glob("*/checks/expected.json"))
    assert len(recorded) >= 5 and [r for r in recorded if r not in names] == []  # what visible checks compare with


@pytest.mark.slow
def test_installing_the_wheel_in_colab_replaces_nothing(dist, tmp_path):
    """pip, asked to install the built wheel where Colab's packages are installed, installs dgmlab and POT only."""
    links = tmp_path / "links"
    links.mkdir()
    pot = _pot_wheel(links)
    installs = dry_run_installs(_colab_like_env(tmp_path), dist["wheel"], links, tmp_path)
    assert installs == {"dgmlab": dgmlab.__version__, "pot": pot.name.split("-")[1]}


