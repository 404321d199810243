"""What the judge process (:mod:`.judge_process`) loads once, before it forks any request, and how it leaves it.

It imports numpy, sympy and torch (one thread), the kit's homeworks' checks, the references their hidden tests
import, their hidden tests and what those import on first use (:data:`LAZY`, each homework's ``JUDGE_IMPORTS``), so
that no cell's time pays for them. Then it moves every object made so far out of
the garbage collector's reach (``gc.freeze``): a request's fork, which runs the collector, would otherwise write
into every one of them and so copy their pages, about 50 MiB a fork with torch and sympy loaded (Gradescope's
container counts them against its 768 MB).

:data:`HOMEWORKS_ENV` (names, comma-separated): only those kit homeworks are loaded ahead, as where one homework is
graded (a Gradescope container); a request for another loads its own in its fork, as for a course's own homework.
"""
from __future__ import annotations

import gc
import importlib
import os
from collections.abc import Mapping

from ... import probes
from .. import hidden

HOMEWORKS_ENV = "DGMLAB_JUDGE_HOMEWORKS"
# Set (to anything) where the judge serves one submission (a Gradescope container): then nothing is imported ahead
# for the forks (LAZY, JUDGE_IMPORTS): the one fork imports what it needs, and the container counts the rest against
# its memory (hw1 and hw4 peaked 130-140 MiB higher with them).
ONE_SUBMISSION_ENV = "DGMLAB_JUDGE_ONE_SUBMISSION"
# What sympy and torch import only when first called, which a fork would import again for every request: sympy's
# checksol (units), integrate (risch, manualintegrate), torch's shape broadcasting (symbolic shapes). Found with
# py-spy in the judging forks of a hw3 class: about 0.2 s of every notebook's judging under load. What one homework
# alone needs (POT: 78 MiB, which hw3 never loads; torch._dynamo, which an optimizer loads: 0.5-0.9 s of each hw1,
# hw2 and hw4 judging) is its hidden package's JUDGE_IMPORTS.
LAZY = ("sympy.physics.units", "sympy.integrals.risch", "sympy.integrals.manualintegrate", "sympy.assumptions.wrapper",
        "torch.fx.experimental.symbolic_shapes")


def homeworks(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The kit homeworks to load ahead: those :data:`HOMEWORKS_ENV` names (unknown names left out), else all."""
    named = set((os.environ if environ is None else environ).get(HOMEWORKS_ENV, "").split(","))
    chosen = tuple(hw for hw in probes.KIT_HOMEWORKS if hw in named)
    return chosen if named - {""} else tuple(probes.KIT_HOMEWORKS)


# torch's compile cache folder (torch._inductor's cache_dir): torch._dynamo makes it as it is imported, and the
# sandboxed judge can write nowhere then. Set to the judge's temporary folder, which exists (empty, read-only) in the
# judge process and is a request's own tmpfs in each fork (judge_process._own_namespaces): nothing is made at import,
# and what a request compiles goes with it.
TORCH_CACHE_ENV = "TORCHINDUCTOR_CACHE_DIR"


def warm(threads: int, environ: Mapping[str, str] | None = None, tmp: str = "") -> None:
    """Import what judging needs (torch with ``threads`` threads), then freeze what was made (see the module).
    ``tmp``: the judge's temporary folder (:data:`TORCH_CACHE_ENV`)."""
    if tmp:
        os.environ[TORCH_CACHE_ENV] = tmp
    import numpy  # noqa: F401  what every cell's judging imports, loaded once, before any cell's time starts
    import sympy  # noqa: F401
    import torch

    torch.set_num_threads(threads)  # a cell's CPU budget then means the same on 2 cores and on 64
    chosen = homeworks(environ)
    for hw in chosen:  # the kit's homeworks' checks (homeworks/<hw>/checks/ in a checkout), once
        importlib.import_module(probes.checks_package(hw))
    from ..references import transport  # noqa: F401  and the references their hidden tests import

    late: list[str] = []  # what they import on first use, unless one submission is all this judge will see
    for hw in chosen:  # and their hidden tests (homeworks/<hw>/hidden/ in a checkout)
        late += getattr(hidden.module(hw), "JUDGE_IMPORTS", ())
    if not (os.environ if environ is None else environ).get(ONE_SUBMISSION_ENV):
        for name in [*late, *LAZY]:
            importlib.import_module(name)
    gc.collect()
    gc.freeze()
