"""ProbeTests (autograde, before ``Execute``): the kernel gets only each check() test cell's probe call.

It keeps each such cell's source as nbgrader restored it from the gradebook (the instructor's) for
:class:`~dgmlab.grading.preprocessors.judge_tests.JudgeTests`, and gives the kernel only the probe call, with this
grading's seed (:func:`dgmlab.probes.grading_source`). The hidden tests (:mod:`dgmlab.grading.hidden`) never reach
the kernel. Which cells are check() cells: :func:`dgmlab.grading.judge.judge.probe_cell`.
"""
from __future__ import annotations

from traitlets import Integer

from ... import probes
from .. import nbgrader_preprocessing
from ..judge.judge import RESOURCE, grade_id, probe_cell


class ProbeTests(nbgrader_preprocessing.NbGraderPreprocessor):
    """Before execution: the kernel gets only each check() test cell's probe call (see the module)."""

    seed = Integer(0, help="Seed of the inputs the probes and the grader make; dgmlab autograde sets one per "
                           "submission from the course key (plain nbgrader: 0, the seed students see)."
                   ).tag(config=True)

    def preprocess(self, nb, resources):
        resources[RESOURCE] = {"seed": int(self.seed), "cells": {}}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if probe_cell(cell):
            resources[RESOURCE]["cells"][grade_id(cell)] = cell.source
            cell.source = probes.grading_source(cell.source, self.seed)
        return cell, resources
