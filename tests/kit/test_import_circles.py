"""No module of the kit imports its way round in a circle, counting what import-linter cannot see: imports inside
functions and imports by string (importlib.import_module, find_spec, probes.optional_module with a literal name).
import-linter's contracts (tests/kit/test_layers.py) see the packages' layers; this sees every module, the kit's
homeworks (homeworks.<hw>.checks and .hidden) included."""
import ast
from pathlib import Path

from kit_modules import kit_modules

BY_STRING = ("import_module", "__import__", "find_spec", "optional_module")  # calls whose first argument names a module


def _imports(path: Path, package: list) -> list:
    """The dotted names a module at ``path`` (in ``package``) imports, anywhere in it, literal strings included."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
            module = ".".join(x for x in (base, node.module or "") if x)
            names += [module] + [f"{module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if func in BY_STRING:
                names.append(node.args[0].value)
    return names


def _graph(modules: dict) -> dict:
    def known(name):
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, (path, package) in modules.items():
        inside = name.split(".") if package else name.split(".")[:-1]
        graph[name] = {found for imported in _imports(path, inside) if (found := known(imported))
                       and found != name and not name.startswith(found + ".")}  # a module's own packages: not an edge
    return graph


def _circles(graph: dict) -> list:
    """The strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        out.append(sorted(component))
    return out


def test_no_module_imports_its_way_round_in_a_circle():
    circles = _circles(_graph(kit_modules()))
    assert circles == [], "modules that import one another round a circle (break one import; a checks module hands " \
                          f"nothing to the grader and is handed what it needs): {circles}"


def test_the_circle_finder_sees_imports_inside_functions_and_by_string(tmp_path):
    a, b, c = tmp_path / "a.py", tmp_path / "b.py", tmp_path / "c.py"
    a.write_text("def f():\n    from . import b\n")
    b.write_text("import importlib\nM = importlib.import_module('pkg.c')\n")
    c.write_text("from dgmlab.probes import optional_module\nX = optional_module('pkg.a')\n")
    modules = {"pkg.a": (a, False), "pkg.b": (b, False), "pkg.c": (c, False)}
    assert _circles(_graph(modules)) == [["pkg.a", "pkg.b", "pkg.c"]]
    c.write_text("X = 1\n")
    assert _circles(_graph(modules)) == []
