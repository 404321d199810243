"""A grading kernel's sandbox (dgmlab.grading.isolation.kernel_sandbox, built from .bubblewrap): it is only offered
where the grader can reach what a kernel makes inside it, and a kernel, the judge and the printer inside one see
only the allow-list, hold no capability and no secret of the grader's environment."""
import shutil

import pytest

from conftest import SHARED_DATA, shared_data_env
from dgmlab.grading.isolation import bubblewrap
from dgmlab.grading.isolation import kernel_sandbox as sandbox


def _bwrap():
    usable, why = sandbox.available()
    if not usable:
        pytest.skip(f"no sandbox on this machine: {why}")
    return shutil.which("bwrap")


def test_the_grader_reads_a_file_made_in_the_sandboxs_own_tmpfs():
    assert sandbox._inside_unreachable(_bwrap()) is None


def test_a_sandbox_whose_inside_the_grader_cannot_read_is_not_offered(monkeypatch):
    _bwrap()
    # what a setuid bwrap leaves: no readable /proc/<pid>/root (here, one that shows nothing)
    monkeypatch.setattr(bubblewrap, "sandbox_root", lambda proc, timeout=10.0: "/nonexistent-root")
    monkeypatch.setattr(sandbox, "_inside_unreachable",
                        lambda bwrap, timeout=0.5, probe=sandbox._inside_unreachable: probe(bwrap, timeout))
    usable, why = sandbox.available()
    assert not usable and "setuid bwrap" in why and "/proc/<pid>/root" in why


WALK = '''
import json, os, sys
allowed = json.loads(sys.argv[1])
found = []
for top, dirs, files in os.walk("/", followlinks=False):
    if top in ("/proc", "/sys", "/dev"):
        dirs[:] = []
        continue
    if any(top == a or top.startswith(a.rstrip("/") + "/") for a in allowed):
        dirs[:] = []  # an allowed folder: what it holds is allowed
        continue
    found += [os.path.join(top, n) for n in files + [d for d in dirs if os.path.islink(os.path.join(top, d))]]
    found.append(top)
print(json.dumps(found))
'''


def _other_course(root):
    """A course beside the graded one, as a machine that grades several holds them."""
    (root / "submitted" / "alice" / "hw1").mkdir(parents=True)
    (root / "submitted" / "alice" / "hw1" / "hw1.ipynb").write_text("{}")
    (root / "source" / "hw1").mkdir(parents=True)
    (root / "source" / "hw1" / "hw1.ipynb").write_text("hidden tests")
    (root / "gradebook.db").write_text("grades")
    (root / "draw.key").write_text("key")


def test_a_sandboxed_kernel_that_walks_the_root_finds_only_the_allow_list(tmp_path):
    """Everything a kernel can list is on the allow-list (the system, the Python environment and dgmlab, the kit's
    data, its own working and runtime folders, its tmpfs mounts) or an empty folder leading to one: no other
    course, gradebook, key, home folder, /root or /tmp file of this machine."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    _bwrap()
    graded, other = tmp_path / "graded", tmp_path / "other"
    work = graded / "autograded" / "bob" / "hw1"
    work.mkdir(parents=True)
    (work / "hw1.ipynb").write_text("{}")
    _other_course(graded)  # the graded course's own instructor files, too
    _other_course(other)
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    argv = sandbox.with_workdir_files(sandbox.kernel_argv(work, runtime, sandbox.Limits()))
    allowed = [*bubblewrap.SYSTEM, *bubblewrap.SYSTEM_FILES, *map(str, bubblewrap.environment_paths()),
               "/var/tmp", "/dev", str(work.resolve()), str(runtime.resolve())]
    if os.environ.get("DGMLAB_DATA"):
        allowed.append(str(os.path.realpath(os.environ["DGMLAB_DATA"])))
    python = argv.index(sys.executable)
    res = subprocess.run(argv[:python + 1] + ["-c", WALK, json.dumps(allowed)], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    found = json.loads(res.stdout)
    leading = {"/"} | {str(p) for a in allowed for p in Path(a).parents}
    outside = [p for p in found if p not in leading and p not in allowed]
    assert outside == [], outside[:20]
    assert not any(name in p for p in found for name in ("gradebook.db", "draw.key", "submitted", "source"))


def test_a_data_folder_under_tmp_is_seen_through_the_sandboxs_own_tmp(tmp_path, monkeypatch):
    """The sandbox's /tmp is a tmpfs of its own; what the allow-list holds under /tmp (here the data folder, as a
    checkout or venv in /tmp would be) is bound over it, not hidden by it (a checkout under /tmp graded 0)."""
    import subprocess
    import sys

    _bwrap()
    data = tmp_path / "datasets"
    data.mkdir()
    (data / "seen.txt").write_text("data")
    monkeypatch.setenv("DGMLAB_DATA", str(data))
    work, runtime = tmp_path / "work", tmp_path / "runtime"
    work.mkdir()
    runtime.mkdir()
    argv = sandbox.with_workdir_files(sandbox.kernel_argv(work, runtime, sandbox.Limits()))
    python = argv.index(sys.executable)
    code = f"print(open({str(data.resolve() / 'seen.txt')!r}).read())"
    res = subprocess.run(argv[:python + 1] + ["-c", code], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and res.stdout.strip() == "data", res.stderr[-2000:]


def test_a_sandboxed_kernel_has_the_student_package_and_not_the_grader(tmp_path):
    """In the kernel, dgmlab's student modules import (the probes a check() cell runs among them) and the grader
    does not: dgmlab.grading, dgmlab.authoring and nbgrader are not there, as in a student's Colab."""
    import subprocess
    import sys

    _bwrap()
    work, runtime = tmp_path / "work", tmp_path / "runtime"
    work.mkdir()
    runtime.mkdir()
    argv = sandbox.with_workdir_files(sandbox.kernel_argv(work, runtime, sandbox.Limits()))
    python = argv.index(sys.executable)
    code = ("import importlib, os, homeworks.hw3_flows.checks, dgmlab.probes.wire, dgmlab.runtime\n"
            "for hw in dgmlab.probes.KIT_HOMEWORKS:\n"
            "    dgmlab.probes.specs(hw)\n"  # every homework's checks, and beside none of them its solutions
            "    here = os.path.dirname(importlib.import_module('homeworks.' + hw + '.checks').__file__)\n"
            "    assert os.path.isfile(os.path.join(here, 'expected.json')), here\n"
            "    assert [f for f in os.listdir(os.path.dirname(here)) if f.endswith('.py') and f != '__init__.py'] == []"
            ", here\n"  # homeworks/<hw>/: its description only, no statement, solution or proof
            "for name in ('dgmlab.grading', 'dgmlab.grading.judge.judge', 'dgmlab.authoring', 'nbgrader'):\n"
            "    try:\n"
            "        importlib.import_module(name)\n"
            "        print('imported', name)\n"
            "    except ImportError:\n"
            "        print('missing', name)\n")
    res = subprocess.run(argv[:python + 1] + ["-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split("\n")[:-1] == [f"missing {n}" for n in ("dgmlab.grading", "dgmlab.grading.judge.judge",
                                                                     "dgmlab.authoring", "nbgrader")]


def test_a_kernels_pythonpath_is_src_and_the_checkout_that_grades(tmp_path):
    """The kernel's PYTHONPATH names the folders of the dgmlab and homeworks that grade (in a checkout: src/ and the
    checkout), as the judge's does: not only src/, which left homeworks to another checkout's editable install."""
    import os
    from pathlib import Path

    import dgmlab
    import homeworks

    argv = sandbox.kernel_argv(tmp_path, tmp_path, sandbox.Limits())
    path = argv[argv.index("PYTHONPATH") + 1].split(os.pathsep) if "PYTHONPATH" in argv else []
    assert path == bubblewrap.import_roots()
    for package in (dgmlab, homeworks):
        folder = Path(package.__file__).resolve().parent.parent
        if not bubblewrap.is_inside(folder, Path(__import__("sys").prefix)):
            assert str(folder) in path


TWO_CHECKOUTS = """
import importlib, json, os, sys
# as where this Python's editable install names another checkout, which the sandbox does not show: no finder but
# PYTHONPATH's may find the kit
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in getattr(f, "__module__", type(f).__module__)]
import dgmlab.probes, homeworks
print(json.dumps([os.path.dirname(homeworks.__file__)] + [importlib.import_module(dgmlab.probes.checks_package(hw))
                  and hw for hw in dgmlab.probes.KIT_HOMEWORKS]))
for hw in dgmlab.probes.KIT_HOMEWORKS:
    folder = os.path.join(os.path.dirname(homeworks.__file__), hw)
    for name in ("proofs.py", "hidden/__init__.py", "hidden/references.py"):
        print(os.path.exists(os.path.join(folder, name)))
    try:
        importlib.import_module(f"homeworks.{hw}.hidden")
        print(True)
    except ImportError:
        print(False)
"""


def test_a_kernel_imports_the_checkout_that_grades_and_none_of_its_hidden_tests(tmp_path):
    """With only PYTHONPATH to find the kit (this Python's editable install naming another checkout), the kernel
    imports this checkout's homeworks and every homework's checks, and still finds no proofs.py, no hidden/ file and
    no importable homeworks.<hw>.hidden: PYTHONPATH binds nothing (the trial whose reference got 0 of 8)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    import homeworks
    from dgmlab import probes

    _bwrap()
    if Path(homeworks.__file__).resolve().parent.parent.as_posix() not in bubblewrap.import_roots():
        pytest.skip("homeworks is installed, not a checkout's")
    assert any((Path(homeworks.__file__).parent / hw / "proofs.py").exists() for hw in probes.KIT_HOMEWORKS)
    work, runtime = tmp_path / "work", tmp_path / "runtime"
    work.mkdir()
    runtime.mkdir()
    argv = sandbox.with_workdir_files(sandbox.kernel_argv(work, runtime, sandbox.Limits()))
    python = argv.index(sys.executable)
    res = subprocess.run(argv[:python + 1] + ["-c", TWO_CHECKOUTS], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    first, *seen = res.stdout.split("\n")[:-1]
    assert json.loads(first) == [str(Path(homeworks.__file__).resolve().parent), *probes.KIT_HOMEWORKS]
    assert seen == ["False"] * 4 * len(probes.KIT_HOMEWORKS)


# What a cell tries with the capabilities of the user that started bwrap (root, on a CI machine or in a container):
# unmount the student view (the grader appears under it) and remount a bound folder read-write (code the grader runs).
ESCAPE = """
import ctypes, os, dgmlab
libc = ctypes.CDLL(None, use_errno=True)
status = open('/proc/self/status').read().splitlines()
print([line.split()[1] for line in status if line.startswith('CapEff')][0])
package = os.path.dirname(dgmlab.__file__).encode()
print('umount', libc.umount2(package, 2))  # MNT_DETACH
print('remount', libc.mount(None, package, None, 32 | 4096, None))  # MS_REMOUNT | MS_BIND, read-write
try:
    import dgmlab.grading
    print('grader imported')
except ImportError:
    print('no grader')
"""


def _escape_lines(argv, python_at):
    import subprocess

    res = subprocess.run(argv[:python_at + 1] + ["-c", ESCAPE], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout.split()


def test_a_kernel_holds_no_capability_to_unmount_or_remount_whoever_starts_it(tmp_path):
    """bwrap started by root leaves root's capabilities inside unless told: --cap-drop ALL (bubblewrap.NO_CAPABILITIES),
    so the student view and the read-only binds stay as they are."""
    import sys

    _bwrap()
    work, runtime = tmp_path / "work", tmp_path / "runtime"
    work.mkdir()
    runtime.mkdir()
    argv = sandbox.with_workdir_files(sandbox.kernel_argv(work, runtime, sandbox.Limits()))
    assert _escape_lines(argv, argv.index(sys.executable)) == ["0000000000000000", "umount", "-1", "remount", "-1",
                                                               "no", "grader"]


def test_the_judge_holds_no_capability_either(tmp_path):
    import sys

    from dgmlab.grading.judge import judge_process

    _bwrap()
    argv = judge_process.command(True, str(tmp_path / "judge-tmp"))
    python_at = argv.index(sys.executable)
    argv = argv[:python_at + 1]  # the judge's sandbox, running the attempt instead of the judge
    lines = _escape_lines(argv, python_at)
    assert lines[:5] == ["0000000000000000", "umount", "-1", "remount", "-1"]


READ_PID1_ENVIRON = "import sys; sys.stdout.write(open('/proc/1/environ', 'rb').read().decode(errors='replace'))"


@pytest.mark.parametrize("which", ["kernel", "judge", "printer"])
def test_no_sandbox_shows_the_graders_environment_in_proc_1(tmp_path, which):
    """--clearenv clears only the environment of bwrap's program: /proc/1/environ inside is what bwrap was started
    with, so a token in the grader's environment (CANVAS_API_TOKEN) must never be there (found by a trial: a
    notebook printed the instructor's Canvas token into its own feedback)."""
    import os
    import subprocess
    import sys

    from dgmlab.grading.isolation import printer_sandbox
    from dgmlab.grading.judge import judge_process

    _bwrap()
    if which == "kernel":
        (tmp_path / "work").mkdir()
        (tmp_path / "runtime").mkdir()
        argv = sandbox.with_workdir_files(sandbox.kernel_argv(tmp_path / "work", tmp_path / "runtime", sandbox.Limits()))
        argv = argv[:argv.index(sys.executable) + 1]
    elif which == "judge":
        argv = judge_process.command(True, str(tmp_path / "judge-tmp"))
        argv = argv[:argv.index(sys.executable) + 1]
    else:
        (tmp_path / "pages").mkdir()
        from dgmlab.pdf import find_mathjax

        try:
            mathjax = find_mathjax()
        except Exception as exc:  # noqa: BLE001 - no MathJax here: the printer cannot be built
            pytest.skip(f"no MathJax for the printer's sandbox: {exc}")
        cat = shutil.which("cat")
        argv = printer_sandbox.argv(cat, tmp_path / "pages", mathjax) + [cat, "/proc/1/environ"]
    env = {**os.environ, "CANVAS_API_TOKEN": "SENTINEL-canvas-token"}
    if which != "printer":
        argv += ["-c", READ_PID1_ENVIRON]
    res = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=env)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "SENTINEL" not in res.stdout and "CANVAS_API_TOKEN" not in res.stdout


READ_MNIST = ("import os, struct; root = os.environ['DGMLAB_DATA']\n"
              "with open(os.path.join(root, 'MNIST', 'raw', 'train-images-idx3-ubyte'), 'rb') as f:\n"
              "    print(struct.unpack('>IIII', f.read(16))[1], sorted(os.listdir(root)))\n"
              "try:\n    open(os.path.join(root, 'MNIST', 'mine'), 'w')\nexcept OSError:\n    print('read-only')")


@pytest.mark.skipif(not shared_data_env(), reason="real MNIST not found under ../shared/datasets")
def test_the_sandboxed_judge_reads_the_graders_mnist_and_nothing_else_of_its_data_folder(tmp_path, monkeypatch):
    """A training record's replay trains on the run's digits (all 60,000 in full mode): the sandboxed judge sees
    the grader's MNIST folder read-only, and nothing beside it in the data folder (found by an attacker's trial:
    without it every honest full-mode record needed a look)."""
    import subprocess
    import sys

    from dgmlab.grading.judge import judge_process

    _bwrap()
    data = tmp_path / "data"
    (data / "cifar-10-batches-py").mkdir(parents=True)  # another dataset of the folder: not the judge's
    (data / "MNIST").symlink_to(SHARED_DATA / "MNIST")
    monkeypatch.setenv("DGMLAB_DATA", str(data))
    argv = judge_process.command(True, str(tmp_path / "judge-tmp"))
    res = subprocess.run(argv[:argv.index(sys.executable) + 1] + ["-c", READ_MNIST], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split() == ["60000", "['MNIST']", "read-only"]
    monkeypatch.setenv("DGMLAB_DATA", str(tmp_path / "none"))  # a grader without it: no data folder at all there
    assert "DGMLAB_DATA" not in judge_process.command(True, str(tmp_path / "judge-tmp"))
