"""One-off move (issue 55): a kit homework's hidden tests out of its percent files into ``homeworks/<hw>/hidden/``.

    python tools/move_hidden_tests.py hw3_flows

For each part (percent file) with hidden regions it writes ``hidden/<part>.py``: the regions' code with the names the
old judge injected made explicit. The student's values become ``v.<name>``, ``inputs``/``files``/``seed_of``
``v.inputs``/``v.files``/``v.seed_of``, ``reference``/``keep`` ``ref.cell``/``ref.keep``; every test becomes
``test_x(v, ref)``, and a helper that reads any of them gets ``v, ref`` first. The kit's names (``context()``) are
imported. The regions are then removed from the percent files. What it cannot rewrite it prints; fix those by hand.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import inspect
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GIVEN = {"inputs": "v.inputs", "files": "v.files", "seed_of": "v.seed_of", "reference": "ref.cell",
         "keep": "ref.keep"}
BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


# ------------------------------------------------------------------ scopes
def _bound(node) -> set:
    """Names a function, lambda or comprehension binds in its own scope."""
    out = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        a = node.args
        for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg]:
            if arg is not None:
                out.add(arg.arg)
        body = node.body if isinstance(node.body, list) else [node.body]
    else:  # comprehension
        for gen in node.generators:
            out |= {n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
        return out
    for stmt in body:
        for n in _walk_scope(stmt):
            if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                out.add(n.id)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                out.add(n.name)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                out |= {(a.asname or a.name).split(".")[0] for a in n.names}
            elif isinstance(n, ast.ExceptHandler) and n.name:
                out.add(n.name)
            elif isinstance(n, ast.NamedExpr):
                out.add(n.target.id)
    return out


def _walk_scope(node):
    """ast.walk that does not enter nested scopes (but yields their nodes, for their names)."""
    yield node
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp,
                         ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for d in node.decorator_list:
                yield from _walk_scope(d)
        return
    for child in ast.iter_child_nodes(node):
        yield from _walk_scope(child)


def global_loads(fn: ast.AST) -> list[ast.Name]:
    """Name nodes inside ``fn`` (a top-level def) that refer to module-level names."""
    out = []

    def visit(node, bound):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ListComp, ast.SetComp,
                             ast.DictComp, ast.GeneratorExp)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node is not fn:
                for d in node.decorator_list:
                    visit(d, bound)
            inner = bound | _bound(node)
            for child in ast.iter_child_nodes(node):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and child in node.decorator_list:
                    continue
                visit(child, inner)
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound:
            out.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child, bound)

    own = _bound(fn)
    for child in ast.iter_child_nodes(fn):
        if child in getattr(fn, "decorator_list", []):
            continue
        visit(child, own)
    return out


# ------------------------------------------------------------------ one region
def convert_region(code: str, ctx: set, rename: dict, problems: list, where: str) -> tuple[str, list, set]:
    """``(converted code, [test names in order], kit names used)`` of one hidden region."""
    tree = ast.parse(code)
    defined = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defined.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            defined |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            defined |= {(a.asname or a.name).split(".")[0] for a in node.names}
    kit = set(ctx) - defined
    skip = set(dir(builtins)) | {"__name__", "__file__"}

    def is_student(name):
        return name not in defined and name not in kit and name not in GIVEN and name not in skip

    fns = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    loads = {name: global_loads(fn) for name, fn in fns.items()}
    needs = {name for name, names in loads.items()
             if any(is_student(n.id) or n.id in GIVEN for n in names)}
    changed = True
    while changed:  # a helper that calls one needing v, ref needs them too
        changed = False
        for name, names in loads.items():
            if name not in needs and any(n.id in needs for n in names):
                needs.add(name)
                changed = True
    edits = []  # (line, col, end_line, end_col, text)
    used_kit = set()
    lines = code.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            continue
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                if is_student(n.id) or n.id in GIVEN:
                    problems.append(f"{where}: line {n.lineno} of the region reads {n.id} at module level")
                elif n.id in kit:
                    used_kit.add(n.id)
    called_as_value = set()
    for name, fn in fns.items():
        is_test = name.startswith("test_")
        calls = {id(c.func) for c in ast.walk(fn) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
        for n in loads[name]:
            if n.id in GIVEN:
                edits.append((n.lineno, n.col_offset, n.end_lineno, n.end_col_offset, GIVEN[n.id]))
            elif n.id in needs:
                if id(n) in calls:
                    edits.append((n.lineno, n.col_offset, n.end_lineno, n.end_col_offset,
                                  rename.get(n.id, n.id) + "§CALL"))
                else:
                    called_as_value.add(n.id)
            elif n.id in rename:
                edits.append((n.lineno, n.col_offset, n.end_lineno, n.end_col_offset, rename[n.id]))
            elif n.id in kit:
                used_kit.add(n.id)
            elif is_student(n.id):
                edits.append((n.lineno, n.col_offset, n.end_lineno, n.end_col_offset, f"v.{n.id}"))
        # the signature: a test takes (v, ref); a helper that needs them takes them first
        if is_test or name in needs:
            a = fn.args
            if any(x.arg in ("v", "ref") for x in a.args):
                problems.append(f"{where}: {name} already has a parameter v or ref")
            line = lines[fn.lineno - 1]
            open_paren = line.index("(", line.index("def " + name))
            has_args = bool(a.args or a.vararg or a.kwonlyargs or a.kwarg or a.posonlyargs)
            edits.append((fn.lineno, open_paren + 1, fn.lineno, open_paren + 1, "v, ref, " if has_args else "v, ref"))
        if name in rename:
            col = lines[fn.lineno - 1].index("def " + name) + 4
            edits.append((fn.lineno, col, fn.lineno, col + len(name), rename[name]))
    for name in sorted(called_as_value):
        problems.append(f"{where}: {name} needs v, ref but is used as a value, not called: pass them by hand")
    # apply from the end
    out = list(lines)
    for line, col, end_line, end_col, text in sorted(edits, reverse=True):
        assert line == end_line, (where, line, text)
        s = out[line - 1]
        if text.endswith("§CALL"):
            name = text[:-len("§CALL")]
            rest = s[end_col:]
            assert rest.startswith("("), (where, line, s)
            inner = rest[1:].lstrip()
            text = name + ("(v, ref" + (")" if inner.startswith(")") else ", "))
            rest = rest[1:] if not inner.startswith(")") else rest[1:][len(rest[1:]) - len(inner) + 1:]
            out[line - 1] = s[:col] + text + rest
        else:
            out[line - 1] = s[:col] + text + s[end_col:]
    tests = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
    return "".join(out), [rename.get(t, t) for t in tests], used_kit


# ------------------------------------------------------------------ a part
def regions(text: str):
    """``[(cell grade_id, region code, (start line, end line) of the markers, 0-based)]`` of a percent file."""
    lines = text.splitlines()
    out, cell = [], None
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("# %%"):
            cell = None
            if 'grade_id="' in line:
                cell = line.split('grade_id="')[1].split('"')[0]
        if line.strip() == BEGIN:
            j = i + 1
            while lines[j].strip() != END:
                j += 1
            out.append((cell, "\n".join(lines[i + 1:j]) + "\n", (i, j)))
            i = j
        i += 1
    return out


def import_line(name: str, value, checks, hw: str) -> str:
    if isinstance(value, types.ModuleType):
        mod = value.__name__
        if mod == name:
            return f"import {mod}"
        if "." in mod:
            pkg, _, leaf = mod.rpartition(".")
            if leaf == name:
                return f"from {pkg} import {leaf}"
        return f"import {mod} as {name}"
    if getattr(checks, name, None) is value:
        return f"from dgmlab.probes.{hw} import {name}"
    owner = getattr(value, "__module__", None)
    if owner and (inspect.isfunction(value) or inspect.isclass(value)) and getattr(
            sys.modules.get(owner), name, None) is value:
        return f"from {owner} import {name}"
    return f"{name} = context()[{name!r}]"


def move(hw: str) -> None:
    folder = ROOT / "homeworks" / hw
    sys.path.insert(0, str(ROOT / "homeworks"))
    package = importlib.import_module(hw)
    checks = importlib.import_module(f"dgmlab.probes.{hw}")
    ctx_values = checks.context() if hasattr(checks, "context") else {}
    problems, parts = [], []
    for part in package.PARTS:
        path = folder / part
        text = path.read_text(encoding="utf-8")
        found = regions(text)
        if not found:
            continue
        seen = {}  # top-level name -> source of its definition (first region that defines it)
        blocks, hidden, imports, kit_used = [], {}, [], set()
        for cell, code, _ in found:
            tree = ast.parse(code)
            rename = {}
            seg_lines = code.splitlines(keepends=True)
            for node in tree.body:
                src = "".join(seg_lines[(node.decorator_list[0].lineno if getattr(node, "decorator_list", None)
                                         else node.lineno) - 1:node.end_lineno])
                names = []
                if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                    names = [node.name]
                elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
                for name in names:
                    if name in seen and seen[name] != src:
                        k = 2
                        while f"{name}_{k}" in seen:
                            k += 1
                        rename[name] = f"{name}_{k}"
                        seen[rename[name]] = src
                    elif name not in seen:
                        seen[name] = src
            converted, tests, used = convert_region(code, set(ctx_values), rename, problems, f"{part}:{cell}")
            kit_used |= used
            # drop top-level imports (hoisted) and definitions identical to an earlier region's
            tree2 = ast.parse(converted)
            body_lines = converted.splitlines(keepends=True)
            drop = set()
            for node in tree2.body:
                first = (node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno)
                span = range(first - 1, node.end_lineno)
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    stmt = "".join(body_lines[i] for i in span).strip()
                    stmt = stmt.replace(f"dgmlab.grading.references.{hw}", ".references")
                    if stmt not in imports:
                        imports.append(stmt)
                    drop |= set(span)
                elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and getattr(node, "_dup", False):
                    drop |= set(span)
            dup_names = [n for n in ast.parse(code).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))
                         and n.name not in rename and seen.get(n.name) is not None and blocks
                         and any(f"def {n.name}(" in b or f"class {n.name}" in b for _, b in blocks)]
            for n in dup_names:
                for node in tree2.body:
                    if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == n.name:
                        first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
                        drop |= set(range(first - 1, node.end_lineno))
            kept = "".join(line for i, line in enumerate(body_lines) if i not in drop).strip("\n")
            blocks.append((cell, kept))
            hidden[cell] = tests
        head = sorted({import_line(n, ctx_values[n], checks, hw) for n in kit_used})
        plain = [h for h in head if h.startswith(("import ", "from "))]
        assigned = [h for h in head if not h.startswith(("import ", "from "))]
        if assigned:
            plain.append(f"from dgmlab.probes.{hw} import context")
        if not any("import points" in i for i in imports):
            imports.append("from dgmlab.testing import points")
        title = part.removesuffix(".py")
        out = [f'"""{hw}, {title}: the hidden tests of its test cells (the grader\'s alone, never a student\'s).\n\n'
               f'Each test is ``test_x(v, ref)``: ``v`` the student\'s values (and ``v.inputs``, ``v.files``), ``ref``'
               f'\nthe grader\'s (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.\n"""',
               *sorted(set(plain) | {i for i in imports if not i.startswith("from .")}),
               *[i for i in imports if i.startswith("from .")], "", *assigned, ""]
        for cell, block in blocks:
            out += ["", f"# ------------------------------------------------------------------ {cell}", block, ""]
        out += ["", "HIDDEN = {"]
        for cell, tests in hidden.items():
            out.append(f"    {cell!r}: ({', '.join(tests)}{',' if len(tests) == 1 else ''}),")
        out.append("}")
        target = folder / "hidden" / part
        target.parent.mkdir(exist_ok=True)
        target.write_text("\n".join(out).replace("\n\n\n\n", "\n\n\n") + "\n", encoding="utf-8")
        parts.append(title)
        # the percent file without its regions
        lines = text.splitlines()
        for _, _, (i, j) in reversed(found):
            del lines[i:j + 1]
            while i - 1 >= 0 and i < len(lines) and not lines[i - 1].strip() and not lines[i].strip():
                del lines[i - 1]
                i -= 1
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    init = folder / "hidden" / "__init__.py"
    body = [f'"""{hw}\'s grader-only side: the hidden tests of each part and the references (:mod:`dgmlab.grading.hidden`)."""']
    body += [f"from . import {p}" for p in parts]
    body += ["", "HIDDEN = {" + ", ".join(f"**{p}.HIDDEN" for p in parts) + "}"]
    init.write_text("\n".join(body) + "\n", encoding="utf-8")
    for p in problems:
        print("FIX BY HAND:", p)


if __name__ == "__main__":
    move(sys.argv[1])
