"""Every nbgrader plug-in of dgmlab (what nbgrader_config.py names), one per module, in the order nbgrader runs them:

- :mod:`.install_source` ``SetInstallSource`` (generate_assignment): the course's dgmlab install source;
- :mod:`.answer_dependent` ``TagAnswerDependentCells`` (generate_assignment): release cells nbval may see raise;
- :mod:`.due_date` ``ShowDueDate`` (generate_assignment): the due date and late policy (``c.DgmlabDeadlines``);
- :mod:`.trusted_cells` ``TrustSourceCells`` (autograde's sanitizing): cell metadata from the gradebook, never the
  submission;
- :mod:`.deduplicate_ids` ``DeduplicateIds`` (autograde's sanitizing): a copied graded cell is ignored;
- :mod:`.probe_tests` ``ProbeTests`` (autograde, before ``Execute``): the kernel gets only each check() cell's probe;
- :mod:`.timed_execute` ``TimedExecute`` (autograde, in grading workers): ``Execute``, timed, output capped;
- :mod:`.working_folder` ``SealWorkingFolder`` (autograde, after ``Execute``): nbgrader writes into an empty folder;
- :mod:`.judge_tests` ``JudgeTests`` (autograde): each check() cell judged in the grader, its outputs written;
- :mod:`.output_bytes` ``LimitOutputBytes`` (autograde): cell output capped in bytes;
- :mod:`.unjudged` ``ZeroUnjudgedTests`` (autograde): a test cell the grader did not judge earns 0;
- :mod:`.hidden_tests` ``HideHiddenTests`` (generate_feedback): no hidden test source.
- :mod:`.feedback_page` ``LeaveOutBrokenParts``, ``ExactScores`` (generate_feedback): a page made without what
  nbconvert cannot draw (saying so); scores rounded as every export rounds a mark.

A plug-in is the nbgrader side only: what it calls stays with the command it serves (``ShowDueDate`` reads
:mod:`dgmlab.grading.term.deadlines`, ``JudgeTests`` hands its cells to :mod:`dgmlab.grading.judge`). The config
names each by its module path; the plug-ins that depend on no command's package are also re-exported here
(``dgmlab.grading.preprocessors.X``); the others are imported from their module, so that importing this package pulls
in no command (``pyproject.toml``'s import contracts).
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
