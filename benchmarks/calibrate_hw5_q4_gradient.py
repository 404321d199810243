"""Calibrate hw5 Q4's gradient check (``_gradient_disagreement``, checks/q4_frechet_distance.py) over many graded draws.

    PYTHONPATH=. python benchmarks/calibrate_hw5_q4_gradient.py --draws 1000 [--out benchmarks/results/hw5_q4_gradient.json]

For each draw (a probe seed as a course key gives one: uniform in [0, 2**31), from a fixed master seed) it takes the
cell's general pair of Gaussians and measures, for the model answer, the proofs' correct variants and answers whose
gradient is wrong (a term computed without a graph, a term detached, a factor 2 missing from a hand-written backward),
the relative disagreement |autograd - central difference| / max(1, |central difference|) the check compares with its
tolerance (``GRADIENT_RTOL``), and whether the hidden gradient tests pass. It prints, per answer, the largest (correct
answers) or smallest (wrong gradients) disagreement and how many draws the check decides wrongly; docs/hw5_explicit.md
quotes the figures.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import sys
from pathlib import Path

import numpy as np
import scipy.linalg
import torch

from homeworks.hw5_explicit.checks import q4_frechet_distance as Q
from homeworks.hw5_explicit.hidden.references import frechet_gradients


def _psd_root(c):
    w, v = torch.linalg.eigh((c + c.T) / 2)
    return (v * torch.sqrt(torch.clamp(w, min=0))) @ v.T


def reference(mu1, cov1, mu2, cov2):
    root1 = _psd_root(cov1)
    middle = root1 @ cov2 @ root1
    tr_sqrt = torch.sqrt(torch.clamp(torch.linalg.eigvalsh((middle + middle.T) / 2), min=0)).sum()
    diff = mu1 - mu2
    return diff @ diff + torch.trace(cov1) + torch.trace(cov2) - 2 * tr_sqrt


def complex_eigvals(mu1, cov1, mu2, cov2):
    diff = mu1 - mu2
    tr_sqrt = torch.sqrt(torch.linalg.eigvals(cov1 @ cov2)).sum().real
    return diff @ diff + torch.trace(cov1) + torch.trace(cov2) - 2 * tr_sqrt


def nuclear_norm(mu1, cov1, mu2, cov2):
    diff = mu1 - mu2
    tr_sqrt = torch.linalg.matrix_norm(_psd_root(cov1) @ _psd_root(cov2), ord="nuc")
    return diff @ diff + torch.trace(cov1) + torch.trace(cov2) - 2 * tr_sqrt


def scipy_sqrtm(mu1, cov1, mu2, cov2):  # the proofs' mutant: the cross term without a graph
    s = scipy.linalg.sqrtm(cov1.detach().numpy() @ cov2.detach().numpy()).real
    return ((mu1 - mu2) ** 2).sum() + torch.trace(cov1 + cov2) - 2 * torch.tensor(np.trace(s))


def root_detached(mu1, cov1, mu2, cov2):  # C1^(1/2) detached: the cross term's gradient reaches cov2 only
    root1 = _psd_root(cov1).detach()
    middle = root1 @ cov2 @ root1
    tr_sqrt = torch.sqrt(torch.clamp(torch.linalg.eigvalsh((middle + middle.T) / 2), min=0)).sum()
    diff = mu1 - mu2
    return diff @ diff + torch.trace(cov1) + torch.trace(cov2) - 2 * tr_sqrt


class _SqrtNoHalf(torch.autograd.Function):  # a hand-written backward of sqrt without its 1/2
    @staticmethod
    def forward(ctx, x):
        y = torch.sqrt(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        (y,) = ctx.saved_tensors
        return grad / y


def backward_missing_half(mu1, cov1, mu2, cov2):
    root1 = _psd_root(cov1)
    middle = root1 @ cov2 @ root1
    tr_sqrt = _SqrtNoHalf.apply(torch.clamp(torch.linalg.eigvalsh((middle + middle.T) / 2), min=1e-300)).sum()
    diff = mu1 - mu2
    return diff @ diff + torch.trace(cov1) + torch.trace(cov2) - 2 * tr_sqrt


def cross_term_half_detached(mu1, cov1, mu2, cov2):  # 2 tr_sqrt written tr_sqrt + tr_sqrt.detach(): half its gradient
    root1 = _psd_root(cov1)
    middle = root1 @ cov2 @ root1
    tr_sqrt = torch.sqrt(torch.clamp(torch.linalg.eigvalsh((middle + middle.T) / 2), min=0)).sum()
    diff = mu1 - mu2
    return diff @ diff + torch.trace(cov1) + torch.trace(cov2) - tr_sqrt - tr_sqrt.detach()


CORRECT = {"reference": reference, "complex eigenvalues, real part": complex_eigvals, "nuclear norm": nuclear_norm}
WRONG = {"scipy.linalg.sqrtm on .numpy()": scipy_sqrtm, "C1^(1/2) detached": root_detached,
         "backward of sqrt without its 1/2": backward_missing_half,
         "2 tr_sqrt as tr_sqrt + tr_sqrt.detach()": cross_term_half_detached}


def _tensors(args, grad=False):
    return [torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64).requires_grad_(grad) for a in args]


def disagreement(fn, args, directions) -> float:
    """|autograd - central difference| / max(1, |central difference|) along the check's direction (as the check)."""
    leaves = _tensors(args, grad=True)
    d = fn(*leaves)
    found = torch.autograd.grad(d.reshape(()), leaves, allow_unused=True)
    (e1, e2, _) = [torch.tensor(e, dtype=torch.float64) for e in directions]
    dm = torch.linspace(-1.0, 1.0, leaves[0].shape[0], dtype=torch.float64)
    steps = (dm, e1, -dm, e2)
    by_autograd = sum(float((g * e).sum()) for g, e in zip(found, steps, strict=True) if g is not None)
    with torch.no_grad():
        up, down = (float(fn(*[a.detach() + s * Q.FD_STEP * e for a, e in zip(leaves, steps, strict=True)]))
                    for s in (1, -1))
    by_values = (up - down) / (2 * Q.FD_STEP)
    return abs(by_autograd - by_values) / max(1.0, abs(by_values)) if math.isfinite(by_values) else math.nan


def hidden_gradients_pass(fn, args, directions) -> bool:
    """Whether ``fn``'s gradients pass hidden/q4_frechet_distance.py's tolerances (means 1e-6, covariances 1e-5)."""
    leaves = _tensors(args, grad=True)
    got = [g.detach().numpy() for g in torch.autograd.grad(fn(*leaves), leaves)]
    want = frechet_gradients(*args)
    for i in (0, 2):
        if not np.allclose(got[i], want[i], rtol=1e-6, atol=1e-8):
            return False
    for i in (1, 3):
        for e in directions:
            a, b = float((got[i] * e).sum()), float((want[i] * e).sum())
            if abs(a - b) > 1e-7 + 1e-5 * abs(b):
                return False
    return True


def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--master-seed", type=int, default=62)
    parser.add_argument("--out", type=Path)
    a = parser.parse_args(argv)
    torch.set_num_threads(1)
    rng = random.Random(a.master_seed)
    seeds = [rng.randrange(2**31) for _ in range(a.draws)]
    rows = {name: [] for name in (*CORRECT, *WRONG)}
    hidden_fail = {name: 0 for name in CORRECT}
    conditioning = []
    for seed in seeds:
        x = Q._q4_frechet_inputs(seed)
        (m1, c1), (m2, c2) = x["general1"], x["general2"]
        args = (m1, c1, m2, c2)
        conditioning.append(min(np.linalg.eigvalsh(c1).min(), np.linalg.eigvalsh(c2).min()))
        for name, fn in {**CORRECT, **WRONG}.items():
            rows[name].append(disagreement(fn, args, x["directions"]))
        for name, fn in CORRECT.items():
            hidden_fail[name] += not hidden_gradients_pass(fn, args, x["directions"])
    tol = getattr(Q, "GRADIENT_RTOL", 1e-4)
    out = {"draws": a.draws, "master_seed": a.master_seed, "fd_step": Q.FD_STEP, "rtol": tol,
           "smallest_covariance_eigenvalue": float(min(conditioning)), "correct": {}, "wrong": {}}
    for name in CORRECT:
        r = np.array(rows[name])
        out["correct"][name] = {"largest_disagreement": float(np.nanmax(r)), "draws_failed": int((r > tol).sum()),
                                "hidden_gradient_tests_failed": hidden_fail[name]}
    for name in WRONG:
        r = np.array(rows[name])
        out["wrong"][name] = {"smallest_disagreement": float(np.nanmin(r)), "draws_passed": int((r <= tol).sum())}
    print(json.dumps(out, indent=2))
    if a.out:
        a.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
