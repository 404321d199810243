"""No module of the kit is over 600 lines (issue 55): one job per module, and a module that outgrows that is split
along the seams it has (as dgmlab.pdf, dgmlab.cli and grading/lms/intake.py were)."""
from conftest import ROOT

MAX_LINES = 600
FOLDERS = ("src", "homeworks", "tools", "grader")  # the kit's code: the packages, the homeworks, the tools
EXCLUDED: dict = {}  # path relative to the root -> why it may be longer (none: each one needs its reason here)


def long_modules(root=ROOT, folders=FOLDERS, limit=MAX_LINES) -> list:
    """``"path: N lines"`` for each ``.py`` file under ``root``'s ``folders`` over ``limit`` lines, longest first,
    but those in :data:`EXCLUDED`."""
    found = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            name = path.relative_to(root).as_posix()
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > limit and name not in EXCLUDED:
                found.append((lines, name))
    return [f"{name}: {lines} lines" for lines, name in sorted(found, key=lambda f: (-f[0], f[1]))]


def test_no_module_of_the_kit_is_over_600_lines():
    found = long_modules()
    assert not found, (f"modules over {MAX_LINES} lines (split each along a seam it has into modules named for "
                       "what they do; re-export what other code imports from it):\n" + "\n".join(found))


def test_the_scan_lists_each_long_module_with_its_count(tmp_path):
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "tools").mkdir()
    (tmp_path / "src" / "pkg" / "long.py").write_text("x = 1\n" * 601)
    (tmp_path / "src" / "pkg" / "limit.py").write_text("x = 1\n" * 600)
    (tmp_path / "tools" / "longer.py").write_text("x = 1\n" * 700)
    (tmp_path / "tools" / "notes.txt").write_text("x\n" * 900)  # not a module
    assert long_modules(tmp_path, ("src", "tools", "grader")) == ["tools/longer.py: 700 lines",
                                                                  "src/pkg/long.py: 601 lines"]
