"""Answer groups on a question's grading page: the same answer graded once, a similar one proposed for the same items.

**Identical** answers are those whose text is the same after :func:`normalized` (whitespace; the prose's case
and Markdown emphasis; the TeX spellings that typeset alike: ``x^{2}`` and ``x^2``, ``\\tfrac`` and ``\\frac``, ``\\left(`` and
``(``, thin spaces). A group's decision is the decision on each of its members: the page applies an item to every
member that still has the group's items (a member graded apart keeps its own).

**Similar** answers are proposed, never applied: an answer (or a group of them) whose character 5-grams overlap a
larger group's answer by at least :data:`SIMILAR` (Jaccard index, computed for every pair at once as a sparse product with scipy) is shown after
that group with the offer to take its items, which the TA confirms per answer (or grades it apart).
The threshold is calibrated on the answer corpus (``tests/corpora/written_answers/``, written by someone who had not
read this code): ``benchmarks/bench_answer_groups.py``.
"""
from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from ...unfinished import TEXT_STUB

MAX_GROUPED = 20_000  # characters of an answer compared (as many as the page renders); a longer one is kept apart
SIMILAR = 0.6  # Jaccard index of 5-grams from which an answer is proposed for a group's items (calibration: module)
SHINGLE = 5  # characters of a shingle
_DELIMITERS = re.compile(r"\$\$|\\\[|\\\]|\\\(|\\\)")  # $$, \[, \], \(, \): all one "$"
_TEX_SAME = [  # spellings that typeset alike (or nearly), folded inside math before comparing
    (re.compile(r"\\[dt]frac"), r"\\frac"),
    (re.compile(r"\\(?:left|right|big|Big|bigg|Bigg)(?:[lr])?(?=[^a-zA-Z])"), ""),
    (re.compile(r"\\[,;:!> ]|~"), ""),
    (re.compile(r"\\(?:mathrm|text|operatorname|textrm|mathit)\{([^{}]*)\}"), r"\1"),
    (re.compile(r"([_^])\{(\\[a-zA-Z]+|[a-zA-Z0-9])\}"), r"\1\2"),  # x^{2} -> x^2, e^{\mu} -> e^\mu (not x^{2y})
    (re.compile(r"\\(?:displaystyle|textstyle)"), ""),
]
_ENDS_A_COMMAND = re.compile(r"(\\[a-zA-Z]+)\s+(?=[a-zA-Z])")  # \alpha b: the space is the command's end
_EMPHASIS = re.compile(r"\*\*|__|(?<![A-Za-z0-9])[*_](?![A-Za-z0-9])")  # Markdown emphasis, in prose
PLACEHOLDERS = (TEXT_STUB, "YOUR ANSWER HERE", "")  # the kit's release placeholder, nbgrader's default, nothing


def normalized(source: str) -> str:
    """``source`` folded as :mod:`this module <.answer_groups>` says: two answers with the same result read alike.
    Case and Markdown emphasis are folded in the prose only: in math, ``X`` and ``x`` are different symbols. In
    math, spaces go except where TeX reads them: one that ends a command before a letter (``\\fr ac`` is not
    ``\\frac``) and one just inside a ``$`` (``$ x $`` may stay text)."""
    parts = _DELIMITERS.sub("$", source).split("$")
    for k, part in enumerate(parts):
        parts[k] = _math(part) if k % 2 else " ".join(_EMPHASIS.sub("", part).casefold().split())
    return "$".join(parts)


def _math(part: str) -> str:
    lead, trail = (" " if part[:1].isspace() else ""), (" " if part[-1:].isspace() else "")
    for pattern, repl in _TEX_SAME:
        part = pattern.sub(repl, part)
    part = _ENDS_A_COMMAND.sub("\\1\0", part)
    return lead + "".join(part.split()).replace("\0", " ") + trail


def is_blank(source: str) -> bool:
    """Whether an answer says nothing: empty, or a release's placeholder alone (:data:`PLACEHOLDERS`; a "TODO" or
    "I don't know" is an answer, graded as any other)."""
    return normalized(source) in _BLANK


_BLANK = {normalized(p) for p in PLACEHOLDERS}


@dataclass
class Group:
    """Answers with one text after :func:`normalized`: ``members`` in the page's order, the first shows the text."""
    id: str
    members: list
    blank: bool = False
    apart: bool = False  # an answer never grouped: its text is not all of it (see group)
    proposed: dict = field(default_factory=dict)  # student -> similarity, for answers offered this group's items

    @property
    def leader(self) -> str:
        return self.members[0]


@dataclass
class Grouping:
    groups: list  # Group, in the order of their first member
    of: dict  # student -> the Group they are a member of (identical answers only)
    proposal: dict  # student -> (Group, similarity): a similar answer (a group's first) offered that group's items

    def share(self) -> dict:
        """How many answers a TA grades through a group: members after a group's first, and proposed answers (with
        their groups)."""
        members = sum(len(g.members) - 1 for g in self.groups)
        return {"answers": len(self.of), "identical": members,
                "proposed": sum(len(self.of[s].members) for s in self.proposal),
                "groups": sum(1 for g in self.groups if len(g.members) > 1)}


def _shingles(text: str) -> set:
    if len(text) <= SHINGLE:
        return {zlib.crc32(text.encode())}
    return {zlib.crc32(text[i:i + SHINGLE].encode()) for i in range(len(text) - SHINGLE + 1)}


def jaccard(texts: list) -> np.ndarray:
    """The Jaccard index of the 5-gram sets of every pair of ``texts`` (a dense ``n x n`` array; 1 on the diagonal)."""
    sets = [_shingles(t) for t in texts]
    vocab: dict = {}
    rows, cols = [], []
    for r, s in enumerate(sets):
        for h in s:
            rows.append(r)
            cols.append(vocab.setdefault(h, len(vocab)))
    m = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(texts), max(len(vocab), 1)))
    inter = (m @ m.T).toarray()
    size = np.asarray(m.sum(axis=1)).ravel()
    union = size[:, None] + size[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def group(answers: dict, threshold: float = SIMILAR, apart=()) -> Grouping:
    """The groups of ``answers`` (``{student: source}`` in the page's order; a student with no answer is left out).

    Identical answers (:func:`normalized`) make one group; then, from the largest group down, every group no larger
    and not yet proposed whose 5-grams overlap a group's text by ``threshold`` or more is proposed for that group. Blank
    answers (:func:`is_blank`) are one group of their own and never proposed or proposed for. An answer of ``apart``
    (its text is not all of it: pasted images, a file handed in for the question) or longer than
    :data:`MAX_GROUPED` is a group of its own, never proposed or proposed for: the same text ("see my PDF", one
    pasted photo named image.png) can carry different work."""
    apart = set(apart) | {s for s, source in answers.items() if len(source) > MAX_GROUPED}
    alone = [Group("", [s], apart=True) for s in answers if s in apart]
    answers_grouped = {s: source for s, source in answers.items() if s not in apart}
    by_text: dict = {}
    blank: list = []
    for student, source in answers_grouped.items():
        if is_blank(source):
            blank.append(student)
        else:
            by_text.setdefault(normalized(source), []).append(student)
    groups = [Group(f"g{k}", members) for k, members in enumerate(by_text.values(), 1)]
    if blank:
        groups.append(Group(f"g{len(groups) + 1}", blank, blank=True))
    units = list(groups)  # the non-blank groups first, in the order of `texts`
    groups += alone
    of = {s: g for g in groups for s in g.members}
    proposal: dict = {}
    texts = list(by_text)
    if len(texts) > 1:
        sim = jaccard(texts)
        units = units[:len(texts)]
        leaders = sorted(range(len(units)), key=lambda k: (-len(units[k].members), k))
        for k in leaders:
            if units[k].leader in proposal:
                continue
            for j in np.argsort(-sim[k], kind="stable"):
                j = int(j)
                if sim[k, j] < threshold:
                    break
                if j == k or units[j].leader in proposal or units[j].proposed or len(units[j].members) > len(
                        units[k].members):
                    continue
                proposal[units[j].leader] = (units[k], float(sim[k, j]))
                units[k].proposed[units[j].leader] = float(sim[k, j])
    position = {s: k for k, s in enumerate(answers)}
    groups.sort(key=lambda g: position[g.leader])
    for k, g in enumerate(groups, 1):
        g.id = f"g{k}"
    return Grouping(groups, of, proposal)
