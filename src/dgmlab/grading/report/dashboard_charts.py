"""The dashboard's charts: matplotlib figures as base64 ``<img>`` (SVG for charts, PNG for the sample
grids), so the page loads nothing (:mod:`.dashboard`). Each image's ``alt`` text says what it shows, numbers
included, for readers who cannot see it (the ``image.html.j2`` template escapes it: student ids and cell names are text,
never markup)."""
from __future__ import annotations

import base64
import io
from pathlib import Path

from ...weights_files import MAX_BYTES, load
from ..html_text import fmt, render


def _svg(fig, alt: str) -> str:
    """A matplotlib figure as an ``<img>`` holding base64 SVG (ids of separate figures cannot clash), described by
    ``alt``."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return render("image.html.j2", cls="chart", alt=alt, mime="image/svg+xml",
                  data=base64.b64encode(buf.getvalue()).decode("ascii"))


def _png(fig, alt: str) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    return render("image.html.j2", cls="samples", alt=alt, mime="image/png",
                  data=base64.b64encode(buf.getvalue()).decode("ascii"))


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "dgmlab", "font.size": 9})
    return plt


# ------------------------------------------------------------------ charts
def histogram(scores, stats, max_score, hw):
    plt = _plt()
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(5.2, 2.8))
    bins = min(20, max(5, len(scores)))
    counts, edges, _ = ax.hist(scores, bins=bins, range=(0, max_score or 1), color="#4c72b0", edgecolor="white")
    for key, style, color in [("mean", "-", "#c44e52"), ("median", "--", "#222"), ("q1", ":", "#555"),
                              ("q3", ":", "#555")]:
        ax.axvline(stats[key], linestyle=style, color=color, linewidth=1.4,
                   label=f"{key} {fmt(stats[key])}" if key != "q3" else f"quartiles {fmt(stats['q1'])}–{fmt(stats['q3'])}")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[:3] + handles[4:], labels[:2] + labels[3:], fontsize=8, frameon=False)
    ax.set(xlabel=f"total points (of {fmt(max_score)})", ylabel="submissions", title=f"{hw}: total scores")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    spread = ", ".join(f"{fmt(lo)} to {fmt(hi)}: {int(n)}" for n, lo, hi in zip(counts, edges, edges[1:]) if n)
    return _svg(fig, f"Histogram of {hw}'s total scores, {len(scores)} submissions, 0 to {fmt(max_score)} points: "
                     f"mean {fmt(stats['mean'])}, median {fmt(stats['median'])}, quartiles {fmt(stats['q1'])} "
                     f"and {fmt(stats['q3'])}. Submissions per score range: {spread}.")


def auto_manual_bars(subs, auto_max, manual_max, hw):
    plt = _plt()
    subs = sorted(subs, key=lambda s: s.score)
    fig, ax = plt.subplots(figsize=(5.2, max(1.8, 0.28 * len(subs) + 0.9)))
    y = range(len(subs))
    ax.barh(y, [s.auto_score for s in subs], color="#4c72b0", label=f"autograded (of {fmt(auto_max)})")
    ax.barh(y, [s.manual_score for s in subs], left=[s.auto_score for s in subs], color="#dd8452",
            label=f"by hand (of {fmt(manual_max)})")
    ax.set_yticks(list(y), [s.student for s in subs], fontsize=7)
    ax.axvline(auto_max + manual_max, color="#999", linewidth=1)
    ax.set(xlabel="points", title=f"{hw}: autograded vs hand-graded points")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    each = "; ".join(f"{s.student} {fmt(s.auto_score)} + {fmt(s.manual_score)}" for s in subs)
    return _svg(fig, f"Bar chart of {hw}'s points per student, autograded (of {fmt(auto_max)}) plus graded by hand "
                     f"(of {fmt(manual_max)}), lowest total first: {each}.")


def pass_rate_bars(rows, hw):
    plt = _plt()
    rows = [r for r in rows if r["pass_rate"] is not None]
    if not rows:
        return ""
    fig, ax = plt.subplots(figsize=(5.2, max(1.8, 0.24 * len(rows) + 0.9)))
    y = list(range(len(rows)))[::-1]
    ax.barh(y, [100 * r["pass_rate"] for r in rows],
            color=["#dd8452" if r["kind"] == "manual" else "#55a868" for r in rows])
    ax.set_yticks(y, [r["cell"] for r in rows], fontsize=7)
    ax.set(xlim=(0, 100), xlabel="% of submissions with full points", title=f"{hw}: pass rate per graded cell")
    each = "; ".join(f"{r['cell']}{' (by hand)' if r['kind'] == 'manual' else ''} {fmt(100 * r['pass_rate'], 1)}%"
                     for r in rows)
    return _svg(fig, f"Bar chart of {hw}'s pass rate per graded cell, the percentage of submissions with the cell's "
                     f"full points: {each}.")


def sample_grid(path: Path):
    """A 10x10 grid of a student's saved samples (read by :func:`dgmlab.weights_files.load`: no zip bomb,
    nothing over its size cap), or why not."""
    try:
        import torch

        size = path.stat().st_size
        if size > MAX_BYTES:
            return None, f"{path.name} is {size:,} bytes, more than the {MAX_BYTES:,} a samples file can be"
        x = load(path.read_bytes(), path.name)
        if not isinstance(x, torch.Tensor):
            return None, f"{path.name} holds a {type(x).__name__}, not a tensor"
        x = x.detach().float()
        if x.ndim == 2 and x.shape[1] == 784:
            x = x.reshape(-1, 28, 28)
        if x.ndim == 4:
            x = x[:, 0]
        if x.ndim != 3 or x.shape[0] == 0:
            return None, f"{path.name} has shape {tuple(x.shape)}, not N x 28 x 28"
        x = x[:100]
        lo, hi = float(x.min()), float(x.max())
        x = (x - lo) / (hi - lo + 1e-8)
        n, h, w = x.shape
        side = 10
        canvas = torch.ones(side * h, side * w)
        for i in range(n):
            r, c = divmod(i, side)
            canvas[r * h:(r + 1) * h, c * w:(c + 1) * w] = x[i]
    except Exception as exc:  # a student's file: any failure is that file's problem, shown, never raised
        return None, f"could not read {path.name}: {str(exc).splitlines()[0][:150] if str(exc) else type(exc).__name__}"
    plt = _plt()
    fig, ax = plt.subplots(figsize=(1.8, 1.8))
    ax.imshow(canvas.numpy(), cmap="gray", vmin=0, vmax=1)
    ax.axis("off")
    return _png(fig, f"The first {n} samples in {path.name}, drawn in a 10 by 10 grid of {h} by {w} pixel images"), ""
