"""What every sandbox is built from (dgmlab.grading.isolation.bubblewrap): the judge's view of this machine holds the
kit's hidden tests, a kernel's never does."""
from pathlib import Path

from dgmlab.grading import hidden
from dgmlab.grading.isolation import bubblewrap


def _shows(paths, folder) -> bool:
    return any(bubblewrap.is_inside(folder, p) for p in paths)


def test_the_judges_view_holds_each_homeworks_hidden_tests():
    folders = hidden.folders()
    assert folders  # a checkout: homeworks/<hw>/hidden/
    judge = bubblewrap.environment_paths(grader=True)
    assert all(_shows(judge, f) for f in folders)
    view = bubblewrap.host_view(data=False, grader=True)
    bound = {view[i + 1] for i, a in enumerate(view) if a == "--ro-bind"}
    assert all(any(bubblewrap.is_inside(f, Path(b)) for b in bound) for f in folders)


def test_a_kernels_view_holds_no_hidden_tests():
    kernel = bubblewrap.environment_paths()
    assert not any(_shows(kernel, f) for f in hidden.folders())
    view = bubblewrap.host_view()
    bound = [view[i + 1] for i, a in enumerate(view) if a == "--ro-bind"]
    assert not any(bubblewrap.is_inside(f, Path(b)) for f in hidden.folders() for b in bound)


def test_a_homework_installed_as_a_namespace_package_shows_only_its_checks(monkeypatch):
    """In a wheel install homeworks.<hw> has no __init__.py (the wheels ship homeworks.<hw>.checks and .hidden):
    its spec has no origin, and the sandbox is still built (Gradescope's image installs the wheels)."""
    import copy
    import importlib.util

    from dgmlab import probes

    real = importlib.util.find_spec

    def find_spec(name, *a):
        spec = real(name, *a)
        if name.count(".") == 1 and name.startswith("homeworks."):  # homeworks.<hw> as the wheels install it
            spec = copy.copy(spec)  # never the imported module's own spec
            spec.origin = None
        return spec

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)
    kernel = bubblewrap.environment_paths()
    assert not any(_shows(kernel, f) for f in hidden.folders())
    for hw in probes.KIT_HOMEWORKS:
        assert _shows(kernel, Path(real(probes.checks_package(hw)).origin).parent), hw
