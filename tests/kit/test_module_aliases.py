"""No module of ``src/dgmlab`` imports a module under a one- or two-letter alias (``from . import keys as K``):
``K.run(...)`` makes a reader look up what ``K`` is, ``keys.run(...)`` says it (issue 73, item 2). The only short
aliases are the conventional third-party ones in :data:`ALLOWED`, which every reader of scientific Python knows.
"""
import ast

from conftest import ROOT
from dgmlab import syntax_tree

PACKAGE = ROOT / "src" / "dgmlab"

# Conventional third-party aliases: (module, alias).
ALLOWED = {
    ("numpy", "np"),
    ("sympy", "sp"),
    ("pandas", "pd"),
    ("matplotlib.pyplot", "plt"),
    ("torch.nn.functional", "F"),
    ("torch.distributions", "D"),
}


def short_aliases(source: str, label: str) -> list[str]:
    """Each ``module as X`` (X of one or two letters) that the source imports and ALLOWED does not list."""
    found = []
    for node in ast.walk(syntax_tree.parse(source, filename=label)):
        if isinstance(node, ast.Import):
            named = [(alias.name, alias) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            prefix = "." * node.level + (node.module + "." if node.module else "")
            named = [(prefix + alias.name, alias) for alias in node.names]
        else:
            continue
        for name, alias in named:
            if alias.asname and len(alias.asname) <= 2 and (name, alias.asname) not in ALLOWED:
                found.append(f"{label}:{node.lineno}: {name} as {alias.asname}")
    return found


def test_no_module_of_dgmlab_imports_a_module_under_a_short_alias():
    found = [hit for path in sorted(PACKAGE.rglob("*.py"))
             for hit in short_aliases(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))]
    assert not found, ("import these modules under their own name (`from . import keys`, then `keys.run()`), "
                       "or import the names used:\n" + "\n".join(found))


def test_short_alias_finder_flags_dgmlab_modules_and_spares_conventional_ones():
    source = ("import numpy as np\nimport torch.nn.functional as F\nfrom .grading import course as C\n"
              "import dgmlab.pdf as P\nfrom . import keys as keys_module\n")
    assert short_aliases(source, "m.py") == ["m.py:3: .grading.course as C", "m.py:4: dgmlab.pdf as P"]

