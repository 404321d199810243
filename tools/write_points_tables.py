"""Write the points the docs show from where they are typed: the tests' @points and the written cells' headers.

    python tools/write_points_tables.py            rewrite them
    python tools/write_points_tables.py --check    exit 1 when a doc differs from them

What it writes, for each kit homework ``hw``:

- in ``docs/<hw>.md``, the ``Points (hidden)`` column of the table whose header has a ``Cell`` column: a row's
  cells are the grade_ids in backticks in its ``Cell`` column (``, `` between cells of one group, `` / `` between
  groups), and its points read ``5 + 5 (2 + 2.25)`` for test cells (their tests' ``@points`` summed, and in
  parentheses the share hidden tests decide: ``dgmlab.probes.specs``) or ``4 + 4 (hand)`` for written cells (their
  header's ``points=``). Every graded
  cell of the homework is in the table once, and no other; the other columns are prose, kept as they are;
- the page's heading ``## Points (...)`` (the total, autograded, hand-graded and hidden points) and the sentences
  "Visible tests carry N of the M points" and "Written answers (N points)" where the page has them;
- in ``README.md``, the column ``points (autograded + by hand)`` of the homework table.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
POINTS = "Points (hidden)"  # the column this tool writes
CELL = "Cell"  # the column it reads the grade_ids from
README_POINTS = "points (autograded + by hand)"


class DocError(ValueError):
    """A doc this tool cannot write: the message names the page, the row and what to change."""


def _fmt(x: float) -> str:
    from dgmlab.probes.points import fmt

    return fmt(x)


def graded_cells(hw: str, root: Path = ROOT) -> dict:
    """``{grade_id: (points, hidden)}`` of every graded cell of kit homework ``hw`` in notebook order: a test
    cell's points and ``hidden`` from its spec (its tests' ``@points`` summed), a written cell's points from its header
    with ``hidden`` None."""
    from dgmlab import probes
    from dgmlab.authoring.percent import parts as percent_parts
    from dgmlab.authoring.percent import read_cells

    folder = root / "homeworks" / hw
    parts = percent_parts(folder)
    specs = probes.specs(hw)
    found = {}
    for name in parts:
        for _, cell_type, meta, _ in read_cells(folder / name):
            if meta.get("kind") not in ("written", "tests"):
                continue
            cell = meta["grade_id"]
            if meta["kind"] == "written":
                found[cell] = (float(meta["points"]), None)
            elif cell not in specs:
                raise DocError(f"{hw}: test cell {cell} has no CheckSpec in homeworks/{hw}/checks/")
            else:
                found[cell] = (float(specs[cell].points), float(specs[cell].hidden))
    return found


def _columns(line: str) -> list[str]:
    """A markdown table row's columns, text as written (``\\|`` inside a column is not a separator)."""
    return re.split(r"(?<!\\)\|", line.strip())[1:-1]


def _group_text(cells: list[str], table: dict) -> str:
    points = " + ".join(_fmt(table[c][0]) for c in cells)
    kinds = {table[c][1] is None for c in cells}
    if kinds == {True}:
        return f"{points} (hand)"
    if kinds == {False}:
        return f"{points} ({' + '.join(_fmt(table[c][1]) for c in cells)})"
    raise DocError(f"{', '.join(cells)} mix written and test cells in one group: separate them with ' / '")


def points_text(cell_column: str, table: dict, where: str) -> tuple[str, list[str]]:
    """The ``Points (hidden)`` text of a row whose ``Cell`` column is ``cell_column``, and the cells it names."""
    groups, named = [], []
    for group in cell_column.split(" / "):
        cells = re.findall(r"`([^`]+)`", group)
        unknown = [c for c in cells if c not in table]
        if unknown:
            raise DocError(f"{where}: {', '.join(unknown)} is not a graded cell of the homework (graded cells: "
                           f"{', '.join(table)}); name its grade_id in backticks or drop the row")
        if cells:
            groups.append(_group_text(cells, table))
            named += cells
    if not named:
        raise DocError(f"{where}: the row names no graded cell; put its grade_ids in backticks in the Cell column")
    return " / ".join(groups), named


def _table_at(lines: list[str], page: str) -> tuple[int, list[str]]:
    """The line index of the points table's header row in ``lines``, and its column names."""
    for n, line in enumerate(lines):
        header = [c.strip() for c in _columns(line)] if line.startswith("|") else []
        if CELL in header and POINTS in header:
            return n, header
    raise DocError(f"{page} has no table with a '{CELL}' and a '{POINTS}' column: add one listing every graded "
                   "cell")


def named_cells(text: str, page: str = "the page") -> list[str]:
    """The grade_ids the points table of a page names, in order (as many times as it names them)."""
    lines = text.split("\n")
    start, header = _table_at(lines, page)
    named = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        named += re.findall(r"`([^`]+)`", _columns(line)[header.index(CELL)])
    return named


def render_table(text: str, table: dict, page: str) -> str:
    """``text`` with the points of its cell table written from ``table`` (:func:`graded_cells`)."""
    lines = text.split("\n")
    start, header = _table_at(lines, page)
    cell_at, points_at = header.index(CELL), header.index(POINTS)
    seen: list[str] = []
    n = start + 2
    while n < len(lines) and lines[n].startswith("|"):
        columns = _columns(lines[n])
        if len(columns) != len(header):
            raise DocError(f"{page}:{n + 1}: {len(columns)} columns where the table has {len(header)}")
        text_, named = points_text(columns[cell_at], table, f"{page}:{n + 1}")
        columns[points_at] = f" {text_} "
        lines[n] = "|" + "|".join(columns) + "|"
        seen += named
        n += 1
    twice = sorted({c for c in seen if seen.count(c) > 1})
    missing = [c for c in table if c not in seen]
    if twice:
        raise DocError(f"{page}: {', '.join(twice)} in more than one row of the points table: keep one")
    if missing:
        raise DocError(f"{page}: the points table has no row for {', '.join(missing)}: add one (the Points column "
                       f"is written by python tools/write_points_tables.py)")
    return "\n".join(lines)


def totals(table: dict) -> dict:
    """The page's sums: ``total``, ``auto`` (test cells), ``hand`` (written cells), ``hidden``, ``visible``."""
    auto = sum(p for p, h in table.values() if h is not None)
    hidden = sum(h for _, h in table.values() if h is not None)
    hand = sum(p for p, h in table.values() if h is None)
    return {"total": auto + hand, "auto": auto, "hand": hand, "hidden": hidden, "visible": auto - hidden}


def render_page(text: str, table: dict, page: str) -> str:
    """A homework page with its table, its Points heading and its sentences of sums written from ``table``."""
    s = {k: _fmt(v) for k, v in totals(table).items()}
    text = render_table(text, table, page)
    heading = (f"## Points ({s['total']}: {s['auto']} autograded, {s['hand']} hand-graded; hidden tests decide "
               f"{s['hidden']} of the {s['auto']})")
    text, found = re.subn(r"^## Points \(.*\)$", heading, text, count=1, flags=re.M)
    if not found:
        raise DocError(f"{page} has no '## Points (...)' heading above its points table: add one")
    text = re.sub(r"Visible tests carry [\d.]+ of the [\d.]+ points",
                  f"Visible tests carry {s['visible']} of the {s['auto']} points", text)
    return re.sub(r"Written answers \([\d.]+ points\)", f"Written answers ({s['hand']} points)", text)


def missing_page(hw: str, table: dict) -> str:
    """What to do when kit homework ``hw`` has no page: the page to create and a points section to start it with."""
    rows = [f"| | `{cell}` | | |" for cell in table]
    return "\n".join([f"docs/{hw}.md does not exist: write the homework's page (CONTRIBUTING.md) with this section, "
                      "fill in its Part and prose columns, then run python tools/write_points_tables.py", "",
                      "## Points (0)", "", f"| Part | {CELL} | {POINTS} | What the tests check |", "|---|---|---|---|",
                      *rows])


def _readme_rows(lines: list[str]):
    """``(line number, homework id, points column)`` of each row of the README's homework table."""
    at = None
    for n, line in enumerate(lines):
        if not line.startswith("|"):
            at = None
            continue
        columns = [c.strip() for c in _columns(line)]
        if README_POINTS in columns:
            at = columns.index(README_POINTS)
        elif at is not None:
            yield n, columns[0].strip("`"), at


def render_readme(text: str, tables: dict) -> str:
    """The README with each kit homework's ``total (autograded + by hand)`` written from its table."""
    lines = text.split("\n")
    for n, hw, at in list(_readme_rows(lines)):
        if hw in tables:
            s = {k: _fmt(v) for k, v in totals(tables[hw]).items()}
            row = _columns(lines[n])
            row[at] = f" {s['total']} ({s['auto']} + {s['hand']}) "
            lines[n] = "|" + "|".join(row) + "|"
    return "\n".join(lines)


def readme_missing(text: str, tables: dict) -> list[str]:
    """The homeworks of ``tables`` that the README's homework table has no row for (their points are not shown)."""
    found = {hw for _, hw, _ in _readme_rows(text.split("\n"))}
    return [hw for hw in tables if hw not in found]


def rendered(root: Path = ROOT) -> dict:
    """``{path: text}`` of every doc this tool writes, as it writes them."""
    from dgmlab import probes

    tables = {hw: graded_cells(hw, root) for hw in probes.KIT_HOMEWORKS}
    out = {}
    for hw, table in tables.items():
        page = root / "docs" / f"{hw}.md"
        if not page.is_file():
            raise DocError(missing_page(hw, table))
        out[page] = render_page(page.read_text(encoding="utf-8"), table, f"docs/{hw}.md")
    readme = root / "README.md"
    out[readme] = render_readme(readme.read_text(encoding="utf-8"), tables)
    for hw in readme_missing(out[readme], tables):
        print(f"write_points_tables: warning: README.md's homework table has no row for {hw}, so its points are not "
              f"shown: add a row starting | `{hw}` | and run this again (it fills in the {README_POINTS!r} column)",
              file=sys.stderr)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when a doc differs from the typed points")
    args = parser.parse_args(argv)
    try:
        docs = rendered()
    except DocError as exc:
        print(f"write_points_tables: {exc}", file=sys.stderr)
        return 1
    except KeyError as exc:  # a homework not built yet: probes.specs has no points for its test cells
        if "has no points for" not in str(exc):
            raise
        print(f"write_points_tables: {exc.args[0]}; build it first, then run this again", file=sys.stderr)
        return 1
    stale = [p for p, text in docs.items() if p.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} differs from the cell headers' points: run python "
                  "tools/write_points_tables.py", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(docs[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
