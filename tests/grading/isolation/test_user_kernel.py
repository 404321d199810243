"""The kernel as an unprivileged user (dgmlab.grading.isolation.user_kernel), the wall where bubblewrap cannot run:
it starts no kernel as root, and the kernel gets no secret of the grader's environment."""
import pytest

from dgmlab.grading.isolation import user_kernel as U


def test_the_kernels_environment_keeps_no_key_or_token(tmp_path):
    env = U.kernel_env({"DGMLAB_DRAW_KEY": "00" * 32, "AWS_SECRET_ACCESS_KEY": "x", "DGMLAB_DATA": "/data",
                        "LANG": "C.UTF-8"}, str(tmp_path))
    assert "DGMLAB_DRAW_KEY" not in env and "AWS_SECRET_ACCESS_KEY" not in env
    assert env["DGMLAB_DATA"] == "/data" and env["HOME"] == str(tmp_path)
    assert env["NBGRADER_EXECUTION"] == "autograde" and env["PYTHONSAFEPATH"] == "1"


def test_user_kernel_refuses_to_run_a_kernel_as_root(tmp_path):
    conn = tmp_path / "kernel.json"
    conn.write_text("{}")
    with pytest.raises(SystemExit, match="as root"):
        U.main(["--uid", "0", "--gid", "0", "--memory", "1", "--file-size", "1", "--", str(conn)])
