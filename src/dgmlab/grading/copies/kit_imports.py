"""Answer cells that use the kit's own checking code instead of answering.

The visible checks run in the student's kernel, so the references they compare with (the statement's losses and
steps in ``dgmlab.probes``, for instance) are importable there; an answer that imports one passes the checks and
is no copy of any text, so :mod:`dgmlab.grading.copies.similarity` cannot see it. A student's answer has no use for the
modules that check it, so an answer cell naming one of :data:`KIT_INTERNALS` (an import, ``dgmlab.probes...`` as
an attribute, or ``importlib.import_module``/``__import__`` of such a name) is reported by ``dgmlab report``, next
to the copies. It changes no grade. Names built at run time (string arithmetic, getattr) are not seen here;
:mod:`.runtime_code` lists the constructs that build them.
"""
from __future__ import annotations

import ast
import re

from ... import syntax_tree

KIT_INTERNALS = ("dgmlab.probes", "dgmlab.grading", "dgmlab.authoring", "dgmlab.testing", "dgmlab.selfcheck",
                 "homeworks")
# the assertions notebooks offer as helpers (hw3's sympy_gap, has_float; dgmlab.checks before they moved): tools
KIT_TOOLS = ("dgmlab.probes.asserts",)
KIND = "kit code"  # the kind of its similarity.Match rows


def _internal(name: str) -> str | None:
    if any(name == module or name.startswith(module + ".") for module in KIT_TOOLS):
        return None
    for module in KIT_INTERNALS:
        if name == module or name.startswith(module + "."):
            return name
    return None


def dotted_name(node: ast.AST) -> str | None:
    """``a.b.c`` of an attribute chain on a plain name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return ".".join([node.id, *reversed(parts)]) if isinstance(node, ast.Name) else None


def kit_references(code: str) -> list[str]:
    """The kit-internal modules (or names in them) that ``code`` reaches, sorted; [] for code that does not parse
    (IPython's ``%``/``!`` lines are left out first)."""
    code = "\n".join("" if re.match(r"\s*[%!]", line) else line for line in code.splitlines())
    try:
        tree = syntax_tree.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    aliases = {a.asname for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names
               if a.name == "dgmlab" and a.asname}  # import dgmlab as d: d.probes is dgmlab.probes
    found: set[str] = set()
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
        elif isinstance(node, ast.Attribute):
            dotted = dotted_name(node) or ""
            head, _, rest = dotted.partition(".")
            names = [f"dgmlab.{rest}" if head in aliases else dotted]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and dotted_name(node.func) in ("__import__", "import_module",
                                                                                    "importlib.import_module"):
            names = [node.args[0].value]
        found.update(hit for hit in map(_internal, names) if hit)
    # the longest names only: "homeworks.hw4_gans.checks" says more than "dgmlab.probes"
    return sorted(n for n in found if not any(o != n and o.startswith(n + ".") for o in found))


__all__ = ["KIND", "KIT_INTERNALS", "kit_references"]
