"""An import inside a function of dgmlab is there for a reason written down here: the module it loads is heavy (the
CLI and ``import dgmlab`` stay quick: a student's ``dgmlab --help`` never loads torch) or optional (not a dependency
of the wheel the importing module ships in). Everything else is imported at the module's top, where import-linter,
readers and tools see it. A local import that only breaks an import circle is no reason: break the circle
(tests/kit/test_import_circles.py finds none).

The rule, per import inside a function of ``src/dgmlab``:
- a third-party module: allowed when it is in :data:`LAZY` (with its reason) and the importing module does not
  load it at import anyway (through its own top-level imports or those of the dgmlab modules they import);
- a standard-library module: allowed only when in :data:`PLATFORM` (absent on some platform);
- a module of dgmlab or of the kit's homeworks: allowed when importing it loads a module of :data:`LAZY` that the
  importing module does not load already, or when it ships in a wheel the importing module's does not depend on
  (the grader from the student's side; dgmlab.authoring and a homework's solutions from either), or when the
  importing module is in :data:`LAZY_IMPORTERS` (the CLI's commands).
"""
import ast
import subprocess
import sys
from pathlib import Path

from conftest import ROOT
from dgmlab import syntax_tree
from kit_modules import kit_modules

# Third-party modules loaded inside functions, and why. Times: `python -X importtime -c "import X"`, the best of
# three on the kit's 2-core machine, Python 3.11 (2026-11-27). "heavy": over ~50 ms, never paid by `dgmlab --help`
# or `import dgmlab`. "optional": not a dependency of the student wheel (pyproject.toml's extras), or of no wheel.
LAZY = {
    "torch": "heavy (~1.5-4.8 s)",
    "torchvision": "heavy (loads torch)",
    "numpy": "heavy (~65 ms; `import dgmlab` and the CLI's help never load it)",
    "scipy": "heavy (~0.4 s)",
    "sympy": "heavy (~0.5 s)",
    "mpmath": "heavy with sympy (~35 ms, only what sympy values need)",
    "matplotlib": "heavy (~0.5 s)",
    "ot": "heavy (POT, ~6 s cold: loads torch and scipy)",
    "tqdm": "heavy (~85 ms)",
    "PIL": "optional for the student package (Pillow comes with torchvision/matplotlib)",
    "torch_fidelity": "optional (extra `fidelity`) and heavy (~8 s)",
    "nbgrader": "optional (extra `grading`) and heavy (~5 s)",
    "nbformat": "optional (extra `grading`) and heavy (~0.3-2.5 s)",
    "nbclient": "optional (extra `grading`) and heavy (~2 s)",
    "nbconvert": "optional (extra `grading`) and heavy (~3 s)",
    "traitlets": "optional (extra `grading`, nbgrader's configuration)",
    "IPython": "optional (extra `grading`) and heavy (~125 ms)",
    "jupyter_client": "optional (extra `grading`) and heavy (~170 ms)",
    "mistune": "optional (extra `grading`, nbconvert's markdown)",
    "distributed": "optional (extra `grading`) and heavy (~0.7 s)",
    "dask": "optional (extra `grading`) and heavy (~0.6 s)",
    "dask_jobqueue": "optional (extra `grading`) and heavy (~0.7 s)",
    "copydetect": "optional (extra `grading`) and heavy (~0.8 s)",
    "requests": "optional (extra `grading`) and heavy (~170 ms)",
    "canvasapi": "optional (extra `grading`) and heavy (~240 ms)",
    "jinja2": "optional (extra `grading`) and heavy (~90 ms)",
    "markupsafe": "optional (extra `grading`, jinja2's)",
    "psutil": "optional (extra `grading`; ~35 ms)",
    "packaging": "optional (extra `grading`)",
    "nh3": "optional (extra `grading`; a student's own `dgmlab pdf` asks for it)",
    "pylti1p3": "optional (extra `grading`; only `dgmlab push --lti` and `dgmlab lti`)",
    "cryptography": "optional (extra `grading`; only `dgmlab lti` makes a key pair)",
    "playwright": "optional (extra `pdf`)",
    "jupytext": "optional (extra `dev`: a checkout's `dgmlab build`)",
    "google": "optional (only in Colab)",
}
PLATFORM = {"fcntl": "POSIX only (an instructor may run `dgmlab grade` on Windows)"}
# Modules that import dgmlab's modules inside functions whatever they weigh, and why.
LAZY_IMPORTERS = {
    "dgmlab.cli_commands": "a command's modules are loaded when it runs: `dgmlab --help` and each command load no "
                           "other command's",
    "dgmlab": "the package loads each of its modules when a notebook first reads it (dgmlab.artifacts without an "
              "import cell) or calls it (dgmlab.check): `import dgmlab` loads only runtime and workspace",
}
STDLIB = set(sys.stdlib_module_names)


MODULES = kit_modules()


def _targets(node, name: str, package: bool) -> list:
    """The dotted names an import statement of module ``name`` loads: dgmlab's and homeworks' modules (the names
    imported from a package included, when modules) and the top names of the others."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        inside = name.split(".") if package else name.split(".")[:-1]
        base = ".".join(inside[:len(inside) - node.level + 1]) if node.level else ""
        module = ".".join(x for x in (base, node.module or "") if x)
        names = [module] + [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in MODULES]
    out = []
    for dotted in names:
        top = dotted.split(".")[0]
        if top not in ("dgmlab", "homeworks"):
            out.append(top)
            continue
        while dotted and dotted not in MODULES:
            dotted = dotted.rpartition(".")[0]
        out += [".".join(dotted.split(".")[:i]) for i in range(1, dotted.count(".") + 2)]  # with its packages
    return out


def _type_checking(node) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _walk(node, in_function: bool, found: list) -> None:
    """``found`` += ``(import node, whether inside a function)`` for every import under ``node``."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            found.append((child, in_function))
        elif not _type_checking(child):
            _walk(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)),
                  found)


def _imports(path: Path) -> list:
    found = []
    _walk(syntax_tree.parse(path.read_text(encoding="utf-8")), False, found)
    return found


def _top_level() -> dict:
    """``{module: what its top-level imports load}``, its own packages included."""
    graph = {}
    for name, (path, package) in MODULES.items():
        parents = [".".join(name.split(".")[:i]) for i in range(1, name.count(".") + 1)]
        graph[name] = set(parents) | {t for node, local in _imports(path) if not local
                                      for t in _targets(node, name, package)}
    return graph


GRAPH = _top_level()


def loaded(name: str) -> set:
    """What importing ``name`` loads (itself included): dgmlab's modules and other modules' top names."""
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current not in seen:
            seen.add(current)
            todo += GRAPH.get(current, ())
    return seen


def wheel(name: str) -> int:
    """0: the student wheel (dgmlab, homeworks.<hw>.checks); 1: the grader's (dgmlab.grading, homeworks.<hw>.hidden),
    which depends on the student's; 2: a checkout only (dgmlab.authoring, a homework's statement and solutions)."""
    parts = name.split(".")
    if parts[0] == "dgmlab":
        return {"grading": 1, "authoring": 2}.get(parts[1] if len(parts) > 1 else "", 0)
    if len(parts) < 3:
        return 0 if len(parts) == 1 else 2
    return {"checks": 0, "hidden": 1}.get(parts[2], 2)


def unjustified(name: str) -> list:
    """``(line, what)`` of each import inside a function of module ``name`` that has no reason above."""
    path, package = MODULES[name]
    already = loaded(name)
    out = []
    for node, local in _imports(path):
        if not local:
            continue
        targets = _targets(node, name, package)
        if not targets:
            continue
        top, what = targets[0].split(".")[0], targets[-1]
        if top in ("dgmlab", "homeworks"):
            heavy = {m for t in targets for m in loaded(t)} & LAZY.keys()
            ok = bool(heavy - already) or wheel(what) > wheel(name) or name in LAZY_IMPORTERS
        elif top in STDLIB:
            ok = top in PLATFORM
        else:
            ok = top in LAZY and top not in already
        if not ok:
            out.append((node.lineno, what))
    return out


def test_every_import_inside_a_function_has_a_reason():
    found = [f"{MODULES[n][0].relative_to(ROOT).as_posix()}:{line} {what}" for n in MODULES if n.split(".")[0] == "dgmlab"
             for line, what in unjustified(n)]
    assert not found, (f"{len(found)} imports inside functions with no reason (import them at the module's top, or "
                       f"add a heavy or optional third-party module to LAZY with why): {found}")


def test_a_local_import_of_a_light_module_is_found(tmp_path, monkeypatch):
    path = tmp_path / "m.py"
    path.write_text("import os\n\n\ndef f():\n    import json\n    import torch\n    import os\n\n"
                    "    def g():\n        from dgmlab import runtime\n")
    monkeypatch.setitem(MODULES, "dgmlab.m", (path, False))
    monkeypatch.setitem(GRAPH, "dgmlab.m", {"dgmlab", "os"})
    assert [what for _, what in unjustified("dgmlab.m")] == ["json", "os", "dgmlab.runtime"]


def test_the_help_and_the_package_load_no_heavy_module():
    code = ("import sys, dgmlab, dgmlab.cli\nfrom dgmlab import cli\n"
            "try:\n    cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    loaded_now = set(res.stdout.splitlines()[-1].split())
    heavy = {m for m, why in LAZY.items() if "heavy" in why}
    assert not loaded_now & heavy, f"`dgmlab --help` loads {sorted(loaded_now & heavy)}"
