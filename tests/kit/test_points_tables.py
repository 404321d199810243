"""The points in docs/<hw>.md and the README come from where they are written (tools/write_points_tables.py: the
tests' @points, the written cells' headers), never typed by hand: a doc that differs, or a points table that misses or repeats a graded cell, fails."""
import pytest

from conftest import ROOT, load_script
from dgmlab import probes

writer = load_script(ROOT / "tools" / "write_points_tables.py")

TABLE = {"q1_tests": (5.0, 2.0), "q1_written": (4.0, None), "q2_tests": (3.0, 0.5)}
PAGE = """# hw9

## Points (1: 1 autograded, 0 hand-graded; hidden tests decide 0 of the 1)

| Part | Cell | Points (hidden) | What the tests check |
|---|---|---|---|
| Q1 | `q1_tests` / `q1_written` | 7 | values at seeded points |
| Q2 | `q2_tests` | 1 | a \\| b |

Visible tests carry 1 of the 2 points. Written answers (9 points) are graded by hand.
"""


def test_every_homework_page_and_the_readme_show_the_graded_cells_points():
    assert writer.main(["--check"]) == 0


@pytest.mark.parametrize("hw", probes.KIT_HOMEWORKS)
def test_each_page_table_names_every_graded_cell_once(hw):
    text = (ROOT / "docs" / f"{hw}.md").read_text(encoding="utf-8")
    named = writer.named_cells(text)
    assert sorted(named) == sorted(writer.graded_cells(hw))


def test_a_row_gets_its_cells_points_and_hidden_share_and_keeps_its_prose():
    out = writer.render_page(PAGE, TABLE, "hw9.md")
    assert "| Q1 | `q1_tests` / `q1_written` | 5 (2) / 4 (hand) | values at seeded points |" in out
    assert "| Q2 | `q2_tests` | 3 (0.5) | a \\| b |" in out


def test_the_points_heading_and_the_sums_in_the_prose_are_written():
    out = writer.render_page(PAGE, TABLE, "hw9.md")
    assert "## Points (12: 8 autograded, 4 hand-graded; hidden tests decide 2.5 of the 8)" in out
    assert "Visible tests carry 5.5 of the 8 points. Written answers (4 points)" in out


def test_several_cells_in_one_group_are_summed_side_by_side():
    table = {"a_tests": (5.0, 2.0), "b_tests": (5.0, 2.25)}
    assert writer.points_text("`a_tests`, `b_tests`", table, "x")[0] == "5 + 5 (2 + 2.25)"


def test_a_table_without_a_graded_cell_is_refused_naming_it():
    page = PAGE.replace("| Q2 | `q2_tests` | 1 | a \\| b |\n", "")
    with pytest.raises(writer.DocError, match="no row for q2_tests"):
        writer.render_page(page, TABLE, "hw9.md")


def test_a_cell_in_two_rows_is_refused():
    page = PAGE.replace("| Q2 | `q2_tests` |", "| Q2 | `q2_tests`, `q1_tests` |")
    with pytest.raises(writer.DocError, match="q1_tests in more than one row"):
        writer.render_page(page, TABLE, "hw9.md")


def test_a_cell_the_homework_does_not_grade_is_refused():
    page = PAGE.replace("`q2_tests`", "`q3_tests`")
    with pytest.raises(writer.DocError, match="q3_tests is not a graded cell"):
        writer.render_page(page, TABLE, "hw9.md")


def test_written_and_test_cells_in_one_group_are_refused():
    with pytest.raises(writer.DocError, match="separate them with ' / '"):
        writer.points_text("`q1_tests`, `q1_written`", TABLE, "x")


def test_the_readme_row_gets_the_total_and_its_split():
    text = "| id | points (autograded + by hand) |\n|---|---|\n| `hw9` | 1 (1 + 0) |\n"
    assert "| `hw9` | 12 (8 + 4) |" in writer.render_readme(text, {"hw9": TABLE})


def test_a_homework_without_a_readme_row_is_named():
    text = "| id | points (autograded + by hand) |\n|---|---|\n| `hw9` | 1 (1 + 0) |\n"
    assert writer.readme_missing(text, {"hw9": TABLE, "hw6_new": TABLE}) == ["hw6_new"]


def test_a_homework_without_a_page_is_refused_naming_the_page_and_a_section_that_renders():
    message = writer.missing_page("hw9", TABLE)
    assert message.startswith("docs/hw9.md does not exist: write the homework's page")
    section = message.split("\n\n", 1)[1]
    assert "| Part | `q1_tests` | 5 (2) |" not in section  # not written yet: the tool fills it in
    assert "## Points (12: 8 autograded, 4 hand-graded" in writer.render_page(section, TABLE, "hw9.md")


def test_a_homework_not_built_yet_is_named_with_the_build_to_run(monkeypatch, capsys):
    def unbuilt(root=ROOT):
        raise KeyError("hw6_vae has no points for q1_tests: its tests' @points are summed by `dgmlab build hw6_vae` "
                       "into points.json")

    monkeypatch.setattr(writer, "rendered", unbuilt)
    assert writer.main([]) == 1
    err = capsys.readouterr().err
    assert "`dgmlab build hw6_vae`" in err and "build it first" in err and "Traceback" not in err
