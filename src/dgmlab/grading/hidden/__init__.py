"""The kit's hidden tests and references, one package per homework, in the grader only.

Each kit homework keeps its grader-only side in the package ``homeworks.<hw>.hidden`` (``homeworks/<hw>/hidden/``), a
sibling of its ``checks`` (the visible side, the only part of a homework the student wheel ships), one module per
part named as the part's percent file. A part's
module defines its hidden tests as the visible ones are written, ``test_x(v, ref)`` with ``@points(w)``
(:class:`dgmlab.probes.Ref`), and lists them by test cell in ``HIDDEN``; the package's ``__init__.py`` gathers the
parts' ``HIDDEN`` and ``EXPECTED`` (what the visible tests compare with, :mod:`dgmlab.grading.references.recorded`).

The grader's wheel ships each under the same name (grader/pyproject.toml), as a checkout imports it. The student
package never has them, and a kernel's sandbox never shows them
(:func:`dgmlab.grading.isolation.bubblewrap.environment_paths`).

A course's own homework has the same shape in one file, ``hidden.py`` beside its ``checks.py`` (:data:`FILE`):
``HIDDEN = {"<test cell>": (test_a, ...)}``, tests ``test_x(v, ref)`` with ``@points(w)``, and optionally ``EXPECTED``
(``{test cell: fn(inputs) -> {name: value}}``, what ``ref.<name>`` reads, computed in the grader on the graded draw:
:mod:`dgmlab.grading.references.recorded`). ``dgmlab build`` copies it
to ``source/<hw>/hidden.py`` (nbgrader's ``CourseDirectory.ignore`` keeps it out of ``release/`` and of the folder a
submission runs in); the grading worker hands its text to the judge, which loads it with :func:`load_text`.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import homeworks

from ... import probes

FILE = "hidden.py"  # a course's own homework: its hidden tests, in homeworks/<hw>/ and source/<hw>/ (never released)
_course: dict = {}  # {hw: (sha256 of its hidden.py, module)}: a course's own homeworks' hidden tests, loaded


def package(hw: str) -> str:
    """The name of kit homework ``hw``'s hidden tests: ``homeworks.<hw>.hidden``."""
    return f"{homeworks.__name__}.{hw}.{homeworks.HIDDEN}"


def module(hw: str):
    """``hw``'s hidden package (``homeworks.<hw>.hidden``), or ``None`` when the homework has none."""
    if hw not in probes.KIT_HOMEWORKS:
        return None
    found = probes.optional_module(package(hw))
    if found is not None:
        probes.use_grader_side(hw, found)  # the checks read the grader's references through it, never import them
    return found


def load_text(hw: str, text: str, filename: str | None = None):
    """Use ``text``, the course's ``hidden.py`` of its own homework ``hw``, as ``hw``'s hidden tests and return its
    module. The text is run as a module (the course's own code: the grader reads it from ``source/<hw>/``, never from
    a submission), again only when it changed; it must define ``HIDDEN``, a dict of test cell to test functions."""
    if not probes._valid_name(hw) or hw in probes.KIT_HOMEWORKS:
        raise KeyError(f"{hw!r} is not a course's own homework: the kit's hidden tests are its hidden/ packages")
    stamp = hashlib.sha256(text.encode()).hexdigest()
    if _course.get(hw, (None,))[0] != stamp:
        filename = filename or f"source/{hw}/{FILE}"
        module = probes.course_module(f"dgmlab_course_hidden_{hw}", text, filename)
        table = getattr(module, "HIDDEN", None)
        if not isinstance(table, dict) or not all(
                isinstance(k, str) and isinstance(v, (tuple, list)) and all(callable(f) for f in v)
                for k, v in table.items()):
            raise ValueError(f"{filename} defines no HIDDEN: write HIDDEN = {{\"<test cell>\": (test_a, ...)}} with "
                             "the hidden tests test_x(v, ref) of each test cell (docs/authoring.md)")
        _course[hw] = (stamp, module)
    return _course[hw][1]


def load(hw: str, folder) -> bool:
    """Use ``folder/hidden.py`` as the hidden tests of ``hw``, a course's own homework; without that file ``hw`` has
    none (any loaded before are forgotten). Returns whether ``hw`` now has hidden tests. A kit homework: ``True``."""
    if hw in probes.KIT_HOMEWORKS:
        return module(hw) is not None
    path = Path(folder) / FILE
    if not path.is_file():
        forget(hw)
        return False
    load_text(hw, path.read_text(encoding="utf-8"), str(path))
    return True


def forget(hw: str) -> None:
    """Drop the hidden tests loaded for a course's own homework ``hw`` (a grading handed none)."""
    _course.pop(hw, None)


def course_module(hw: str):
    """The ``hidden.py`` module :func:`load_text` loaded for a course's own homework ``hw``, or ``None``."""
    return _course[hw][1] if hw in _course else None


def tests(hw: str, cell: str) -> tuple:
    """The hidden test functions of ``hw``'s test cell ``cell``, in order: a kit homework's from its hidden package,
    a course's own from the ``hidden.py`` :func:`load_text` loaded; ``()`` when it has none."""
    found = module(hw) or course_module(hw)
    if found is None:
        return ()
    return tuple(found.HIDDEN.get(cell, ()))


def folders() -> list[Path]:
    """The folders of the kit's hidden packages that exist here (what the judge's sandbox shows it)."""
    return [folder for hw in probes.KIT_HOMEWORKS for root in homeworks.__path__
            if ((folder := Path(root) / hw / homeworks.HIDDEN) / "__init__.py").is_file()]
