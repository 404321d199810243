"""No two modules of dgmlab share a name: a module's name says what it holds, so that a reader, a traceback or a
search finds one file for it (the kit once had two ``judging.py``, two ``bundle.py`` and ``cluster.py`` beside
``clusters.py``). A package's ``__init__`` is its package's name, not a module's; the homework templates, copied
into a course as a homework folder whose files the homework's convention names, are not dgmlab's modules
(:func:`kit_modules.kit_modules`)."""
from collections import defaultdict

from kit_modules import kit_modules


def same_names(modules: dict) -> dict:
    """``{name: [dotted modules]}`` of the module names of ``modules`` (``{dotted: (path, is_package)}``) under dgmlab
    that more than one module bears."""
    by_name = defaultdict(list)
    for dotted, (_, package) in modules.items():
        if not package and dotted.startswith("dgmlab."):
            by_name[dotted.rpartition(".")[2]].append(dotted)
    return {name: sorted(found) for name, found in by_name.items() if len(found) > 1}


def test_no_two_modules_of_dgmlab_share_a_name():
    assert same_names(kit_modules()) == {}, "modules of one name: rename each after what it holds"


def test_two_modules_of_one_name_in_two_packages_are_found_and_a_package_of_that_name_is_not():
    modules = {"dgmlab.grading.judge.judging": (None, False), "dgmlab.probes.judging": (None, False),
               "dgmlab.grading.report": (None, True), "dgmlab.grading.report.report": (None, False),
               "homeworks.hw1.checks.common": (None, False), "homeworks.hw2.checks.common": (None, False)}
    assert same_names(modules) == {"judging": ["dgmlab.grading.judge.judging", "dgmlab.probes.judging"]}
