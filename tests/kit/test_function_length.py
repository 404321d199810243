"""The grading path is written in short steps (issue 64, item 4): no function under ``src/dgmlab/grading/`` and no
command (``cmd_*`` in ``src/dgmlab/cli_commands.py``) is over 60 lines, counted from its ``def`` (decorators not
included) to its last line, docstring, comments and nested functions included. A longer one is split into named
steps, each returning a record where several values travel. Read with the parser only: nothing is imported."""
import ast

from conftest import ROOT
from dgmlab import syntax_tree

MAX_LINES = 60
GRADING = "src/dgmlab/grading"
COMMANDS = "src/dgmlab/cli_commands.py"
EXCLUDED: dict = {}  # "path:function" -> why it may be longer (none: each one needs its reason here)


def _functions(path):
    """``(name, lines)`` of each function and method in the module at ``path``, nested ones included."""
    tree = syntax_tree.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [(node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]


def long_functions(root=ROOT, limit=MAX_LINES) -> list:
    """``"path:function: N lines"`` for each function under ``root``'s ``src/dgmlab/grading/`` and each ``cmd_*``
    of its ``cli_commands.py`` over ``limit`` lines, longest first, but those in :data:`EXCLUDED`."""
    found = []
    paths = sorted((root / GRADING).rglob("*.py"))
    commands = root / COMMANDS
    for path in paths + ([commands] if commands.is_file() else []):
        name = path.relative_to(root).as_posix()
        for function, lines in _functions(path):
            if name == COMMANDS and not function.startswith("cmd_"):
                continue
            if lines > limit and f"{name}:{function}" not in EXCLUDED:
                found.append((lines, f"{name}:{function}"))
    return [f"{where}: {lines} lines" for lines, where in sorted(found, key=lambda f: (-f[0], f[1]))]


def test_no_function_of_the_grading_path_is_over_60_lines():
    found = long_functions()
    assert not found, (f"functions of the grading path over {MAX_LINES} lines (split each into named steps, one job "
                       "each, returning a small frozen record where several values travel):\n" + "\n".join(found))


def test_the_scan_lists_each_long_grading_function_and_command_with_its_count(tmp_path):
    grading = tmp_path / "src" / "dgmlab" / "grading" / "report"
    grading.mkdir(parents=True)
    body = "    x = 1\n"
    (grading / "steps.py").write_text(
        "def long():\n" + body * 60                    # 61 lines
        + "def limit():\n" + body * 59                 # 60 lines
        + "class K:\n    async def method(self):\n" + ("    " + body) * 64)  # a method: 65 lines
    (tmp_path / "src" / "dgmlab" / "cli_commands.py").write_text(
        "def cmd_long(args):\n" + body * 61            # a command: 62 lines
        + "def _helper():\n" + body * 80)              # not a command: not counted here
    (tmp_path / "src" / "dgmlab" / "other.py").write_text("def elsewhere():\n" + body * 90)  # not the grading path
    assert long_functions(tmp_path) == ["src/dgmlab/grading/report/steps.py:method: 65 lines",
                                        "src/dgmlab/cli_commands.py:cmd_long: 62 lines",
                                        "src/dgmlab/grading/report/steps.py:long: 61 lines"]
