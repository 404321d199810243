"""Student-visible size of each release notebook: cells, and words of markdown and of code.

    python tools/count_student_words.py [hw ...]

A word is a run of non-blank characters; code counts every cell a student sees (given code, answer
stubs and test calls), so the figure is what a student reads, not what they write.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

import homeworks

ROOT = Path(__file__).resolve().parents[1]


def count(path: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    words = {"markdown": 0, "code": 0}
    for cell in nb.cells:
        if cell.cell_type in words:
            words[cell.cell_type] += len(cell.source.split())
    return {"cells": len(nb.cells), **words, "words": words["markdown"] + words["code"]}


def main(argv: list[str]) -> None:
    print(f"{'homework':14} {'cells':>5} {'markdown':>8} {'code':>6} {'words':>6}")
    for hw in argv or homeworks.names():
        c = count(ROOT / "release" / hw / f"{hw}.ipynb")
        print(f"{hw:14} {c['cells']:5d} {c['markdown']:8d} {c['code']:6d} {c['words']:6d}")


if __name__ == "__main__":
    main(sys.argv[1:])
