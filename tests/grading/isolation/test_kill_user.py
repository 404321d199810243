"""The user wall's end of a kernel (dgmlab.grading.isolation.processes.kill_user and SealWorkingFolder's seal with
the kernel's user): every process of that user dies, a double-forked setsid one included, before root takes its
working folder back and empties it, so no link is re-planted for nbgrader to write through."""
import os
import subprocess
import time

import pytest

from dgmlab.grading.isolation import processes as P
from dgmlab.grading.preprocessors.working_folder import seal

PYTHON = "/usr/bin/python3"  # the system's, which every user may run (the kit's venv may sit in root's home)
pytestmark = [pytest.mark.skipif(os.geteuid() != 0, reason="runs processes as another user: needs root"),
              pytest.mark.skipif(not os.access(PYTHON, os.X_OK), reason=f"no {PYTHON} for the other user to run")]
UID = GID = 61000 + os.getpid() % 1000  # a user id no account holds: only this test's processes run as it

# leaves the process tree and the session (fork, setsid, fork), then keeps a link to a root-only file in the folder
DAEMON = """import os, sys, time
folder = "."  # its working folder, entered as root (the folders above it are root's alone)
if os.fork():
    os._exit(0)
os.setsid()
if os.fork():
    os._exit(0)
open(os.path.join(folder, "ready"), "w").close()
while True:
    path = os.path.join(folder, "graded.ipynb")
    try:
        if not os.path.lexists(path):
            os.symlink(sys.argv[2], path)
    except OSError:
        pass
    time.sleep(0.002)
"""


def _start_daemon(folder, target):
    folder.mkdir(mode=0o700)
    os.chown(folder, UID, GID)
    subprocess.run([PYTHON, "-I", "-c", DAEMON, "-", str(target)], user=UID, group=GID, extra_groups=[],
                   cwd=folder, check=True, timeout=30)
    for _ in range(500):
        if (folder / "ready").exists():
            return
        time.sleep(0.01)
    raise AssertionError("the daemon did not start")


@pytest.fixture
def daemon_folder(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("root only")
    secret.chmod(0o600)
    folder = tmp_path / "work"
    _start_daemon(folder, secret)
    yield folder, secret
    if P.live_user_processes(UID):
        P.kill_user(UID, GID)


def test_a_double_forked_setsid_process_of_the_user_is_killed(daemon_folder):
    assert P.live_user_processes(UID)
    assert P.kill_user(UID, GID) >= 1
    assert not P.live_user_processes(UID)


def test_root_processes_are_never_killed_by_user():
    with pytest.raises(ValueError):
        P.kill_user(0, 0)


def test_the_sealed_folder_stays_empty_and_roots_once_the_users_processes_are_gone(daemon_folder):
    folder, secret = daemon_folder
    left = seal(folder, UID, GID)
    time.sleep(0.3)  # a survivor would have re-planted its link by now
    assert list(folder.iterdir()) == []
    st = folder.stat()
    assert (st.st_uid, st.st_mode & 0o777) == (0, 0o700)
    assert (left / "graded.ipynb").is_symlink()  # moved aside as a link, never followed
    assert secret.read_text() == "root only" and secret.stat().st_mode & 0o777 == 0o600


def test_without_the_kill_by_user_the_process_replants_its_link_after_the_seal(daemon_folder):
    """The attack is real: sealed as under bubblewrap (no user to kill), the folder gets its link back."""
    folder, _ = daemon_folder
    seal(folder)
    for _ in range(200):
        if (folder / "graded.ipynb").is_symlink():
            break
        time.sleep(0.01)
    assert (folder / "graded.ipynb").is_symlink()
