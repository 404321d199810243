"""Calibrate ``dgmlab.grading.copies.image_sets`` (THRESHOLDS) on hw4's baseline generator: the image-set distance
(random-feature MMD, key-derived noise and features) of honest independent runs and of distilled copies to the
kit's published generator (examples/demo_reference), and of honest runs to each other (classmates).

- honest: ``--honest`` runs of the kit's generator (tests/training_runs.py: P1's networks and steps, Adam 5e-4,
  non-saturating loss), each from its own seed, ``--steps`` steps of batch 64 on ``--n`` MNIST digits, one thread;
- distilled: ``--distilled`` copies as issue 71 describes, cheaply: a fresh generator regressed (MSE, Adam 1e-3,
  batch 256) onto the published one at a rotated noise ``G(Qz)`` (``Q`` a random orthogonal matrix of its own),
  ``--distill-steps`` steps;
- the kit's own files (reported): hw4's second full run (seed 2), its early checkpoint, the float16 fixture.

    DGMLAB_DATA=/work/shared/datasets OMP_NUM_THREADS=1 nice .venv/bin/python benchmarks/calibrate_image_sets.py \\
        --json benchmarks/results/image_sets_calibration.json

``--digits STEPS ...`` (with ``--pairs``): each run's distance to MNIST's digits (``image_sets.digits``, what
``FAR_FROM_DIGITS`` bounds), and that of distillations of the published generator of STEPS steps each (their cost
and their distance to the published generator too).

``--pairs LABEL=FILE ...`` instead: the distance of every pair of whole runs given (a weights file, or
``RECORD@EPOCH``: a training record's averaged generator at that epoch), with the published generator and the kit's
seed-2 run among them (benchmarks/calibrate_record_across_devices.py trains such runs on a GPU).
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import io
import itertools
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
import training_runs  # noqa: E402
from dgmlab import data  # noqa: E402
from dgmlab.grading.copies import image_sets, shared_weights  # noqa: E402
from dgmlab.grading.layout import Course  # noqa: E402
from homeworks.hw4_gans.hidden import networks as hw4_networks  # noqa: E402

PUBLISHED = ROOT / "examples/demo_reference/hw4_gans/baseline_generator_weights.pt"
KIT_FILES = {"seed-2 full run": "tests/fixtures/hw4_seed2_baseline_generator_f16.pt",
             "early checkpoint": "tests/fixtures/hw4_early_baseline_generator_f16.pt",
             "published, float16": "tests/fixtures/hw4_genuine_baseline_generator_f16.pt"}


def network(key: bytes):
    found = hw4_networks.networks(None)[0]
    return dataclasses.replace(found, key=hashlib.sha256(key).digest())


def as_bytes(state: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save({k: v.half() for k, v in state.items()}, buffer)  # float16, as the kit saves (size cap)
    return buffer.getvalue()


def honest(seed: int, steps: int, digits) -> bytes:
    """An independent run of the kit's generator: ``steps`` steps from ``seed``."""
    torch.manual_seed(seed)
    g, d = training_runs.Generator(), training_runs.Discriminator()
    g_opt = torch.optim.Adam(g.parameters(), lr=5e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=5e-4, betas=(0.5, 0.999))
    order = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        real = digits[torch.randint(len(digits), (64,), generator=order)]
        training_runs.d_step(g, d, d_opt, real, torch.randn(64, 100))
        training_runs.g_step(g, d, g_opt, torch.randn(64, 100))
    return as_bytes(g.state_dict())


def distilled(seed: int, steps: int, published) -> bytes:
    """A fresh generator regressed onto ``published`` at a rotated noise (issue 71's distillation, shorter)."""
    torch.manual_seed(10_000 + seed)
    q, _ = torch.linalg.qr(torch.randn(100, 100))
    g = training_runs.Generator()
    opt = torch.optim.Adam(g.parameters(), lr=1e-3)
    for _ in range(steps):
        z = torch.randn(256, 100)
        with torch.no_grad():
            target = published(z @ q.T)
        opt.zero_grad()
        loss = F.mse_loss(g(z), target)
        loss.backward()
        opt.step()
    return as_bytes(g.state_dict())


def weights_of(where: str) -> bytes:
    """A weights file's bytes, or for ``RECORD@EPOCH`` a training record's averaged generator at that epoch."""
    path, _, epoch = where.partition("@")
    if not epoch:
        return Path(path).read_bytes()
    record = torch.load(path, map_location="cpu", weights_only=True)
    kept = next(e for e in record["entries"] if e["epoch"] == int(epoch))["keep"]["average"]
    return as_bytes({k.removeprefix("module."): v for k, v in kept.items() if k != "n_averaged"})


def pairs(named: list, key: str) -> dict:
    """``{"A | B": distance x 1e4}`` of every two of the published run, the kit's seed-2 run and ``named``."""
    net = network(key.encode())
    files = {"published": PUBLISHED.read_bytes(), "kit seed-2": (ROOT / KIT_FILES["seed-2 full run"]).read_bytes()}
    files.update((label, weights_of(where)) for label, _, where in (n.partition("=") for n in named))
    sets = {label: image_sets.image_set(data, net) for label, data in files.items()}
    found = {f"{a} | {b}": round(image_sets.distance(sets[a], sets[b]) * 1e4, 3)
             for a, b in itertools.combinations(sets, 2)}
    return dict(sorted(found.items(), key=lambda item: item[1]))


def to_digits(named: list, steps: list, key: str) -> dict:
    """``{label: distance x 1e4 to MNIST's digits}`` of the published run, the kit's seed-2 and early runs, ``named``
    and distillations of ``steps`` steps (with their CPU seconds and distance to the published generator)."""
    net = network(key.encode())
    real = image_sets.digits(net)
    runs = {"published": str(PUBLISHED), "kit seed-2": str(ROOT / KIT_FILES["seed-2 full run"]),
            "kit early (epoch 5)": str(ROOT / KIT_FILES["early checkpoint"])}
    runs.update((label, where) for label, _, where in (n.partition("=") for n in named))
    found = {label: round(image_sets.distance(image_sets.image_set(weights_of(where), net), real) * 1e4, 3)
             for label, where in runs.items()}
    published = image_sets.image_set(PUBLISHED.read_bytes(), net)
    teacher = net.load(torch.load(PUBLISHED, weights_only=True))
    for n in steps:
        started = time.process_time()
        copy = image_sets.image_set(distilled(0, n, teacher), net)
        found[f"distilled {n} steps"] = {"to_digits": round(image_sets.distance(copy, real) * 1e4, 3),
                                         "to_published": round(image_sets.distance(copy, published) * 1e4, 3),
                                         "cpu_seconds": round(time.process_time() - started)}
        print(n, found[f"distilled {n} steps"], flush=True)
    return found


def copy_checks(named: list) -> dict:
    """What the copy checks say of the runs ``named``: refused as the published generator (``published_copy``,
    what autograde does not grade), and ``dgmlab report``'s lines with each run handed in by a classmate of its own."""
    hw, name = "hw4_gans", "baseline_generator_weights.pt"
    runs = {label: weights_of(where) for label, _, where in (n.partition("=") for n in named)}
    with tempfile.TemporaryDirectory(dir=ROOT / "benchmarks") as tmp:
        root = Path(tmp)
        shutil.copy(ROOT / "nbgrader_config.py", root)
        (root / "examples/demo_reference" / hw).mkdir(parents=True)
        shutil.copy(PUBLISHED, root / "examples/demo_reference" / hw / name)
        for label, data in runs.items():  # a student id of the label's letters and digits
            student = "-".join("".join(c if c.isalnum() else " " for c in label).split())
            (root / "submitted" / student / hw).mkdir(parents=True)
            (root / "submitted" / student / hw / name).write_bytes(data)
        course = Course(root)
        published = shared_weights.published_weights(course, hw)
        refused = {label: shared_weights.published_copy(data, published) for label, data in runs.items()}
        report = shared_weights.format_report(shared_weights.compare(course, [hw]))
    return {"refused_as_published": refused, "report": report}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--honest", type=int, default=20)
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--distilled", type=int, default=5)
    parser.add_argument("--distill-steps", type=int, default=1500)
    parser.add_argument("--key", default="image-set calibration")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--pairs", nargs="+", metavar="LABEL=FILE", help="distances of these whole runs instead")
    parser.add_argument("--digits", nargs="*", type=int, metavar="STEPS", default=None,
                        help="with --pairs: distances to MNIST's digits, and of distillations of STEPS steps")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.digits is not None:
        found = to_digits(args.pairs or [], args.digits, args.key)
        print(json.dumps(found, indent=1))
        if args.json:
            args.json.write_text(json.dumps({"x1e4": found, "key": args.key, "threshold":
                                             image_sets.FAR_FROM_DIGITS["hw4_gans/baseline_generator_weights.pt"] * 1e4},
                                            indent=1) + "\n")
        return 0
    if args.pairs:
        found, checks = pairs(args.pairs, args.key), copy_checks(args.pairs)
        print("\n".join(f"{d:8.3f}  {pair}" for pair, d in found.items()))
        print(json.dumps(checks, indent=1))
        if args.json:
            args.json.write_text(json.dumps({"x1e4": found, "copy_checks": checks, "key": args.key,
                                             "samples": image_sets.SAMPLES}, indent=1) + "\n")
        return 0
    net = network(args.key.encode())
    pub_bytes = PUBLISHED.read_bytes()
    published = image_sets.image_set(pub_bytes, net)
    pub_model = net.load(torch.load(io.BytesIO(pub_bytes), weights_only=True))
    digits = data.mnist(train=True, scale="[-1,1]", n=args.n, source="full").images.reshape(-1, 784)
    rows = {"honest": [], "distilled": [], "kit": {}}
    sets, started = [], time.perf_counter()
    for seed in range(args.honest):
        t = time.perf_counter()
        sets.append(image_sets.image_set(honest(seed, args.steps, digits), net))
        rows["honest"].append(round(image_sets.distance(sets[-1], published), 4))
        print(f"honest seed {seed}: {rows['honest'][-1]:.4f} ({time.perf_counter() - t:.0f} s)", flush=True)
    for seed in range(args.distilled):
        copy = image_sets.image_set(distilled(seed, args.distill_steps, pub_model), net)
        rows["distilled"].append(round(image_sets.distance(copy, published), 4))
        print(f"distilled {seed}: {rows['distilled'][-1]:.4f}", flush=True)
    for what, rel in KIT_FILES.items():
        rows["kit"][what] = round(image_sets.distance(image_sets.image_set((ROOT / rel).read_bytes(), net), published), 4)
    rows["honest_pairs"] = sorted(round(image_sets.distance(a, b), 4) for a, b in itertools.combinations(sets, 2))
    t = time.perf_counter()
    image_sets.image_set(pub_bytes, net)
    rows["seconds_per_file"] = round(time.perf_counter() - t, 3)
    rows["settings"] = dict(vars(args), json=str(args.json), samples=image_sets.SAMPLES,
                            features=image_sets.FEATURES, bandwidth=image_sets.BANDWIDTH,
                            seconds=round(time.perf_counter() - started))
    print(json.dumps({k: v for k, v in rows.items() if k != "honest_pairs"}, indent=1))
    print("honest pairs: min", min(rows["honest_pairs"], default=None))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
