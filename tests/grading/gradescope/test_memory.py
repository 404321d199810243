"""The grading's memory in a Gradescope container (dgmlab.grading.gradescope.memory): the process tree's peak,
shared pages counted once, the container's cgroup, and a kernel stopped before the container's limit."""
import time

from dgmlab.grading.gradescope import memory


def test_peak_memory_counts_pages_a_fork_shares_once():
    """The judge forks a child per notebook: their shared pages are the container's once, not once a process."""
    import subprocess
    import sys

    import psutil

    size = 200 * 2 ** 20
    # A fresh interpreter (not this test worker, whose other children would count) writes `size` bytes, so they are
    # resident, forks a child that shares them, and says so.
    script = (f"import os, sys, time\ndata = b'x' * {size}\n"
              "if os.fork() == 0:\n    time.sleep(30); os._exit(0)\n"
              "print('ready', flush=True); time.sleep(30)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout.readline().strip() == "ready"
        tree = [psutil.Process(parent.pid), *psutil.Process(parent.pid).children(recursive=True)]
        assert len(tree) == 2
        rss_sum = sum(p.memory_info().rss for p in tree)
        with memory.PeakMemory(every=0.05, pid=parent.pid) as mem:
            time.sleep(0.5)
    finally:
        for p in psutil.Process(parent.pid).children(recursive=True):
            p.kill()
        parent.kill()
        parent.wait()
    assert size < mem.peak < 0.75 * rss_sum


def test_peak_memory_says_how_much_was_the_judges(tmp_path):
    """The peak's parts: the grader (the measured process), the judge (by its command line) and the kernel."""
    import subprocess
    import sys

    size = 150 * 2 ** 20
    judge = f"import time\ndata = b'x' * {size}\ntime.sleep(30)\n"  # its command line names the judge's module
    grader = (f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', {judge!r}, "
              f"{memory.JUDGE_COMMAND!r}])\ntime.sleep(30)\n")
    parent = subprocess.Popen([sys.executable, "-c", grader])
    try:
        deadline = time.time() + 30
        with memory.PeakMemory(every=0.05, pid=parent.pid) as mem:
            while mem.parts.get("judge", 0) < size and time.time() < deadline:
                time.sleep(0.1)
    finally:
        import psutil

        for child in psutil.Process(parent.pid).children(recursive=True):
            child.kill()
        parent.kill()
        parent.wait()
    assert mem.parts["judge"] > size > mem.parts["grader"] and mem.parts["kernel"] == 0
    assert sum(mem.parts.values()) == mem.peak


def test_a_kernel_that_outgrows_the_container_is_stopped_and_the_judge_and_grader_are_not(monkeypatch):
    """A memory hog in a 768 MB container would have the OOM killer end the grader ("Killed", no feedback): the
    kernel's processes are killed first, near the container's limit, and the grader writes the results."""
    import subprocess
    import sys

    import psutil

    judge = f"import time\ndata = b'x' * {150 * 2 ** 20}\ntime.sleep(60)\n"
    hog = "import time\nheld = []\nwhile True:\n    held.append(b'x' * 2 ** 24); time.sleep(0.01)\n"
    grader = (f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', {judge!r}, {memory.JUDGE_COMMAND!r}])\n"
              f"time.sleep(1)\nsubprocess.Popen([sys.executable, '-c', {hog!r}])\ntime.sleep(60)\n")
    monkeypatch.setattr(memory, "memory_cgroup", lambda: None)  # this machine's cgroup holds more than the test's
    parent = subprocess.Popen([sys.executable, "-c", grader])
    limit = 600 * 2 ** 20
    try:
        deadline = time.time() + 30
        with memory.PeakMemory(every=0.05, pid=parent.pid, limit=limit) as mem:
            while mem.stopped is None and time.time() < deadline:
                time.sleep(0.1)
            time.sleep(0.3)
            alive = {("judge" if memory.JUDGE_COMMAND in p.cmdline() else "kernel")
                     for p in psutil.Process(parent.pid).children(recursive=True) if p.status() != psutil.STATUS_ZOMBIE}
        assert parent.poll() is None  # the grader lives on
    finally:
        for child in psutil.Process(parent.pid).children(recursive=True):
            child.kill()
        parent.kill()
        parent.wait()
    assert mem.stopped is not None and limit - memory.HEADROOM <= mem.stopped < limit, mem.stopped
    assert alive == {"judge"}


def _cgroups(monkeypatch, tmp_path, self_cgroup: str):
    monkeypatch.setattr(memory, "CGROUP_ROOT", tmp_path)
    (tmp_path / "self").write_text(self_cgroup)
    monkeypatch.setattr(memory, "SELF_CGROUP", tmp_path / "self")


def test_the_container_s_memory_is_its_own_cgroup_s_or_the_one_a_local_run_names(monkeypatch, tmp_path):
    _cgroups(monkeypatch, tmp_path, "0::/grader.slice\n")  # cgroup v2; its own folder, and the root's
    (tmp_path / "grader.slice").mkdir()
    (tmp_path / "grader.slice" / "memory.max").write_text("805306368\n")
    (tmp_path / "memory.max").write_text("max\n")
    monkeypatch.setenv(memory.CONTAINER_ENV, "768")
    assert memory.container_memory() == 805306368
    (tmp_path / "grader.slice" / "memory.max").write_text("max\n")  # no limit in the cgroup: the named one
    assert memory.container_memory() == 768 * 2 ** 20
    monkeypatch.delenv(memory.CONTAINER_ENV)
    assert memory.container_memory() is None


def test_a_cgroup_v1_container_s_memory_and_working_set_are_read_where_its_path_is_not_mounted(monkeypatch, tmp_path):
    """In a container the path /proc/self/cgroup names is the host's; the container sees its cgroup at the root."""
    _cgroups(monkeypatch, tmp_path, "12:pids:/docker/abc\n4:memory:/docker/abc\n")
    (tmp_path / "memory").mkdir()
    (tmp_path / "memory" / "memory.limit_in_bytes").write_text("805306368\n")
    (tmp_path / "memory" / "memory.usage_in_bytes").write_text("900\n")
    (tmp_path / "memory" / "memory.stat").write_text("cache 400\ntotal_inactive_file 300\n")
    assert memory.memory_cgroup() == (tmp_path / "memory", 1)
    assert memory.container_memory() == 805306368 and memory.container_working_set() == 600


def test_the_container_s_working_set_leaves_out_its_inactive_file_cache(monkeypatch, tmp_path):
    _cgroups(monkeypatch, tmp_path, "0::/\n")
    (tmp_path / "memory.max").write_text("1000\n")
    (tmp_path / "memory.current").write_text("900\n")
    (tmp_path / "memory.stat").write_text("anon 500\nfile 400\ninactive_file 300\nactive_file 100\n")
    assert memory.container_working_set() == 600
    (tmp_path / "self").write_text("1:cpu:/\n")  # no memory controller
    assert memory.container_working_set() is None and memory.container_memory() is None


def test_a_local_run_s_unlimited_cgroup_is_not_counted_as_the_container_s(monkeypatch, tmp_path):
    """Under DGMLAB_GRADESCOPE_CONTAINER_MIB (a local run), this process's cgroup is the host's, whose other processes
    (a test suite, a browser) are not the grading's: counted, they stopped a kernel that held little (a TA's trial)."""
    _cgroups(monkeypatch, tmp_path, "0::/\n")
    (tmp_path / "memory.max").write_text("max\n")
    (tmp_path / "memory.current").write_text(f"{10 * 2 ** 30}\n")  # the host's other processes
    monkeypatch.setenv(memory.CONTAINER_ENV, "768")
    assert memory.container_memory() == 768 * 2 ** 20
    assert memory.limiting_cgroup() is None
    assert memory.PeakMemory(limit=memory.container_memory())._cgroup is None
    (tmp_path / "memory.max").write_text(f"{2 ** 30}\n")  # a container's own limit: its cgroup is counted
    assert memory.PeakMemory(limit=memory.container_memory())._cgroup == (tmp_path, 2)
