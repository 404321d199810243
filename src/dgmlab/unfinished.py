"""What a saved notebook still lacks before it is handed in, read from the notebook itself: whether it was run (the
outputs a hand-in keeps) and which written answers are still blank.

``dgmlab.check()`` runs a copy of the notebook, so its own run says nothing of the saved file: :func:`of` reads the
saved file before that run. A notebook was *run* when some code cell has an output or an execution count; in a run
notebook, a test cell without output was not run (every test cell prints what it gives); a notebook with a cell of
the student's that sets ``DGMLAB_FAST``, or whose setup cell printed ``mode=fast``, ran in quick mode (the student guide's way to try it), so its outputs and
files are the quick run's, not what the handout asks for. A written answer is
*blank* when its cell holds nothing but the line the notebook came with (nbgrader_config.py's
``ClearSolutions.text_stub``). :func:`lines` says both in the student's words, for the hand-in list.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .tex_text import plain

TEXT_STUB = "_Write your answer here, replacing this line (Markdown and LaTeX welcome)._"  # nbgrader_config.py's
RUN_ALL = "Run all its cells (in Colab: Runtime > Run all), save it and check again"


@dataclass(frozen=True)
class Unfinished:
    ran: bool                 # some code cell has an output or an execution count
    tests_not_run: tuple = ()  # in a run notebook, the labels of test cells without any output
    blank: tuple = ()         # the labels of the written answers still blank, in notebook order
    written: int = 0          # how many written answers the notebook has
    quick: tuple = ()         # the numbers (from 1) of code cells that set DGMLAB_FAST (quick mode)
    quick_setup: int = 0      # the number of the setup cell if its saved output says mode=fast, else 0

    @property
    def in_quick_mode(self) -> bool:
        return bool(self.quick or self.quick_setup)


def _meta(cell) -> dict:
    """The cell's nbgrader metadata, ``{}`` when missing or not a mapping (a notebook a student's tools mangled)."""
    meta = cell.get("metadata")
    got = meta.get("nbgrader") if isinstance(meta, dict) else None
    return got if isinstance(got, dict) else {}


def _ran(cell) -> bool:
    return bool(cell.get("outputs")) or cell.get("execution_count") is not None


# a line that sets DGMLAB_FAST: %env, os.environ[...] = , setdefault, update, putenv (not one that only reads it)
_SETS_FAST = re.compile(r"""^\s*%(?:set_)?env\s+DGMLAB_FAST\s*[= ]\s*\S|environ\s*\[\s*['"]DGMLAB_FAST['"]\s*\]\s*=(?!=)"""
                        r"""|(?:setdefault|putenv)\(\s*['"]DGMLAB_FAST['"]|update\(.*DGMLAB_FAST""", re.M)


def _sets_quick(cell) -> bool:
    return bool(_SETS_FAST.search(cell.source))


def _said_quick(cell) -> bool:
    """The setup cell, whose saved output says it ran in quick mode (``mode=fast``)."""
    said = "".join(str(o.get("text", "")) for o in cell.get("outputs", []) if isinstance(o, dict))
    return _meta(cell).get("grade_id") == "setup" and "mode=fast" in said


def is_blank(text: str) -> bool:
    """Whether a written answer's cell holds nothing but the line it came with, or nothing at all."""
    return not text.replace(TEXT_STUB, "").strip()


def _short(heading: str) -> str:
    """``Q1`` of ``Q1. Change of variables (30 points)``, ``P2(a)`` of ``P2(a) (5 points, written)``, ``Q3.3`` of
    ``Q3.3 (5 points, written): the proof``: the name a heading starts with, or ``""`` (``Seeing the gap``)."""
    match = re.match(r"[A-Z]\d+(?:\.\d+)*(?:\([a-z]{1,4}\))?", plain(heading).strip())
    return match[0] if match else ""


_PART = re.compile(r"^\s*\*\*\(([a-z]{1,4})\)")  # **(a) (4 points)** ...


def labels(nb) -> dict:
    """``{cell index: label}`` of each graded cell, as the student finds it in the notebook: the nearest ``###``
    heading's name within its question (``Q1(e)``, ``Q3.3``, ``P5(f)``), else the question's name and the part the
    markdown cell just before it asks alone (``Q1 (a)``), else the question's name (``Q3``)."""
    question, sub, part, out = "", "", "", {}
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and not _meta(cell).get("grade"):
            parts = []
            for line in cell.source.splitlines():
                if line.startswith("## "):
                    question, sub = _short(line[3:]) or plain(line[3:]).split(" (")[0].strip(), ""
                elif line.startswith("### "):
                    sub = _short(line[4:])
                elif _PART.match(line):
                    parts.append(_PART.match(line)[1])
            part = parts[0] if len(parts) == 1 else ""  # a cell asking one part: the answer below answers it
        if _meta(cell).get("grade"):
            out[i] = (f"{question} ({part})" if part else sub or question) or f"cell {i + 1}"
    return out


def of(nb) -> Unfinished:
    """What the saved notebook ``nb`` (read, not run again) still lacks: see the module docstring."""
    names = labels(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    ran = any(_ran(c) for c in code)
    tests = [names[i] for i, c in enumerate(nb.cells) if c.cell_type == "code" and _meta(c).get("grade")
             and not _meta(c).get("solution") and not c.get("outputs")]
    written = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and _meta(c).get("grade")]
    quick = tuple(i + 1 for i, c in enumerate(nb.cells) if c.cell_type == "code" and _sets_quick(c))
    setup = next((i + 1 for i, c in enumerate(nb.cells) if c.cell_type == "code" and _said_quick(c)), 0)
    return Unfinished(ran, tuple(dict.fromkeys(tests)) if ran else (),
                      tuple(names[i] for i, c in written if is_blank(c.source)), len(written), quick, setup)


def _listed(names) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def lines(got: Unfinished, on_paper: bool = False) -> tuple[list, list]:
    """The hand-in list's lines on ``got`` (each marked ok, !! or --) and what of it is missing. ``on_paper``: the
    handout lets written answers be handed in apart from the notebook (handwritten), so blank ones are not missing."""
    out, missing = [], []
    if not got.ran:
        out.append(f"  !! the notebook has not been run: no cell has an output. {RUN_ALL} (if you "
                   "did run it: Colab's Edit > Notebook settings must not omit the output when saving)")
        missing.append("the notebook's outputs (run it)")
    elif got.tests_not_run:
        out.append(f"  !! the test cells of {_listed(got.tests_not_run)} have no output: they were not run. "
                   f"{RUN_ALL}")
        missing.append("the outputs of the test cells of " + _listed(got.tests_not_run))
    else:
        out.append("  ok the notebook has been run (its outputs are saved)")
    if got.quick:
        cells = _listed([str(n) for n in got.quick])
        out.append(f"  !! the notebook sets DGMLAB_FAST (cell {cells}): it runs in quick mode, so its outputs and the "
                   f"files it saves come from the small quick run. Delete {'that cell' if len(got.quick) == 1 else 'those cells'}, "
                   "restart the runtime, run all with the full settings, save and check again")
        missing.append("a run with the full settings (the notebook sets DGMLAB_FAST)")
    elif got.quick_setup:
        out.append(f"  !! the setup cell (cell {got.quick_setup}) printed mode=fast: the notebook ran in quick mode "
                   "(DGMLAB_FAST was set where it ran), so its outputs and the files it saves come from the small "
                   "quick run. Unset DGMLAB_FAST, restart the runtime, run all with the full settings, save and "
                   "check again")
        missing.append("a run with the full settings (the notebook ran in quick mode)")
    if not got.written:
        return out, missing
    if not got.blank:
        out.append(f"  ok every written answer is filled in ({got.written})")
    elif on_paper:
        out.append(f"  -- written answers still blank in the notebook: {_listed(got.blank)}; write them in their "
                   "cells, or hand them in handwritten as the handout allows")
    else:
        out.append(f"  !! written answers still blank: {_listed(got.blank)} (the cell still says "
                   f"\"Write your answer here\"); write each in its cell")
        missing.append(f"the written answer{'s' if len(got.blank) > 1 else ''} to {_listed(got.blank)}")
    return out, missing
