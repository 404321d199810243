"""Authoring the course: build source notebooks from their sources and write the demo's examples.

The cycle, one command a step (``make notebooks`` runs steps 2-4, then rewrites the hostile corpus with
``tools/make_hostile_corpus.py``):

1. edit ``homeworks/<hw>/`` (percent files: statements, solutions, tests; ``proofs.py``);
2. ``dgmlab build [hw]`` writes ``source/<hw>/<hw>.ipynb`` (:mod:`.build`; ``--record-outputs``
   also stores the output nbval compares);
3. ``dgmlab release [hw]`` writes the student notebooks ``release/`` (nbgrader);
4. ``dgmlab examples [hw]`` writes the demo's submissions ``examples/`` (:mod:`.examples`);
5. ``pytest tests/authoring/test_proofs.py -k <hw>`` proves every graded cell.

Steps 2-4 (and the hostile corpus's script) have ``--check``: it only says whether what is committed is
current, and ``make check-notebooks`` runs them all. CI checks the same in tests/kit/test_repo.py (the corpus
in tests/grading/test_hostile.py). Step 5 is itself a test: it has no ``--check``.
"""
from .build import BuildError, Homework, homeworks
from .fixtures import fixture_copier
from .notebook import CHECK_MARKER, SETUP_SOURCE, Notebook, clean_source, is_checked, recorded_outputs

__all__ = ["BuildError", "CHECK_MARKER", "Homework", "Notebook", "SETUP_SOURCE", "clean_source", "fixture_copier",
           "homeworks", "is_checked", "recorded_outputs"]
