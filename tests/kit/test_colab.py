"""Colab, simulated end to end: a release notebook's setup cell installs dgmlab's wheel into a runtime
that already holds torch and torchvision, mounts a stand-in Google Drive, and hw1 (with its reference
answers, fast mode) writes its figures, files and checkpoint to MyDrive/<course>/hw1_wgan/; a second,
fresh runtime finds the checkpoint there and does not train again.

The "runtime" is a fresh virtual environment without dgmlab whose ``colab.pth`` puts on ``sys.path``
(1) a folder of links to every package of the environment running the tests except dgmlab, so
torch, torchvision, numpy, Jupyter... are preinstalled as in Colab, without copying or reinstalling
5 GB of torch, (2) a stand-in ``google.colab`` package, imported at start-up as Colab's kernel does.
Its ``drive.mount(path)`` makes ``path/MyDrive`` a link to a folder outside the runtime (the
student's Drive), which survives when the runtime (``/content``, the kernel's working directory,
and the environment) is thrown away. pip runs offline (``PIP_NO_INDEX``) and writes a report
(``PIP_REPORT``), which must show that it installed dgmlab and nothing else.
"""
import hashlib
import json
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import dgmlab
from conftest import ROOT
from dgmlab.authoring.examples import reference_submission
from dgmlab.grading.preprocessors import SetInstallSource

pytestmark = pytest.mark.slow
HW = "hw1_wgan"
COURSE = "dgm-course"
KERNEL = "dgmlab-colab"

DRIVE_STUB = '''\
"""Stand-in for google.colab.drive: mount() maps MyDrive to the folder $COLAB_STUB_DRIVE (the student's Drive)."""
import os
from pathlib import Path


def mount(mountpoint, force_remount=False, timeout_ms=120000, readonly=False):
    root = Path(mountpoint)
    root.mkdir(parents=True, exist_ok=True)
    if not (root / "MyDrive").exists():
        (root / "MyDrive").symlink_to(os.environ["COLAB_STUB_DRIVE"], target_is_directory=True)
    with open(os.environ["COLAB_STUB_LOG"], "a") as log:
        log.write(f"mount {mountpoint}\\n")
'''
# Appended to the notebook: what the runtime looked like after the homework ran.
PROBE = """\
import json, os, sys, torch, torchvision, numpy, dgmlab
print("PROBE " + json.dumps({name: os.path.realpath(mod.__file__) for name, mod in
                             dict(dgmlab=dgmlab, torch=torch, torchvision=torchvision, numpy=numpy).items()}
                            | {"torch_version": torch.__version__, "cwd": os.getcwd(), "prefix": sys.prefix,
                               "folder": str(dgmlab.workspace.folder())}))"""


def _preinstalled(tmp_path) -> Path:
    """A folder of links to this environment's packages, dgmlab (and .pth start-up hooks) left out."""
    purelib = next((Path(p) for p in site.getsitepackages() if (Path(p) / "torch").is_dir()), None)
    if purelib is None:
        pytest.skip(f"torch is not in a site-packages folder of {sys.executable}, so it cannot be preinstalled")
    farm = tmp_path / "preinstalled"
    farm.mkdir()
    for entry in purelib.iterdir():
        name = entry.name.lower()
        if name.startswith(("dgmlab", "__editable__", "__pycache__")) or name.endswith(".pth"):
            continue
        (farm / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    return farm


def _stub(tmp_path) -> Path:
    stub = tmp_path / "stub"
    (stub / "google" / "colab").mkdir(parents=True)  # `google` stays a namespace package
    (stub / "google" / "colab" / "__init__.py").write_text('"""Stand-in for Colab\'s google.colab."""\n')
    (stub / "google" / "colab" / "drive.py").write_text(DRIVE_STUB)
    return stub


def _runtime(folder: Path, farm: Path, stub: Path) -> Path:
    """A fresh Colab-like runtime: a venv without dgmlab that sees the preinstalled packages; its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
    site_dir = next((folder / "lib").glob("python3*/site-packages"))
    (site_dir / "colab.pth").write_text(f"{farm}\n{stub}\nimport google.colab\n")
    return folder / "bin" / "python"


def _kernelspec(folder: Path, python: Path) -> Path:
    spec = folder / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab stand-in", "language": "python"}))
    return folder


def _notebook(wheel: Path):
    """hw1's release notebook with the reference answers, its setup cell installing from ``wheel``."""
    release = nbformat.read(ROOT / "release" / HW / f"{HW}.ipynb", as_version=4)
    source = nbformat.read(ROOT / "source" / HW / f"{HW}.ipynb", as_version=4)
    nb, _ = SetInstallSource(install_source=str(wheel)).preprocess(reference_submission(release, source), {})
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    return nb


def _run(nb, python: Path, content: Path, tmp_path: Path, name: str, monkeypatch):
    """Execute ``nb`` in a kernel of the runtime ``python``, working directory ``content`` (Colab's /content)."""
    monkeypatch.setenv("JUPYTER_PATH", str(_kernelspec(tmp_path / f"jupyter_{name}", python)))
    report = tmp_path / f"pip_report_{name}.json"
    drop = ("PYTHONPATH", "NBGRADER_EXECUTION", "VIRTUAL_ENV", "DGMLAB_DATA", "DGMLAB_HOME", "DGMLAB_DEVICE")
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PIP_")}
    env.update(DGMLAB_FAST="1", DGMLAB_DRIVE_MOUNT=str(content / "drive"), COLAB_STUB_DRIVE=str(tmp_path / "gdrive"),
               COLAB_STUB_LOG=str(tmp_path / "mounts.log"), PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull,
               PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_REPORT=str(report), PYTHONNOUSERSITE="1",
               PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    client = NotebookClient(nb, timeout=600, kernel_name=KERNEL, resources={"metadata": {"path": str(content)}})
    client.execute(env=env)
    for i, cell in enumerate(nb.cells):  # each cell's time, shown when the test fails or with -s
        times = cell.get("metadata", {}).get("execution", {})
        if "shell.execute_reply" in times:
            seconds = (_when(times["shell.execute_reply"]) - _when(times["iopub.execute_input"])).total_seconds()
            print(f"runtime {name}, cell {i}: {seconds:.1f} s  {cell.source.splitlines()[0][:60]!r}")
    errors = [(i, o.get("ename"), o.get("evalue")) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"cells raised with the reference answers: {errors}"
    texts = ["".join(o.get("text", "") for o in c.get("outputs", []) if o.get("output_type") == "stream")
             for c in nb.cells if c.cell_type == "code"]
    probe = json.loads(next(line for line in texts[-1].splitlines() if line.startswith("PROBE "))[6:])
    installed = json.loads(report.read_text())["install"] if report.exists() else None
    return texts, probe, installed


def _when(stamp: str):
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _training_cell(nb) -> int:
    code = [c for c in nb.cells if c.cell_type == "code"]
    return next(i for i, c in enumerate(code) if "history = train_wgan(" in c.source)


def _rerun(nb):
    """What a student reruns after a disconnect to get the trained generator back: the cells up to saving the
    samples, without the test cells and the cells that only show something (those grading mode skips)."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    last = next(i for i, c in enumerate(code) if "GRADED_WEIGHTS = " in c.source and "save_samples(" in c.source)
    keep = {_training_cell(nb), last}
    cells = [c for i, c in enumerate(code[:last + 1]) if i in keep or not (
        c.source.startswith("if not runtime.is_grading():") or
        (c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")))]
    return nbformat.v4.new_notebook(cells=cells + [code[-1]], metadata=nb.metadata)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_release_notebook_in_a_colab_like_runtime(dist, tmp_path, monkeypatch):
    import torch

    farm, stub = _preinstalled(tmp_path), _stub(tmp_path)
    gdrive = tmp_path / "gdrive"  # the student's Google Drive: outlives every runtime
    gdrive.mkdir()
    content = tmp_path / "content"  # Colab's /content: the kernel's working directory, wiped with the runtime
    content.mkdir()
    nb = _notebook(dist["wheel"])
    train = _training_cell(nb)
    folder = gdrive / COURSE / HW

    # ---- first runtime: the setup cell installs the wheel, mounts Drive, trains and saves there
    python = _runtime(tmp_path / "runtime1", farm, stub)
    texts, probe, installed = _run(nb, python, content, tmp_path, "1", monkeypatch)
    assert [(i["metadata"]["name"], i["metadata"]["version"]) for i in installed] == \
        [("dgmlab", dgmlab.__version__)], f"pip installed more than dgmlab: {installed}"
    assert Path(probe["prefix"]) == tmp_path / "runtime1"
    assert Path(probe["dgmlab"]).is_relative_to(tmp_path / "runtime1"), probe  # the wheel, not this checkout
    assert probe["torch"] == os.path.realpath(torch.__file__) and probe["torch_version"] == torch.__version__, \
        "pip replaced the preinstalled torch"
    assert not list((tmp_path / "runtime1").glob("lib/python3*/site-packages/torch*")), "pip installed a torch"
    assert (tmp_path / "mounts.log").read_text() == f"mount {content / 'drive'}\n"
    assert Path(probe["folder"]) == folder.resolve() and Path(probe["cwd"]) == folder.resolve()
    assert f"dgmlab: homework folder {folder.resolve()} (on Google Drive" in texts[0], texts[0]
    assert "checkpoint: none yet" in texts[train] and "epoch_01.png" in texts[train], texts[train]
    checkpoint, samples = folder / "checkpoints" / "wgan_fast.pt", folder / "figures" / "samples_1000_fast.pt"
    assert checkpoint.is_file() and samples.is_file(), sorted(p.relative_to(folder) for p in folder.rglob("*"))
    assert {"divergences.png", "losses.png", "samples_100.png"} <= {p.name for p in (folder / "figures").iterdir()}
    assert f"saved: {samples.resolve()}" in "".join(texts)
    assert sorted(p.name for p in content.iterdir()) == ["drive"], "files were written outside the homework folder"
    first = {"checkpoint": _digest(checkpoint), "samples": torch.load(samples, weights_only=True)}

    # ---- the runtime disconnects: /content and the environment are gone, Drive is not
    shutil.rmtree(content)
    content.mkdir()
    python = _runtime(tmp_path / "runtime2", farm, stub)
    rerun = _rerun(nb)
    texts, probe, installed = _run(rerun, python, content, tmp_path, "2", monkeypatch)
    train = _training_cell(rerun)
    assert [i["metadata"]["name"] for i in installed] == ["dgmlab"]
    assert (tmp_path / "mounts.log").read_text().count("mount ") == 2
    assert "checkpoint: the finished run (1 epoch) was loaded" in texts[train], texts[train]
    assert "epoch_01.png" not in texts[train], "the finished run was trained again"
    assert _digest(checkpoint) == first["checkpoint"], "the checkpoint was rewritten"
    assert torch.equal(torch.load(samples, weights_only=True), first["samples"]), \
        "the reloaded generator does not give the first run's samples"
