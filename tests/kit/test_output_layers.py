"""Only an output layer of dgmlab writes to the terminal. A library module says what happened through
``logging.getLogger(__name__)`` (the CLI shows the ``dgmlab`` loggers, :func:`dgmlab.cli.log_to_stderr`), or returns
records or lines, or takes a ``say`` callback, and the command prints them. The output layers, each with its reason,
are :data:`OUTPUT_LAYERS`: the CLI's, the student-facing notebook runtime's (``dgmlab.check()``, ``setup``, saved
files, training progress), and the ``main`` of a program of its own (Gradescope's ``run_autograder``, the judge's
process, ``python -m`` tools).

The rule, per module of ``src/dgmlab``: no ``print(...)``, ``sys.stdout.write(...)`` or ``sys.stderr.write(...)``
outside :data:`OUTPUT_LAYERS`; and each module listed there still writes (else take it off the list).
"""
import ast
from pathlib import Path

from conftest import ROOT
from dgmlab import syntax_tree

SRC = ROOT / "src"

OUTPUT_LAYERS = {
    # the command line
    "dgmlab.cli": "the CLI's entry: a command's error (a missing grader, a CourseError) said on stderr, exit 2",
    "dgmlab.cli_commands": "the CLI's output layer: each `dgmlab <command>` prints what the library returns or says",
    "dgmlab.grading.hand.record_commands": "the CLI's output for `dgmlab grade --log/--requests/--request/"
                                           "--answer-request` (cmd_grade hands them their args), inert text only",
    # the student-facing notebook runtime
    "dgmlab": "dgmlab.setup() tells the student the mode and device in the notebook",
    "dgmlab.selfcheck": "dgmlab.check(): the visible checks' report in the student's notebook",
    "dgmlab.probes": "a visible check's result (points, what failed) in the student's notebook",
    "dgmlab.workspace": "the homework folder and each saved file's path, said in the student's notebook",
    "dgmlab.checkpoint": "training progress (resumed, saved, started over) in the student's notebook",
    "dgmlab.data": "the synthetic-CIFAR-10 warning in the student's notebook; `python -m dgmlab.data`'s main",
    "dgmlab.authoring.homework_template.q2_gaussian_kl": "a homework's notebook source (the cells a student runs), "
                                                         "not a library module",
    # the kit's authoring commands, which write to the streams `dgmlab build` / `dgmlab examples` hand them
    "dgmlab.authoring.build": "`dgmlab build`'s report, to the out and err streams its command passes",
    "dgmlab.authoring.examples": "`dgmlab examples`'s report, to the out and err streams its command passes",
    "dgmlab.authoring.proofs": "`python -m dgmlab.authoring.proofs`: its main's report",
    "dgmlab.authoring.corpus": "`python -m dgmlab.authoring.corpus`: its main's report and progress",
    "dgmlab.authoring.lottery": "`python -m dgmlab.authoring.lottery`: its main's report and progress",
    # programs of their own
    "dgmlab.grading.gradescope.run": "Gradescope's run_autograder: its stdout is the log Gradescope shows",
    "dgmlab.grading.judge.judge_process": "the judge's own process: a request it cannot read said on its stderr by a "
                                          "forked child that then exits (no logging is set up there)",
}


def _module(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _writes(tree: ast.AST) -> list:
    """The lines of ``tree``'s calls that write to the terminal: ``print(...)``, ``sys.stdout.write(...)``,
    ``sys.stderr.write(...)``."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id == "print":
            lines.append(node.lineno)
        elif (isinstance(f, ast.Attribute) and f.attr == "write" and isinstance(f.value, ast.Attribute)
              and f.value.attr in ("stdout", "stderr") and isinstance(f.value.value, ast.Name)
              and f.value.value.id == "sys"):
            lines.append(node.lineno)
    return lines


def _all_writes() -> dict:
    out = {}
    for path in sorted((SRC / "dgmlab").rglob("*.py")):
        lines = _writes(syntax_tree.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if lines:
            out[_module(path)] = (path.relative_to(ROOT), lines)
    return out


def test_only_an_output_layer_writes_to_the_terminal():
    stray = {m: f"{p}: lines {lines}" for m, (p, lines) in _all_writes().items() if m not in OUTPUT_LAYERS}
    assert not stray, ("library modules that print (log with logging.getLogger(__name__), or return lines or take a "
                       f"`say` callback the command prints; or add the module to OUTPUT_LAYERS with its reason): "
                       f"{stray}")


def test_each_listed_output_layer_still_writes():
    silent = sorted(set(OUTPUT_LAYERS) - set(_all_writes()))
    assert not silent, f"these modules no longer write to the terminal: take them off OUTPUT_LAYERS: {silent}"


def test_a_print_in_a_library_module_is_found():
    tree = syntax_tree.parse("import sys\ndef f():\n    print('x')\n    sys.stderr.write('y')\n    log.info('z')\n")
    assert _writes(tree) == [3, 4]
