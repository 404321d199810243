"""The dashboard's sections on copied work: weights shared between students or taken from the kit's published
files (:mod:`.shared_weights`, :mod:`.functional_copies`) and answers alike (:mod:`.similarity`). A reason to
look, never a grade."""
from __future__ import annotations

import dataclasses

from markupsafe import Markup

from ..html_text import render
from . import shared_weights
from . import similarity as SIM

SHARED_ROWS = 100  # pairs listed per file at most (the rest counted)


def shared_weights_html(hw: str, files: list[shared_weights.FileComparison]) -> Markup:
    """The students whose handed-in files of one name are related (identical, or weights copied and trained on),
    from :func:`dgmlab.grading.copies.shared_weights.compare`."""
    published = [m for f in files if f.hw == hw for m in f.published]
    not_finite = [(f.file, student, why) for f in files if f.hw == hw for student, why in f.not_finite]
    return render("shared_weights.html.j2", hw=hw, SW=shared_weights, rows=SHARED_ROWS,
                  files=[f for f in files if f.hw == hw and f.pairs],
                  published=published_weights_html(hw, published) if published else "", not_finite=not_finite)


def published_weights_html(hw: str, matches: list[shared_weights.PublishedMatch]) -> Markup:
    """The students who handed in weights the course kit publishes (a demo submission's or a test fixture's), or a
    network trained on from them: points a graded draw gives for those weights are not for the student's training."""
    return render("published_weights.html.j2", hw=hw, SW=shared_weights, matches=matches, refused=sum(m.refused for m in matches))


def anonymize_shared(files: list[shared_weights.FileComparison],
                     names: dict[str, str]) -> list[shared_weights.FileComparison]:
    """``files`` with every student id replaced by its pseudonym, in the pairs and in the file names (a copied
    file may carry its author's id in its name)."""
    ids = sorted(names, key=len, reverse=True)

    def scrub(text: str) -> str:
        for sid in ids:
            text = text.replace(sid, names[sid])
        return text

    return [dataclasses.replace(f, file=scrub(f.file), pairs=[
        dataclasses.replace(p, file=scrub(p.file), students=tuple(names[x] for x in p.students)) for p in f.pairs],
        published=sorted((dataclasses.replace(m, file=scrub(m.file), student=names[m.student]) for m in f.published),
                         key=lambda m: m.student),  # the real ids' order would hint at who is who
        not_finite=sorted((names[s], scrub(why)) for s, why in f.not_finite))
        for f in files]


SIMILAR_ROWS, SIMILAR_TEXTS = 100, 20  # rows listed per homework, and of those shown side by side (the rest counted)


def similarity_html(hw: str, results: list[SIM.HomeworkSimilarity], texts: bool = True) -> Markup:
    """Students whose answers are alike a classmate's or the kit's own solutions, from
    :func:`dgmlab.grading.copies.similarity.compare`; ``texts``: show the matching lines side by side."""
    mine = [r for r in results if r.hw == hw]
    return render("similarity.html.j2", hw=hw, SIM=SIM, rows=SIMILAR_ROWS,
                  results=[(r, _sides(r.matches[:SIMILAR_TEXTS]) if texts else None) for r in mine])


def _sides(matches: list[SIM.Match]) -> list[tuple[object, ...]]:
    """Each match with its two matching texts as markup: copydetect HTML-escapes the texts and adds only ``<mark>``
    around the matching parts, so they are marked safe here (escaping them again would show the tags)."""
    return [(m, *(Markup(side) for side in SIM.with_texts(m).texts)) for m in matches]


def anonymize_similar(results: list[SIM.HomeworkSimilarity], names: dict[str, str]) -> list[SIM.HomeworkSimilarity]:
    """``results`` with every student id replaced by its pseudonym; kit notebooks keep their paths."""
    return [dataclasses.replace(r, skipped=[], matches=[dataclasses.replace(
        m, student=names[m.student], other=names[m.other] if m.kind == "student" else m.other, parts=[])
        for m in r.matches]) for r in results]
