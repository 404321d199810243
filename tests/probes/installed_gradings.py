"""The gradings of tests/probes/test_nothing_installed_answers_a_cell.py: each callable the student installs in an
answer's place, graded as the autograder grades it, in forked children.

Run as a script (``python installed_gradings.py HW FOLDER OUT``) in a fresh process whose native libraries start no
thread (``OMP_NUM_THREADS=1`` and the like, :data:`ONE_THREAD`): a fork is only safe from a process with one thread,
and :func:`in_children` refuses to fork from any other. A child that dies of a signal is reported with the signal
named (``("killed", "SIGSEGV")``), never taken for a grading that ended its process.
"""
from __future__ import annotations

import gc
import importlib
import inspect
import json
import os
import pickle
import pkgutil
import select
import signal
import sys
import time
from pathlib import Path

import tomllib
import torch

from conftest import ROOT, homework_builders
from dgmlab import probes, syntax_tree
from dgmlab.authoring.percent import parts, read_cells
from dgmlab.authoring.proofs import bound_names
from dgmlab.probes import wire

SEED = 4242  # a grading seed: not the working one, so visible tests compare with the grader's references
TIME_LIMIT = 60  # CPU seconds one grading may take in its child (the slowest reference probe takes a few)
POLL = 2.0  # wall seconds between looks at a child's CPU time (a record is one write under PIPE_BUF: never cut)
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}

# Modules the callables load on first use (torchvision about 1.3 s, with torch._dynamo and triton), loaded once in
# the parent before its first fork: a child ends after a job that changes the process's state (_state), and each
# fresh child would load them again (hw5: torchvision in 51 of 162 children). None starts a thread (in_children).
PRELOADED = ("torchvision", "torch._dynamo", "scipy.optimize", "scipy.linalg", "scipy.stats", "sympy", "ot",
             "matplotlib.pyplot", "PIL.Image", "PIL.ImageDraw", "PIL.ImageFont", "nbformat", "nbclient", "nbconvert",
             "pygments", "charset_normalizer", "defusedxml", "nh3", "cProfile", "pstats", "webbrowser", "pydoc")

# {(hw, cell): {callable: why}}: where the question itself asks to use that callable of the kit (none does: hw5 Q4's
# text asks for the student's own code, and dgmlab.metrics wrapped as its answers earns nothing, tested below)
REVIEWED: dict = {}


# ------------------------------------------------------------------ what the student installs
def _package_modules(package: str) -> list:
    """``package`` and its modules (not its subpackages: pyproject.toml lists each package it ships)."""
    top = importlib.import_module(package)
    found = [top]
    for info in pkgutil.iter_modules(getattr(top, "__path__", [])):
        if not info.ispkg:
            found.append(importlib.import_module(f"{package}.{info.name}"))
    return found


def shipped_packages() -> list[str]:
    """The packages of the student wheel, as setuptools finds them from pyproject.toml's packages.find."""
    import setuptools

    with open(ROOT / "pyproject.toml", "rb") as f:
        find = tomllib.load(f)["tool"]["setuptools"]["packages"]["find"]
    return sorted({name for where in find["where"]
                   for name in setuptools.find_packages(where=str(ROOT / where), include=find["include"])})


def _defined(module, private: bool) -> dict:
    """``{qualified name: object}`` of the functions and classes ``module`` itself defines (``private``: those whose
    name starts with ``_`` too)."""
    return {f"{module.__name__}.{name}": value for name, value in vars(module).items()
            if (inspect.isfunction(value) or inspect.isclass(value))
            and getattr(value, "__module__", None) == module.__name__ and (private or not name.startswith("_"))}


def candidates(hw: str) -> dict:
    """``{qualified name: callable}``: each public function and class of the student wheel, and every function and
    class of ``dgmlab.probes.<hw>`` and its modules."""
    found = {}
    for package in shipped_packages():
        for module in _package_modules(package):
            found.update(_defined(module, private=False))
    for module in _package_modules(probes.checks_package(hw)):
        found.update(_defined(module, private=True))
    return dict(sorted(found.items()))


# ------------------------------------------------------------------ the graded cells and their answers
def _code_cells(hw: str):
    """``(kind, grade_id, source)`` of each code cell of ``hw``'s percent files, in notebook order."""
    module = homework_builders()[hw].module
    folder = Path(module.__file__).parent
    for part in parts(folder):
        for _, cell_type, meta, source in read_cells(folder / part):
            if cell_type == "code":
                yield meta.get("kind"), meta.get("grade_id"), source


def _callables_bound(source: str) -> set[str]:
    """The names a cell binds at top level to a function or class (``def``, ``class``, ``name = lambda``)."""
    import ast

    tree = syntax_tree.parse(source)
    out = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
            out.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return out


def answers(hw: str) -> tuple[set, dict]:
    """``(answer callables, given sources)``: the names ``hw``'s answer cells bind to a function or class, and
    ``{name: source of the locked cell that defines it}`` for names the notebook gives."""
    answer, given = set(), {}
    for kind, _, source in _code_cells(hw):
        if kind == "answer":
            answer |= _callables_bound(source)
        elif kind is None:
            for name in bound_names(source):
                given.setdefault(name, source)
    return answer, given


def _given(source: str, name: str):
    """``name`` as the notebook's locked cell ``source`` defines it (run as the judge runs an instructor's cell)."""
    import math

    import numpy as np

    namespace = {"torch": torch, "nn": torch.nn, "F": torch.nn.functional, "math": math, "np": np}
    exec(compile(source, f"<the given cell defining {name}>", "exec"), namespace)
    return namespace[name]


def graded_cells(hw: str) -> list[str]:
    return sorted(cell for cell, spec in probes.specs(hw).items() if spec.names)


# ------------------------------------------------------------------ grading one answer
def _blank(calls: list):
    """An answer left blank, as the release stub leaves it: a function that raises NotImplementedError. It notes the
    arguments of each call in ``calls``."""

    def blank(*args, **kwargs):
        calls.append((args, kwargs))
        raise NotImplementedError()
    return blank


class _Reads(dict):
    """The probe's table of objects, noting which names it reads."""

    def __init__(self, *args):
        super().__init__(*args)
        self.read = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def values(self):
        self.read.update(self)
        return super().values()

    def items(self):
        self.read.update(self)
        return super().items()

    def copy(self):
        self.read.update(self)
        return dict(super().items())

    def __iter__(self):  # a dict subclass with its own __iter__ is copied ({**o}, dict(o)) through __getitem__
        return super().__iter__()


def _earned(hw: str, cell: str, objects: dict, expected_at) -> float:
    """What ``objects`` (``{name: object}``) earn on ``cell`` as graded: the probe as the kernel runs it, its data
    over the wire, the judge with the grader's hidden tests."""
    from dgmlab.grading import hidden

    spec = probes.spec_for(hw, cell)
    data = probes.run_probe(spec, tuple(objects[n] for n in spec.names), SEED)
    result = probes.judge(hw, spec, wire.loads(wire.dumps(data)), SEED, expected_at=expected_at,
                          hidden=hidden.tests(hw, cell))
    return result.earned


def _state() -> tuple:
    """What a callable could change in this process that would change how the next one is graded."""
    import warnings

    import numpy as np

    return (os.getcwd(), sorted(os.environ.items()), list(sys.path), len(warnings.filters), np.geterr(),
            torch.get_default_dtype(), torch.is_grad_enabled(), torch.is_inference_mode_enabled(),
            torch.are_deterministic_algorithms_enabled(), torch.is_anomaly_enabled(), torch.get_num_threads())


def _send(pipe, record) -> None:
    data = pickle.dumps(record)
    pipe.write(len(data).to_bytes(8, "big") + data)
    pipe.flush()


def _child(jobs: list, first: int, folder: Path, write: int) -> None:
    """Grade ``jobs[first:]`` one after the other (this is the forked child), telling the parent as it goes; stop
    after a job that changed :func:`_state` (the parent goes on in a fresh child)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)  # the callables' output is not the test's
    torch.set_num_threads(1)
    os.chdir(folder)
    with os.fdopen(write, "wb") as pipe:
        for j in range(first, len(jobs)):
            before = _state()
            _send(pipe, ("start", j))
            try:
                out = ("ok", jobs[j]())
            except BaseException as exc:  # noqa: BLE001 - told to the parent
                out = ("raised", f"{type(exc).__name__}: {exc}"[:300])
            _send(pipe, ("done", j, *out))
            if _state() != before:
                return


def _receive(pipe, deadline: float):
    """The next record from a child, ``None`` at its end, or ``"late"`` when none came by ``deadline``."""
    data = b""
    size = None
    while size is None or len(data) < size:
        ready, _, _ = select.select([pipe], [], [], max(deadline - time.monotonic(), 0))
        if not ready:
            return "late"
        chunk = os.read(pipe.fileno(), (8 if size is None else size) - len(data))
        if not chunk:
            return None
        data += chunk
        if size is None and len(data) == 8:
            size, data = int.from_bytes(data, "big"), b""
    return pickle.loads(data)


def _cpu_seconds(pid: int) -> float:
    """The CPU seconds (user and system) process ``pid`` has used; 0 once it has ended (its pipe then ends too)."""
    import psutil

    try:
        times = psutil.Process(pid).cpu_times()
    except psutil.Error:
        return 0.0
    return times.user + times.system


def in_children(jobs: list, folder: Path) -> list:
    """``[(status, value)]`` of each job (a function of no argument), run in forked children working in ``folder``:
    ``("ok", what it returned)``, ``("raised", why)``, ``("killed", the signal's name)`` when the child died of a
    signal in it, or ``("timeout", seconds)`` past :data:`TIME_LIMIT` of CPU time. One child
    runs the jobs in turn until one changes the process's state (:func:`_state`), takes too long or kills it; a
    fresh child goes on from the next."""
    results, first = [None] * len(jobs), 0
    while first < len(jobs):
        threads = len(os.listdir("/proc/self/task"))
        if threads != 1:
            raise RuntimeError(f"refusing to fork from a process with {threads} threads: start it with {ONE_THREAD}")
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(read)
                _child(jobs, first, folder, write)
            finally:
                os._exit(0)
        os.close(write)
        current, started = None, 0.0  # the job the child is in, and the child's CPU seconds when it began
        with os.fdopen(read, "rb") as pipe:
            while True:
                record = _receive(pipe, time.monotonic() + POLL)
                if record == "late":
                    if _cpu_seconds(pid) - started < TIME_LIMIT:  # CPU time, so a loaded machine is no timeout
                        continue
                    os.kill(pid, signal.SIGKILL)
                    current = first if current is None else current
                    results[current], first = ("timeout", TIME_LIMIT), current + 1
                    break
                if record is None:
                    break
                if record[0] == "start":
                    current, started = record[1], _cpu_seconds(pid)
                else:
                    results[record[1]], current, first = tuple(record[2:]), None, record[1] + 1
        _, status = os.waitpid(pid, 0)
        if current is not None and results[current] is None:  # it ended the process in the middle of a job
            ended = ("killed", signal.Signals(os.WTERMSIG(status)).name) if os.WIFSIGNALED(status) else \
                ("raised", "the grading ended the process")
            results[current], first = ended, current + 1
    return results


def _binds(fn, args, kwargs) -> bool:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # no signature to read: it may accept anything
        return True
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        return False
    return True


def _could_differ(calls: list, fn) -> bool:
    """Whether ``fn`` in a blank's place could change what the probe returns, from the ``calls`` the probe made on the
    blank. Not when it was called and ``fn`` binds none of those calls: ``fn`` then raises TypeError before running
    wherever the blank raised NotImplementedError, and the probe goes on as it went on from the blank."""
    if not calls:  # read but never called: whatever it does with it may differ
        return True
    return any(_binds(fn, args, kwargs) for args, kwargs in calls)


# ------------------------------------------------------------------ the test
def _memo(expected_at):
    cache = {}

    def at(hw, cell, seed):
        if (hw, cell, seed) not in cache:
            cache[hw, cell, seed] = expected_at(hw, cell, seed)
        return cache[hw, cell, seed]
    return at


def _cell_objects(hw: str, cell: str, answer: set, given: dict) -> tuple[dict, dict]:
    """``(objects, calls)``: the cell's names as the blank leaves them (a given name: the notebook's object) and, for
    each blank, the list its calls are noted in."""
    spec = probes.spec_for(hw, cell)
    objects, calls = {}, {}
    for name in spec.names:
        if name in given and name not in answer:
            objects[name] = _given(given[name], name)
        else:
            calls[name] = []
            objects[name] = _blank(calls[name])
    return objects, calls


def _blank_run(hw: str, cell: str, objects: dict, at) -> tuple[float, set]:
    """``(what the blank earns, the names the probe read)``; the blanks note the calls the probe made."""
    spec = probes.spec_for(hw, cell)
    reads = _Reads(objects)
    if spec.probe is None:
        reads.read.update(objects)
    else:
        probes.attempt(spec.probe, reads, probes.make_inputs(spec, SEED))
    try:
        at(hw, cell, SEED)  # what the visible tests compare with, computed once here for every child
    except AssertionError:
        pass
    return _earned(hw, cell, objects, at), reads.read


def knowing_nothing(calls: list) -> dict:
    """``{label: answer}``: answers that know nothing of the question, for a name the probe called with ``calls``:
    one that does nothing, one that returns 0, one that returns a zero tensor on its tensor arguments' graph, and
    one for each argument that hands it back."""
    most = max((len(args) for args, _ in calls), default=0)
    out = {"does nothing": lambda *a, **k: None, "returns 0": lambda *a, **k: 0.0,
           "returns a zero tensor": lambda *a, **k: sum((t * 0).sum() for t in a if isinstance(t, torch.Tensor))}
    for i in range(most):
        out[f"returns its argument {i + 1}"] = lambda *a, i=i, **k: a[i] if i < len(a) else None
    return out


def gradings(hw: str, tmp_path: Path) -> tuple[list, list, list]:
    """``(rows, weak, read)``. ``rows``: ``(cell, name, callable, status, earned, bar)`` for each callable of
    :func:`candidates` that could earn something other than the blank in an answer's place, graded in a child;
    ``bar`` is the most the blank or an answer that knows nothing (:func:`knowing_nothing`) earns there. ``weak``:
    ``(cell, name, answer, earned, blank)`` where such an answer earns more than the blank. ``read``: ``(cell, name)``
    for each answer name the cell's probe reads (the places a callable could stand in)."""
    from dgmlab.grading.references.recorded import expected_at

    for name in PRELOADED:
        importlib.import_module(name)
    at = _memo(expected_at)
    answer, given = answers(hw)
    pool = candidates(hw)
    rows, weak, reads = [], [], []
    for cell in graded_cells(hw):
        spec = probes.spec_for(hw, cell)
        substituted = [n for n in spec.names if n in answer]
        if not substituted:
            continue
        objects, calls = _cell_objects(hw, cell, answer, given)
        blank, read = _blank_run(hw, cell, objects, at)
        gc.freeze()  # the children share this process's objects without copying them
        folder = tmp_path / cell
        folder.mkdir()

        def job(name, fn, cell=cell, objects=objects):
            return lambda: _earned(hw, cell, {**objects, name: fn}, at)
        for name in substituted:
            if name not in read:  # nothing the probe returns depends on it
                continue
            reads.append((cell, name))
            plain = knowing_nothing(calls[name])
            bar = blank
            for label, (status, got) in zip(plain, in_children([job(name, fn) for fn in plain.values()], folder)):
                if status == "killed":
                    rows.append((cell, name, label, status, got, bar))
                if status == "ok" and got > blank:
                    weak.append((cell, name, label, got, blank))
                    bar = max(bar, got)
            tried = [(label, fn) for label, fn in pool.items() if _could_differ(calls[name], fn)]
            results = in_children([job(name, fn) for _, fn in tried], folder)
            for (label, fn), (status, got) in zip(tried, results, strict=True):
                if status == "ok" and got > bar:  # again on its own, in a child that graded nothing before it
                    status, got = in_children([job(name, fn)], folder)[0]
                rows.append((cell, name, label, status, got, bar))
    return rows, weak, reads


def main(hw: str, folder: str, out: str) -> None:
    """Write :func:`gradings` of ``hw`` (working in ``folder``) to ``out`` as JSON."""
    torch.set_num_threads(1)
    rows, weak, read = gradings(hw, Path(folder))
    Path(out).write_text(json.dumps({"rows": rows, "weak": weak, "read": read}), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:])
