"""What a student installs holds what it needs to call the student's objects, never how to answer (issue 55, item 2).

Each hw5 cell whose answer is a function is graded, as the grader grades it (hidden tests included), with every
public callable of the student package's computing modules and every function of dgmlab.probes.hw5_explicit put in
the answer's place: none earns more than the blank stub. The kit's file layouts are names and shapes only: no
function of the checks module hands back a network that computes.
"""
import inspect

import pytest
import torch

from dgmlab import probes

HW = "hw5_explicit"
# the cells whose answer is one function, and its name
FUNCTION_CELLS = {"q4_stats_tests": "feature_statistics", "q4_frechet_tests": "frechet_gaussian",
                  "p1_nll_tests": "bernoulli_nll", "p2_bpd_tests": "bits_per_dim"}
STUDENT_MODULES = ("dgmlab.metrics", "dgmlab.checks", "dgmlab.toys", "dgmlab.artifacts", "dgmlab.probes.hw5_explicit")


def _kit_modules() -> list:
    """dgmlab.probes.hw5_explicit and its modules (one per part, and common)."""
    import importlib
    import pkgutil

    kit = importlib.import_module("dgmlab.probes.hw5_explicit")
    return [kit, *(importlib.import_module(f"{kit.__name__}.{m.name}") for m in pkgutil.iter_modules(kit.__path__))]


def _public_callables():
    import importlib

    found = []
    computing = [importlib.import_module(name) for name in STUDENT_MODULES if name != "dgmlab.probes.hw5_explicit"]
    for module in [*computing, *_kit_modules()]:  # the kit's checks: the package and each of its modules
        name = module.__name__
        for attr, value in vars(module).items():
            if inspect.isfunction(value) and getattr(value, "__module__", None) == module.__name__ \
                    and not attr.startswith("test_"):
                found.append((f"{name}.{attr}", value))
    return found


def _earned(cell, answer, seed=4242):
    """What ``answer`` earns on ``cell`` through the grader's judge, hidden tests included."""
    from dgmlab import wire
    from dgmlab.grading import hidden

    spec = probes.spec_for(HW, cell)
    data = probes.run_probe(spec, (answer,), seed)
    result = probes.judge(HW, spec, wire.loads(wire.dumps(data)), seed, hidden=hidden.tests(HW, cell))
    return result.earned


def _blank(*args, **kwargs):
    raise NotImplementedError


@pytest.mark.slow
@pytest.mark.parametrize("cell", sorted(FUNCTION_CELLS))
def test_no_public_callable_of_the_student_package_answers_a_cell(cell, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a callable that writes files writes them here
    blank = _earned(cell, _blank)
    assert blank == 0
    answered = {name: _earned(cell, fn) for name, fn in _public_callables()}
    over = {name: got for name, got in answered.items() if got > blank}
    assert not over, f"{cell}: callables of the student package earn more than the blank ({blank}): {over}"


@pytest.mark.parametrize("cell, wrap", [
    ("q4_stats_tests", lambda m: lambda f: tuple(torch.from_numpy(a) for a in m.gaussian_stats(f.detach().numpy()))),
    ("q4_frechet_tests", lambda m: lambda *a: torch.tensor(m.frechet_distance(*(t.detach().numpy() for t in a)),
                                                           dtype=torch.float64)),
])
def test_the_kits_metrics_wrapped_as_q4_answers_earn_nothing(cell, wrap):
    """Q4 asks for the student's own torch code: dgmlab.metrics' numpy statistics and distance, wrapped into the
    stated signatures, earned 1.5 of 2 and 2 of 4; every value now counts only with its graph."""
    from dgmlab import metrics

    assert _earned(cell, wrap(metrics)) == 0


def test_the_checks_module_hands_back_no_network():
    """dgmlab.probes.hw5_explicit's functions that take no argument (the file layouts among them) return names and
    shapes, never an nn.Module: the coupling layer and PixelCNN that once lived there earned p2_coupling and
    p2_realnvp 10 of 10 with only an inverse written, and p1_model's stack but its mask."""
    modules = _kit_modules()
    assert len(modules) == 8  # the package, common and the six parts
    for kit in modules:
        for name, fn in vars(kit).items():
            if inspect.isfunction(fn) and fn.__module__ == kit.__name__ and not name.startswith("test_"):
                params = inspect.signature(fn).parameters.values()
                if all(p.default is not inspect.Parameter.empty for p in params):
                    made = fn()
                    assert not isinstance(made, torch.nn.Module), f"{name}() hands back a network that computes"
            assert not (inspect.isclass(fn) and issubclass(fn, torch.nn.Module)), f"{name} is a network class"
