"""No evaluator on data from a submission (issue 45, item 2), enforced by walking the grader's code.

Probe data comes from the student's kernel (:mod:`dgmlab.probes.wire`) and a probe value may be a plain ``str``:
``sympy.sympify`` of a string is Python's ``eval``, and so are ``parse_expr``, ``lambdify`` (it writes the
expression, symbol names included, as Python source and runs it), ``pickle`` and ``torch.load`` without
``weights_only=True``. The grader converts the kernel's values with :func:`dgmlab.probes.asserts.as_sympy`, which never
parses text.

This test parses (``ast``) every module of ``src/dgmlab`` and the hidden tests of ``homeworks/`` (the instructor's
code the judge runs on the kernel's values) and fails on any call of an evaluator that is not on :data:`ALLOWED`,
a short reviewed list keyed by (file, enclosing function, callee), each with why its argument is the grader's own
value. An entry that no longer matches a call fails too, so the list cannot rot. ``.eval()`` on a module and
``re.compile`` are methods, not the builtins: only a bare ``eval``/``exec``/``compile``/``__import__`` (or
``builtins.<name>``) counts. Calls that sympify their argument implicitly (``sp.N``, ``sp.simplify``,
``sp.Matrix([...])``, ``expr.subs(x, value)``) cannot be told apart from safe ones here; the probes pass the
kernel's values through ``checks.as_sympy`` or ``checks.assert_sympy_expr`` first (tests/probes/test_no_evaluator_answers.py).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from dgmlab import syntax_tree

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "dgmlab"
HOMEWORKS = ROOT / "homeworks"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"

# (file relative to the repository, enclosing function's qualname, callee): why the argument is the grader's own
ALLOWED = {
    ("src/dgmlab/probes/__init__.py", "course_module", "exec"):
        "a course's own checks.py or hidden.py from source/<hw>/ (the instructor's), handed to the judge, never a "
        "submission's (load_checks_text, dgmlab.grading.hidden.load_text)",
    ("src/dgmlab/probes/__init__.py", "course_module", "compile"):
        "the same course file, compiled under its file name",
    ("src/dgmlab/grading/judge/cell_verdicts.py", "Reference.__call__", "exec"):
        "an instructor's cell from the gradebook (nbgrader_gradebook.instructor_cells, read by the worker), run for its kit classes",
    ("src/dgmlab/grading/judge/cell_verdicts.py", "Reference.__call__", "compile"): "the same cell, compiled for a file name",
    ("homeworks/hw4_gans/checks/p2_three_ablations.py", "_trampoline", "exec"):
        "the kit's own two-line stand-in, for a name from its fixed steps dict (runs in the kernel)",
    ("homeworks/hw4_gans/checks/p2_three_ablations.py", "_trampoline", "compile"): "the same kit stand-in source, compiled to take its code object",
    ("src/dgmlab/authoring/reference.py", "reference_namespace", "exec"):
        "authoring only: the instructor's source notebook's cells, never a submission",
    ("src/dgmlab/authoring/reference.py", "reference_namespace", "compile"):
        "the same instructor cells, compiled under a file name for their tracebacks",
    ("homeworks/hw5_explicit/checks/q2_data_to_latent_flows.py", "test_density_of_an_affine_flow_integrates_to_one", "sympy.lambdify"):
        "checks.assert_sympy_expr(v.affine, symbols=[x_sym]) just before: only the grader's symbol name and "
        "dgmlab.probes.wire's whitelisted functions can be printed into the source lambdify runs",
    ("homeworks/hw5_explicit/checks/q2_data_to_latent_flows.py", "test_density_of_an_exp_flow_integrates_to_one", "sympy.lambdify"):
        "checks.assert_sympy_expr(v.exp_latent, symbols=[x_sym]) just before, as above",
    ("homeworks/hw4_gans/hidden/p4_gan_objective.py", "test_c_point_sums_to_the_criterion", "sympy.lambdify"):
        "checks.assert_sympy_expr(v.C_point, symbols=[p_data, p_g]) just before: only the grader's symbol names "
        "and whitelisted functions (dgmlab.probes.wire) can be printed into the source lambdify runs",
}

# ------------------------------------------------------------------ the walker
SYMPY_EVALUATORS = {"sympify", "parse_expr", "parse_latex", "lambdify"}
BUILTIN_EVALUATORS = {"eval", "exec", "compile", "__import__"}
PICKLE_MODULES = {"pickle", "_pickle", "cPickle", "dill", "cloudpickle", "joblib", "shelve"}
# what a bare or dotted root name stands for when the code binds it without an import (sp = _sp(), torch = _torch())
CONVENTIONAL = {"sp": "sympy", "sympy": "sympy", "_sp": "sympy", "torch": "torch", "_torch": "torch",
                "np": "numpy", "numpy": "numpy", "_np": "numpy", "pickle": "pickle", "yaml": "yaml",
                "marshal": "marshal", "builtins": "builtins", "dill": "dill", "cloudpickle": "cloudpickle",
                "joblib": "joblib", "shelve": "shelve", "_pickle": "_pickle", "pd": "pandas", "pandas": "pandas"}


def _aliases(tree: ast.AST) -> dict:
    """Local name -> the dotted name it was imported as, from every import of the file (any scope)."""
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                out[a.asname or a.name] = f"{node.module}.{a.name}"
    return out


def _dotted(node: ast.AST, aliases: dict) -> str | None:
    """``a.b.c`` of a callee, its root resolved through the imports (or the kit's conventions); ``_sp().x`` is
    ``sympy.x``. None for a callee that is not a name path (a subscript, a call's result of another kind)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CONVENTIONAL:
        root = CONVENTIONAL[node.func.id]  # _sp(), _torch(), _np(): the lazy imports of dgmlab.probes
    elif isinstance(node, ast.Name):
        root = aliases.get(node.id) or (CONVENTIONAL.get(node.id) if parts else None) or node.id
    else:
        return None
    return ".".join([root, *reversed(parts)])


def _const(node) -> object:
    return node.value if isinstance(node, ast.Constant) else ...


def _keyword(call: ast.Call, name: str):
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _callee(call: ast.Call, aliases: dict, shadowed: set) -> str | None:
    """The evaluator ``call`` calls (a short canonical name), or None when it calls none."""
    func = call.func
    if isinstance(func, ast.Name) and func.id in BUILTIN_EVALUATORS and func.id not in aliases \
            and func.id not in shadowed:
        return func.id
    name = _dotted(func, aliases)
    if name is None:
        return None
    parts = name.split(".")
    last, root = parts[-1], parts[0]
    if name.startswith("builtins.") and last in BUILTIN_EVALUATORS:
        return last
    if last == "getattr" and len(call.args) >= 2 and _const(call.args[1]) in (
            SYMPY_EVALUATORS | BUILTIN_EVALUATORS | {"load", "loads", "Unpickler"}):
        return f"getattr {call.args[1].value}"
    if last in SYMPY_EVALUATORS:
        return f"sympy.{last}"
    if root == "sympy" and last == "S" and len(parts) >= 2:
        return "sympy.S"
    if root in PICKLE_MODULES and ("load" in last or last in ("Unpickler", "open")):
        return f"{root}.{last}"
    if last == "read_pickle":
        return "pandas.read_pickle"
    if root == "marshal" and last in ("load", "loads"):
        return f"marshal.{last}"
    if root == "yaml" and last in ("load", "load_all", "unsafe_load", "unsafe_load_all", "full_load", "full_load_all"):
        loader = _keyword(call, "Loader") or (call.args[1] if len(call.args) > 1 else None)
        loader_name = (_dotted(loader, aliases) or "") if loader is not None else ""
        if last in ("load", "load_all") and loader_name.split(".")[-1] in ("SafeLoader", "CSafeLoader", "BaseLoader"):
            return None
        return f"yaml.{last}"
    if root == "torch" and last == "load":
        if _const(_keyword(call, "weights_only")) is True:
            return None
        return "torch.load"
    if root == "numpy" and last == "load":
        allow = _keyword(call, "allow_pickle")
        if allow is None or _const(allow) is False:
            return None
        return "numpy.load"
    return None


def evaluator_calls(source: str, filename: str = "<snippet>") -> list[tuple[str, str, int]]:
    """``(enclosing qualname, callee, line)`` of every evaluator call in ``source``."""
    tree = syntax_tree.parse(source, filename)
    aliases = _aliases(tree)
    shadowed = {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                and n.name in BUILTIN_EVALUATORS}
    found = []

    def visit(node, scope):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                visit(child, [*scope, child.name])
                continue
            if isinstance(child, ast.Call):
                callee = _callee(child, aliases, shadowed)
                if callee is not None:
                    found.append((".".join(scope) or "<module>", callee, child.lineno))
            visit(child, scope)

    visit(tree, [])
    return found


def _hidden_regions(text: str):
    """``(first line, code)`` of each hidden-test region of a homework builder file."""
    lines, start = text.splitlines(), None
    for i, line in enumerate(lines):
        if line.strip() == HIDDEN_BEGIN:
            start = i + 1
        elif line.strip() == HIDDEN_END and start is not None:
            yield start + 1, "\n".join(lines[start:i])
            start = None


def walked_files() -> list:
    """src/dgmlab's modules and the homeworks' checks and hidden tests (homeworks/<hw>/checks/ and hidden/, which the
    judge runs on a kernel's data)."""
    return sorted([*PACKAGE.rglob("*.py"), *HOMEWORKS.glob("*/checks/*.py"), *HOMEWORKS.glob("*/hidden/*.py")])


def grader_side_calls() -> dict:
    """``{(file, qualname, callee): [lines]}`` over :func:`walked_files` and the homeworks' hidden tests."""
    out = {}
    for path in walked_files():
        rel = path.relative_to(ROOT).as_posix()
        for qual, callee, line in evaluator_calls(path.read_text(), rel):
            out.setdefault((rel, qual, callee), []).append(line)
    for path in sorted(HOMEWORKS.glob("*/*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for first, code in _hidden_regions(path.read_text()):
            for qual, callee, line in evaluator_calls(code, rel):
                out.setdefault((rel, qual, callee), []).append(first + line - 1)
    return out


# ------------------------------------------------------------------ the rule
@pytest.fixture(scope="module")
def found():
    return grader_side_calls()


def test_the_walk_covers_the_grader(found):
    files = walked_files()
    assert len(files) > 40 and HOMEWORKS / "hw3_flows" / "checks" / "__init__.py" in files
    hidden = list(HOMEWORKS.glob("*/hidden/*.py"))  # the kit's hidden tests, one module per part
    assert set(hidden) <= set(files) and sum(p.read_text().count("\ndef test_") for p in hidden) > 40


def test_no_evaluator_on_the_kernels_values(found):
    unreviewed = {k: v for k, v in found.items() if k not in ALLOWED}
    assert not unreviewed, (
        "evaluator calls on the grader's side that no one reviewed (a string from the kernel must never be "
        "evaluated; use dgmlab.probes.asserts.as_sympy, torch.load(weights_only=True), ...), or add a justified entry to "
        "ALLOWED:\n" + "\n".join(f"  {f}:{lines} in {q}: {c}" for (f, q, c), lines in sorted(unreviewed.items())))


def test_every_reviewed_entry_still_matches_a_call(found):
    stale = sorted(k for k in ALLOWED if k not in found)
    assert not stale, f"entries that match no call any more (remove them): {stale}"


def test_the_judge_of_a_test_cell_runs_no_text(found):
    """probes/judgement.py decides a cell by calling test functions (the kit's hidden packages, a course's hidden.py
    loaded by dgmlab.grading.hidden): it holds no exec, eval or compile at all, reviewed or not."""
    calls = {k: v for k, v in found.items() if k[0] == "src/dgmlab/probes/judgement.py"}
    assert not calls, calls
    assert not any(f == "src/dgmlab/probes/judgement.py" for f, _, _ in ALLOWED)


def test_every_entry_says_why():
    assert all(len(why) > 20 for why in ALLOWED.values())


# ------------------------------------------------------------------ the walker can fail
CAUGHT = [
    ("import sympy as sp\nsp.sympify(v)", "sympy.sympify"),
    ("import sympy\nsympy.sympify(v)", "sympy.sympify"),
    ("from sympy import sympify as s\ns(v)", "sympy.sympify"),
    ("from sympy import sympify\nsympify(v)", "sympy.sympify"),
    ("import sympy.core.sympify\nsympy.core.sympify.sympify(v)", "sympy.sympify"),
    ("sp = _sp()\nsp.sympify(v)", "sympy.sympify"),
    ("_sp().sympify(v)", "sympy.sympify"),
    ("def f(v):\n    import sympy as q\n    return q.sympify(v)", "sympy.sympify"),
    ("from sympy.parsing.sympy_parser import parse_expr\nparse_expr(v)", "sympy.parse_expr"),
    ("from sympy.parsing.latex import parse_latex as p\np(v)", "sympy.parse_latex"),
    ("import sympy as sp\nsp.lambdify(x, v)", "sympy.lambdify"),
    ("import sympy as sp\nsp.S(v)", "sympy.S"),
    ("from sympy import S\nS(v)", "sympy.S"),
    ("eval(v)", "eval"),
    ("exec(v)", "exec"),
    ("compile(v, 'f', 'exec')", "compile"),
    ("__import__(v)", "__import__"),
    ("import builtins\nbuiltins.eval(v)", "eval"),
    ("from builtins import exec as run\nrun(v)", "exec"),
    ("getattr(sp, 'sympify')(v)", "getattr sympify"),
    ("import pickle\npickle.loads(v)", "pickle.loads"),
    ("import pickle\npickle.load(fh)", "pickle.load"),
    ("import pickle\npickle.Unpickler(fh).load()", "pickle.Unpickler"),
    ("from pickle import loads as l\nl(v)", "pickle.loads"),
    ("import marshal\nmarshal.loads(v)", "marshal.loads"),
    ("import yaml\nyaml.load(v)", "yaml.load"),
    ("import yaml\nyaml.load(v, Loader=yaml.Loader)", "yaml.load"),
    ("import yaml\nyaml.unsafe_load(v)", "yaml.unsafe_load"),
    ("import torch\ntorch.load(p)", "torch.load"),
    ("import torch\ntorch.load(p, weights_only=False)", "torch.load"),
    ("from torch import load\nload(p)", "torch.load"),
    ("torch = _torch()\ntorch.load(p, map_location='cpu')", "torch.load"),
    ("import numpy as np\nnp.load(p, allow_pickle=True)", "numpy.load"),
    ("import pandas as pd\npd.read_pickle(p)", "pandas.read_pickle"),
]

NOT_CAUGHT = [
    "model.eval()",
    "net = Net().eval()",
    "import re\nre.compile('x')",
    "from re import compile\ncompile('x')",
    "import torch\ntorch.load(p, map_location='cpu', weights_only=True)",
    "import numpy as np\nnp.load(p)",
    "import numpy as np\nnp.load(p, allow_pickle=False)",
    "import yaml\nyaml.load(v, Loader=yaml.SafeLoader)",
    "import yaml\nyaml.safe_load(v)",
    "import sympy as sp\nsp.Integer(3) + sp.Rational(1, 3)",
    "from dgmlab.probes import asserts\nasserts.as_sympy(v, 'f')",
    "import ast\nast.literal_eval(v)",
]


@pytest.mark.parametrize("source,callee", CAUGHT, ids=[c[0].replace("\n", "; ") for c in CAUGHT])
def test_the_walker_catches(source, callee):
    assert [c for _, c, _ in evaluator_calls(source)] == [callee]


@pytest.mark.parametrize("source", NOT_CAUGHT, ids=[s.replace("\n", "; ") for s in NOT_CAUGHT])
def test_the_walker_leaves_alone(source):
    assert evaluator_calls(source) == []


def test_an_unreviewed_call_and_a_stale_entry_fail(found):
    """The two rules themselves: a new sympify in a probe is reported, and an entry that matches nothing is."""
    rel = "homeworks/hw3_flows/checks/__init__.py"
    calls = dict(found)
    key = (rel, "_at_h0", "sympy.sympify")
    assert key not in calls
    found_with_it = {**calls, **{(rel, q, c): [ln] for q, c, ln in evaluator_calls(
        "def _at_h0(expr, name):\n    return sp.sympify(expr)\n", rel)}}
    with pytest.raises(AssertionError, match="_at_h0: sympy.sympify"):
        test_no_evaluator_on_the_kernels_values(found_with_it)
    without = {k: v for k, v in calls.items() if k != ("src/dgmlab/probes/__init__.py", "course_module", "exec")}
    with pytest.raises(AssertionError, match="match no call any more"):
        test_every_reviewed_entry_still_matches_a_call(without)


def test_hidden_regions_are_read_with_their_lines():
    text = "x = 1\n### BEGIN HIDDEN TESTS\ndef test_a():\n    eval(s)\n### END HIDDEN TESTS\n"
    ((first, code),) = _hidden_regions(text)
    assert [(q, c, first + ln - 1) for q, c, ln in evaluator_calls(code)] == [("test_a", "eval", 4)]
    assert re.search(r"def test_a", code)
