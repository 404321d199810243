"""docs/performance.md's test tiers come from the records of benchmarks/time_test_tier.py, never typed by hand."""
import importlib.util
import sys

from conftest import ROOT


def _load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def test_the_docs_tier_table_is_what_the_records_give():
    writer = _load(ROOT / "tools" / "write_performance.py")
    assert writer.main(["--check"]) == 0


def test_a_pytest_summary_is_read_into_counts():
    timer = _load(ROOT / "benchmarks" / "time_test_tier.py")
    text = "....\n===== 1791 passed, 5 skipped, 1 failed, 107 deselected in 687.21s (0:11:27) ====="
    assert timer.counts(text) == {"passed": 1791, "skipped": 5, "failed": 1, "deselected": 107}
    assert timer.counts("no summary here") == {}
