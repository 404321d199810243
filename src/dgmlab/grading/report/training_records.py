"""``dgmlab report``'s "needs a look" list: trained cells whose training record is missing or not one run.

The judge checks each graded weights file's training record (:mod:`dgmlab.grading.judge.training_record`) and keeps
its verdict, ``training_record.pt``, in the submission's kept folder. A cell listed here keeps the points its tests
gave: the listing is the reminder to look at the run (withholding them until someone has is not built yet).
"""
from __future__ import annotations

from ..judge.training_record import KEPT_NAME, NEEDS_A_LOOK

MAX_VERDICT_BYTES = 64 * 1024  # a kept verdict is a few hundred bytes


def verdicts(course, hws) -> list:
    """``[(hw, student, verdict dict)]`` of every kept record verdict of ``hws`` (those that cannot be read: a
    verdict saying so, never skipped)."""
    import torch

    out = []
    for hw in hws:
        folder = course.kept_folder(hw, "_").parent
        if not folder.is_dir():
            continue
        for student in sorted(p for p in folder.iterdir() if p.is_dir()):
            path = student / KEPT_NAME
            if not path.is_file():
                continue
            try:
                if path.stat().st_size > MAX_VERDICT_BYTES:
                    raise ValueError("too large")
                found = torch.load(path, map_location="cpu", weights_only=True)
                if not isinstance(found, dict) or not isinstance(found.get("status"), str):
                    raise ValueError("not a verdict")
            except Exception as exc:  # noqa: BLE001 - listed, so that someone looks
                found = {"name": "?", "status": NEEDS_A_LOOK, "reasons": [f"its kept verdict cannot be read ({exc})"]}
            out.append((hw, student.name, found))
    return out


def report_lines(course, hws) -> list:
    """The report's block: one line per record that needs a look (reasons as the judge gave them; the caller makes
    them inert before a terminal), or none."""
    found = [(hw, sid, v) for hw, sid, v in verdicts(course, hws) if v.get("status") != "one run"]
    if not found:
        return []
    lines = ["", f"trained results that need a look ({len(found)}): no training record, or not one run; their cells "
             "keep the points their tests gave unless you change them (nbgrader's formgrader; docs/hw4_gans.md):"]
    for hw, sid, v in found:
        why = "; ".join(str(r) for r in v.get("reasons", []))[:400]
        lines.append(f"  {sid} {hw} {v.get('name', '?')}: {why}")
    return lines
