"""hw4_gans' checks of P2.2: what train_gan's runs recorded (the noise each step received, the parameters it left),
read against the statement's schedule (the grader's replay, or what the visible tests compute themselves).
"""
from __future__ import annotations

from dgmlab.probes import _torch

from .common import value


def assert_no_noise_reused(records):
    """Fails unless the z's the two steps received in each run (``records``: the probe's records of train_gan's runs)
    are tensors, no two alike: every update draws its own noise (the generator's z is not the discriminator's)."""
    torch = _torch()
    pooled = []
    for record in records:
        zs = record.get("z") if isinstance(record, dict) else None
        if not (isinstance(zs, list) and zs and all(isinstance(z, torch.Tensor) for z in zs)):
            raise AssertionError("expected train_gan to hand each step its noise z as a tensor")
        flat = [z.double().flatten() for z in zs]
        for i, a in enumerate(flat):
            if any(a.shape == b.shape and torch.equal(a, b) for b in flat[:i]):
                raise AssertionError(
                    "expected fresh noise for every update, found the same z handed to two steps (draw a new z for the "
                    "generator's step)")
        pooled += flat
    return pooled


def assert_fresh_standard_noise(runs, noise_run):
    """Fails unless the z's the two steps received in each run (the statement's runs and the "noise" run) are fresh
    draws of N(0, 1): no two alike (the generator's z is not the discriminator's), pooled mean and std near 0 and 1
    (wide bounds: over a thousand draws in all)."""
    torch = _torch()
    records = [value(r, "train_gan") for r in value(runs, "train_gan").values()] + [value(noise_run, "train_gan")]
    pooled = assert_no_noise_reused(records)
    draws = torch.cat(pooled)
    mean, std = float(draws.mean()), float(draws.std()) if draws.numel() > 1 else 0.0
    if not (draws.numel() >= 100 and abs(mean) < 0.3 and 0.8 < std < 1.2):
        raise AssertionError(
            f"expected standard normal noise (torch.randn), found mean {mean:.2f} and standard deviation {std:.2f} over "
            f"{draws.numel()} draws")


def parameters_match(record, want, what):
    """Fails unless the parameters train_gan leaves (its ``record``) are ``want`` (``{G, D}``: where the grader's replay
    of the statement's schedule ends); ``what`` says what that schedule is."""
    torch, r = _torch(), value(record, "train_gan")
    for player, name in (("D", "discriminator"), ("G", "generator")):
        got = r[player]
        ok = len(got) == len(want[player]) and all(
            isinstance(p, torch.Tensor) and p.shape == w.shape and torch.allclose(p, w, rtol=1e-4, atol=1e-6)
            for p, w in zip(got, want[player], strict=True))
        if not ok:
            raise AssertionError(
                f"expected the {name}'s parameters after train_gan to end where the statement's schedule leaves them "
                f"({what}), found them elsewhere")
