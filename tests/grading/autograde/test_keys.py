"""The grading key: which changes of a course grade its submissions again."""
from conftest import ROOT
from dgmlab.grading.autograde import keys
from dgmlab.grading.layout import Course

HW = "hw0_keys"


def _course(root, extra: str = "") -> Course:
    text = (ROOT / "nbgrader_config.py").read_text(encoding="utf-8")
    (root / "nbgrader_config.py").write_text(text + extra, encoding="utf-8")
    (root / "source" / HW).mkdir(parents=True, exist_ok=True)
    (root / "source" / HW / f"{HW}.ipynb").write_text("{}", encoding="utf-8")
    return Course(root)


def test_how_a_run_goes_regrades_nothing(tmp_path):
    before = keys.read_homework(_course(tmp_path), HW).digest
    after = keys.read_homework(_course(tmp_path, "\n# more workers\nc.DgmlabAutograde.workers = 8\n"
                                                   "c.DgmlabAutograde.feedback = False\n"), HW).digest
    assert after == before


def test_a_setting_that_can_change_a_grade_regrades(tmp_path):
    before = keys.read_homework(_course(tmp_path), HW).digest
    for extra in ("\nc.Execute.timeout = 30\n", "\nc.DgmlabAutograde.memory = 2.0\n"):
        assert keys.read_homework(_course(tmp_path, extra), HW).digest != before, extra
