"""The red teams' attacks on a grading kernel, run against a kernel started cold (bwrap ... ipykernel) and one forked
warm from the worker's zygote (dgmlab.grading.isolation.warm_kernels): both are started as grading starts them
(GradingKernelManager with a Sandbox's command) and must hold the same walls: the view, the process tree, /tmp,
/var/tmp and /dev/shm, the environment, the descriptors, the capabilities and limits, and nothing of one submission
reaching the next."""
import asyncio
import errno
import json
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from traitlets.config import Config

from dgmlab.grading.isolation import bubblewrap, kernel_cgroup, kernels, tree_guard, warm_kernels, zygote
from dgmlab.grading.isolation import kernel_sandbox as sandbox

KERNELS = pytest.mark.parametrize("warm", [False, True], ids=["cold", "warm"])


@pytest.fixture(autouse=True)
def _sandbox_here():
    usable, why = sandbox.available()
    if not usable:
        pytest.skip(f"no sandbox on this machine: {why}")


class Kernel:
    """One grading kernel in ``workdir``, started as a grading starts it; :meth:`run` a cell, get what it printed."""

    def __init__(self, workdir: Path, warm: bool, limits=None, manager=None):
        self.box = sandbox.Sandbox(workdir, limits or sandbox.Limits(warm=warm), env={"PYTHONSAFEPATH": "1"})
        self.warm, self.manager = warm, dict(manager or {})
        self.loop = asyncio.new_event_loop()

    def __enter__(self):
        self.box.__enter__()
        assert (self.box.argv[0] == warm_kernels.WARM) == self.warm, "warm kernels unavailable here"
        config = Config()
        self.box.configure(config)  # as a grading's nbgrader config
        config.GradingKernelManager.memory_limit = 0  # a test's own limits (manager) set the guard
        self.km = kernels.GradingKernelManager(config=config, **self.manager)
        self.loop.run_until_complete(self.km.start_kernel(extra_arguments=["--HistoryManager.hist_file=:memory:"]))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.loop.run_until_complete(self.kc.wait_for_ready(timeout=120))
        return self

    def run(self, code: str, timeout: float = 120) -> str:
        out = []

        def hook(msg):
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("\n".join(msg["content"]["traceback"]))

        self.loop.run_until_complete(self.kc.execute_interactive(code, output_hook=hook, timeout=timeout))
        return "".join(out)

    def __exit__(self, *exc):
        self.kc.stop_channels()
        self.loop.run_until_complete(self.km.shutdown_kernel(now=True))
        self.loop.close()
        self.box.__exit__(*exc)


def _workdir(tmp_path: Path, name: str = "bob") -> Path:
    work = tmp_path / "course" / "autograded" / name / "hw1"
    work.mkdir(parents=True)
    (work / "hw1.ipynb").write_text("{}")
    (work / "data.txt").write_text("handed in")
    (tmp_path / "course" / "gradebook.db").write_text("grades")
    (tmp_path / "course" / "source").mkdir(exist_ok=True)
    (tmp_path / "course" / "source" / "hw1.ipynb").write_text("hidden tests")
    return work


WALK = '''
import json, os
allowed = json.loads(ALLOWED)
found = []
for top, dirs, files in os.walk("/", followlinks=False):
    if top in ("/proc", "/sys", "/dev"):
        dirs[:] = []
        continue
    if any(top == a or top.startswith(a.rstrip("/") + "/") for a in allowed):
        dirs[:] = []
        continue
    found += [os.path.join(top, n) for n in files + [d for d in dirs if os.path.islink(os.path.join(top, d))]]
    found.append(top)
print(json.dumps(found))
'''


@KERNELS
def test_a_kernel_that_walks_the_root_finds_only_the_allow_list(tmp_path, warm):
    """No course, gradebook, source, zygote script or staging folder: only the allow-list and folders leading to it."""
    work = _workdir(tmp_path)
    with Kernel(work, warm) as kernel:
        allowed = [*bubblewrap.SYSTEM, *bubblewrap.SYSTEM_FILES, *map(str, bubblewrap.environment_paths()),
                   "/var/tmp", "/dev", str(work.resolve()), str(kernel.box.runtime.resolve())]
        if os.environ.get("DGMLAB_DATA"):
            allowed.append(str(os.path.realpath(os.environ["DGMLAB_DATA"])))
        found = json.loads(kernel.run(WALK.replace("ALLOWED", repr(json.dumps(allowed)))))
        files = kernel.run("import os; print(sorted(os.listdir('.')))")
    leading = {"/"} | {str(p) for a in allowed for p in Path(a).parents}
    assert [p for p in found if p not in leading and p not in allowed] == []
    assert files.strip() == "['data.txt', 'hw1.ipynb']"


PROCESSES = '''
import json, os, subprocess
child = subprocess.Popen(["sleep", "60"])
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
parent_of_1 = [line.split()[1] for line in open("/proc/1/status") if line.startswith("PPid:")][0]
print(json.dumps({"me": os.getpid(), "pids": pids, "parent_of_1": parent_of_1}))
child.kill()
'''


@KERNELS
def test_a_kernel_sees_only_its_own_processes(tmp_path, warm):
    """Its PID namespace holds the sandbox's first process (a cold kernel is that one itself: bwrap --as-pid-1), the
    kernel and what it started: not the zygote, not a sibling kernel, not the grader."""
    with Kernel(_workdir(tmp_path, "first"), warm), Kernel(_workdir(tmp_path, "second"), warm) as kernel:
        seen = json.loads(kernel.run(PROCESSES))
    assert seen["pids"] == sorted({1, seen["me"], seen["pids"][-1]}) and len(seen["pids"]) == 2 + warm, seen
    assert (seen["me"] == 1) != warm, seen
    assert seen["parent_of_1"] == "0", seen  # PID 1 has no parent inside


LEAVE = '''
import os, socket
for folder in ("/var/tmp", "/dev/shm", "."):
    open(os.path.join(folder, "left-by-first"), "w").write("secret of the first")
server = socket.socket(socket.AF_UNIX)
server.bind("\\0dgmlab-left-by-first")
server.listen()
print("left")
'''

FIND = '''
import os, socket
seen = [f for f in ("/var/tmp", "/dev/shm", ".", "/tmp") if os.path.exists(os.path.join(f, "left-by-first"))]
try:
    socket.socket(socket.AF_UNIX).connect("\\0dgmlab-left-by-first")
    seen.append("abstract socket")
except OSError:
    pass
try:
    open("/tmp/x", "w")
    seen.append("/tmp writable")
except OSError:
    pass
print(seen)
'''


@KERNELS
def test_nothing_one_kernel_leaves_reaches_the_next(tmp_path, warm):
    """What the first submission's kernel leaves in /var/tmp, /dev/shm, its working folder and an abstract unix socket
    (its network namespace) is not there for the next one, even while the first still runs."""
    with Kernel(_workdir(tmp_path, "first"), warm) as first:
        assert first.run(LEAVE).strip() == "left"
        with Kernel(_workdir(tmp_path, "second"), warm) as second:
            assert second.run(FIND).strip() == "[]"
    with Kernel(_workdir(tmp_path, "third"), warm) as third:
        assert third.run(FIND).strip() == "[]"


ENVIRONMENT = '''
import json, os
print(json.dumps({"names": sorted(os.environ), "proc": ["SENTINEL" in open(f"/proc/{p}/environ").read()
                                                         for p in ("self", "1")]}))
'''


@KERNELS
def test_a_kernel_holds_no_secret_of_the_graders_environment(tmp_path, monkeypatch, warm):
    """A token in the grader's environment reaches neither the kernel's environment nor /proc/<pid>/environ."""
    monkeypatch.setenv("CANVAS_API_TOKEN", "SENTINEL-canvas-token")
    warm_kernels._stop_all()  # a zygote started now, with the token in this process's environment
    with Kernel(_workdir(tmp_path), warm) as kernel:
        seen = json.loads(kernel.run(ENVIRONMENT))
    assert seen["proc"] == [False, False]
    assert "CANVAS_API_TOKEN" not in seen["names"]
    ipykernel_own = {"JPY_PARENT_PID", "PYDEVD_DISABLE_FILE_VALIDATION", "CLICOLOR", "CLICOLOR_FORCE", "PAGER",
                     "GIT_PAGER", "FORCE_COLOR", "TERM", "PWD", "PYDEVD_USE_FRAME_EVAL"}  # what the kernel sets itself
    assert set(seen["names"]) <= {*sandbox.kernel_environment({"PYTHONSAFEPATH": "1"}), *warm_kernels.THREAD_ENV,
                                  *ipykernel_own}, seen["names"]


def _objects(pid: int) -> dict:
    """``{fd: (device, inode, what it names)}`` of each descriptor ``pid`` holds: the object itself, not its name."""
    import stat

    found = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            info = os.stat(f"/proc/{pid}/fd/{fd}")
            if not stat.S_ISCHR(info.st_mode):  # a device (/dev/null) is shared by all
                found[int(fd)] = (info.st_dev, info.st_ino, os.readlink(f"/proc/{pid}/fd/{fd}"))
        except OSError:
            pass
    return found


def _kernel_process(kernel) -> psutil.Process:
    """The ipykernel process of ``kernel``: the one leaf of its process tree."""
    tree = [kernel.km._process, *kernel.km._process.children(recursive=True)]
    (leaf,) = [p for p in tree if not p.children()]
    return leaf


def _zygote_processes() -> list:
    """This process's zygote (the first process of its sandbox that runs zygote.py), if it has one."""
    found = []
    for one in warm_kernels._ZYGOTES.values():
        tree = [p for p in psutil.Process(one.proc.pid).children(recursive=True)
                if p.cmdline()[1:2] == [warm_kernels.ZYGOTE_IN]]
        found += sorted(tree, key=lambda p: p.create_time())[:1]
    return found


@KERNELS
def test_a_kernel_inherits_no_descriptor_of_the_grader_or_the_zygote(tmp_path, warm):
    """Of the descriptors the kernel holds, none is a file, pipe or socket the grader or the zygote holds (the
    zygote's channel, a handed-in file's descriptor, the grader's stderr)."""
    with Kernel(_workdir(tmp_path), warm) as kernel:
        kernel.run("print(1)")
        mine = _objects(_kernel_process(kernel).pid)
        others = {obj[:2] for obj in _objects(os.getpid()).values()}
        zygotes = _zygote_processes()
        for zygote in zygotes:
            others |= {obj[:2] for obj in _objects(zygote.pid).values()}
    assert zygotes or not warm
    shared = {fd: obj[2] for fd, obj in mine.items()  # every eventfd and epoll shares one inode: not comparable
              if obj[:2] in others and not obj[2].startswith("anon_inode:")}
    assert shared == {}, shared


def _held(pid: int, fds=None) -> set:
    """What ``pid``'s descriptors ``fds`` (default: all) are: ``(device, inode)``, a terminal by its device number,
    /dev/null left out."""
    import stat

    null = os.stat(os.devnull)
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd") if fds is None else fds:
        try:
            info = os.stat(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if stat.S_ISCHR(info.st_mode):
            if info.st_rdev != null.st_rdev:
                found.add(("device", info.st_rdev))
        else:
            found.add((info.st_dev, info.st_ino))
    return found


def _streams(pid: int) -> set:
    """What ``pid``'s standard input, output and error are, as :func:`_held` names them."""
    return _held(pid, (0, 1, 2))


@KERNELS
def test_no_process_a_kernel_can_reach_holds_the_graders_terminal_or_log(tmp_path, warm):
    """The grader's standard streams (often the instructor's terminal; else the run's log) are held by no process in
    the kernel's reach: with them a kernel read what was typed, stopped the terminal's output and with it the whole
    class's run, and truncated the log (an attacker's trial). Not by its PID namespace's first process either, which
    it could read through /proc/1/fd."""
    with Kernel(_workdir(tmp_path), warm) as kernel:
        kernel.run("print(1)")
        graders = _streams(os.getpid())
        for zygote in _zygote_processes():
            graders |= _streams(zygote.pid)
        first = kernel.km._process
        reach = first.children(recursive=True) if warm else [first, *first.children(recursive=True)]
        assert reach, "no process of the kernel found"
        held = {p.pid: _held(p.pid) & graders for p in reach}
    assert graders and not any(held.values()), held


@KERNELS
def test_a_kernel_whose_processes_hold_more_than_its_memory_together_is_killed_saying_why(tmp_path, warm):
    """Memory outside every per-process limit (an in-memory file: the attacker's trial held 4 GB so, under 8 GiB)
    counts against the kernel's processes together (.tree_guard), here with a limit of 400 MiB for speed."""
    _killed_for_memory(tmp_path, warm, f"hog-{warm}", "import os, time\nchunk = b'x' * 2 ** 20\nfor _ in range(5):\n"
                       "    fd = os.memfd_create('hoard')\n    for _ in range(100):\n        os.write(fd, chunk)\n"
                       "time.sleep(60)")  # 500 MiB in files under the file-size limit; the kernel dies under it


def _killed_for_memory(tmp_path, warm, grading, code):
    """Run ``code`` in a kernel held to 400 MiB: it must die, its grading saying why."""
    try:
        with Kernel(_workdir(tmp_path), warm, manager={"memory_limit": 400 * 2 ** 20, "grading_id": grading}) as kernel:
            kernel.kc.execute(code)
            proc, deadline = kernel.km._process, time.monotonic() + 30
            while proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
        assert "GiB together, more than the 0.391 GiB a kernel may" in kernels.why_killed(grading)
    finally:
        kernels.forget(grading)


def test_a_working_folder_of_more_files_than_a_fork_takes_starts_a_cold_kernel(tmp_path):
    """(an attacker's trial: 300 files handed in failed the grading, "WarmUnavailable", instead of starting cold)"""
    work = _workdir(tmp_path)  # two files
    for i in range(warm_kernels.MAX_FILES - 1):
        (work / f"f{i}.txt").write_text("x")
    with Kernel(work, warm=True) as kernel:  # a warm command, its cold twin started at launch
        assert kernel.run("print(len(__import__('os').listdir('.')))").strip() == str(warm_kernels.MAX_FILES + 1)
        assert kernel.km._process.name() == "bwrap"
        assert "--HistoryManager.hist_file=:memory:" in kernel.km._process.cmdline()  # the extra arguments kept
    (work / "f0.txt").unlink()  # as many as a fork takes
    with Kernel(work, warm=True) as kernel:
        assert kernel.km._process.name() != "bwrap"


def test_a_sandbox_made_before_its_working_folder_exists_still_forks_warm(tmp_path):
    """nbgrader makes the working folder after the grading's sandbox is made (a second trial found every kernel
    started cold when the count of its files was taken then)."""
    with sandbox.Sandbox(tmp_path / "not" / "yet", sandbox.Limits(warm=True)) as box:
        assert box.argv[0] == warm_kernels.WARM and box.cold_argv[0] != warm_kernels.WARM


LIMITS = '''
import ctypes, json, os, resource, dgmlab
libc = ctypes.CDLL(None, use_errno=True)
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
package = os.path.dirname(dgmlab.__file__).encode()
print(json.dumps({"caps": [status[k].strip() for k in ("CapEff", "CapPrm", "CapBnd", "CapAmb")],
                  "no_new_privs": status["NoNewPrivs"].strip(),
                  "umount": libc.umount2(package, 2), "remount": libc.mount(None, package, None, 32 | 4096, None),
                  "as": resource.getrlimit(resource.RLIMIT_AS), "fsize": resource.getrlimit(resource.RLIMIT_FSIZE),
                  "nofile": resource.getrlimit(resource.RLIMIT_NOFILE), "unshare_mount": libc.unshare(0x00020000)}))
'''


@KERNELS
def test_a_kernel_holds_no_capability_and_the_sandboxs_limits(tmp_path, warm):
    """No capability in any set, no new privileges (the warm kernel's fork dropped what the zygote held), the student
    view cannot be unmounted nor remounted, and the address-space and file-size limits are the sandbox's."""
    limits = sandbox.Limits(memory=7 * 1024 ** 3, file_size=100 * 1024 ** 2, warm=warm)
    with Kernel(_workdir(tmp_path), warm, limits) as kernel:
        seen = json.loads(kernel.run(LIMITS))
    assert seen["caps"] == ["0000000000000000"] * 4 if warm else seen["caps"][:2] == ["0000000000000000"] * 2
    assert seen["umount"] == -1 and seen["remount"] == -1
    assert seen["as"] == [limits.memory] * 2 and seen["fsize"] == [limits.file_size] * 2
    assert seen["nofile"] == [zygote.MAX_OPEN_FILES] * 2  # 512 processes cannot fill the machine's file table
    assert seen["no_new_privs"] == "1"


KEYS = '''
import ctypes, json
libc = ctypes.CDLL(None, use_errno=True)
add_key, request_key, keyctl = NUMBERS
got = {}
for name, call in (("add_key", lambda: libc.syscall(add_key, b"user", b"note", b"x", 1, -4)),  # the user keyring
                   ("keyctl", lambda: libc.syscall(keyctl, 0, -4, 0)),  # KEYCTL_GET_KEYRING_ID of the user keyring
                   ("request_key", lambda: libc.syscall(request_key, b"user", b"note", None, 0))):
    got[name] = [call(), ctypes.get_errno()]
if __import__("platform").machine() == "x86_64":  # i386's keyctl (288) through int 0x80, which returns -errno
    import mmap
    code = bytes([0x53, 0xB8, 0x20, 0x01, 0, 0, 0xBB, 0, 0, 0, 0, 0xB9, 0xFC, 0xFF, 0xFF, 0xFF, 0xBA, 0, 0, 0, 0,
                  0xCD, 0x80, 0x5B, 0xC3])  # push rbx; eax=288 ebx=0 ecx=-4 edx=0; int 0x80; pop rbx; ret
    page = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(code)
    got["int 0x80 keyctl"] = ctypes.CFUNCTYPE(ctypes.c_long)(ctypes.addressof(ctypes.c_char.from_buffer(page)))()
print(json.dumps(got))
'''


@KERNELS
def test_a_kernel_reaches_no_keyring(tmp_path, warm):
    """No kernel keyring call (an attacker's trial: a kernel whose user was the machine's root added 900,000 keys to
    root's keyrings, kernel memory no cgroup counts, kept after the grading and read by the next submission)."""
    with Kernel(_workdir(tmp_path), warm) as kernel:
        got = json.loads(kernel.run(KEYS.replace("NUMBERS", repr(zygote.SECCOMP_SYSCALLS[4]))))
    assert {name: got.pop(name) for name in ("add_key", "keyctl", "request_key")} == {
        name: [-1, errno.EPERM] for name in ("add_key", "keyctl", "request_key")}, got
    assert got in ({}, {"int 0x80 keyctl": -errno.ENOSYS}), got  # another arch's calls: none


MACHINE = '''
import ctypes, json, os, resource
libc = ctypes.CDLL(None, use_errno=True)
got = {}
for path in ("/proc/sys/vm/max_map_count", "/proc/sys/kernel/core_pattern"):  # the value it has: nothing changes
    try:
        value = open(path).read()
        with open(path, "w") as f:
            f.write(value)
        got[path] = "written"
    except OSError as exc:
        got[path] = exc.errno
ptrace, inotify_init1, fanotify_init = NUMBERS
got["ptrace pid 1"] = [libc.syscall(ptrace, 16, 1, 0, 0), ctypes.get_errno()]  # PTRACE_ATTACH
params = ctypes.create_string_buffer(120)  # struct io_uring_params, zeroed
got["io_uring_setup"] = [libc.syscall(425, 4, params), ctypes.get_errno()]
got["inotify_init1"] = [libc.syscall(inotify_init1, 0), ctypes.get_errno()]
got["fanotify_init"] = [libc.syscall(fanotify_init, 0, 0), ctypes.get_errno()]
# every process of the sandbox runs under the filter (a cold sandbox's PID 1 was bwrap's own, unfiltered)
got["unfiltered"] = [int(p) for p in os.listdir("/proc") if p.isdigit()
                     and "Seccomp:\t2" not in open(f"/proc/{p}/status").read()]
got["sigpending"] = resource.getrlimit(resource.RLIMIT_SIGPENDING)
print(json.dumps(got))
'''


def test_the_zygote_and_the_cold_sandbox_cover_the_same_proc_folders():
    """zygote.py runs alone in the sandbox (it imports no dgmlab), so it keeps its own copy of the list."""
    assert zygote.PROC_SYSTEM == bubblewrap.PROC_SYSTEM


@KERNELS
def test_a_kernel_changes_no_setting_of_the_machine(tmp_path, warm):
    """An attacker's trial, the grader running as root: a cold kernel wrote kernel.core_pattern (the machine then ran
    its program as root), made its calls through the sandbox's unfiltered PID 1, held all of root's 128 inotify and
    fanotify instances and queued 96,000 signals, each machine-wide for root; a second held 96,000 open files past
    its 1,024 in io_uring's registered files. Now /proc's system folders are read-only, nothing in the sandbox runs
    unfiltered, those calls and io_uring are refused and the queue is the kernel's own."""
    numbers = {"x86_64": (101, 294, 300), "aarch64": (117, 26, 262)}.get(os.uname().machine)
    if numbers is None:
        pytest.skip(f"no system call numbers written here for {os.uname().machine}")
    with Kernel(_workdir(tmp_path), warm) as kernel:
        got = json.loads(kernel.run(MACHINE.replace("NUMBERS", repr(numbers))))
    assert got.pop("/proc/sys/vm/max_map_count") in (errno.EROFS, errno.EACCES, errno.EPERM), got
    assert got.pop("/proc/sys/kernel/core_pattern") in (errno.EROFS, errno.EACCES, errno.EPERM), got
    assert got == {"ptrace pid 1": [-1, errno.EPERM], "io_uring_setup": [-1, errno.EPERM],
                   "inotify_init1": [-1, errno.EPERM],
                   "fanotify_init": [-1, errno.EPERM], "unfiltered": [],
                   "sigpending": [zygote.MAX_QUEUED_SIGNALS] * 2}, got


TREE = '''
import os, subprocess
subprocess.Popen(["setsid", "sh", "-c", "sleep MARK & exit 0"], start_new_session=True).wait()
print("started")
'''


@KERNELS
def test_stopping_a_grading_kills_every_process_its_kernel_started(tmp_path, warm):
    """The time limit (kernels.stop_kernels) kills a double-forked ``setsid`` process the kernel left too."""
    mark = f"30{int(time.time()) % 1000}.{os.getpid() % 1000}"
    with Kernel(_workdir(tmp_path), warm) as kernel:
        kernel.km.grading_id = "tree-test"
        kernels._KERNELS.setdefault("tree-test", []).append(kernel.km._process)
        assert kernel.run(TREE.replace("MARK", mark)).strip() == "started"
        time.sleep(0.5)
        assert [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", mark]]
        kernels.stop_kernels("tree-test")
        kernels.forget("tree-test")
        time.sleep(1)
        left = [p for p in psutil.process_iter(["cmdline"]) if p.info["cmdline"] == ["sleep", mark]]
    assert left == []


FILL = '''
import os
written = {}
for folder in ("/dev/shm", "/var/tmp", ".", "/tmp", RUNTIME):
    try:
        with open(os.path.join(folder, "fill"), "wb") as f:
            for _ in range(3):
                f.write(bytes(1024 ** 2))
        written[folder] = "3 MiB"
    except OSError as exc:
        written[folder] = exc.strerror
print(written)
'''


@KERNELS
def test_a_kernel_cannot_fill_ram_or_disk_through_its_tmpfs(tmp_path, warm):
    """/dev/shm, /var/tmp and the working folder hold at most Limits.tmpfs, the runtime folder 1 MiB, /tmp nothing;
    what the kernel writes never reaches the working folder on the grading machine's disk."""
    work = _workdir(tmp_path)
    with Kernel(work, warm, sandbox.Limits(tmpfs=2 * 1024 ** 2, warm=warm)) as kernel:
        written = kernel.run(FILL.replace("RUNTIME", repr(str(kernel.box.runtime.resolve()))))
    full, readonly = "No space left on device", "Read-only file system"
    assert written.strip() == repr({"/dev/shm": full, "/var/tmp": full, ".": full, "/tmp": readonly,
                                    str(kernel.box.runtime.resolve()): full})
    assert sorted(p.name for p in work.iterdir()) == ["data.txt", "hw1.ipynb"]


def test_warm_kernels_draw_their_own_random_numbers(tmp_path):
    """Each fork seeds numpy, torch and random afresh, as a cold start does: two kernels do not draw alike."""
    code = "import random, numpy, torch; print(random.random(), numpy.random.rand(), torch.rand(1).item())"
    with Kernel(_workdir(tmp_path, "first"), True) as first, Kernel(_workdir(tmp_path, "second"), True) as second:
        a, b = first.run(code).split(), second.run(code).split()
    assert all(x != y for x, y in zip(a, b)), (a, b)


TAKE_ALL_MEMORY = """
import torch, sympy, scipy  # what a homework imports first
hog = []
for size in (10 ** 8, 10 ** 6):
    try:
        while True:
            hog.append(bytearray(size))
    except MemoryError:
        pass
del hog[-12:]  # 12 MB left: a thread's stack, not a zmq context's three
print("kept", len(hog))
"""


@KERNELS
def test_a_kernel_that_keeps_all_its_memory_still_sends_a_large_output(tmp_path, warm):
    """A cell that takes all of the address space and keeps it loses the cells that need memory, not the kernel: the
    next large output (a zero-copy send, whose pyzmq collector thread and zmq context, started lazily, used to abort
    cold and warm kernels alike) reaches the grader, and the kernel goes on."""
    limits = sandbox.Limits(memory=6 * 1024 ** 3, warm=warm)
    with Kernel(_workdir(tmp_path), warm, limits) as kernel:
        assert kernel.run(TAKE_ALL_MEMORY).startswith("kept")
        assert kernel.run("print('x' * 200_000)", timeout=30).strip() == "x" * 200_000
        assert kernel.run("print('alive')", timeout=30).strip() == "alive"


def test_a_memory_limit_too_small_for_a_warm_kernel_starts_it_cold_saying_so(tmp_path, caplog):
    """Forked from a zygote that holds about 4 GiB of address space, a kernel limited to 4 GiB could not even start:
    it starts cold, and the log says what limit warm kernels need."""
    limits = sandbox.Limits(memory=4 * 1024 ** 3, warm=True)
    with caplog.at_level("WARNING", logger=warm_kernels.__name__):
        with sandbox.Sandbox(_workdir(tmp_path), limits, env={}) as box:
            assert box.argv[0] != warm_kernels.WARM
    assert "warm kernels need a memory limit of at least" in caplog.text and "start cold" in caplog.text


NESTED = '''
import ctypes, json, os, threading, subprocess, sys
code = ("import ctypes, sys; libc = ctypes.CDLL(None, use_errno=True); "
        "print(libc.unshare(0x10000000), ctypes.get_errno())")  # CLONE_NEWUSER, from a one-thread process
got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.split()
ran = []
t = threading.Thread(target=ran.append, args=(1,)); t.start(); t.join()  # threads still start (clone3 refused)
print(json.dumps({"unshare": [int(x) for x in got], "thread": ran}))
'''


@KERNELS
def test_a_kernel_can_make_no_user_namespace_yet_starts_threads_and_processes(tmp_path, warm):
    """In a user namespace of its own a process is root there and may mount a tmpfs of no size, RAM that no limit
    counts (an attacker's trial, the grader running as an ordinary user)."""
    if warm is False and not bubblewrap.no_user_namespaces():
        pytest.skip("this bubblewrap cannot disable user namespaces (0.8 or later can)")
    with Kernel(_workdir(tmp_path), warm) as kernel:
        got = json.loads(kernel.run(NESTED).strip().splitlines()[-1])
    assert got["thread"] == [1] and got["unshare"][0] == -1, got
    assert got["unshare"][1] in (errno.EPERM, errno.ENOSPC), got  # refused (seccomp), or none left (bwrap's way)


NO_PROCESS_HOLDS = {  # memory that no process of the kernel holds (a second attacker's trial: 7-7.9 GiB under 6)
    "detached SysV shared memory": "import ctypes\nlibc = ctypes.CDLL(None)\nlibc.shmat.restype = ctypes.c_void_p\n"
                                   "for _ in range(5):\n    sid = libc.shmget(0, 100 * 2 ** 20, 0o1600)\n"
                                   "    at = libc.shmat(sid, None, 0)\n    ctypes.memset(at, 1, 100 * 2 ** 20)\n"
                                   "    libc.shmdt(ctypes.c_void_p(at))\n",
    "in-memory files in a socket's queue": "import os, socket\na, b = socket.socketpair(socket.AF_UNIX, "
                                           "socket.SOCK_DGRAM)\nfor _ in range(5):\n"
                                           "    fd = os.memfd_create('q')\n    os.write(fd, b'x' * 100 * 2 ** 20)\n"
                                           "    socket.send_fds(a, [b'x'], [fd])\n    os.close(fd)\n",
}


@pytest.mark.parametrize("hoard", list(NO_PROCESS_HOLDS))
@KERNELS
def test_memory_no_process_holds_counts_against_the_kernels_own_cgroup(tmp_path, warm, hoard):
    """Where the grader may make cgroups, each kernel gets its own (.kernel_cgroup): pages are charged to it wherever
    they are held afterwards, so 500 MiB parked outside every process still kills the kernel under 400 MiB."""
    if not kernel_cgroup.available():
        pytest.skip("this grader may not make cgroups: only the tree guard holds its kernels")
    _killed_for_memory(tmp_path, warm, f"parked-{warm}-{len(hoard)}", NO_PROCESS_HOLDS[hoard] + "import time\n"
                       "time.sleep(60)")


@KERNELS
def test_a_kernel_may_not_fork_past_its_task_limit_however_fast(tmp_path, warm):
    """A fork faster than the tree guard's look is refused by the kernel's pids cgroup at the fork itself; the cgroup
    is gone once the kernel is."""
    if not kernel_cgroup.available():
        pytest.skip("this grader may not make cgroups: only the tree guard holds its kernels")
    grading = f"forks-{warm}"
    try:
        with Kernel(_workdir(tmp_path), warm, manager={"memory_limit": 2 ** 31, "grading_id": grading}) as kernel:
            out = kernel.run("import os, time\nn = 0\ntry:\n    for _ in range(2000):\n"
                             "        if os.fork() == 0:\n            time.sleep(30)\n            os._exit(0)\n"
                             "        n += 1\nexcept OSError as e:\n    print('refused', n, e.errno)")
            refused, made, code = out.split()
            guard = kernels._GUARDS[grading][0]
            folders = guard.cgroup.folders.values()
            assert refused == "refused" and int(made) < tree_guard.MAX_THREADS and int(code) == errno.EAGAIN, out
        started, deadline = time.monotonic(), time.monotonic() + 60
        while any(folder.exists() for folder in folders) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(folder.exists() for folder in folders), f"still there after {time.monotonic() - started:.0f} s"
        print(f"removed in {time.monotonic() - started:.1f} s")
    finally:
        kernels.forget(grading)


HUGE = '''
import time
k = get_ipython().kernel  # the kernel holds its session's key: it signs what it likes
for _ in range(COUNT):
    k.session.send(k.iopub_socket, "stream", {"name": "stdout", "text": "x" * SIZE}, parent=k.get_parent("shell"))
time.sleep(1)
print("after")
'''


def _huge(size, count=1):
    return HUGE.replace("SIZE", str(size)).replace("COUNT", str(count))


@KERNELS
def test_a_message_larger_than_the_cap_never_reaches_the_grader(tmp_path, warm):
    """A kernel's signed message over kernels.MAX_MESSAGE_BYTES is refused before the grading worker reads it (an
    attacker's trial: 256 MiB messages put 9 GiB in the worker); the kernel's output ends there."""
    with Kernel(_workdir(tmp_path), warm) as kernel:
        assert kernel.run(_huge(10, 2)) == "x" * 20 + "after\n"
        with pytest.raises(TimeoutError):
            kernel.run(_huge(kernels.MAX_MESSAGE_BYTES + 1), timeout=15)


@KERNELS
def test_a_flood_of_messages_under_the_cap_queues_little_in_the_grader(tmp_path, warm):
    """Forty messages of 30 MiB sent at once: the worker queues at most kernels.MAX_QUEUED unread, the kernel's side
    waits, and every one arrives."""
    worker = psutil.Process()
    with Kernel(_workdir(tmp_path), warm) as kernel:
        before = worker.memory_info().rss
        kernel.kc.execute(_huge(30 * 2 ** 20, 40))
        time.sleep(8)  # the kernel has sent them all; nothing read yet here
        queued = worker.memory_info().rss - before
        out = kernel.run("print('done')")
    assert queued < (kernels.MAX_QUEUED + 4) * 30 * 2 ** 20, queued / 2 ** 20
    assert out.endswith("done\n")


def _own_user_or_skip():
    if os.geteuid() != 0:
        pytest.skip("the grader is not root: its kernels run as its own user, mapped into their namespace")
    closed = [str(entry) for path in bubblewrap.environment_paths() for entry in (path, *path.parents)
              if not entry.stat().st_mode & (stat.S_IXOTH if entry.is_dir() else stat.S_IROTH)]
    if closed:
        pytest.skip(f"the Python environment is closed to other users here ({closed[0]}): kernels run as root, "
                    "saying so")


def _ids(kernel) -> set:
    first = psutil.Process(kernel.km.provisioner.pid)
    family = [first, *first.children(recursive=True)]
    assert len(family) >= 2
    return {i for proc in family for i in (*proc.uids(), *proc.gids())}


@KERNELS
def test_a_root_graders_kernel_runs_as_a_host_user_of_its_own(tmp_path, warm):
    """Linux counts epoll watches, inotify instances and queued signals per host user, machine-wide, whatever the
    namespaces: an attacker's kernel run as root took all of root's epoll watches, and every zmq socket of root's
    aborted. A root grader's kernel (every process of it) runs as a user no one else is, and still reads its files."""
    _own_user_or_skip()
    with Kernel(_workdir(tmp_path), warm) as kernel:
        read = kernel.run("print(open('data.txt').read(), open('hw1.ipynb').read())")
        ids = _ids(kernel)
    assert read == "handed in {}\n"
    (uid,) = ids
    assert uid in bubblewrap.KERNEL_UIDS
    assert uid == bubblewrap.zygote_uid() if warm else uid != bubblewrap.zygote_uid()


def test_cold_kernels_run_as_users_drawn_anew_and_their_files_are_theirs_alone(tmp_path):
    """Two graders' workers may have the same process id (containers): users are drawn, never derived from it (an
    attacker's trial: one course's kernel took every epoll watch of another's). A cold kernel's copies of its files
    are its user's alone: their paths are in bwrap's command line, which every user of the machine reads."""
    _own_user_or_skip()
    with Kernel(_workdir(tmp_path, "ann"), False) as one, Kernel(_workdir(tmp_path, "bob"), False) as two:
        first, second = _ids(one), _ids(two)
        argv = psutil.Process(one.km.provisioner.pid).cmdline()
        copies = [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == "--ro-bind" and "/files-" in argv[i + 1]]
        held = [(os.stat(c).st_uid, stat.S_IMODE(os.stat(c).st_mode)) for c in copies]
        folder = os.stat(os.path.dirname(copies[0]))
    assert len(first) == len(second) == 1 and first != second
    assert len(copies) == 2 and held == [(*first, 0o400)] * 2
    assert folder.st_uid in first and stat.S_IMODE(folder.st_mode) == 0o700


def test_a_sandboxes_folder_another_user_made_is_refused(tmp_path, monkeypatch):
    """A local user who makes /tmp/dgmlab-sandboxes first could swap what the grader puts there."""
    if os.geteuid() != 0:
        pytest.skip("needs root to make a folder another user owns")
    monkeypatch.setattr(bubblewrap.tempfile, "gettempdir", lambda: str(tmp_path))
    (tmp_path / "dgmlab-sandboxes").mkdir()
    os.chown(tmp_path / "dgmlab-sandboxes", 4242, 4242)
    with pytest.raises(RuntimeError, match="belongs to user 4242"):
        bubblewrap.sandboxes_folder()


HOLD_WATCHES = '''
import os, select, sys
fds = [os.eventfd(0) for _ in range(500)]
polls = [select.epoll() for _ in range(500)]
for poll in polls:
    for fd in fds:
        poll.register(fd, select.EPOLLIN)
print("held", flush=True)
sys.stdin.read()
'''


def test_a_killed_kernel_is_gone_with_what_it_held_before_the_next_may_start():
    """A warm kernel's host user is its zygote's, the next kernel's too: killing one returns only once its processes
    are gone, with every epoll watch they held (250,000 here; an attacker's 5.5 M took 5 s to free)."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_WATCHES], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout.readline() == "held\n"
    kernels._kill(psutil.Process(holder.pid))
    assert holder.poll() is not None  # reaped: gone, not a zombie still freeing its files


@KERNELS
def test_the_grader_connects_no_stdin_channel_a_kernel_could_park_files_in(tmp_path, warm):
    """A grading answers no input; a connected stdin socket the grader never read held a kernel's files (all its
    user's epoll watches) past its kill: the kernel sees no peer on its stdin socket, and input() fails."""
    with Kernel(_workdir(tmp_path), warm) as kernel:
        said = kernel.run("try:\n    input('?')\nexcept Exception as exc:\n    print(type(exc).__name__)")
        assert kernel.kc.stdin_channel.is_alive() is False and kernel.kc._stdin_channel is None
    assert said.strip() == "StdinNotImplementedError"


def test_a_tmpdir_closed_to_other_users_runs_kernels_as_root_saying_why(tmp_path, monkeypatch, caplog):
    """A SLURM job's TMPDIR is mode 700: a kernel user could not bind its files from the sandboxes folder there (every
    kernel failed to start). The probe binds such a file: kernels then run as the grader's user, and the log says why."""
    if os.geteuid() != 0:
        pytest.skip("the grader is not root: its kernels run as its own user anyway")
    closed = tmp_path / "job"
    closed.mkdir(mode=0o700)
    monkeypatch.setattr(bubblewrap.tempfile, "gettempdir", lambda: str(closed))
    monkeypatch.setattr(sandbox, "_ASKED", {})
    with caplog.at_level("WARNING"):
        assert sandbox.kernel_user() is None
    assert "Permission denied" in caplog.text and "TMPDIR" in caplog.text
