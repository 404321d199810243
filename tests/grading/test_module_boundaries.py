"""No module of the grader imports another grader module's private (underscore) name: what one module needs of
another is that module's public interface (rename it public, or move the function where it belongs)."""
import ast
from pathlib import Path

from conftest import ROOT
from dgmlab import syntax_tree


def _imported_from(src, path, node: ast.ImportFrom) -> str:
    """The absolute module an ``ImportFrom`` in ``path`` (a file under the source folder ``src``) reads from,
    relative imports resolved."""
    if not node.level:
        return node.module or ""
    package = list(path.relative_to(src).parent.parts)  # a module's package, or a package's own __init__
    base = package[:len(package) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def private_imports(src=ROOT / "src") -> list:
    """``file:line imports _name from module`` for every import of a private name from a ``dgmlab.grading``
    module in ``src/dgmlab/grading``: relative (``from .x import _y``) or absolute
    (``from dgmlab.grading.x import _y``), at a module's top or inside a function."""
    found = []
    for path in sorted((src / "dgmlab" / "grading").rglob("*.py")):
        tree = syntax_tree.parse(path.read_text(encoding="utf-8"), str(path))
        for node in sorted((n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)), key=lambda n: n.lineno):
            module = _imported_from(src, path, node)
            if module == "dgmlab.grading" or module.startswith("dgmlab.grading."):
                found += [f"{path.relative_to(src).as_posix()}:{node.lineno} imports {a.name} from {module}"
                          for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
    return found


def test_no_grading_module_imports_another_modules_private_name():
    found = private_imports()
    assert not found, ("private names imported across modules (make the name public and update its users, or "
                       "move the function to the module that uses it):\n" + "\n".join(found))


def test_the_scan_finds_relative_and_absolute_private_imports(tmp_path):
    pkg = tmp_path / "dgmlab" / "grading"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("def _y(): pass\n")
    (pkg / "b.py").write_text("from .a import _y\nfrom .a import __all__\n")
    (pkg / "sub" / "c.py").write_text("def f():\n    from dgmlab.grading.a import _y, public\n"
                                      "from ..a import _z\nfrom ...testing import _w\nfrom os import _exit\n")
    assert private_imports(tmp_path) == ["dgmlab/grading/b.py:1 imports _y from dgmlab.grading.a",
                                         "dgmlab/grading/sub/c.py:2 imports _y from dgmlab.grading.a",
                                         "dgmlab/grading/sub/c.py:3 imports _z from dgmlab.grading.a"]


def private_reads(src=ROOT / "src") -> list:
    """``file:line reads _name of module`` for every private name read through a grader module imported by name
    (``from . import sandbox as S`` then ``S._inside``; ``from dgmlab.grading.hand import rubrics`` then
    ``rubrics._n``), in ``src/dgmlab/grading``."""
    found = []
    for path in sorted((src / "dgmlab" / "grading").rglob("*.py")):
        tree = syntax_tree.parse(path.read_text(encoding="utf-8"), str(path))
        modules = {}  # local name -> the grader module it names
        for node in (n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)):
            package = _imported_from(src, path, node)
            for a in node.names:
                module = f"{package}.{a.name}"
                if module.startswith("dgmlab.grading.") and (src / Path(*module.split("."))).with_suffix(".py").is_file():
                    modules[a.asname or a.name] = module
        found += [f"{path.relative_to(src).as_posix()}:{n.lineno} reads {n.attr} of {modules[n.value.id]}"
                  for n in ast.walk(tree) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
                  and n.value.id in modules and n.attr.startswith("_") and not n.attr.startswith("__")]
    return sorted(found)


def test_no_grading_module_reads_another_modules_private_name():
    found = private_reads()
    assert not found, ("private names read across modules (make the name public and update its users):\n"
                       + "\n".join(found))


def test_the_scan_finds_private_names_read_through_a_module(tmp_path):
    pkg = tmp_path / "dgmlab" / "grading"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("def _y(): pass\ndef y(): pass\n")
    (pkg / "sub" / "c.py").write_text("from .. import a as A\nfrom dgmlab.grading import a\nimport os\n"
                                      "A._y(); a._y(); A.y(); a.__name__; os._exit\n")
    assert private_reads(tmp_path) == ["dgmlab/grading/sub/c.py:4 reads _y of dgmlab.grading.a",
                                       "dgmlab/grading/sub/c.py:4 reads _y of dgmlab.grading.a"]
