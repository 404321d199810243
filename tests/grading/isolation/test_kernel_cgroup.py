"""dgmlab.grading.isolation.kernel_cgroup: each kernel's own memory and pids cgroup, where the grader may make one.
The attacks it bounds on a real kernel are in test_warm_kernels.py (memory no process holds, forks)."""
import os
import subprocess
import sys
import textwrap

import pytest

from dgmlab.grading.isolation import kernel_cgroup
from dgmlab.grading.isolation.processes import kill_group

FORKS = textwrap.dedent("""
    import os, time
    for _ in range(3):
        if os.fork() == 0:
            os.fork()
            time.sleep(60)
            os._exit(0)
    print("ready", flush=True)
    time.sleep(60)
""")


@pytest.fixture
def cgroups():
    if not kernel_cgroup.available():
        pytest.skip("this grader may not make cgroups (not root, or no memory and pids hierarchy)")
    made = []
    yield lambda memory=2 ** 30, tasks=64: made.append(kernel_cgroup.KernelCgroup.make(memory, tasks)) or made[-1]
    for cgroup in made:
        cgroup._remove()


def test_a_grader_that_may_not_make_cgroups_gets_none(monkeypatch):
    kernel_cgroup._parents.cache_clear()
    monkeypatch.setattr(kernel_cgroup, "_mounts", lambda: {})
    try:
        assert kernel_cgroup.KernelCgroup.make(2 ** 30, 64) is None and not kernel_cgroup.available()
    finally:
        kernel_cgroup._parents.cache_clear()


def test_hold_moves_the_whole_process_tree_in(cgroups):
    cgroup = cgroups()
    proc = subprocess.Popen([sys.executable, "-c", FORKS], stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        cgroup.hold(proc.pid)
        tree = kernel_cgroup.tree(proc.pid, 100)
        assert len(tree) == 7 and set(tree) <= cgroup.members()
        assert os.getpid() not in cgroup.members()
        for folder in cgroup.folders.values():  # pids, and the cpu share where there is a cpu hierarchy, too
            assert set(tree) <= {int(x) for x in (folder / "cgroup.procs").read_text().split()}, folder
    finally:
        kill_group(proc)
        proc.wait()


def test_removing_kills_what_is_left_and_removes_the_folders(cgroups):
    cgroup = cgroups()
    proc = subprocess.Popen([sys.executable, "-c", FORKS], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stdout.readline().strip() == "ready"
    cgroup.hold(proc.pid)
    cgroup._remove()
    proc.wait(timeout=10)
    assert not any(folder.exists() for folder in cgroup.folders.values())


def test_a_folder_left_by_a_grader_no_longer_running_is_swept(cgroups):
    parent = cgroups().folders["memory"].parent
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    left = parent / f"{dead.stdout.strip()}-deadbeef"
    left.mkdir()
    kernel_cgroup._sweep(parent)
    assert not left.exists()
