"""The trust boundary in the code's shape: the import contracts in pyproject.toml ([tool.importlinter]) hold.

What a student's notebook imports (dgmlab.probes, dgmlab.wire, dgmlab.checks, ...) never imports the
grader (dgmlab.grading), directly or through another module, so nothing that judges can be reached or
replaced from the kernel's side; and no package of dgmlab imports its way round in a circle. The
contracts are import-linter's (`lint-imports` checks them where it is installed); CI has no network to
install it, so this test reads the same contracts and checks them on dgmlab's imports itself (every
import statement, those inside functions too, as import-linter counts them)."""
import ast
import tomllib

import pytest

from conftest import ROOT

SRC = ROOT / "src"


def _modules() -> dict:
    """``{dotted module name: path}`` of dgmlab."""
    out = {}
    for path in (SRC / "dgmlab").rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def import_graph() -> dict:
    """``{module: {dgmlab modules it imports}}``."""
    modules = _modules()

    def known(name):
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {known(a.name) for a in node.names if a.name.split(".")[0] == "dgmlab"}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = ".".join(base[:len(base) - node.level + 1]) + (f".{node.module}" if node.module else "")
                else:
                    base = node.module or ""
                if base.split(".")[0] != "dgmlab":
                    continue
                for a in node.names:
                    found.add(known(f"{base}.{a.name}") if f"{base}.{a.name}" in modules else known(base))
        graph[name] = {m for m in found if m and m != name}
    return graph


def _within(module: str, packages) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def forbidden_chains(graph: dict, sources, forbidden) -> list:
    """Import chains from a module of ``sources`` to one of ``forbidden`` (each as a list of modules)."""
    chains = []
    for start in sorted(m for m in graph if _within(m, sources)):
        seen, todo = {start: [start]}, [start]
        while todo:
            current = todo.pop()
            for nxt in sorted(graph.get(current, ())):
                if nxt in seen:
                    continue
                seen[nxt] = seen[current] + [nxt]
                if _within(nxt, forbidden):
                    chains.append(seen[nxt])
                else:
                    todo.append(nxt)
    return chains


def sibling_cycles(graph: dict, ancestor: str) -> list:
    """Cycles among the children of every package under ``ancestor`` (each module seen as the child of that
    package it belongs to), as lists of sibling names."""
    packages = sorted({m for m in graph if _within(m, [ancestor])} & {m.rpartition(".")[0] for m in graph})
    cycles = []
    for package in packages:
        def child(m):
            if not m.startswith(package + "."):
                return None
            return package + "." + m[len(package) + 1:].split(".")[0]
        edges = {}
        for m, imported in graph.items():
            a = child(m)
            for n in imported:
                b = child(n)
                if a and b and a != b:
                    edges.setdefault(a, set()).add(b)
        state = {}

        def visit(node, path):
            state[node] = "open"
            for nxt in sorted(edges.get(node, ())):
                if state.get(nxt) == "open":
                    cycles.append(path[path.index(nxt):] + [nxt])
                elif nxt not in state:
                    visit(nxt, path + [nxt])
            state[node] = "done"
        for node in sorted(edges):
            if node not in state:
                visit(node, [node])
    return cycles


CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


@pytest.mark.parametrize("contract", CONTRACTS, ids=[c["type"] for c in CONTRACTS])
def test_import_contract_is_kept(contract):
    graph = import_graph()
    if contract["type"] == "forbidden":
        chains = forbidden_chains(graph, contract["source_modules"], contract["forbidden_modules"])
        assert not chains, f"{contract['name']}: " + "; ".join(" -> ".join(c) for c in chains[:5])
    elif contract["type"] == "acyclic_siblings":
        cycles = [c for ancestor in contract["ancestors"] for c in sibling_cycles(graph, ancestor)]
        assert not cycles, f"{contract['name']}: " + "; ".join(" -> ".join(c) for c in cycles[:5])
    else:
        raise AssertionError(f"contract type {contract['type']!r} is not checked here: add it")


def test_the_checks_see_a_chain_and_a_cycle():
    """The two checks find what they look for (a chain through a middle module, a two-module cycle)."""
    graph = {"dgmlab.wire": {"dgmlab.runtime"}, "dgmlab.runtime": {"dgmlab.grading.judge"},
             "dgmlab.grading.judge": set(), "dgmlab.grading.a": {"dgmlab.grading.b"},
             "dgmlab.grading.b": {"dgmlab.grading.a"}, "dgmlab.grading": set(), "dgmlab": set()}
    assert forbidden_chains(graph, ["dgmlab.wire"], ["dgmlab.grading"]) == [
        ["dgmlab.wire", "dgmlab.runtime", "dgmlab.grading.judge"]]
    assert sibling_cycles(graph, "dgmlab") == [["dgmlab.grading.a", "dgmlab.grading.b", "dgmlab.grading.a"]]


def test_the_graph_reads_relative_and_lazy_imports():
    graph = import_graph()
    assert "dgmlab.grading.layout" in graph["dgmlab.grading.worker"]       # from . import layout as C
    assert "dgmlab.grading.judging" in graph["dgmlab.grading.judge_process"]  # inside serve()
    assert "dgmlab.wire" in graph["dgmlab.probes"]                          # from .. import runtime, wire
