"""nbgrader behind three adapters (issue 73, item 3): of ``src/dgmlab``, only the modules of :data:`ADAPTERS` import
nbgrader, at the top or inside a function alike, so that an nbgrader upgrade is checked in them and their tests. Any
other module asks them, by names that say what it does (``nbgrader_gradebook.open_gradebook_file``,
``cell_roles.is_graded`` ...); the judge imports none of them (tests/grading/judge/test_no_nbgrader.py)."""
import ast

from conftest import ROOT
from dgmlab import syntax_tree

PACKAGE = ROOT / "src" / "dgmlab"

# The modules that import nbgrader, and what of it each holds.
ADAPTERS = {
    "dgmlab.grading.nbgrader_gradebook": "nbgrader.api: the gradebook, its tables, MissingEntry",
    "dgmlab.grading.nbgrader_preprocessing": "nbgrader.preprocessors and nbgrader.coursedir: what dgmlab's plug-ins "
                                             "subclass or call, the course's folders, a converter's defaults",
    "dgmlab.grading.nbgrader_app": "nbgrader's converters, apps and export plugins run in this process, the "
                                   "readings of nbgrader.utils its apps make (timestamps, ignore globs, logs)",
}
# Where a module goes instead of importing nbgrader's ``<prefix>`` (the longest prefix that matches).
INSTEAD = {
    "nbgrader.api": "dgmlab.grading.nbgrader_gradebook",
    "nbgrader.preprocessors": "dgmlab.grading.nbgrader_preprocessing",
    "nbgrader.coursedir": "dgmlab.grading.nbgrader_preprocessing",
    "nbgrader.utils.is_grade": "dgmlab.grading.cell_roles (is_graded: the kit reads the cell's metadata itself)",
    "nbgrader.utils.is_solution": "dgmlab.grading.cell_roles (is_solution)",
    "nbgrader.utils.is_locked": "dgmlab.grading.cell_roles (is_locked)",
    "nbgrader": "dgmlab.grading.nbgrader_app",
}
DYNAMIC = ("import_module", "__import__")  # importlib.import_module("nbgrader..."), __import__("nbgrader...")


def _nbgrader_names(node) -> list:
    """The dotted names of nbgrader that the node imports (each name imported from a module counted as its own)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] == "nbgrader"]
    if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "nbgrader":
        return [f"{node.module}.{a.name}" for a in node.names]
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        text = node.args[0].value
        if called in DYNAMIC and isinstance(text, str) and text.split(".")[0] == "nbgrader":
            return [text]
    return []


def nbgrader_imports(source: str, label: str) -> list:
    """``(line, dotted name)`` of every import of nbgrader in ``source``: at the top, inside a function or class,
    under ``if TYPE_CHECKING``, or by a constant name given to ``importlib.import_module``/``__import__``."""
    return sorted((node.lineno, name) for node in ast.walk(syntax_tree.parse(source, filename=label))
                  for name in _nbgrader_names(node))


def instead(name: str) -> str:
    """The adapter a module importing nbgrader's ``name`` uses instead."""
    prefix = max((p for p in INSTEAD if name == p or name.startswith(p + ".")), key=len)
    return INSTEAD[prefix]


def _module(path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_only_the_three_adapters_import_nbgrader():
    found = [f"{_module(path)} (line {line}: {name}): use {instead(name)}"
             for path in sorted(PACKAGE.rglob("*.py")) if _module(path) not in ADAPTERS
             for line, name in nbgrader_imports(path.read_text(encoding="utf-8"), str(path))]
    assert not found, ("nbgrader is imported only by " + ", ".join(ADAPTERS) + "; these modules import it: "
                       + "; ".join(found) + ". Ask the adapter by a name that says what the module does (add a "
                       "function there if none does).")


def test_each_adapter_is_a_module_of_dgmlab_that_imports_nbgrader():
    for name in ADAPTERS:
        path = PACKAGE.parent.joinpath(*name.split(".")).with_suffix(".py")
        assert nbgrader_imports(path.read_text(encoding="utf-8"), str(path)), name


def test_an_import_of_nbgrader_inside_a_function_is_found():
    source = ("import os\n\n\ndef f():\n    from nbgrader.api import Gradebook\n\n\nclass C:\n    def g(self):\n"
              "        import nbgrader.utils\n        return importlib.import_module('nbgrader.plugins')\n")
    assert nbgrader_imports(source, "m.py") == [(5, "nbgrader.api.Gradebook"), (10, "nbgrader.utils"),
                                                (11, "nbgrader.plugins")]


def test_an_import_under_type_checking_is_found():
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from nbgrader.coursedir import CourseDirectory\n"
    assert nbgrader_imports(source, "m.py") == [(3, "nbgrader.coursedir.CourseDirectory")]


def test_a_module_of_another_name_is_not_taken_for_nbgrader():
    source = "import nbgrader_tools\nfrom .nbgrader import x\nfrom dgmlab.grading import nbgrader_app\n"
    assert nbgrader_imports(source, "m.py") == []


def test_the_message_names_the_adapter_to_use():
    assert instead("nbgrader.api.Gradebook") == "dgmlab.grading.nbgrader_gradebook"
    assert instead("nbgrader.preprocessors.Execute") == "dgmlab.grading.nbgrader_preprocessing"
    assert instead("nbgrader.utils.is_grade").startswith("dgmlab.grading.cell_roles")
    assert instead("nbgrader.utils.parse_utc") == "dgmlab.grading.nbgrader_app"
