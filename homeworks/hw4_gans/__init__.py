"""Homework 4: an MLP GAN and its ablations, a conditional GAN, GAN theory, Kantorovich duality.

Adapted from MIT CSAIL 6.S978 Deep Generative Models (Fall 2024), Problem Set 3
(seed ../shared/seeds/003_*.txt). Points as in the seed: P0 1, P1 20, P2 15, P3 15, P4 20, P5 20.

    dgmlab build hw4_gans
    .venv/bin/python -m pytest tests/authoring/test_proofs.py -k hw4 -x -q

The notebook is this folder's percent files in order (intro.py, the q<N>_*.py, the p<N>_*.py:
dgmlab.authoring.percent.parts; that module says how a cell's
header makes it a statement, an answer, a test cell or a written answer); the proofs and the constants
the tests read are in proofs.py.
"""

P0 = "p0_runs_top_to_bottom.py"  # P0 checks the whole notebook: its part comes last, after P5


def build():
    """The notebook: the percent files in :func:`dgmlab.authoring.percent.parts`'s order, but P0 last (it checks
    that every answer above it is defined and that the results file agrees with the weights)."""
    from pathlib import Path

    from dgmlab.authoring.percent import build_homework, parts

    folder = Path(__file__).parent
    return build_homework("hw4_gans", folder, [p for p in parts(folder) if p != P0] + [P0])


def __getattr__(name):
    """The proofs' names (MUTANTS, PROOF_ARTIFACTS, ...), which the builder reads, imported only when asked for."""
    import importlib

    if name.startswith("__") or name == "proofs":
        raise AttributeError(name)
    proofs = importlib.import_module(".proofs", __name__)
    try:
        return getattr(proofs, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
