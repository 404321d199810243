"""Calibrate ``dgmlab.grading.copies.functional_copies`` (THRESHOLD, SAME): how alike the outputs of independently trained
networks are, and those of copies.

For each network a homework grades from handed-in weights (hw1's and hw2's generators, hw4's two, hw5's PixelCNN
and Real NVP), in the kit's own architecture (``functional_copies.kit_networks``):

- independent: networks trained from their own seeds (``--seeds``; a short CPU training, :data:`BUDGET`, on a
  subset of MNIST), and the kit's published network (an independent full run), every pair;
- copied: each of them permuted (hidden units), rescaled between ReLU layers, and both; the trained ones (the
  published network, hw4's second full run) also fine-tuned for one epoch of the subset (a fresh optimizer with
  the notebook's settings, a fresh discriminator for a generator, another seed), as a student who copied a
  finished network and trained it on would hand in;
- trained on (reported, not counted): the kit's early network of the same run against its final one (a network
  copied early and trained on for many epochs), where the kit keeps one.

The generators are trained with the non-saturating GAN loss against a small MLP discriminator (the generator is
the kit's; the discriminator only has to make it learn), PixelCNN with the Bernoulli likelihood, Real NVP with
the flow likelihood of dequantized, logit-transformed digits. False positives: independent pairs at or above the
threshold; false negatives: copies below it.

Usage (minutes on 2 shared cores; DGMLAB_DATA must hold MNIST):

    DGMLAB_DATA=/work/shared/datasets nice .venv/bin/python benchmarks/calibrate_functional_copies.py \\
        --json benchmarks/results/functional_copies_calibration.json

``--noisy`` instead measures copies of the kit's published generators with noise added to their weights (agreement,
refusal, and the points their graded cell gives on four draw seeds), into its own record:

    DGMLAB_DATA=/work/shared/datasets nice .venv/bin/python benchmarks/calibrate_functional_copies.py --noisy \\
        --only hw2 hw4_baseline hw4_cgan hw1 --json benchmarks/results/functional_copies_noisy.json
"""
from __future__ import annotations

import argparse
import io
import itertools
import json
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from dgmlab.grading.copies import functional_copies as FC  # noqa: E402
from dgmlab.grading.copies import shared_weights as SW  # noqa: E402
from dgmlab.grading.layout import Course  # noqa: E402
from network_copies import permuted_copy, rescaled_copy  # noqa: E402

FIX = ROOT / "tests" / "fixtures"
NETWORKS = {  # label: (hw, graded file, published final, published early of the same run or None)
    "hw1": ("hw1_wgan", "generator_weights.pt", "hw1_generator_epoch27_f16.pt", "hw1_generator_epoch05_f16.pt"),
    "hw2": ("hw2_wgangp", "p5_generator_weights.pt", "hw2_genuine_generator_f16.pt", None),
    "hw4_baseline": ("hw4_gans", "baseline_generator_weights.pt", "hw4_genuine_baseline_generator_f16.pt",
                     "hw4_early_baseline_generator_f16.pt"),
    "hw4_cgan": ("hw4_gans", "cgan_generator_weights.pt", "hw4_genuine_cgan_generator_f16.pt",
                 "hw4_early_cgan_generator_f16.pt"),
    "hw5_pixelcnn": ("hw5_explicit", "p1_pixelcnn_weights.pt", "hw5_genuine_pixelcnn_64_f16.pt",
                     "hw5_early_pixelcnn_64_f16.pt"),
    "hw5_realnvp": ("hw5_explicit", "p2_realnvp_weights.pt", "hw5_genuine_realnvp_256_f16.pt", None),
}
OPTIMIZER = {"hw1": (3e-4, (0.0, 0.9)), "hw2": (3e-4, (0.0, 0.9)), "hw4_baseline": (5e-4, (0.5, 0.999)),
             "hw4_cgan": (5e-4, (0.5, 0.999)), "hw5_pixelcnn": (1e-3, (0.9, 0.999)),
             "hw5_realnvp": (1e-4, (0.9, 0.999))}  # the notebooks' Adam settings
BUDGET = {  # label: (steps of each independent run, batch, training digits: one epoch of them is the fine-tune)
    "hw1": (50, 64, 2048), "hw2": (50, 64, 2048), "hw4_baseline": (500, 64, 20000), "hw4_cgan": (500, 64, 20000),
    "hw5_pixelcnn": (30, 16, 512), "hw5_realnvp": (300, 64, 4096)}  # 2 CPU cores shared with other work: ~25 min
EXTRA_INDEPENDENT = {"hw4_baseline": ["hw4_seed2_baseline_generator_f16.pt"]}  # a full run from seed 2


def saved(state: dict) -> bytes:
    """The bytes of ``state`` as the notebooks save it (float16, artifacts.save_weights)."""
    buf = io.BytesIO()
    torch.save({k: (v.detach().half() if v.is_floating_point() else v.detach()) for k, v in state.items()}, buf)
    return buf.getvalue()


def digits(n: int, scale: str, seed: int):
    from dgmlab.data import mnist

    s = mnist(train=True, scale="[0,1]" if scale == "binary" else scale, n=n, source="full", seed=seed)
    return ((s.images > 0.5).float() if scale == "binary" else s.images.float()), s.labels


def train(label: str, net, model, x, y, steps: int, batch: int, seed: int) -> dict:
    """``model`` (the kit's network, in train mode) trained ``steps`` steps from ``seed`` on ``(x, y)``."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model.train()
    lr, betas = OPTIMIZER[label]
    opt = torch.optim.Adam(model.parameters(), lr=lr, betas=betas)
    if label.startswith(("hw1", "hw2", "hw4")):
        cond = label == "hw4_cgan"
        disc = torch.nn.Sequential(torch.nn.Linear(784 + (10 if cond else 0), 256), torch.nn.LeakyReLU(0.2),
                                   torch.nn.Linear(256, 1))
        d_opt = torch.optim.Adam(disc.parameters(), lr=lr, betas=betas)
        zdim = {"hw1": None, "hw2": 128}.get(label, 100)
        if label == "hw1":
            zdim = model.net[0].in_features
    for step in range(steps):
        idx = torch.randint(len(x), (batch,), generator=g)
        xb, yb = x[idx], y[idx]
        if label.startswith(("hw1", "hw2", "hw4")):
            z = torch.randn(batch, zdim, generator=g)
            fake = (model(z, yb) if cond else model(z)).reshape(batch, -1)
            real = xb.reshape(batch, -1)
            extra = [F.one_hot(yb, 10).float()] if cond else []
            d_real = disc(torch.cat([real, *extra], 1))
            d_fake = disc(torch.cat([fake.detach(), *extra], 1))
            d_loss = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
            d_opt.zero_grad()
            d_loss.backward()
            d_opt.step()
            loss = F.softplus(-disc(torch.cat([fake, *extra], 1))).mean()
        elif label == "hw5_pixelcnn":
            loss = F.binary_cross_entropy_with_logits(model(xb), xb)
        else:  # Real NVP on dequantized, logit-transformed digits
            alpha = 1e-6
            u = torch.rand(batch, 784, generator=g)
            s = alpha + (1 - 2 * alpha) * (torch.round(xb.reshape(batch, -1) * 255) + u) / 256
            z, log_det = model(torch.log(s) - torch.log1p(-s))
            loss = (0.5 * (z ** 2).sum(1) - log_det).mean() / 784
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def fresh(label: str, course, seed: int):
    """The kit's network for ``label``, freshly initialized from ``seed`` (its own init, as a student's run)."""
    hw, name = NETWORKS[label][:2]
    net = next(n for n in FC.kit_networks(course, hw) if n.name == name)
    torch.manual_seed(seed)
    template = torch.load(FIX / NETWORKS[label][2], weights_only=True)
    model = net.load({k: v.float() if v.is_floating_point() else v for k, v in template.items()})
    for m in model.modules():  # re-initialize every layer from the seed (load put the published weights in)
        if hasattr(m, "reset_parameters") and m is not model:
            m.reset_parameters()
    if hasattr(model, "pixel_bias"):
        torch.nn.init.zeros_(model.pixel_bias)
    return net, model


def calibrate(label: str, course, args) -> dict:
    hw, name, final, early = NETWORKS[label]
    t0 = time.time()
    scale = {"hw1": "[-1,1]", "hw4_baseline": "[-1,1]", "hw4_cgan": "[-1,1]", "hw2": "[0,1]",
             "hw5_pixelcnn": "binary", "hw5_realnvp": "[0,1]"}[label]
    steps, batch, subset = BUDGET[label]
    steps, subset = max(1, int(steps * args.scale)), max(batch, int(subset * args.scale))
    x, y = digits(subset, scale, seed=0)
    epoch = math.ceil(subset / batch)  # one epoch of the training digits: the fine-tune of a copy
    independent = {"published": (FIX / final).read_bytes(),
                   **{f"full run {Path(f).stem}": (FIX / f).read_bytes() for f in EXTRA_INDEPENDENT.get(label, [])}}
    net = None
    for seed in args.seeds:
        net, model = fresh(label, course, seed)
        independent[f"seed {seed}, {steps} steps"] = saved(train(label, net, model, x, y, steps, batch, seed))
    net = net or next(n for n in FC.kit_networks(course, hw) if n.name == name)
    fps = {k: net.fingerprint(v) for k, v in independent.items()}
    weights = {k: SW.weights_of(v) for k, v in independent.items()}
    rows_ind = []
    for a, b in itertools.combinations(fps, 2):
        rows_ind.append({"pair": [a, b], "agreement": round(FC.agreement(fps[a], fps[b]), 4),
                         "weight_similarity": round(SW.similarity(weights[a], weights[b])[0] or 0, 4)})
    rows_copy = []
    for src, data in independent.items():
        state = torch.load(io.BytesIO(data), weights_only=True)
        state32 = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
        copies = [("permuted", permuted_copy(state32, 1)), ("rescaled", rescaled_copy(state32, 2)),
                  ("permuted and rescaled", rescaled_copy(permuted_copy(state32, 3), 4))]
        if not src.startswith("seed"):  # a trained network, as a student would copy one: trained on one epoch more
            _, model = fresh(label, course, 99)
            model.load_state_dict(state32)
            copies.append((f"fine-tuned one epoch ({epoch} steps)",
                           train(label, net, model, x, y, epoch, batch, seed=1000 + len(rows_copy))))
        for how, copy in copies:
            b = saved(copy)
            rows_copy.append({"source": src, "copy": how, "agreement": round(FC.agreement(fps[src], net.fingerprint(b)), 4),
                              "weight_similarity": round(SW.similarity(weights[src], SW.weights_of(b))[0] or 0, 4)})
    trained_on = []
    if early:
        e = net.fingerprint((FIX / early).read_bytes())
        trained_on.append({"pair": [early, final], "agreement": round(FC.agreement(e, fps["published"]), 4)})
    ind = [r["agreement"] for r in rows_ind]
    cop = [r["agreement"] for r in rows_copy]
    tuned = [r["agreement"] for r in rows_copy if r["copy"].startswith("fine-tuned")]
    record = {"hw": hw, "file": name, "steps": steps, "batch": batch, "subset": subset,
              "fine_tune_steps": epoch, "threshold": net.threshold, "same": FC.SAME,
              "independent_max": max(ind), "independent_pairs": len(ind),
              "false_positives": sum(v >= net.threshold for v in ind), "copies": len(cop),
              "false_negatives": sum(v < net.threshold for v in cop), "fine_tuned_min": min(tuned),
              "exact_copies_min": min(v for r, v in zip(rows_copy, cop) if not r["copy"].startswith("fine")),
              "independent_at_or_above_same": sum(v >= FC.SAME for v in ind),
              "seconds": round(time.time() - t0, 1), "independent": rows_ind, "copied": rows_copy,
              "trained_on": trained_on}
    print(f"{label}: independent max {record['independent_max']:.3f} ({len(ind)} pairs, FP {record['false_positives']}); "
          f"copies: exact min {record['exact_copies_min']:.5f}, fine-tuned min {record['fine_tuned_min']:.3f} "
          f"(FN {record['false_negatives']} of {len(cop)}); trained on: "
          f"{[r['agreement'] for r in trained_on]}; {record['seconds']} s", flush=True)
    return record


def rate(record: dict, threshold: float, refuse: float = FC.SAME) -> dict:
    """The record's counts against ``threshold`` (its network's), ``refuse`` (its refusal bound against a published
    network) and SAME, recomputed from its stored agreements."""
    ind = [r["agreement"] for r in record["independent"]]
    cop = [r["agreement"] for r in record["copied"]]
    fine = [v for r, v in zip(record["copied"], cop) if r["copy"].startswith("fine")]
    record.update(threshold=threshold, same=FC.SAME, independent_max=max(ind), fine_tuned_min=min(fine),
                  false_positives=sum(v >= threshold for v in ind), false_negatives=sum(v < threshold for v in cop),
                  fine_tuned_missed=sum(v < threshold for v in fine), fine_tuned=len(fine),
                  independent_at_or_above_same=sum(v >= FC.SAME for v in ind), refuse=refuse,
                  independent_at_or_above_refuse=sum(v >= refuse for v in ind),
                  fine_tuned_at_or_above_same=sum(v >= FC.SAME for r, v in zip(record["copied"], cop)
                                                  if r["copy"].startswith("fine")))
    return record


def cost(course, repeats: int = 3) -> dict:
    """Seconds to read one published file into its kit network and compute its outputs (best of ``repeats``)."""
    out = {}
    for label, (hw, name, final, _) in NETWORKS.items():
        net = next(n for n in FC.kit_networks(course, hw) if n.name == name)
        data = (FIX / final).read_bytes()
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            net.fingerprint(data)
            times.append(time.perf_counter() - t)
        out[label] = {"bytes": len(data), "seconds": round(min(times), 3), "threads": torch.get_num_threads()}
        print(f"cost {label}: {min(times):.3f} s per file ({len(data):,} bytes)", flush=True)
    return out


NOISY = {  # label: (the kit's published file graded as it, its graded cell)
    "hw1": ("examples/demo_reference/hw1_wgan/generator_weights.pt", "q3_samples_quality_tests"),
    "hw2": ("examples/demo_reference/hw2_wgangp/p5_generator_weights.pt", "p5_mnist_samples_tests"),
    "hw4_baseline": ("examples/demo_reference/hw4_gans/baseline_generator_weights.pt", "p2_baseline_samples_tests"),
    "hw4_cgan": ("examples/demo_reference/hw4_gans/cgan_generator_weights.pt", "p3_cgan_samples_tests"),
}
NOISE = (0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0)  # x each weight matrix's standard deviation
DRAW_SEEDS = (11, 123457, 98765, 2026)  # graded draws' seeds (dgmlab autograde's are secret: unrelated ones)


def noisy_copy(state: dict, sigma: float, seed: int = 1) -> dict:
    """``state`` with Gaussian noise of ``sigma`` times each weight matrix's (floating, 2+ dims) own standard
    deviation added: a published network disguised without training."""
    g = torch.Generator().manual_seed(seed)
    return {k: (v.float() + sigma * v.float().std() * torch.randn(v.shape, generator=g)).to(v.dtype)
            if v.is_floating_point() and v.dim() >= 2 else v for k, v in state.items()}


def noisy(course, labels) -> dict:
    """For each published generator and noise level: the copy's outputs agreement and weight similarity with it,
    whether grading refuses it (draw_seeds.seeds_for with the kit's files) and the points its graded cell gives
    (judged as dgmlab autograde judges it, on each of :data:`DRAW_SEEDS`) out of the cell's; ``clears_bar``: how
    many of those draws earn the cell's full points (the kit's own network: 19 of 20 draws by design)."""
    import tempfile

    from dgmlab import probes
    from dgmlab.grading.autograde import draw_seeds as DS
    from dgmlab.grading.judge import cell_verdicts
    from dgmlab.probes import wire

    out = {}
    for label in labels:
        if label not in NOISY:
            continue
        rel, gid = NOISY[label]
        hw, name = NETWORKS[label][:2]
        net = next(n for n in FC.kit_networks(course, hw) if n.name == name)
        published = SW.published_weights(course, hw)
        data = (ROOT / rel).read_bytes()
        source = next("".join(c["source"]) for c in json.loads(course.source_notebook(hw).read_text())["cells"]
                      if c["metadata"].get("nbgrader", {}).get("grade_id") == gid)
        cells = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
                 for c in json.loads(course.source_notebook(hw).read_text())["cells"]
                 if c["metadata"].get("nbgrader", {}).get("grade_id")}
        reference = cell_verdicts.Reference(lambda g: cells[g])
        outputs = [{"output_type": "display_data", "metadata": {},
                    "data": {probes.PROBE_MIME: {"cell": gid, "data": wire.dumps({})}}}]
        base = torch.load(io.BytesIO(data), weights_only=True)
        fp = net.fingerprint(data)
        rows = []
        for sigma in (0.0, *NOISE):
            copy = saved(noisy_copy(base, sigma)) if sigma else data
            row = {"noise": sigma, "agreement": round(FC.agreement(fp, net.fingerprint(copy)), 4),
                   "weight_similarity": round(SW.similarity(SW.weights_of(data), SW.weights_of(copy))[0] or 0, 4),
                   "refused": "refused" in DS.seeds_for(b"k" * 32, hw, {name: copy}, published)[name], "earned": []}
            with tempfile.TemporaryDirectory() as folder:
                (Path(folder) / name).write_bytes(copy)
                for seed in DRAW_SEEDS:
                    r = cell_verdicts.judge_cell(hw, gid, source, outputs, 0, folder=folder, seeds={name: seed},
                                           reference=reference)
                    row["earned"].append(float(r.earned))
                    row["points"] = float(r.points)
            row["clears_bar"] = sum(e == row["points"] for e in row["earned"])
            rows.append(row)
            print(f"noisy {label} {sigma}: {row}", flush=True)
        out[label] = {"hw": hw, "file": name, "published": rel, "cell": gid, "draw_seeds": list(DRAW_SEEDS),
                      "rows": rows}
    return out


def refused_noisy(course, record: dict) -> dict:
    """The noisy copies of ``record`` (of :func:`noisy`) rebuilt and their agreement and refusal recounted against
    the current code (no judging: the points stay as measured)."""
    from dgmlab.grading.autograde import draw_seeds as DS

    for label, r in record.items():
        net = next(n for n in FC.kit_networks(course, r["hw"]) if n.name == r["file"])
        published = SW.published_weights(course, r["hw"])
        data = (ROOT / r["published"]).read_bytes()
        base, fp = torch.load(io.BytesIO(data), weights_only=True), net.fingerprint(data)
        r["refuse"] = net.refuse
        for row in r["rows"]:
            copy = saved(noisy_copy(base, row["noise"])) if row["noise"] else data
            row["agreement"] = round(FC.agreement(fp, net.fingerprint(copy)), 4)
            row["refused"] = "refused" in DS.seeds_for(b"k" * 32, r["hw"], {r["file"]: copy}, published)[r["file"]]
        r["passing_min_agreement"] = min((row["agreement"] for row in r["rows"] if row["clears_bar"] and
                                          row["noise"]), default=None)
        r["passing_not_refused"] = sum(bool(row["clears_bar"] and not row["refused"]) for row in r["rows"])
        print(f"noisy {label}: refused from {net.refuse}; copies that clear the bar on a draw agree at least "
              f"{r['passing_min_agreement']}; of them not refused: {r['passing_not_refused']}")
    return record


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", nargs="*", default=list(NETWORKS), choices=list(NETWORKS))
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    p.add_argument("--scale", type=float, default=1.0, help="multiplies every budget's steps and digits (smoke: 0.05)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--json", type=Path, required=True)
    p.add_argument("--rate", action="store_true", help="only recount the JSON file's records against the current "
                   "thresholds (no training)")
    p.add_argument("--cost", action="store_true", help="only measure the seconds per file (into the JSON's 'cost')")
    p.add_argument("--noisy", action="store_true", help="only measure noisy copies of the published generators "
                   "(into the JSON's 'noisy'): agreement, refusal and the graded cell's points")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    course = Course(ROOT)
    out = json.loads(args.json.read_text()) if args.json.exists() else {}
    if args.cost:
        out["cost"] = cost(course)
    if args.noisy:
        out["noisy"] = {**out.get("noisy", {}), **noisy(course, args.only)}
    for label in ([] if args.rate or args.cost or args.noisy else args.only):
        out[label] = calibrate(label, course, args)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1) + "\n")
    if "noisy" in out:
        out["noisy"] = refused_noisy(course, out["noisy"])
    for label in NETWORKS:
        if label in out:
            hw, name = NETWORKS[label][:2]
            net = next(n for n in FC.kit_networks(course, hw) if n.name == name)
            r = out[label] = rate(out[label], net.threshold, net.refuse)
            print(f"{label}: threshold {net.threshold}: false positives {r['false_positives']} of "
                  f"{len(r['independent'])} independent pairs (largest {r['independent_max']:.3f}), false negatives "
                  f"{r['false_negatives']} of {len(r['copied'])} copies ({r['fine_tuned_missed']} of {r['fine_tuned']} "
                  f"fine-tuned; smallest fine-tuned {r['fine_tuned_min']:.3f}); refused from {net.refuse}: "
                  f"{r['independent_at_or_above_refuse']} independent pairs")
    args.json.write_text(json.dumps(out, indent=1) + "\n")
    bad = any(out[k]["false_positives"] or out[k]["false_negatives"] or out[k]["independent_at_or_above_refuse"]
              for k in NETWORKS if k in out) or any(r["passing_not_refused"] for r in out.get("noisy", {}).values())
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
