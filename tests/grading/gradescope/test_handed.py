"""The submission Gradescope hands a container, read once (dgmlab.grading.gradescope.handed)."""
from dgmlab.grading.gradescope import handed


def test_the_metadata_is_read_and_then_left_to_root_alone(tmp_path):
    """previous_submissions[].results may hold earlier hidden results: the kernel's user must not read them."""
    import os
    import stat

    path = tmp_path / handed.METADATA
    path.write_text('{"created_at": "2025-03-01T10:00:00+00:00", "previous_submissions": '
                    '[{"results": {"tests": [{"name": "hidden"}]}}]}', encoding="utf-8")
    path.chmod(0o644)
    meta = handed.read_metadata(tmp_path)
    assert meta["previous_submissions"][0]["results"]["tests"][0]["name"] == "hidden"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    if os.geteuid() == 0:
        assert path.stat().st_uid == 0
