"""The dashboard's sections on copied work: weights shared between students or taken from the kit's published
files (:mod:`.shared_weights`, :mod:`.functional_copies`) and answers alike (:mod:`.similarity`). A reason to
look, never a grade."""
from __future__ import annotations

import dataclasses

from . import shared_weights as SW
from . import similarity as SIM
from .html_text import _e, _fmt


SHARED_ROWS = 100  # pairs listed per file at most (the rest counted)


def shared_weights_html(hw: str, files: list) -> str:
    """The students whose handed-in files of one name are related (identical, or weights copied and trained on),
    from :func:`dgmlab.grading.shared_weights.compare`."""
    out = ["<h3>Weights shared between students</h3><p class=\"muted\">Same-named files handed in by two "
           f"students that are identical, or whose weight tensors are alike (median best cosine at least "
           f"{SW.THRESHOLD}: independent runs measure at most 0.05, a network copied after one epoch and trained "
           "39 more 0.29), or whose outputs agree (loaded into the kit's network and run on fixed inputs: agreement "
           f"at least {SW.FC.THRESHOLD}, {SW.FC.SAME} for hw5's Real NVP; permuting or rescaling "
           "hidden units does not change it; docs/novelty.md). "
           "A reason to look, not a verdict: these pairs change no grade.</p>"]
    mine = [f for f in files if f.hw == hw and f.pairs]
    published = [m for f in files if f.hw == hw for m in f.published]
    if published:
        out.append(published_weights_html(hw, published))
    if not mine:
        return "".join(out) + "<p>No two students share weights.</p>"
    for f in mine:
        every = f.students * (f.students - 1) // 2
        if f.common_start:
            out.append(f'<p class="bad" data-hw="{_e(hw)}" data-file="{_e(f.file)}" data-stat="common_start">'
                       f"{_e(f.file)}: {len(f.pairs)} of {every} pairs alike. These students started from common "
                       "weights (a notebook from before <code>run_seed</code>, or <code>DGMLAB_SEED</code> set for "
                       "everyone), so the pairs say nothing about copying; they are not listed.</p>")
            continue
        out.append(f'<table class="shared"><tr><th>file</th><th>students</th><th>similarity</th><th>identical</th>'
                   "<th>tensors compared</th><th>outputs agreement</th></tr>")
        for p in f.pairs[:SHARED_ROWS]:
            flag = ' class="bad"' if p.identical else ""
            out.append(f'<tr data-hw="{_e(hw)}" data-file="{_e(p.file)}"><td>{_e(p.file)}</td>'
                       f'<td data-stat="students">{_e(" and ".join(p.students))}</td>'
                       f'<td class="num" data-stat="similarity">{_fmt(p.similarity, 3)}</td>'
                       f'<td{flag}>{"yes" if p.identical else "no"}</td><td class="num">{p.tensors}</td>'
                       f'<td class="num" data-stat="agreement">{_fmt(p.agreement, 3)}</td></tr>')
        out.append("</table>")
        if len(f.pairs) > SHARED_ROWS:
            out.append(f'<p class="muted">and {len(f.pairs) - SHARED_ROWS} more pairs '
                       "(<code>dgmlab report --html</code> prints them all).</p>")
    return "".join(out)


def published_weights_html(hw: str, matches: list) -> str:
    """The students who handed in weights the course kit publishes (a demo submission's or a test fixture's), or a
    network trained on from them: points a graded draw gives for those weights are not for the student's training."""
    refused = sum(m.refused for m in matches)
    out = [f'<p class="bad" data-hw="{_e(hw)}" data-stat="published_count">{len(matches)} handed in weights the course '
           f"kit itself publishes (the kit is public). {refused} of them are the published network or one made from it "
           f"(identical, median best cosine at least {SW.PUBLISHED_COPY}, or outputs agreement at least "
           f"{SW.FC.REFUSE_GENERATOR} for a generator, {SW.FC.SAME} for hw5's networks): "
           "<code>dgmlab autograde</code> does not grade such "
           f"a file (its cell earns 0; <code>dgmlab demo</code> does, its examples are the kit's own). The others "
           f"are at least {SW.THRESHOLD} alike (or their outputs agree, as above), a published network "
           "trained on: graded as usual, check them by hand.</p>",
           '<table class="shared"><tr><th>file</th><th>student</th><th>published file</th><th>similarity</th>'
           "<th>identical</th><th>refused when graded</th><th>tensors compared</th><th>outputs agreement</th></tr>"]
    for m in matches:
        flag = ' class="bad"' if m.refused else ""
        out.append(f'<tr data-hw="{_e(hw)}" data-file="{_e(m.file)}" data-stat="published"><td>{_e(m.file)}</td>'
                   f'<td data-stat="student">{_e(m.student)}</td><td><code>{_e(m.source)}</code></td>'
                   f'<td class="num">{_fmt(m.similarity, 3)}</td><td>{"yes" if m.identical else "no"}</td>'
                   f'<td{flag} data-stat="refused">{"yes" if m.refused else "no"}</td><td class="num">{m.tensors}</td>'
                   f'<td class="num" data-stat="agreement">{_fmt(m.agreement, 3)}</td></tr>')
    return "".join(out) + "</table>"


def _anonymize_shared(files: list, names: dict) -> list:
    """``files`` with every student id replaced by its pseudonym, in the pairs and in the file names (a copied
    file may carry its author's id in its name)."""
    ids = sorted(names, key=len, reverse=True)

    def scrub(text):
        for sid in ids:
            text = text.replace(sid, names[sid])
        return text

    return [dataclasses.replace(f, file=scrub(f.file), pairs=[
        dataclasses.replace(p, file=scrub(p.file), students=tuple(names[x] for x in p.students)) for p in f.pairs],
        published=sorted((dataclasses.replace(m, file=scrub(m.file), student=names[m.student]) for m in f.published),
                         key=lambda m: m.student))  # the real ids' order would hint at who is who
        for f in files]


SIMILAR_ROWS, SIMILAR_TEXTS = 100, 20  # rows listed per homework, and of those shown side by side (the rest counted)


def similarity_html(hw: str, results: list, texts: bool = True) -> str:
    """Students whose answers are alike a classmate's or the kit's own solutions, from
    :func:`dgmlab.grading.similarity.compare`; ``texts``: show the matching lines side by side."""
    out = ["<h3>Answers alike</h3><p class=\"muted\">Answer cells (code and written answers, the release notebook's "
           f"given code left out) whose fingerprints (copydetect) match a classmate's or one of the kit's public notebooks': "
           f"a graded cell at least {SIM.CELL_THRESHOLD} alike, or all answers of a notebook at least "
           f"{SIM.NOTEBOOK_THRESHOLD} (docs/similarity.md). Renaming, comments, whitespace and order do not hide a "
           "copy; a solution rewritten by hand, or taken from outside the kit, is not found. A reason to look, not a "
           "verdict: it changes no grade.</p>"]
    if not any(r.hw == hw for r in results):
        out.append('<p class="muted">Not compared (<code>dgmlab report --no-similarity</code>).</p>')
    for r in (r for r in results if r.hw == hw):
        out += [f'<p class="muted">{_e(s)}</p>' for s in r.skipped]
        if not r.matches:
            out.append(f"<p>No answers alike among {r.students} submissions.</p>")
            continue
        out.append(f'<p class="bad"><span data-hw="{_e(hw)}" data-stat="similar_students">{len(r.flagged())}</span> of '
                   f"{r.students} students have answers alike a classmate's or the kit's (notebook rows first).</p>"
                   '<table class="similar"><tr><th>student</th><th>alike</th><th>where</th><th>similarity</th>'
                   "<th>kind</th></tr>")
        for m in r.matches[:SIMILAR_ROWS]:
            out.append(f'<tr data-hw="{_e(hw)}" data-stat="similar"><td data-stat="student">{_e(m.student)}</td>'
                       f'<td data-stat="other">{_e(m.other)}</td><td data-stat="where">{_e(m.where)}</td>'
                       f'<td class="num">{_fmt(m.similarity, 3)}</td><td data-stat="kind">{_e(m.kind)}</td></tr>')
        out.append("</table>")
        if len(r.matches) > SIMILAR_ROWS:
            out.append(f'<p class="muted">and {len(r.matches) - SIMILAR_ROWS} more (reports/similarity.csv).</p>')
        if not texts:
            out.append('<p class="muted">The matching lines are shown only on the named page (they may name a '
                       "student).</p>")
            continue
        for m in r.matches[:SIMILAR_TEXTS]:
            left, right = SIM.with_texts(m).texts  # HTML-escaped by copydetect, only <mark> added
            out.append(f'<details data-hw="{_e(hw)}" data-stat="similar_lines"><summary>{_e(m.student)} and '
                       f"{_e(m.other)}: {_e(m.where)} ({_fmt(m.similarity, 3)})</summary><div class=\"side\">"
                       f'<pre tabindex="0">{left}</pre><pre tabindex="0">{right}</pre></div></details>')  # scrolled by keys too
    return "".join(out)


def _anonymize_similar(results: list, names: dict) -> list:
    """``results`` with every student id replaced by its pseudonym; kit notebooks keep their paths."""
    return [dataclasses.replace(r, skipped=[], matches=[dataclasses.replace(
        m, student=names[m.student], other=names[m.other] if m.kind == "student" else m.other, parts=[])
        for m in r.matches]) for r in results]
