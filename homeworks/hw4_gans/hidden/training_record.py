"""hw4_gans' training records: what the judge's record check (:mod:`dgmlab.grading.judge.training_record`) needs
of this homework, on the grader's side only: the kit's own networks and training steps for the replay (never the
student's code), the score along the trail and the bars calibrated on the kit's runs (docs/hw4_gans.md).

The baseline's runner (P2) keeps, with ``Record(keep=("average",))``, the averaged generator at the named epochs and
the run's whole state (generator, discriminator, both Adams, the loader's shuffling, the random states) at the
replay epochs, each with its landing ``steps`` optimizer steps later; the replay rebuilds the statement's networks
from that state and takes the statement's steps (``train_gan``'s schedule: a discriminator step per batch, then a
generator step, fresh noise each) on the same data, batches and noise.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from dgmlab import artifacts
from dgmlab.grading.judge.training_record import Rise

from .references import mlp_generator

BASELINE_RECORD = "baseline_training_record.pt"
LR, BETAS = 5e-4, (0.5, 0.999)  # the notebook's Adam for both players
BATCH = 64
MAX_REPLAY_STEPS = 256  # optimizer steps one replay may take (about 4 s of one CPU core in full mode)
SCORE_N = 1000  # images drawn from each snapshot's averaged generator (as the graded draw)
# optimizer steps per epoch (a discriminator and a generator step per batch of 64) -> the training digits of the run
DATA_BY_STEPS_PER_EPOCH = {2 * (640 // BATCH): 640, 2 * (60000 // BATCH): None}
# (b), calibrated on the kit's runs (docs/hw4_gans.md, "Training record"): full mode at epochs 5-50; fast mode
# (2 epochs of 640 digits, scores about 1.0) asks for no rise, and no generator a fast run cannot make (an attacker
# labelled a distilled generator's record "fast" to skip the rise)
RISE = {"full": Rise(gain=1.5, drop=0.75), "fast": Rise(gain=-0.5, drop=0.5, most=3.0)}
TOLERANCE = 2.0  # (c): RMS(replay - landing) / RMS(replay - start), calibrated on 1 and 2 threads (docs/hw4_gans.md)


def _mlp(in_dim, widths, out_dim, *, dropout=0.0, tanh=True) -> nn.Sequential:
    layers, width_in = [], in_dim
    for width in widths:
        layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2)] + ([nn.Dropout(dropout)] if dropout else [])
        width_in = width
    layers.append(nn.Linear(width_in, out_dim))
    return nn.Sequential(*layers, *([nn.Tanh()] if tanh else []))


def _network(state, in_dim, widths, out_dim, what, **kwargs) -> nn.Sequential:
    """The statement's MLP with ``state``'s tensors placed by shape (refused, saying why, unless exactly them)."""
    tensors = artifacts.mlp_tensors(state, in_dim=in_dim, widths=widths, out_dim=out_dim, name=what)
    net = _mlp(in_dim, widths, out_dim, **kwargs)
    with torch.no_grad():
        for p, t in zip(net.parameters(), tensors, strict=True):
            p.copy_(t)
    return net


def _adam(net, saved, what) -> torch.optim.Adam:
    """The kit's Adam over ``net`` in the saved state (its moments' shapes checked, its settings the kit's)."""
    opt = torch.optim.Adam(net.parameters(), lr=LR, betas=BETAS)
    params = list(net.parameters())
    state = saved.get("state", {}) if isinstance(saved, dict) else {}
    groups = saved.get("param_groups", []) if isinstance(saved, dict) else []
    if len(groups) != 1 or groups[0].get("lr") != LR or tuple(groups[0].get("betas", ())) != BETAS:
        raise ValueError(f"{what} is not the kit's Adam (lr {LR}, betas {BETAS})")
    for i, p in enumerate(params):
        moments = state.get(i, {})
        if any(moments.get(k) is None or moments[k].shape != p.shape for k in ("exp_avg", "exp_avg_sq")):
            raise ValueError(f"{what}'s moments do not fit the statement's network")
    opt.load_state_dict(saved)
    return opt


def _d_step(g, d, d_opt, real, z) -> float:
    d.train()
    d_opt.zero_grad()
    with torch.no_grad():
        fake = g(z)
    real_logits, fake_logits = d(real.reshape(real.shape[0], -1)), d(fake)
    loss = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    loss.backward()
    d_opt.step()
    return loss.item()


def _g_step(g, d, g_opt, z) -> float:
    g_opt.zero_grad()
    logits = d(g(z))
    loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
    loss.backward()
    g_opt.step()
    return loss.item()


def _training_data(entry, record):
    """The training digits the run used: told by its optimizer steps per epoch (fast: 640; full: all 60,000) and
    found by the fingerprint its checkpoint took of them (the shipped sample's or the full set's)."""
    from dgmlab import data
    from dgmlab.checkpoint import fingerprint_of

    per_epoch = entry["step"] // max(1, entry["epoch"])
    if entry["step"] % max(1, entry["epoch"]) or per_epoch not in DATA_BY_STEPS_PER_EPOCH:
        raise ValueError(f"{per_epoch} optimizer steps per epoch is not a run of the kit's baseline on MNIST")
    want = record.get("fingerprint", {}).get("data")
    for source in ("sample", "full"):
        try:
            found = data.mnist(train=True, scale="[-1,1]", n=DATA_BY_STEPS_PER_EPOCH[per_epoch], source=source)
        except (data.DataUnavailableError, ValueError):
            continue
        if fingerprint_of(found) == want:
            return found
    raise ValueError("its training data is not MNIST as the kit loads it, or the grader has no copy of it")


def replay(entry, record):
    """``({"generator": state, "discriminator": state}, {"d_loss": [...], "g_loss": [...]})`` after the kit's steps
    from the replay state ``entry`` to its landing (``landing_at - step`` optimizer steps, at most
    :data:`MAX_REPLAY_STEPS`), on the run's data, batches and noise; the judge's random state is left as it was."""
    steps = entry["landing_at"] - entry["step"]
    if not 0 < steps <= MAX_REPLAY_STEPS:
        raise ValueError(f"a segment of {steps} steps (the replay takes 1 to {MAX_REPLAY_STEPS})")
    state = entry["state"]
    g = _network(state["generator"], 100, (128, 256, 512), 784, "the record's generator")
    d = _network(state["discriminator"], 784, (512, 256, 128), 1, "the record's discriminator", dropout=0.3, tanh=False)
    g_opt, d_opt = _adam(g, state["g_opt"], "the generator's optimizer"), _adam(d, state["d_opt"], "the "
                                                                                   "discriminator's optimizer")
    loader = _training_data(entry, record).loader(BATCH)
    loader.generator.set_state(state["shuffle"])
    losses, taken = {"d_loss": [], "g_loss": []}, 0
    with torch.random.fork_rng(devices=[]):
        torch.set_rng_state(entry["rng"]["torch"])
        for real, _labels in loader:
            losses["d_loss"].append(_d_step(g, d, d_opt, real, torch.randn(real.shape[0], 100)))
            taken += 1
            if taken < steps:
                losses["g_loss"].append(_g_step(g, d, g_opt, torch.randn(real.shape[0], 100)))
                taken += 1
            if taken >= steps:
                break
    return {"generator": _named(g, state["generator"]), "discriminator": _named(d, state["discriminator"])}, losses


def _named(net, like: dict) -> dict:
    """``net``'s parameters under the record's own names (its floating tensors, in order)."""
    names = [k for k, v in like.items() if isinstance(v, torch.Tensor) and v.is_floating_point()]
    return {k: p.detach().clone() for k, p in zip(names, net.parameters(), strict=True)}


class Hooks:
    """What :func:`dgmlab.grading.judge.training_record.verdict` asks of the baseline's record, for one keyed draw
    ``seed`` (the graded file's: the snapshots are scored on the same noise as the graded draw)."""

    record_name, keep = BASELINE_RECORD, "average"
    tolerance = TOLERANCE
    cells = ("p2_baseline_samples_tests",)  # its points wait for an instructor's look unless the record is one run

    def __init__(self, seed: int):
        self.seed = int(seed)

    def rise(self, record) -> Rise:
        """The bar of (b) for the record's mode: fast when its first snapshot's steps say 640 digits."""
        first = record["entries"][0]
        fast = first["step"] == first["epoch"] * 2 * (640 // BATCH)
        return RISE["fast" if fast else "full"]

    def score(self, kept) -> float:
        from dgmlab import metrics

        state = {k.removeprefix("module."): v for k, v in kept.items() if k != "n_averaged"}
        draw = mlp_generator(state, name="a snapshot's averaged generator")
        z = torch.randn(SCORE_N, 100, generator=torch.Generator().manual_seed(self.seed))
        return float(metrics.mnist_score(draw(z), splits=1, scale="[-1,1]")[0])

    replay = staticmethod(replay)


def judge(files, seed_of, keep, weights_name: str, record_name: str = BASELINE_RECORD):
    """The record verdict for the graded weights ``weights_name`` (:class:`dgmlab.probes.HandedIn` ``files``, its
    keyed ``seed_of``), kept for ``dgmlab report`` through the judge's ``keep``; None where the weights themselves
    are missing or refused (the cell's tests say why, and it earns nothing to look at)."""
    from dgmlab import weights_files
    from dgmlab.grading.judge import training_record
    from dgmlab.probes import TestFailure

    try:
        seed = seed_of(weights_name)
        graded = weights_files.load(files[weights_name], weights_name)
    except Exception:  # noqa: BLE001 - missing, refused or unreadable weights: the cell's own tests decide
        return None
    try:
        record = files[record_name]
    except TestFailure as exc:
        record = None if "was not handed in" in str(exc) else str(exc)
    found = training_record.verdict(weights_name, record, graded if isinstance(graded, dict) else {}, seed,
                                    Hooks(seed))
    keep(training_record.KEPT_NAME, found.to_bytes())
    return found
