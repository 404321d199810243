"""A release stays true: each figure it states (tools/release_figures.py) is measured here against this checkout."""
import pytest

import dgmlab
from conftest import ROOT, load_script

figures = load_script(ROOT / "tools" / "release_figures.py")
CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
SHAPE = "# Changelog\n\n## [Unreleased]\n{unreleased}\n## [0.1.0] - 2026-11-27\n\n### Added\n- The first release.\n"


def test_the_version_agrees_with_the_changelog():
    assert figures.version_problems(dgmlab.__version__, CHANGELOG) == []


def test_a_release_version_with_changes_under_unreleased_is_refused():
    changelog = SHAPE.format(unreleased="\n### Fixed\n- push retries a 502.\n")
    [problem] = figures.version_problems("0.1.0", changelog)
    assert "[Unreleased] section lists changes" in problem


def test_a_release_version_without_its_section_is_refused():
    [problem] = figures.version_problems("0.2.0", SHAPE.format(unreleased="\n### Added\n"))
    assert "newest release section is 0.1.0: add ## [0.2.0]" in problem


def test_a_dev_version_not_above_the_last_release_is_refused():
    [problem] = figures.version_problems("0.1.0.dev3", SHAPE.format(unreleased="- a change\n"))
    assert "not above the last release, 0.1.0" in problem and "0.2.0.dev0" in problem


@pytest.mark.parametrize("version", ["0.1.0", "0.2.0.dev0"])
def test_a_version_that_keeps_the_rule_passes(version):
    unreleased = "\n### Added\n" if version == "0.1.0" else "- a change\n"
    assert figures.version_problems(version, SHAPE.format(unreleased=unreleased)) == []


def test_the_docs_stay_within_their_word_budget():
    assert figures.docs_problems(figures.docs_words()) == []


def test_docs_over_the_budget_name_the_count_and_the_largest_files():
    [problem] = figures.docs_problems({"docs/cli.md": 15_000, "README.md": 5_100})
    assert "20,100 words, over the budget of 20,000 by 100" in problem and "docs/cli.md 15000" in problem


def test_each_changelog_section_stays_within_its_word_budget():
    assert figures.section_problems(CHANGELOG) == []


def test_a_changelog_section_over_its_budget_is_named():
    [problem] = figures.section_problems(SHAPE.format(unreleased="- word " * 600))
    assert "[Unreleased] section is 1,200 words, over 1,000 by 200" in problem


def test_the_latest_fast_and_test_tier_records_have_no_failures():
    """The unit tier's and `make test`'s rows of benchmarks/results/performance.md say 0 failed."""
    assert figures.tier_problems(figures.latest_records()) == []


def test_a_tier_record_with_failures_is_named():
    records = {"fast": {"failed": 2, "date": "d", "tree": "t", "failures": ["FAILED tests/a.py::b"]},
               "test": {"passed": 3, "date": "d", "tree": "t"}}
    [problem] = figures.tier_problems(records)
    assert "latest fast tier record (d, tree t) has 2 failed" in problem and "tests/a.py::b" in problem


def test_a_tier_record_made_with_uncommitted_changes_is_named():
    records = {"fast": {"passed": 3, "date": "d", "tree": "t"},
               "test": {"passed": 3, "date": "d", "tree": "t", "changes": True}}
    [problem] = figures.tier_problems(records)
    assert "latest test tier record (d, tree t) was made in a tree with uncommitted changes" in problem


def test_a_record_whose_only_failure_is_this_check_reading_the_record_before_it_passes():
    own = f"FAILED tests/kit/test_release_figures.py::{figures.SELF_CHECK} - AssertionError"
    clean = {"passed": 3, "date": "d", "tree": "t"}
    assert figures.tier_problems({"fast": {**clean, "failed": 1, "failures": [own]}, "test": clean}) == []
    [problem] = figures.tier_problems({"fast": {**clean, "failed": 2, "failures": [own, "FAILED tests/a.py::b"]},
                                       "test": clean})
    assert "2 failed" in problem and "tests/a.py::b" in problem
