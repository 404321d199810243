"""Write benchmarks/results/performance.md's table of the test tiers from their records (benchmarks/time_test_tier.py).

    python tools/write_performance.py            rewrite the table
    python tools/write_performance.py --check    exit 1 when the table differs from the records

The table sits between the markers below; nothing in it is typed by hand.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "benchmarks" / "results" / "performance.md"
RECORDS = ROOT / "benchmarks" / "results" / "test_tiers"
BEGIN = "<!-- test tiers: written by tools/write_performance.py from benchmarks/results/test_tiers/ -->"
END = "<!-- end of test tiers -->"
NAMES = {"fast": "`make test-fast` (the unit tier)", "test": "`make test` (what CI runs first)",
         "e2e": "`make test-e2e` (CI's second step)"}


def latest() -> dict:
    """``{tier: record}``, the newest record of each tier (by its file name's time)."""
    found = {}
    for path in sorted(RECORDS.glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        found[record["tier"]] = record
    return found


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def table(records: dict) -> str:
    rows = [BEGIN, "| tier | command | result | when |", "|---|---|---|---|"]
    for tier in ("fast", "test", "e2e"):
        r = records.get(tier)
        if r is None:
            rows.append(f"| {NAMES[tier]} | | no record yet | |")
            continue
        result = ", ".join(f"{r[k]} {k}" for k in ("passed", "failed", "errors", "skipped") if r.get(k))
        cpu = f" ({_duration(r['cpu_seconds'])} of CPU)" if r.get("cpu_seconds") else ""
        rows.append(f"| {NAMES[tier]} | `{r['command']}` | {result} in {_duration(r['seconds'])}{cpu} | {r['date']}, "
                    f"tree {r['tree']}{' with changes' if r.get('changes') else ''}, load {r['load_before']} to "
                    f"{r['load_after']} on {r['cores']} cores{'; ' + r['note'] if r.get('note') else ''} |")
    rows.append(END)
    return "\n".join(rows)


def render(text: str, records: dict) -> str:
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{DOC} has no {BEGIN!r} ... {END!r} block: add one where the table goes")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return head + table(records) + tail


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = DOC.read_text(encoding="utf-8")
    new = render(text, latest())
    if "--check" in argv:
        if new != text:
            print(f"{DOC.relative_to(ROOT)} differs from the records: run python tools/write_performance.py",
                  file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    print(f"wrote {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
