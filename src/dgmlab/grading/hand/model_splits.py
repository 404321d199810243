"""The marking split a written answer's model answer (or statement) states, as ``[(points, what)]``: a new rubric's
items (:func:`.rubrics.starting_items`).

The kit's homeworks state their splits in a few ways, each read here; a split is used only when its points add up
to the cell's points (anything else gives ``[]``, and the rubric starts with one item for all):

* criteria each ending in its points in brackets, after ``**Points (5).**`` (hw3, optionally in parts:
  ``(i) 3: ... (1), ...``), ``Marking:`` (hw1), ``Grading:`` (hw2) or ``Marks (...):`` (hw5's results):
  ``the stationary point (1), concavity (1)``;
* criteria each followed by its points, after ``Grading:`` (hw4): ``Lagrangian 2, weak duality 1``;
* points per thing with criteria: ``Grading: 2 points per ablation (observation: 1; explanation: 1)``, the things
  being the model answer's bold bullets (``* **Wide generator** ...``);
* points per numbered part of the statement: ``Marks: 1.5 per part.`` or ``Marks: 1.5, 1, 1, 1.5.`` (hw5), each part
  split further where its model answer ends with ``(0.5 posterior, 0.5 marginalising, 0.5 normalisation.)``;
* with no marker, criteria ending sentences through the whole answer: ``Grid and curves attached (2). ...`` (hw2).

Math (``$...$``) is never read as a split: ``$(2)$`` or ``$\\log 4$`` is part of a criterion's text.
"""
from __future__ import annotations

import re

NUM = r"\d+(?:\.\d+)?"
TEXT_MAX = 200  # an item's text (the grading page edits up to 300)
# "**Points (5).**", "**Points (a), 5:**": the hw3 form, up to a blank line
POINTS_BLOCK = re.compile(r"\*\*Points\s*\(\s*\w+\s*\)(?:,\s*\d+(?:\.\d+)?)?[.:]?\*\*[.:]?(.+?)(?:\n\s*\n|\Z)", re.S)
MARKER = re.compile(r"(?:Marking|Grading|Marks)(?:\s*\([^()]*\))?\s*:(.+?)(?:\n\s*\n|\Z)", re.S)
MODEL_PART = re.compile(rf"\(([a-z]|[ivx]+)\)\s*({NUM})\s*:")  # "(ii) 3:" in a hw3 split
CRITERION_LENIENT = re.compile(rf"\s*\(({NUM})\)(?=\s*(?:[,.;:]|and\b|\Z))")  # "(1)" ending one criterion
CRITERION_STRICT = re.compile(rf"\s*\(({NUM})\)(?=\s*(?:[,.;]|\Z))")
PER_THING = re.compile(rf"({NUM})\s+points?\s+per\s+(\w+)\s*\((.+?)\)\s*\.?", re.S)
BOLD_BULLET = re.compile(r"^\s*[*-]\s+\*\*(.+?)\*\*", re.M)
PER_PART = re.compile(rf"^\s*Marks:\s*(?:({NUM})\s+per\s+part|({NUM}(?:\s*,\s*{NUM})*))\s*\.?\s*$", re.M)
NUMBERED = re.compile(r"^(\d+)\.\s+(.*)$")
SUB_SPLIT = re.compile(rf"\((\s*{NUM}\s+[^()]+?)\.?\)\s*\Z")  # "(0.5 loss, 0.5 posterior, 0.5 loop.)" ending a part


def _mask(text: str) -> str:
    """``text`` with each math span's inside replaced by ``#`` (same length): positions found in the mask are
    positions in ``text``."""
    return re.sub(r"\$\$.+?\$\$|\$[^$]+\$", lambda m: "$" + "#" * (len(m.group(0)) - 2) + "$", text, flags=re.S)


def _short(text: str) -> str:
    """An item's text: one line, at most :data:`TEXT_MAX` characters, never cut inside math."""
    text = " ".join(text.split()).strip(" ,.;:")
    if len(text) <= TEXT_MAX:
        return text
    cut = text[:TEXT_MAX - 1]
    if cut.count("$") % 2:  # a math span left open: cut before it
        cut = cut[:cut.rindex("$")]
    return cut.rstrip(" ,;:") + "…"


def _adds_up(split: list, points: float) -> bool:
    return len(split) > 1 and abs(sum(p for p, _ in split) - points) < 1e-9


def _bracketed(text: str, pattern=CRITERION_LENIENT) -> list:
    """``[(points, what)]`` of criteria each ending in its points in brackets (``the stationary point (1), ...``);
    ``[]`` unless every criterion has a text."""
    out, start = [], 0
    for m in pattern.finditer(_mask(text)):
        what = re.sub(r"^[\s,.;:]*(?:and\s+)?", "", text[start:m.start()]).strip()
        out.append((float(m.group(1)), what))
        start = m.end()
    return out if out and all(what for _, what in out) else []


def _criteria(text: str, points: float) -> list:
    """Bracketed criteria adding up to ``points``: read with ``(1) and`` ending a criterion, else without (where
    ``channels (3) and bias`` is a count, not points)."""
    for pattern in (CRITERION_LENIENT, CRITERION_STRICT):
        split = _bracketed(text, pattern)
        if _adds_up(split, points):
            return split
    return []


def _trailing_numbers(text: str) -> list:
    """``[(points, what)]`` of ``what N, what N`` up to the first sentence's end (hw4's ``Grading:``)."""
    masked = _mask(text)
    end = re.search(r"\.(?:\s|\Z)", masked)
    stop = end.start() if end else len(text)
    out, start = [], 0
    for m in re.finditer(r"[,;]|\Z", masked[:stop]):
        piece = text[start:m.start()].strip()
        hit = re.fullmatch(rf"(.*\S)\s+({NUM})", _mask(piece), re.S)
        if not hit:
            return []
        out.append((float(hit.group(2)), piece[:hit.end(1)].strip()))
        start = m.end()
        if m.end() >= stop:
            break
    return out


def _in_parts(text: str, points: float) -> list:
    """A hw3 split in parts: ``(i) 3: ... (1), ... (ii) 3: ...``: each part's criteria when they add up to its
    points, else the part as one."""
    heads = list(MODEL_PART.finditer(text))
    split = []
    for k, head in enumerate(heads):
        body = text[head.end():heads[k + 1].start() if k + 1 < len(heads) else len(text)].strip()
        label, pts = f"({head.group(1)})", float(head.group(2))
        crit = _criteria(body, pts)
        if crit:
            split += [(p, f"{label} {what}") for p, what in crit]
        else:
            split.append((pts, f"{label} {CRITERION_LENIENT.sub('', body).strip().rstrip('.')}"))
    return split


def _numbered(text: str) -> dict:
    """``{n: text}`` of the last numbered list in ``text`` (``1. ...`` at a line's start, continuation lines
    indented)."""
    lists, cur, last = [], {}, None
    for line in text.splitlines():
        m = NUMBERED.match(line)
        if m:
            n = int(m.group(1))
            if n == 1 and cur:
                lists.append(cur)
                cur = {}
            cur[n], last = m.group(2), n
        elif last is not None and line[:1] in (" ", "\t") and line.strip():
            cur[last] += " " + line.strip()
        else:
            last = None
    if cur:
        lists.append(cur)
    return lists[-1] if lists else {}


def _number_first(text: str) -> list:
    """``[(points, what)]`` of ``N what, N what`` (a part's own split); ``[]`` unless every piece reads so."""
    out = []
    for piece in re.split(r"[,;]", text):
        hit = re.fullmatch(rf"\s*({NUM})\s+(.+?)\s*", piece, re.S)
        if not hit:
            return []
        out.append((float(hit.group(1)), hit.group(2)))
    return out


def _per_part(statement: str, model: str, points: float) -> list:
    """``Marks: 1.5 per part.`` or ``Marks: 1.5, 1, 1.5.``: one item per numbered part of the statement, or per
    criterion where the part's model answer ends with its own split ``(0.5 a, 0.5 b, 0.5 c.)``."""
    m = PER_PART.search(model)
    parts = _numbered(statement)
    if not m or not parts or sorted(parts) != list(range(1, len(parts) + 1)):
        return []
    if m.group(1):
        marks = [float(m.group(1))] * len(parts)
    else:
        marks = [float(x) for x in m.group(2).split(",")]
    if len(marks) != len(parts):
        return []
    answers = _numbered(model)
    split = []
    for n, pts in zip(sorted(parts), marks):
        sub = SUB_SPLIT.search(_mask(answers.get(n, "")))
        crit = _number_first(answers[n][sub.start(1):sub.end(1)]) if sub else []
        if crit and _adds_up(crit, pts):
            split += [(p, f"part {n}: {what}") for p, what in crit]
        else:
            question = re.sub(rf"^\(\s*{NUM}\s*\)\s*", "", parts[n])
            split.append((pts, f"part {n}: {question}"))
    return split


def _per_thing(model: str, points: float) -> list:
    """``2 points per ablation (observation: 1; explanation: 1)``, the things being the model answer's bold
    bullets: one item per thing and criterion."""
    m = PER_THING.search(model)
    if not m:
        return []
    per = float(m.group(1))
    crit = []
    for piece in re.split(r";", m.group(3)):
        hit = re.fullmatch(rf"\s*(.+?)\s*:\s*({NUM})\s*", piece, re.S)
        if not hit:
            return []
        crit.append((float(hit.group(2)), hit.group(1)))
    things = [t.strip().rstrip(":") for t in BOLD_BULLET.findall(model[:m.start()])]
    if abs(sum(p for p, _ in crit) - per) > 1e-9 or abs(per * len(things) - points) > 1e-9:
        return []
    return [(p, f"{thing}: {what}") for thing in things for p, what in crit]


def split(statement: str, model: str, points: float) -> list:
    """``[(points, what)]``: the marking split the model answer (and, for points per part, the statement) states,
    when it adds up to ``points``; ``[]`` when there is none."""
    tries = []
    if m := POINTS_BLOCK.search(model):
        text = " ".join(m.group(1).split())
        tries.append(lambda: _in_parts(text, points) if MODEL_PART.search(text) else _criteria(text, points))
    tries.append(lambda: _per_part(statement, model, points))
    tries.append(lambda: _per_thing(model, points))
    for m in MARKER.finditer(model):
        text = " ".join(m.group(1).split())
        tries.append(lambda text=text: _criteria(text, points))
        tries.append(lambda text=text: _trailing_numbers(text))
    tries.append(lambda: _criteria(" ".join(model.split()), points))  # no marker: criteria through the answer
    for attempt in tries:
        got = attempt()
        if _adds_up(got, points):
            return [(p, _short(what)) for p, what in got]
    return []
