"""The figures a release states, measured, and the rules they keep: what `python tools/release_figures.py` prints.

    python tools/release_figures.py     print each figure with its limit; exit 1 when one is broken

- the version: a release version (``0.2.0``) only while CHANGELOG.md's [Unreleased] section is empty and its newest
  section is that version; between releases main carries the next ``.devN`` (PEP 440), above the last release;
- the docs: docs/*.md, README.md and CONTRIBUTING.md at most :data:`DOCS_BUDGET` words (as ``wc -w`` counts them);
- each CHANGELOG section, [Unreleased] included (the next release's), at most :data:`SECTION_BUDGET` words;
- the test tiers: the latest record of `make test-fast` and `make test` (benchmarks/time_test_tier.py, the rows
  tools/write_performance.py writes into benchmarks/results/performance.md) with no failure and no error, made in a
  tree without uncommitted changes (so its count and time are the commit's).

tests/kit/test_release_figures.py checks each against this checkout, so a release's figures cannot drift silently.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
DOCS_BUDGET = 20_000
SECTION_BUDGET = 1_000
TIERS = ("fast", "test")  # the tiers a release states must pass (e2e is CI's second step)
SECTION = re.compile(r"^## \[([^\]]+)\].*$", re.M)


def docs_words(root: Path = ROOT) -> dict:
    """``{file: words}`` of the docs the budget covers, counted as ``wc -w`` does (runs of non-blanks)."""
    files = sorted((root / "docs").glob("*.md")) + [root / "README.md", root / "CONTRIBUTING.md"]
    return {path.relative_to(root).as_posix(): len(path.read_text(encoding="utf-8").split()) for path in files}


def sections(changelog: str) -> list:
    """``[(title, body)]`` of CHANGELOG.md's ``## [...]`` sections, newest first (``Unreleased`` among them)."""
    heads = list(SECTION.finditer(changelog))
    ends = [h.start() for h in heads[1:]] + [len(changelog)]
    return [(h.group(1), changelog[h.end():end]) for h, end in zip(heads, ends)]


def _has_entries(body: str) -> bool:
    """Whether a section says anything beyond its ``###`` headings."""
    return any(line.strip() and not line.startswith("###") for line in body.splitlines())


def version_problems(version: str, changelog: str) -> list:
    """What is wrong with ``version`` given CHANGELOG.md's text (``[]``: nothing)."""
    try:
        mine = Version(version)
    except InvalidVersion:
        return [f"__version__ {version!r} is not a PEP 440 version (e.g. 0.2.0 or 0.2.0.dev0)"]
    found = sections(changelog)
    unreleased = next((body for title, body in found if title == "Unreleased"), "")
    released = [title for title, _ in found if title != "Unreleased"]
    last = Version(released[0]) if released else None
    if mine.is_devrelease:
        if last is not None and mine <= last:
            return [f"__version__ {version} is not above the last release, {last}: set the next version's .dev0 "
                    f"(e.g. {last.major}.{last.minor + 1}.0.dev0)"]
        return []
    problems = []
    if _has_entries(unreleased):
        problems.append(f"__version__ {version} is a release, but CHANGELOG.md's [Unreleased] section lists changes: "
                        f"move them under ## [{version}] - <date>, or keep a .devN version until the release")
    if str(mine) not in released[:1]:
        problems.append(f"__version__ {version} is a release, but CHANGELOG.md's newest release section is "
                        f"{released[0] if released else 'none'}: add ## [{version}] - <date> above it")
    return problems


def docs_problems(counts: dict) -> list:
    total = sum(counts.values())
    if total <= DOCS_BUDGET:
        return []
    largest = ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda kv: -kv[1])[:5])
    return [f"the docs are {total:,} words, over the budget of {DOCS_BUDGET:,} by {total - DOCS_BUDGET:,}: trim "
            f"(the largest: {largest}); history goes in CHANGELOG.md, measurements in benchmarks/results/"]


def section_problems(changelog: str) -> list:
    out = []
    for title, body in sections(changelog):
        words = len(body.split())
        if words > SECTION_BUDGET:
            out.append(f"CHANGELOG.md's [{title}] section is {words:,} words, over {SECTION_BUDGET:,} by "
                       f"{words - SECTION_BUDGET:,}: merge or shorten its lines (a change's detail goes in its "
                       "commit message)")
    return out


def latest_records(folder: Path = ROOT / "benchmarks" / "results" / "test_tiers") -> dict:
    """``{tier: record}``, the newest record of each tier (as tools/write_performance.py reads them)."""
    found = {}
    for path in sorted(folder.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        found[record["tier"]] = record
    return found


SELF_CHECK = "test_the_latest_fast_and_test_tier_records_have_no_failures"
RECORD_CHECKS = (SELF_CHECK, "test_the_docs_tier_table_is_what_the_records_give")
"""The kit tests that read the tier records: inside a tier they read the records as they were before the run (or
one written beside it), so their failure in a record says nothing of this run's code."""


def _failed(record: dict) -> int:
    own = sum(any(check in line for check in RECORD_CHECKS) for line in record.get("failures", []))
    return record.get("failed", 0) + record.get("errors", 0) - own


def tier_problems(records: dict) -> list:
    out = []
    for tier in TIERS:
        record = records.get(tier)
        if record is None:
            out.append(f"no record of the {tier} tier: python benchmarks/time_test_tier.py {tier}")
        elif _failed(record) > 0:
            out.append(f"the latest {tier} tier record ({record['date']}, tree {record['tree']}) has "
                       f"{record.get('failed', 0)} failed and {record.get('errors', 0)} errors "
                       f"({'; '.join(record.get('failures', [])[:3])}): fix them, then python "
                       f"benchmarks/time_test_tier.py {tier} and python tools/write_performance.py")
        elif record.get("changes"):
            out.append(f"the latest {tier} tier record ({record['date']}, tree {record['tree']}) was made in a tree "
                       f"with uncommitted changes: record it from a clean clone of the release's commit")
    return out


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from dgmlab import __version__

    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    counts, records = docs_words(), latest_records()
    print(f"version {__version__}")
    print(f"docs {sum(counts.values()):,} words (budget {DOCS_BUDGET:,})")
    for title, body in sections(changelog)[:2]:
        print(f"CHANGELOG [{title}] {len(body.split()):,} words (budget {SECTION_BUDGET:,})")
    for tier in TIERS:
        r = records.get(tier, {})
        print(f"{tier} tier: {r.get('passed', 0)} passed, {r.get('failed', 0)} failed in {r.get('seconds', 0):.0f} s"
              f" ({r.get('date', 'no record')})")
    problems = (version_problems(__version__, changelog) + docs_problems(counts) + section_problems(changelog)
                + tier_problems(records))
    for line in problems:
        print(f"BROKEN: {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
