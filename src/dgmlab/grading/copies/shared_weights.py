"""Trained weights two submissions share: a network handed in by two students, copied and perhaps trained further.

Every training cell starts its networks from a seed of the run's own (:func:`dgmlab.runtime.run_seed`), so the
networks two students train independently are unrelated: a layer's hidden units come out in an arbitrary order,
and the cosine between two such weight tensors is close to 0. A network copied from a classmate keeps a large
cosine with its source even after many more epochs of training. Measured (``benchmarks/calibrate_shared_weights.py``,
docs/novelty.md "Weights shared between students"): independent runs of hw1, hw4 and hw5 at most 0.05; a copy of
epoch 1 trained on to the end of the run (39 to 49 more epochs) at least 0.29.

For every file name at the top of two or more submissions (``submitted/<student>/<hw>/*.pt``), every pair of
students gets:

- ``identical``: the two files are the same bytes (whatever they hold);
- ``similarity``, for files holding a flat state dict: the median, over the weight matrices and kernels of both
  files (floating tensors of 2 or more dimensions and at least :data:`MIN_NUMEL` numbers, not binary masks;
  biases and normalization vectors look alike in any two runs), of each tensor's largest cosine with a tensor of
  the same shape in the other file. Names and order of the tensors do not matter; files with no shape in common
  give no similarity.

Each student's file is also compared with the weights the course kit itself publishes (:func:`published_files`:
its example submissions' and test fixtures', public wherever the kit is, and good enough to pass the graded bars).

Pairs at or above :data:`THRESHOLD`, and identical files, are reported (``dgmlab report``, the dashboard). A report
is a reason to look, not a verdict, and it changes no grade: two students who each fixed the same seed by hand
and ran the same code start from the same weights too. When most pairs of a file are alike (a class that ran a
notebook from before ``run_seed``, or a hub that sets ``DGMLAB_SEED`` for everyone), the students share their
starting weights and the pairs say nothing: :attr:`FileComparison.common_start`. Permuting a copied network's
hidden units (with the next layer's inputs) hides it from this measure, so every file that loads into the kit's
architecture for its homework is also compared by what it computes (:mod:`dgmlab.grading.copies.functional_copies`: its
outputs on inputs drawn from the course key): pairs whose ``agreement`` reaches their network's threshold are reported too,
and a file whose outputs agree with a published network's at least that network's refusal bound
(``KitNetwork.refuse``: 0.5 for a generator, where no two independent trainings reach 0.11, and a published
generator with noise added to its weights still clears its bar at 0.71; ``SAME`` for hw5's networks) is refused
like a copy. A generator's noise rotated (``G(Qz)``: the same images, other outputs on the check's noise) with its
hidden units permuted hides it from both measures, so generators are also compared by what their hidden units do
(``weight_vectors.unit_distance``, :mod:`.hidden_units`: each unit's correlation with the drawn images over many
draws, blind to names, scales, order, rotated noise and units the function does not use): up to :data:`UNITS_COPY`
they are listed, and refused when one is published. A file whose network gives NaN or inf on any of those inputs
is refused for its cell (:class:`~dgmlab.grading.copies.networks.NotFinite`) and listed by the report
(:attr:`FileComparison.not_finite`), never skipped. Every file is read through :mod:`dgmlab.weights_files` (no zip bomb, nothing over the cap).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ... import weights_files
from ..inert import terminal
from ..layout import Course, CourseError
from . import functional_copies
from .weight_vectors import (  # noqa: F401
    MAX_BYTES,
    MIN_NUMEL,
    SAMPLE,
    UNITS_COPY,
    Weights,
    cross_values,
    pair_values,
    printable,
    read_weights,
    similarity,
    unit_distance,
    units,
    weights_of,
)

THRESHOLD = 0.1  # independent runs: <= 0.05; a copy trained 39-49 more epochs: >= 0.29 (see the docstring)
COMMON_START = 0.5  # more than half of a file's pairs alike: the class shares its starting weights
PUBLISHED_COPY = 0.99  # a kit's published network itself (renamed, converted, barely trained on): not graded


@dataclass
class SharedPair:
    """Two students whose files of the same name hold related weights."""

    hw: str
    file: str
    students: tuple[str, str]
    similarity: float | None  # None: nothing comparable (identical is then the reason to report)
    identical: bool
    tensors: int  # weight tensors compared (both files together)
    agreement: float | None = None  # of their outputs (functional_copies); None: not both load into the kit's network
    units: float | None = None  # hidden-unit distance of two generators (weight_vectors); None: not compared


@dataclass
class PublishedMatch:
    """A student's file related to weights the course kit itself publishes (an example submission's or a test
    fixture's): a network the student did not train, perhaps trained on."""

    hw: str
    file: str
    student: str
    source: str  # the published file, relative to the course directory
    similarity: float | None  # rounded for the page
    identical: bool
    tensors: int
    refused: bool  # what dgmlab autograde does not grade: identical, at least PUBLISHED_COPY alike, or the same outputs
    agreement: float | None = None  # of their outputs (functional_copies), rounded; None: not compared
    units: float | None = None  # hidden-unit distance of two generators (weight_vectors), rounded; None: not compared


@dataclass
class FileComparison:
    """One file name of one homework, compared across the students who handed it in and with the kit's own files."""

    hw: str
    file: str
    students: int
    pairs: list = field(default_factory=list)  # the SharedPairs reported, most alike first
    published: list = field(default_factory=list)  # PublishedMatches, one per student at most, by student
    unread: list = field(default_factory=list)  # (student, why): files refused unread (weights_files), by student
    not_finite: list = field(default_factory=list)  # (student, why): NaN or inf on the grader's inputs: refused
    by_function: bool = True  # False: the homework declares no networks (homeworks/<hw>/hidden/networks.py)

    @property
    def common_start(self) -> bool:
        """Most pairs alike: the students started from common weights, so the pairs do not single anyone out."""
        every = self.students * (self.students - 1) // 2
        return self.students >= 4 and len(self.pairs) > COMMON_START * every


def weight_files(course: Course, hw: str) -> dict[str, dict[str, Path]]:
    """{file name: {student: path}} for the ``.pt`` files at the top of each ``submitted/<student>/<hw>/``."""
    files: dict[str, dict[str, Path]] = {}
    for student in course.submitted(hw):
        for path in sorted(course.folder("submitted", hw, student).glob("*.pt")):
            if path.is_file() and path.stat().st_size <= MAX_BYTES:
                files.setdefault(path.name, {})[student] = path
    return files


def _related(identical: bool, sim: float | None, bound: float, agreement: float | None = None,
             functional: float = functional_copies.SAME, units: float | None = None) -> bool:
    """Two files count as related: the same bytes, weights at least ``bound`` alike, outputs at least
    ``functional`` in agreement (functional_copies), or generators' hidden units at most :data:`UNITS_COPY` apart."""
    return (identical or (sim is not None and sim >= bound) or (agreement is not None and agreement >= functional)
            or (units is not None and units <= UNITS_COPY))


# The kit's published weights files, as globs relative to the course ({hw}: the homework id, {prefix}: its "hwN"):
# the default of nbgrader_config.py's c.PublishedWeights.patterns
PUBLISHED_PATTERNS = ("examples/*/{hw}/*.pt", "tests/fixtures/{prefix}_*.pt")


def published_files(course: Course, hw: str) -> list[Path]:
    """The course kit's own files for ``hw`` in the course directory, public wherever the kit is: by default the
    example submissions' and the test fixtures' (:data:`PUBLISHED_PATTERNS`; a course sets its own list as
    ``c.PublishedWeights.patterns`` in nbgrader_config.py). Among them are trained reference networks that clear
    the graded bars, so a student could hand one in."""
    setting = course.config().get("PublishedWeights", {}).get("patterns", PUBLISHED_PATTERNS)
    if isinstance(setting, str) or not all(isinstance(p, str) for p in setting):
        raise CourseError("nbgrader_config.py: c.PublishedWeights.patterns must be a list of glob strings such as "
                          f"{list(PUBLISHED_PATTERNS)!r}")
    found = []
    for pattern in setting:
        found += sorted(course.root.glob(pattern.format(hw=hw, prefix=hw.split("_")[0])))
    return [p for p in dict.fromkeys(found) if p.is_file() and p.stat().st_size <= MAX_BYTES]


def published_weights(course: Course, hw: str, key: bytes | None = None) -> list[tuple[str, Weights]]:
    """``[(path relative to the course, weights)]`` of :func:`published_files`, read once per grading run, each
    with its outputs where it loads into one of the kit's networks for ``hw`` (on inputs from the course's draw
    key, or ``key``: :func:`~dgmlab.grading.copies.functional_copies.kit_networks`)."""
    networks = functional_copies.kit_networks(course, hw, key)
    return [(p.relative_to(course.root).as_posix(), w) for p in published_files(course, hw)
            if (w := read_weights(p, networks, lazy=True)) is not None]


def published_copy(data: bytes, published: list, name: str = "the file") -> str | None:
    """The published file (of :func:`published_weights`) that the handed-in file ``data`` is a copy of: the same
    bytes, weights at least :data:`PUBLISHED_COPY` alike (the same network renamed, converted or barely trained
    on), or outputs in agreement at least the published network's ``refuse`` bound (functional_copies: the same
    network with its hidden units permuted or rescaled, noise added to its weights, or trained on only a little),
    or a generator's hidden units at most :data:`UNITS_COPY` apart (its noise rotated, its units permuted,
    rescaled or sacrificed);
    None when it is none of them. ``dgmlab autograde`` refuses to grade such a file (see
    draw_seeds). Raises ``weights_files.RefusedFile`` for a file that is not unpickled (``name`` in the message),
    and :class:`~dgmlab.grading.copies.networks.NotFinite` for one whose network gives NaN or inf on any input the
    check draws (the outputs' or, a generator's, its hidden units' many draws)."""
    if not published:
        return None
    networks = list({w.function.network.kind: w.function.network for _, w in published if w.function}.values())
    mine = weights_of(data, networks, name, lazy=True)
    if mine.unread:
        raise weights_files.RefusedFile(mine.unread)
    if mine.not_finite:  # NaN or inf on the outputs' inputs
        raise functional_copies.NotFinite(mine.not_finite)
    values = cross_values([mine], [w for _, w in published])
    for related in (lambda j, w: _related(mine.digest == w.digest, values[(0, j)][0], PUBLISHED_COPY,
                                          _agreement(mine, w), _refuse(w)),
                    lambda j, w: _related(False, None, PUBLISHED_COPY, units=unit_distance(mine, w))):
        for j, (rel, w) in enumerate(published):  # the hidden units (many draws) only where nothing else tells
            if related(j, w):
                return rel
    units(mine)  # every draw of a generator taken, compared or not: NaN or inf on any of them refuses it
    if mine.not_finite:
        raise functional_copies.NotFinite(mine.not_finite)
    return None


def _agreement(a: Weights, b: Weights) -> float | None:
    """The agreement of two files' outputs (functional_copies), or None where either has none."""
    return functional_copies.agreement(a.function, b.function) if a.function and b.function else None


def _bound(w: Weights) -> float:
    """The agreement from which a file's pairs are listed: its kit network's threshold."""
    return w.function.network.threshold if w.function else functional_copies.SAME


def _refuse(published: Weights) -> float:
    """The agreement with the published file ``published`` from which a handed-in file is refused: its kit
    network's calibrated bound (functional_copies.KitNetwork.refuse)."""
    return published.function.network.refuse if published.function else functional_copies.SAME


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def compare(course: Course, hws, threshold: float = THRESHOLD) -> list[FileComparison]:
    """For each homework and file name handed in: the pairs of students whose files are identical, whose weights
    are at least ``threshold`` alike or whose outputs agree at least their kit network's ``threshold``
    (functional_copies), most alike first, and the students whose file is so related to one the kit publishes
    (:func:`published_files`; the most alike one is named)."""
    out = []
    for hw in hws:
        published = published_weights(course, hw)
        networks = functional_copies.kit_networks(course, hw)
        declared = functional_copies.declared(hw) is not None  # else: compared by weights only, and the report says so
        for name, paths in sorted(weight_files(course, hw).items()):
            loaded = {s: w for s, p in sorted(paths.items())
                      if (w := read_weights(p, networks, cache=course.root / ".dgmlab" / "cache" / "units")) is not None}
            if not loaded:
                continue
            students, weights = list(loaded), list(loaded.values())
            found = FileComparison(hw, printable(name), len(students), by_function=declared)
            found.unread = [(s, w.unread) for s, w in loaded.items() if w.unread]
            found.not_finite = [(s, w.not_finite) for s, w in loaded.items() if w.not_finite]
            agree = functional_copies.agreements([w.function for w in weights])
            for (i, j), (sim, n) in pair_values(weights).items():
                identical = weights[i].digest == weights[j].digest
                units = unit_distance(weights[i], weights[j], aligned=False)  # n^2 pairs: published ones aligned
                if _related(identical, sim, threshold, agree.get((i, j)), _bound(weights[i]), units):
                    found.pairs.append(SharedPair(hw, found.file, (students[i], students[j]), _rounded(sim),
                                                  identical, n, _rounded(agree.get((i, j))), _rounded(units)))
            found.pairs.sort(key=lambda p: (not p.identical, -max(p.similarity or 0, p.agreement or 0), p.students))
            if published:
                values = cross_values(weights, [w for _, w in published])
                for i, student in enumerate(students):
                    matches = [PublishedMatch(hw, found.file, student, source, _rounded(sim), identical, n,
                                              _related(identical, sim, PUBLISHED_COPY, agr, _refuse(w), spec),
                                              _rounded(agr), _rounded(spec))
                               for j, (source, w) in enumerate(published)
                               for sim, n in [values[(i, j)]]
                               for agr, spec in [(_agreement(weights[i], w), unit_distance(weights[i], w))]
                               if _related(identical := weights[i].digest == w.digest, sim, threshold, agr,
                                           _bound(weights[i]), spec)]
                    if matches:  # the closest published file: identical first, then the most alike
                        found.published.append(min(matches, key=lambda m: (
                            not m.identical, -max(m.similarity or 0, m.agreement or 0))))
            if found.pairs or found.published or found.unread or found.not_finite or len(students) >= 2:
                out.append(found)
    return out


def shared_pairs(course: Course, hws, threshold: float = THRESHOLD) -> list[SharedPair]:
    """Every reported pair of every homework's files (see :func:`compare`)."""
    return [p for f in compare(course, hws, threshold) for p in f.pairs]


def format_report(files: list[FileComparison]) -> str:
    """One line per pair (or per file whose students share their starting weights), for the terminal (file names
    and reasons come from submissions: printed as text, no control characters)."""
    lines = []
    for f in files:
        if f.common_start:
            lines.append(f"  {f.hw} {f.file}: {len(f.pairs)} of {f.students * (f.students - 1) // 2} pairs alike: "
                         "these students started from common weights (a notebook from before run_seed, or "
                         "DGMLAB_SEED set for all), so the pairs say nothing about copying")
            continue
        lines += [f"  {p.hw} {p.file}: {p.students[0]} and {p.students[1]}: "
                  + ("identical files" if p.identical else _measures(p)) for p in f.pairs]
    for f in files:
        lines += [f"  {m.hw} {m.file}: {m.student}'s is " + (
            f"the kit's published {m.source}: dgmlab autograde does not grade it (not a network the student trained)"
            if m.refused else
            f"alike ({_measures(m)}) to the kit's published {m.source}: a network trained on "
            "from it? (graded; check by hand)") for m in f.published]
        lines += [f"  {f.hw} {f.file}: {student}'s was not read: {why}" for student, why in f.unread]
        lines += [f"  {f.hw} {f.file}: {student}'s is not graded (its cell earns 0): {why}"
                  for student, why in f.not_finite]
    for hw in dict.fromkeys(f.hw for f in files if not f.by_function):
        lines.append(f"  {hw}: its .pt files are compared by their weights only, not by what they compute (no "
                     "networks declared: a kit homework's hidden/networks.py), so a copy with permuted units is missed")

    return "\n".join(terminal(line) for line in lines)


def _measures(p) -> str:
    """A pair's weight similarity and, where both files load into the kit's network, their outputs' agreement."""
    sim = "weight similarity " + ("-" if p.similarity is None else f"{p.similarity:.2f}")
    return (sim + ("" if p.agreement is None else f", outputs agreement {p.agreement:.2f}")
            + ("" if p.units is None else f", hidden-unit distance {p.units:.3f}"))
