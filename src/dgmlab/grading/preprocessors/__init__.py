"""nbgrader preprocessors the course config (nbgrader_config.py) plugs in, one family per module as in
nbgrader's own ``nbgrader.preprocessors``:

- :mod:`.install_source` ``SetInstallSource`` (generate_assignment): the course's dgmlab install source;
- :mod:`.answer_dependent` ``TagAnswerDependentCells`` (generate_assignment): release cells nbval may see raise;
- :mod:`.trusted_cells` ``TrustSourceCells`` (autograde's sanitizing): cell metadata from the gradebook, never the
  submission;
- :mod:`.deduplicate_ids` ``DeduplicateIds`` (autograde's sanitizing): a copied graded cell is ignored;
- :mod:`.timed_execute` ``TimedExecute`` (autograde, in grading workers): ``Execute``, timed, output capped;
- :mod:`.unjudged` ``ZeroUnjudgedTests`` (autograde): a test cell the grader did not judge earns 0;
- :mod:`.hidden_tests` ``HideHiddenTests`` (generate_feedback): no hidden test source.

The others the config names live with what they serve: ``ProbeTests``/``JudgeTests`` in
:mod:`dgmlab.grading.judge.judge`, ``SealWorkingFolder`` in :mod:`dgmlab.grading.autograde.workdir`, ``LimitOutputBytes``
in :mod:`dgmlab.grading.autograde.output_limits`. Every name is re-exported here, so ``dgmlab.grading.preprocessors.X``
keeps working.
"""
from __future__ import annotations

from .answer_dependent import CHECK_MARKER, RAISES_TAG, TagAnswerDependentCells, may_run_a_stub
from .deduplicate_ids import DeduplicateIds
from .hidden_tests import HIDDEN_NOTE, HideHiddenTests, hidden_delimiters, strip_hidden
from .install_source import (
    INSTALL_LINE,
    PLACEHOLDER,
    RETIRED,
    InstallSourceError,
    SetInstallSource,
    how_to_set,
    install_source_problem,
)
from .timed_execute import TIMINGS_ENV, TimedExecute, timed_autograde_preprocessors
from .trusted_cells import TrustSourceCells, trusted_sanitize_preprocessors
from .unjudged import UNJUDGED, ZeroUnjudgedTests

__all__ = ["CHECK_MARKER", "DeduplicateIds", "HIDDEN_NOTE", "HideHiddenTests", "INSTALL_LINE", "InstallSourceError",
           "PLACEHOLDER", "RAISES_TAG", "RETIRED", "SetInstallSource", "TIMINGS_ENV", "TagAnswerDependentCells",
           "TimedExecute", "TrustSourceCells", "UNJUDGED", "ZeroUnjudgedTests", "hidden_delimiters", "how_to_set",
           "install_source_problem", "may_run_a_stub", "strip_hidden", "timed_autograde_preprocessors",
           "trusted_sanitize_preprocessors"]
