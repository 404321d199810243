"""The kit's homeworks, one package each: ``homeworks.<hw>``.

A homework's folder is its whole source (docs/authoring.md): the percent files of its notebook (``intro.py``, then
its questions ``q<N>_*.py`` and problems ``p<N>_*.py``: :func:`dgmlab.authoring.percent.parts`), its proofs
(``proofs.py``), its visible tests ``homeworks.<hw>.checks`` and its hidden tests ``homeworks.<hw>.hidden``.
The student wheel ships each homework's ``checks`` and nothing else of it (installed, ``homeworks.<hw>`` is a
namespace package); the grader's wheel ships each ``hidden``.
Which homeworks the kit has is read from these folders (:func:`names`), never listed by hand.
"""
from pathlib import Path

CHECKS = "checks"  # homeworks/<hw>/checks/: the visible side, in the student wheel
HIDDEN = "hidden"  # homeworks/<hw>/hidden/: the grader's side, in the grader's wheel


def names(side: str = CHECKS) -> tuple[str, ...]:
    """The kit's homework ids, sorted: each folder here that holds the ``side`` package (an installed student
    package has every homework's ``checks``, an installed grader every ``hidden``); a homework in two of the
    package's folders (a checkout beside an installed wheel) is named once."""
    return tuple(sorted({folder.name for root in __path__ for folder in Path(root).iterdir()
                         if (folder / side / "__init__.py").is_file()}))
