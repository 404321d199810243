"""LimitOutputBytes (autograde): cell output made inert and capped in bytes (nbgrader's ``LimitOutput`` counts lines
only).

Inert: every text a kernel shows (printed text, an error's message and traceback, a result's ``text/plain``) keeps
its colours and loses every other terminal escape sequence and control character
(:func:`dgmlab.grading.inert.colours_only`), before the autograded notebook, the feedback page and the returned
notebook are made from it.

One 100 MB line passes a line cap, and lands in the autograded notebook, the feedback HTML and the
returned notebook. :class:`LimitOutputBytes` runs right after ``LimitOutput`` (nbgrader_config.py)
and keeps, per code cell:

- printed text (``stream``: stdout and stderr together) up to :attr:`~LimitOutputBytes.max_stream_bytes`;
  the text past it is cut, with a note, and later streams of the cell are dropped;
- displayed results (``execute_result``, ``display_data``) up to :attr:`~LimitOutputBytes.max_cell_bytes`;
  the first one that does not fit is replaced by a note, and later ones are dropped;
- every error: never removed (it is what gives a test cell 0 points), only shortened to
  :attr:`~LimitOutputBytes.max_error_bytes`.

Cells the student added (no nbgrader ``grade_id``, so as many as the student likes) also share
:attr:`~LimitOutputBytes.max_notebook_bytes` between them; cells of the homework (a ``grade_id``: a fixed
number of them) keep their own caps whatever earlier cells printed, so a flood in one cell cannot crowd
out a later test cell's result. Cutting only ever removes output, never adds a score: a test cell's score is
the one the grader wrote (``JudgeTests``), or 0 (``ZeroUnjudgedTests``).
"""
from __future__ import annotations

import math

from nbformat.v4 import new_output
from traitlets import Integer

from .. import nbgrader_preprocessing
from ..inert import colours_only

KIB = 1024
ERROR_FLOOR = 512  # bytes an error keeps even when the cell's or the notebook's budget is spent
NOTE = ("[dgmlab] output cut here: {what} than {cap:,} bytes, all the grader keeps (LimitOutputBytes.{trait} in "
        "nbgrader_config.py){tail}; print or display less")


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def cut_text(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, on a character boundary."""
    if len(text) <= limit // 4:  # no character takes more than 4 bytes
        return text
    return text[:max(0, limit)].encode("utf-8", "surrogatepass")[:max(0, limit)].decode("utf-8", "ignore")


def json_size(value) -> int:
    """Bytes of the strings, keys and scalars in a JSON-like ``value`` (iterative: no recursion limit)."""
    total, todo = 0, [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            total += utf8_size(item)
        elif isinstance(item, dict):
            todo.extend(item.keys())
            todo.extend(item.values())
        elif isinstance(item, (list, tuple)):
            todo.extend(item)
        else:
            total += len(repr(item))
    return total


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _made_inert(out) -> None:
    """Each text of the output ``out`` as :func:`~dgmlab.grading.inert.colours_only` leaves it."""
    if "text" in out:
        out["text"] = colours_only(_text(out["text"]))
    if out.get("output_type") == "error":
        out["evalue"] = colours_only(_text(out.get("evalue", "")))
        traceback = out.get("traceback") or []
        out["traceback"] = [colours_only(_text(line)) for line in (traceback if isinstance(traceback, list)
                                                                   else [traceback])]
    data = out.get("data")
    if isinstance(data, dict) and "text/plain" in data:
        data["text/plain"] = colours_only(_text(data["text/plain"]))


class LimitOutputBytes(nbgrader_preprocessing.NbGraderPreprocessor):
    """Cap each code cell's output, and the student's added cells' output together, in bytes (module docstring)."""

    max_stream_bytes = Integer(
        64 * KIB, help="Bytes of printed text (stdout and stderr together) one code cell keeps; the rest is cut "
                       "with a note (-1: no limit)").tag(config=True)
    max_cell_bytes = Integer(
        256 * KIB, help="Bytes of displayed results (execute_result, display_data) and errors one code cell keeps; "
                        "the first result past it is replaced by a note, later ones dropped (-1: no limit)"
    ).tag(config=True)
    max_error_bytes = Integer(
        16 * KIB, help="Bytes one error output (name, message, traceback) keeps; errors are shortened, never "
                       "removed (-1: no limit)").tag(config=True)
    max_notebook_bytes = Integer(
        2 * KIB * KIB, help="Bytes of output all cells without an nbgrader grade_id (cells a student added) keep "
                            "together, on top of each cell's own caps (-1: no limit)").tag(config=True)

    def preprocess(self, nb, resources):
        self._left = math.inf if self.max_notebook_bytes < 0 else self.max_notebook_bytes
        for cell in nb.cells:
            for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
                _made_inert(out)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.get("outputs"):
            return cell, resources
        shared = not cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        stream_cap = math.inf if self.max_stream_bytes < 0 else self.max_stream_bytes
        cell_cap = math.inf if self.max_cell_bytes < 0 else self.max_cell_bytes
        streams = results = 0  # bytes kept so far in this cell
        stream_cut = result_cut = False
        kept = []

        def room(cap, used):
            """(bytes still allowed, the trait that limits them)"""
            own = cap - used
            if shared and self._left < own:
                return self._left, "max_notebook_bytes", self.max_notebook_bytes
            return own, ("max_stream_bytes" if cap is stream_cap else "max_cell_bytes"), cap

        for out in cell.outputs:
            kind = out.get("output_type")
            if kind == "stream":
                if stream_cut:
                    continue
                text = _text(out.get("text", ""))
                left, trait, cap = room(stream_cap, streams)
                size = utf8_size(text) if len(text) <= left else left + 1  # a str has at least len() bytes
                if size > left:
                    stream_cut = True
                    text = cut_text(text, left)
                    size = utf8_size(text)
                    what = ("the cells the student added printed more" if trait == "max_notebook_bytes"
                            else "this cell printed more")
                    text += ("" if text.endswith("\n") or not text else "\n") + NOTE.format(
                        what=what, cap=cap, trait=trait, tail="") + "\n"
                out["text"] = text
                streams += size
            elif kind == "error":
                left, _, _ = room(cell_cap, results)
                limit = math.inf if self.max_error_bytes < 0 else self.max_error_bytes
                out = self._shorten_error(out, min(limit, max(left, ERROR_FLOOR)))
                size = json_size(out)
                results += size
            else:  # execute_result, display_data, anything else a kernel sends
                if result_cut:
                    continue
                size = json_size(out.get("data", {})) + json_size(out.get("metadata", {}))
                left, trait, cap = room(cell_cap, results)
                if size > left:
                    result_cut = True
                    what = ("the cells the student added displayed more" if trait == "max_notebook_bytes"
                            else "this cell displayed more")
                    kept.append(new_output("stream", name="stdout", text=NOTE.format(
                        what=what, cap=cap, trait=trait,
                        tail=f": a {kind} of {size:,} bytes and any later result of this cell are not kept") + "\n"))
                    continue
                results += size
            if shared:
                self._left = max(0, self._left - size)
            kept.append(out)
        cell.outputs = kept
        return cell, resources

    @staticmethod
    def _shorten_error(out, limit):
        """``out`` (an error output) within about ``limit`` bytes: name and message cut, traceback lines dropped."""
        if json_size(out) <= limit:
            return out
        limit = int(limit)
        out["ename"] = cut_text(_text(out.get("ename", "Error")), 256)
        out["evalue"] = cut_text(_text(out.get("evalue", "")), max(64, limit // 4))
        budget = limit - utf8_size(out["ename"]) - utf8_size(out["evalue"])
        lines, traceback = [], out.get("traceback") or []
        for line in traceback if isinstance(traceback, list) else [_text(traceback)]:
            line = cut_text(_text(line), max(64, limit // 8))
            if utf8_size(line) > budget - 100:
                lines.append("... traceback cut by dgmlab (LimitOutputBytes.max_error_bytes) ...")
                break
            budget -= utf8_size(line)
            lines.append(line)
        out["traceback"] = lines
        return out
