"""benchmarks/results/performance.md's test tiers come from the records of benchmarks/time_test_tier.py, never typed by hand."""
from conftest import ROOT, load_script


def test_the_docs_tier_table_is_what_the_records_give():
    writer = load_script(ROOT / "tools" / "write_performance.py")
    assert writer.main(["--check"]) == 0


def test_a_pytest_summary_is_read_into_counts():
    timer = load_script(ROOT / "benchmarks" / "time_test_tier.py")
    text = "....\n===== 1791 passed, 5 skipped, 1 failed, 107 deselected in 687.21s (0:11:27) ====="
    assert timer.counts(text) == {"passed": 1791, "skipped": 5, "failed": 1, "deselected": 107}
    assert timer.counts("no summary here") == {}


def test_a_record_with_its_cpu_time_shows_it_beside_the_wall_time():
    writer = load_script(ROOT / "tools" / "write_performance.py")
    record = {"tier": "fast", "command": "pytest -m x", "passed": 3, "seconds": 1106.4, "cpu_seconds": 311.4,
              "date": "d", "tree": "t", "load_before": 1.0, "load_after": 2.0, "cores": 2}
    assert "3 passed in 18 min 26 s (5 min 11 s of CPU)" in writer.table({"fast": record})


def test_the_test_a_record_leaves_out_exists():
    """A record's run leaves out the test judging the records before it (by node id: pytest ignores an id that
    names nothing, so a renamed test would silently be left in)."""
    timer = load_script(ROOT / "benchmarks" / "time_test_tier.py")
    path, name = timer.JUDGES_THE_RECORDS.split("::")
    assert f"\ndef {name}(" in (ROOT / path).read_text(encoding="utf-8")
