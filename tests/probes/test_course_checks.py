"""A course's own homework: the student's check() reads the checks.py handed out with the notebook."""
import pytest

from dgmlab import probes, workspace


def test_check_without_the_checks_file_names_the_file_and_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setattr(workspace, "_homework", "hw9_missing")
    monkeypatch.setattr(workspace, "_folder", tmp_path)
    with pytest.raises(FileNotFoundError) as caught:
        probes.check("q1_tests", 1)
    message = str(caught.value)
    assert "checks.py" in message and str(tmp_path) in message and "hw9_missing.ipynb" in message
