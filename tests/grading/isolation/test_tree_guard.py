"""dgmlab.grading.isolation.tree_guard: a kernel's processes held to its limits together (an attacker's trial held
4 GB in in-memory files and 7.9 GB in two children under a kernel's 8 GiB, each process within its own limit)."""
import os
import subprocess
import sys
import textwrap
import time

import pytest

from dgmlab.grading.isolation import tree_guard
from dgmlab.grading.isolation.processes import kill_group

MiB = 2 ** 20

CHILDREN = textwrap.dedent("""
    import os, sys, time
    n, mib = int(sys.argv[1]), int(sys.argv[2])
    for _ in range(n):
        if os.fork() == 0:
            held = bytearray(os.urandom(1)) * (mib * 2 ** 20)  # written: resident
            time.sleep(120)
            os._exit(0)
    print("ready", flush=True)
    time.sleep(120)
""")

MEMFD = textwrap.dedent("""
    import os, sys, time
    mib, sparse = int(sys.argv[1]), int(sys.argv[2])
    fd = os.memfd_create("hoard")
    os.ftruncate(fd, sparse * 2 ** 20)  # a size, no pages
    os.write(fd, b"x" * (mib * 2 ** 20))  # pages
    print("ready", flush=True)
    time.sleep(120)
""")


@pytest.fixture
def started():
    procs = []

    def start(code, *args):
        proc = subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE, text=True,
                                start_new_session=True)
        procs.append(proc)
        assert proc.stdout.readline().strip() == "ready"
        return proc

    yield start
    for proc in procs:
        kill_group(proc)
        proc.wait()


def _guarded(proc, memory, threads=tree_guard.MAX_THREADS, wait=3.0):
    guard = tree_guard.TreeGuard(proc.pid, memory, lambda: kill_group(proc), threads=threads, every=0.05).start()
    deadline = time.monotonic() + wait
    while proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    guard.stop()
    return guard


def test_children_that_hold_more_than_the_limit_together_are_killed_saying_so(started):
    proc = started(CHILDREN, 3, 80)  # 240 MiB in three children, each far under the limit
    guard = _guarded(proc, memory=200 * MiB)
    assert proc.poll() is not None
    assert "GiB together, more than the 0.195 GiB a kernel may" in guard.why()


def test_a_tree_under_the_limit_runs_on(started):
    proc = started(CHILDREN, 2, 20)
    guard = _guarded(proc, memory=400 * MiB, wait=0.5)
    assert proc.poll() is None and guard.why() == ""


def test_the_pages_of_an_in_memory_file_count_not_its_size(started):
    proc = started(MEMFD, 300, 100_000)  # 300 MiB written, 100 GB of size: 300 MiB held
    guard = _guarded(proc, memory=1000 * MiB, wait=0.5)
    assert proc.poll() is None and guard.why() == ""
    assert tree_guard.held([proc.pid]) >= 300 * MiB


def test_an_in_memory_file_past_the_limit_is_killed(started):
    proc = started(MEMFD, 300, 0)
    guard = _guarded(proc, memory=200 * MiB)
    assert proc.poll() is not None and "held" in guard.why()


def test_more_processes_than_allowed_threads_are_killed(started):
    proc = started(CHILDREN, 6, 1)
    guard = _guarded(proc, memory=8 * 2 ** 30, threads=4)
    assert proc.poll() is not None and guard.why() == "the kernel ran more than 4 threads at once"


THREADS = textwrap.dedent("""
    import sys, threading, time
    for _ in range(int(sys.argv[1])):
        threading.Thread(target=time.sleep, args=(120,), daemon=True).start()
    print("ready", flush=True)
    time.sleep(120)
""")


def test_more_threads_than_allowed_in_one_process_are_killed(started):
    """(a second trial ran 414 threads in one kernel past a limit that counted processes)"""
    proc = started(THREADS, 20)
    guard = _guarded(proc, memory=8 * 2 ** 30, threads=16)
    assert proc.poll() is not None and guard.why() == "the kernel ran more than 16 threads at once"


MAPPED = textwrap.dedent("""
    import ctypes, mmap, os, sys, time
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype, libc.mmap.argtypes = ctypes.c_void_p, [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                                                               ctypes.c_int, ctypes.c_int, ctypes.c_long]
    fd = os.memfd_create("hoard")
    chunk = b"x" * 2 ** 20
    for _ in range(int(sys.argv[1])):
        os.write(fd, chunk)
    libc.mmap(None, mmap.PAGESIZE, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)  # one page, never touched
    os.close(fd)  # only the mapping keeps it
    print("ready", flush=True)
    time.sleep(120)
""")


def test_an_in_memory_file_kept_only_by_a_one_page_mapping_counts_whole(started):
    """(a second trial held 7.9 GiB in memfds kept alive by an untouched one-page mapping, descriptors closed)"""
    if os.geteuid() != 0:
        pytest.skip("/proc/<pid>/map_files needs root")
    proc = started(MAPPED, 300)
    guard = _guarded(proc, memory=200 * MiB)
    assert proc.poll() is not None and "held" in guard.why()
