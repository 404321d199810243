"""No module of the kit imports its way round in a circle, counting what import-linter cannot see: imports inside
functions, a module's imports of its own package (``from . import x`` of a name the package's ``__init__`` defines,
``from ... import __version__``: the package imports its modules back) and imports by name (a string: importlib.import_module, __import__, find_spec, probes.optional_module,
traitlets' import_item, importlib.resources.files). import-linter's contracts (tests/kit/test_layers.py) see the
packages' layers; this sees every module, the kit's homeworks (homeworks.<hw>.checks and .hidden) included, and the
packages' siblings as import-linter's "acyclic siblings" contract does, strings included.

No module of dgmlab is imported by name: a string is an import no reader, IDE or import-linter follows (import it, in
a function where it is heavy, or hand the caller's object over). An import by a name computed at run time is only
for code outside dgmlab's module graph (a homework found by its folder, a class a course's config names), and each
such place is listed in :data:`BY_NAME` with its reason.

grimp, the import graph import-linter is built on, reads the same package over again, imports inside functions
included (:func:`test_grimp_finds_no_circle_in_dgmlab`); where it is not installed (CI's offline mirror lacks
import-linter) this module's own reading of the source stands alone."""
import ast
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from dgmlab import syntax_tree
from kit_modules import kit_modules

# The calls that import a module named by their first argument, and what they import of it: the module, or (find_spec,
# which finds a module without running it) only its parent package.
BY_STRING = {"import_module": "module", "importlib.import_module": "module", "__import__": "module",
             "optional_module": "module", "probes.optional_module": "module", "import_item": "module",
             "resources.files": "module", "importlib.resources.files": "module",
             "find_spec": "parent", "util.find_spec": "parent", "importlib.util.find_spec": "parent"}

# Places in dgmlab ("module:function") that import a module whose name is computed at run time, and why that module is
# none of dgmlab's: each is code the kit finds by folder or a course names, outside dgmlab's module graph.
BY_NAME = {
    "dgmlab.probes.recorded_values:optional_module": "the helper itself: its callers name the module (those below)",
    "dgmlab.probes.recorded_values:_kit_module": "homeworks.<hw>.checks, a kit homework's visible tests, found by its "
                                                 "folder (KIT_HOMEWORKS is homeworks.names(): the package's folders)",
    "dgmlab.probes:cell_points": "homeworks.<hw>.checks's points.json, data read from the homework's package",
    "dgmlab.probes.recorded_values:expected": "homeworks.<hw>.checks's expected.json, data read from the homework's "
                                              "package",
    "dgmlab.handin:default": "homeworks.<hw>.checks, a kit homework's visible tests (the files its CheckSpecs grade)",
    "dgmlab.handin:file_problems": "homeworks.<hw>.checks, a kit homework's visible tests (their HAND_IN_FILES)",
    "dgmlab.grading.hidden:module": "homeworks.<hw>.hidden, a kit homework's hidden tests, found by its folder",
    "dgmlab.grading.references.recorded:expected_path": "homeworks.<hw>.checks, where the recorded values are written",
    "dgmlab.grading.judge.warm_imports:warm": "homeworks.<hw>.checks of each kit homework, imported once before the "
                                              "judge forks (its folders, probes.KIT_HOMEWORKS)",
    "dgmlab.grading.isolation.bubblewrap:environment_paths": "find_spec of homeworks.<hw> and its checks: the folders "
                                                             "a kernel's sandbox shows (nothing is run)",
    "dgmlab.grading.isolation.zygote:warm": "what a warm kernel's zygote loads ahead: third-party modules and the kit "
                                            "homeworks' checks, names warm_kernels.preload() lists",
    "dgmlab.grading.isolation.kernel_sandbox:student_view": "find_spec of the grader-only packages: the folders a "
                                                            "kernel's sandbox hides (nothing is run)",
    "dgmlab.grading.gradescope.boundary:package_folders": "find_spec of the grader-only packages and of homeworks: "
                                                          "their folders (nothing is run)",
    "dgmlab.grading.copies.functional_copies:declared": "homeworks.<hw>.hidden.networks, the networks a kit homework "
                                                        "grades, found by its folder",
    "dgmlab.grading.layout:check_grader_names": "a class a course's nbgrader_config.py names as a string (nbgrader "
                                                "imports it so): checked to exist, with where it moved if not",
    "dgmlab.grading.nbgrader_app:export_plugin_class": "c.ExportApp.plugin_class, a class a course's nbgrader_config.py names",
    "dgmlab.grading.term.deadlines:load_policy": "a late policy a course's nbgrader_config.py names (module.attr in "
                                                 "the course folder)",
    "dgmlab.authoring.build:_load": "<builder>.proofs of a homework folder, loaded from its file (a course's own "
                                    "homework, not a module of dgmlab)",
}


def _dotted(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else ""
    return ""


class _Module:
    """What the AST of one module says about its imports: the names it imports statically, and each import by name
    as ``(function, line, target, complete)`` (``target``: the module name, or when ``complete`` is false its part
    that does not depend on run time, maybe ``""``)."""

    def __init__(self, name: str, path: Path, package: bool):
        self.name, self.package = name, (name if package else name.rpartition(".")[0])
        self.tree = syntax_tree.parse(path.read_text(encoding="utf-8"))
        self.constants = {t.id: n.value.value for n in self.tree.body if isinstance(n, ast.Assign)
                          and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                          for t in n.targets if isinstance(t, ast.Name)}
        self.bound = {}  # {name bound by an import: the module or object it names}
        self.imports, self.by_name = [], []
        self._visit(self.tree, "<module>")

    def _visit(self, node, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else scope
            if isinstance(child, ast.Import):
                self.imports += [a.name for a in child.names]
                for a in child.names:
                    self.bound[a.asname or a.name.partition(".")[0]] = a.name if a.asname else a.name.partition(".")[0]
            elif isinstance(child, ast.ImportFrom):
                base = self.package.split(".")[:len(self.package.split(".")) - child.level + 1] if child.level else []
                module = ".".join(x for x in (".".join(base), child.module or "") if x)
                # each name: the module of that name, else the module that defines it (its package's __init__)
                self.imports += [f"{module}.{a.name}" for a in child.names]
                self.bound.update({a.asname or a.name: f"{module}.{a.name}" for a in child.names})
            elif isinstance(child, ast.Call) and _dotted(child.func) in BY_STRING and child.args:
                self._by_name(child, scope)
            self._visit(child, inner)

    def _by_name(self, call: ast.Call, scope: str) -> None:
        arg = call.args[0]
        if _dotted(call.func).endswith("resources.files") and isinstance(arg, ast.Name) and arg.id in self.bound:
            return  # a module object (resources.files(assets)), no string
        target, complete = self._text(arg)
        if complete and target.startswith(".") and len(call.args) > 1:  # import_module(".x", __name__)
            anchor, known = self._text(call.args[1])
            target, complete = (anchor + target, True) if known else ("", False)
        if BY_STRING[_dotted(call.func)] == "parent" and complete:
            target = target.rpartition(".")[0]
        elif not complete:
            target = target.rpartition(".")[0]  # "dgmlab.authoring." + a name: somewhere in dgmlab.authoring
        self.by_name.append((scope, call.lineno, target, complete))

    def _text(self, node) -> tuple:
        """``(text, complete)``: the string ``node`` evaluates to, or the part of it known before run time."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value, True
        if isinstance(node, ast.Name) and node.id in ("__name__", "__package__"):
            return (self.name if node.id == "__name__" else self.package), True
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.constants[node.id], True
        if isinstance(node, ast.Attribute) and node.attr == "__name__" and isinstance(node.value, ast.Name) \
                and node.value.id in self.bound:  # an imported module's __name__
            return self.bound[node.value.id], True
        if isinstance(node, ast.JoinedStr):
            text = ""
            for part in node.values:
                found, complete = (self._text(part.value) if isinstance(part, ast.FormattedValue)
                                   else (str(part.value), True))
                text += found
                if not complete:
                    return text, False
            return text, True
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, complete = self._text(node.left)
            if not complete:
                return left, False
            right, complete = self._text(node.right)
            return left + right, complete
        return "", False


def _read(modules: dict) -> dict:
    return {name: _Module(name, path, package) for name, (path, package) in modules.items()}


def _known(name: str, modules) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _graph(read: dict) -> dict:
    graph = {}
    for name, module in read.items():
        names = module.imports + [target for _, _, target, _ in module.by_name]
        graph[name] = {found for imported in names if (found := _known(imported, read)) and found != name}
    return graph


def _siblings(graph: dict) -> dict:
    """For each package, the graph of its children: one child imports another when a module in or below it imports
    a module in or below the other (import-linter's acyclic_siblings, which misses imports by name)."""
    out = {}
    for name, targets in graph.items():
        for target in targets:
            a, b = name.split("."), target.split(".")
            common = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            if common == 0 or common == min(len(a), len(b)):  # two top packages, or a package and what is inside it
                continue
            package = ".".join(a[:common])
            children = out.setdefault(package, {})
            children.setdefault(a[common], set()).add(b[common])
            children.setdefault(b[common], set())
    return out


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
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
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


READ = _read(kit_modules())


def test_no_module_imports_its_way_round_in_a_circle():
    circles = _circles(_graph(READ))
    assert circles == [], "modules that import one another round a circle (break one import; a checks module hands " \
                          f"nothing to the grader and is handed what it needs): {circles}"


def test_no_package_imports_its_way_round_its_siblings():
    circles = {package: found for package, children in _siblings(_graph(READ)).items()
               if (found := _circles(children))}
    assert circles == {}, f"sibling packages or modules that import one another round a circle: {circles}"


def test_no_module_of_dgmlab_is_imported_by_name():
    found = [f"{name}:{scope} (line {line}) imports {target or '?'}{'' if complete else '.<computed>'} by name"
             for name, module in READ.items() for scope, line, target, complete in module.by_name
             if (target == "dgmlab" or target.startswith("dgmlab.")) and not (
                 name == target or name.startswith(target + "."))]  # its own package: imported already
    assert found == [], f"import these as modules (in a function where heavy), or hand the object over: {found}"


def test_every_import_by_a_computed_name_is_listed_with_its_reason():
    places = {f"{name}:{scope}" for name, module in READ.items() if name.startswith("dgmlab")
              for scope, _, _, complete in module.by_name if not complete}
    assert sorted(places - set(BY_NAME)) == [], "an import by a name computed at run time: import the module, or " \
                                                "list the place in BY_NAME with why its module is none of dgmlab's"
    assert sorted(set(BY_NAME) - places) == [], "BY_NAME lists places that import nothing by name now: remove them"


def _fake(tmp_path: Path, files: dict) -> dict:
    modules = {}
    for name, text in files.items():
        path = tmp_path / f"{name}.py"
        path.write_text(text)
        modules[name] = (path, False)
    return modules


def test_the_circle_finder_sees_imports_inside_functions_and_by_string(tmp_path):
    files = {"pkg.a": "def f():\n    from . import b\n",
             "pkg.b": "import importlib\nM = importlib.import_module('pkg.c')\n",
             "pkg.c": "from dgmlab.probes import optional_module\nX = optional_module('pkg.a')\n"}
    assert _circles(_graph(_read(_fake(tmp_path, files)))) == [["pkg.a", "pkg.b", "pkg.c"]]
    files["pkg.c"] = "X = 1\n"
    assert _circles(_graph(_read(_fake(tmp_path, files)))) == []


def test_the_circle_finder_resolves_names_made_from_the_modules_own_name(tmp_path):
    files = {"pkg.a": "import importlib\ndef f(x):\n    return importlib.import_module(f'{__package__}.b')\n",
             "pkg.b": "from pkg import a\n"}
    read = _read(_fake(tmp_path, files))
    assert read["pkg.a"].by_name == [("f", 3, "pkg.b", True)]
    assert _circles(_graph(read)) == [["pkg.a", "pkg.b"]]


def test_a_name_computed_at_run_time_is_known_by_its_fixed_part(tmp_path):
    files = {"pkg.a": "import importlib\ndef f(x):\n    return importlib.import_module(f'dgmlab.authoring.{x}')\n"
                      "def g(x):\n    return importlib.import_module(x + '.proofs')\n"}
    assert _read(_fake(tmp_path, files))["pkg.a"].by_name == [("f", 3, "dgmlab.authoring", False), ("g", 5, "", False)]


def test_sibling_packages_in_a_circle_are_found_through_their_modules():
    graph = {"d.p.x": {"d.q.y"}, "d.q.y": set(), "d.q.z": {"d.p.w"}, "d.p.w": set()}  # no two modules in a circle
    assert _circles(graph) == []
    assert {k: _circles(v) for k, v in _siblings(graph).items()} == {"d": [["p", "q"]]}


def test_the_circle_the_protocol_once_closed_by_a_string_is_found(tmp_path):
    """dgmlab.probes imported the grader's references by name, and they imported it back (issue 64)."""
    files = {"dgmlab.probes": ("import importlib\ndef use():\n"
                               "    return importlib.import_module('dgmlab.grading.references.recorded')\n", True),
             "dgmlab.grading.references.recorded": ("from ... import probes\nfrom .. import hidden\n", False),
             "dgmlab.grading.hidden": ("from ... import probes\n", True)}
    modules = {}
    for name, (text, package) in files.items():
        (path := tmp_path / f"{name}.py").write_text(text)
        modules[name] = (path, package)
    read = _read(modules)
    assert _circles(_graph(read)) == [sorted(files)]
    assert read["dgmlab.probes"].by_name == [("use", 3, "dgmlab.grading.references.recorded", True)]


def _grimp_circles(package: str) -> list:
    """The circles of ``package``'s import graph as grimp reads it (imports inside functions included)."""
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph(package, include_external_packages=False, cache_dir=None)
    return _circles({m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules})


def test_grimp_finds_no_circle_in_dgmlab(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "src"))
    circles = _grimp_circles("dgmlab")
    assert circles == [], f"modules of dgmlab that import one another round a circle, as grimp reads them: {circles}"


def test_grimp_and_this_reading_see_a_circle_closed_inside_a_function_or_through_the_package(tmp_path, monkeypatch):
    """The two circles grimp once found here: a package whose __init__ imports, at its bottom, a module that takes
    names from the package (probes and its judging), and one closed by an import inside a function (dgmlab's check()
    imported selfcheck, which reached a module that imported dgmlab)."""
    package = tmp_path / "ringpkg"
    package.mkdir()
    files = {"__init__.py": "X = 1\ndef check():\n    from . import low\n    return low\nfrom .bottom import Y\n",
             "bottom.py": "from . import X\nY = X\n",
             "low.py": "import ringpkg\n",
             "apart.py": "from . import bottom\n"}
    for name, text in files.items():
        (package / name).write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "ringpkg", raising=False)
    expected = [["ringpkg", "ringpkg.bottom", "ringpkg.low"]]
    modules = {f"ringpkg.{p.stem}" if p.stem != "__init__" else "ringpkg": (p, p.stem == "__init__")
               for p in package.glob("*.py")}
    assert [sorted(c) for c in _circles(_graph(_read(modules)))] == expected
    assert [sorted(c) for c in _grimp_circles("ringpkg")] == expected
