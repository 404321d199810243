"""The trust boundary in the code's shape: import-linter's contracts in pyproject.toml ([tool.importlinter])
hold. What a student's notebook imports (dgmlab.probes, the protocol both sides share: its probes, wire, points and
asserts; dgmlab.runtime, ...) never imports the grader (dgmlab.grading), directly or through another module, so
nothing that judges can be reached or replaced from the kernel's side; no package of dgmlab imports its way round in
a circle; and the grader's packages, one per command, use only those below them (the nbgrader plug-ins below the
commands they plug into, the judge only isolation, which uses none of them)."""
import subprocess
import sys
from pathlib import Path

import tomllib

from conftest import ROOT
from dgmlab import syntax_tree

CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]["contracts"]


def test_the_kernel_side_contract_covers_what_a_notebook_imports():
    kernel = next(c for c in CONTRACTS if c["type"] == "forbidden" and "dgmlab.probes" in c["source_modules"])
    assert {"dgmlab.probes", "dgmlab.runtime"} <= set(kernel["source_modules"])
    # the package, not its modules: the protocol (probes, wire, points, asserts) is all in it
    assert not [m for m in kernel["source_modules"] if m.startswith("dgmlab.probes.")]
    assert {"wire", "points", "asserts"} <= {p.stem for p in (ROOT / "src" / "dgmlab" / "probes").glob("*.py")}
    assert {"dgmlab.grading", "dgmlab.authoring"} <= set(kernel["forbidden_modules"])
    assert "nbgrader" in kernel["forbidden_modules"]  # Colab has no nbgrader: the kernel side never imports it
    assert any(c["type"] == "acyclic_siblings" for c in CONTRACTS)


def test_the_protocol_contract_keeps_it_and_every_homeworks_checks_from_the_grader():
    """The protocol is handed the grader's references, never imports them; import-linter reads the kit's homeworks too
    (root_packages), so the same contract holds each homework's checks, and both away from every hidden side."""
    settings = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert settings["root_packages"] == ["dgmlab", "homeworks"]
    protocol = next(c for c in CONTRACTS if c["type"] == "forbidden" and "homeworks.*.checks" in c["source_modules"])
    assert set(protocol["source_modules"]) == {"dgmlab.probes", "homeworks.*.checks"}
    assert {"dgmlab.grading", "homeworks.*.hidden", "homeworks.*.proofs"} <= set(protocol["forbidden_modules"])
    acyclic = next(c for c in CONTRACTS if c["type"] == "acyclic_siblings")
    assert set(acyclic["ancestors"]) == {"dgmlab", "homeworks"}


def test_the_grader_contracts_name_its_command_packages():
    grading = Path(ROOT / "src" / "dgmlab" / "grading")
    layers = next(c for c in CONTRACTS if c["type"] == "layers")
    assert layers["containers"] == ["dgmlab.grading"]
    named = [name.strip() for layer in layers["layers"] for name in layer.split("|")]
    assert named[0] == "lms" and named[-2:] == ["judge", "isolation"]  # the judge imports no command; isolation
    # (sandboxes, kernels, process trees), which the commands and the judge's process use, imports none of them
    assert set(named) == {"lms", "gradescope", "report", "hand", "term", "autograde", "copies", "preprocessors",
                          "judge", "isolation"}
    # the nbgrader plug-ins sit below every command they plug into and above the judge they call
    assert named.index("autograde") < named.index("copies") < named.index("preprocessors") < named.index("judge")
    assert all((grading / name / "__init__.py").is_file() for name in named)  # packages, not lists of modules
    readers = next(c for c in CONTRACTS if c["type"] == "forbidden" and "dgmlab.grading.report" in c["source_modules"])
    assert set(readers["source_modules"]) == {f"dgmlab.grading.{p}" for p in ("report", "lms", "hand", "term")}
    assert {"distributed", "dgmlab.grading.autograde.coordinator", "dgmlab.grading.autograde.worker"} <= \
        set(readers["forbidden_modules"])


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    res = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in res.stdout


def _imports(path: Path, package: list) -> set:
    """The modules a file of ``package`` imports anywhere in it (names imported from a module included), absolute."""
    import ast

    out = set()
    for node in ast.walk(syntax_tree.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            out |= {module} | {f"{module}.{a.name}" for a in node.names}
    return out


def test_each_homeworks_checks_keep_the_kernel_side_contract():
    """Each kit homework's checks (homeworks/<hw>/checks/, what a kernel imports of a homework) import nothing the
    kernel-side contract forbids, of dgmlab only its kernel-side modules (which the contract keeps from the grader,
    however deep) and of the homeworks only their own package: rules by name that import-linter's wildcards cannot
    say (it holds them away from the grader and every hidden side: the protocol's contract)."""
    kernel = next(c for c in CONTRACTS if c["type"] == "forbidden")

    def under(name, roots):
        return any(name == r or name.startswith(r + ".") for r in roots)

    files = sorted(ROOT.glob("homeworks/*/checks/*.py"))
    assert len(files) >= 5
    for path in files:
        hw = path.parent.parent.name
        for name in _imports(path, ["homeworks", hw, "checks"]):
            where = f"{path.relative_to(ROOT)} imports {name}"
            assert not under(name, kernel["forbidden_modules"]), where
            assert not under(name, ["homeworks"]) or under(name, [f"homeworks.{hw}.checks"]), \
                where + ": a homework's checks import only their own package (never its hidden tests or solutions)"
            if under(name, ["dgmlab"]) and name != "dgmlab":
                assert under(name, kernel["source_modules"]), where + ", which is no kernel-side module"


def test_the_check_of_homeworks_checks_catches_a_grader_import(tmp_path):
    forbidden = tmp_path / "checks.py"
    forbidden.write_text("def f():\n    from dgmlab.grading.references import hw3_flows\n")
    assert "dgmlab.grading.references" in _imports(forbidden, ["homeworks", "hw3_flows", "checks"])
    relative = tmp_path / "part.py"
    relative.write_text("from .. import hidden\nfrom . import CHECKS\n")
    assert {"homeworks.hw3_flows.hidden", "homeworks.hw3_flows.checks.CHECKS"} <= _imports(relative, ["homeworks", "hw3_flows", "checks"])


def test_the_deprecated_aliases_import_only_the_protocol_package():
    """dgmlab.checks and dgmlab.testing, kept for a course's own homework made before the move, are in no contract:
    they import nothing of dgmlab but dgmlab.probes, which the kernel side's contract holds."""
    for alias in ("checks", "testing"):
        found = {m for m in _imports(ROOT / "src" / "dgmlab" / f"{alias}.py", ["dgmlab"]) if m.startswith("dgmlab")}
        assert found and all(m.startswith("dgmlab.probes") for m in found), f"dgmlab.{alias} imports {found}"


def test_of_the_judge_only_its_process_imports_isolation():
    judging = next(c for c in CONTRACTS
                   if c["type"] == "forbidden" and "dgmlab.grading.judge.cell_verdicts" in c["source_modules"])
    assert judging["forbidden_modules"] == ["dgmlab.grading.isolation"]


def test_the_judge_never_imports_the_plug_ins_that_call_it():
    judge = next(c for c in CONTRACTS if c["type"] == "forbidden" and c["source_modules"] == ["dgmlab.grading.judge"])
    assert judge["forbidden_modules"] == ["dgmlab.grading.preprocessors"]
