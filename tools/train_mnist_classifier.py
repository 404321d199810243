"""Train the MNIST classifier shipped in dgmlab and write its weights, SHA-256 and reference statistics.

    DGMLAB_DATA=../shared/datasets nice -n 5 python tools/train_mnist_classifier.py

Writes, under src/dgmlab/assets/:

- mnist_classifier.pt (+ .sha256): the state dict of dgmlab.metrics.MnistClassifier;
- mnist_test_stats.npz (+ .sha256): mean and covariance (float64) of its
  penultimate features on the 10,000 MNIST test images, used by
  dgmlab.metrics.mnist_frechet_distance.

Seeded; a few minutes on 2 CPU cores. Refuses to write anything if the test
accuracy is below --min-accuracy (99.0% by default).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from dgmlab import data, runtime
from dgmlab.metrics import CLASSIFIER_FILE, SHA_SUFFIX, STATS_FILE, MnistClassifier, file_sha256, gaussian_stats

ASSETS = Path(__file__).resolve().parents[1] / "src" / "dgmlab" / "assets"


def evaluate(model, x, y, batch_size=1000):
    model.eval()
    correct, feats = 0, []
    with torch.no_grad():
        for i in range(0, len(x), batch_size):
            f = model.features(x[i:i + batch_size])
            feats.append(f)
            correct += int((model.head(f).argmax(1) == y[i:i + batch_size]).sum())
    return correct / len(x), torch.cat(feats)


def write_with_sha(path: Path, writer) -> str:
    writer(path)
    digest = file_sha256(path)
    path.with_name(path.name + SHA_SUFFIX).write_text(f"{digest}  {path.name}\n")
    return digest


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--min-accuracy", type=float, default=0.99)
    p.add_argument("--out", type=Path, default=ASSETS, help="folder to write the assets to (default: the package's)")
    args = p.parse_args(argv)

    runtime.seed_everything(args.seed)
    train = data.mnist(train=True, scale="[0,1]", source="full")
    test = data.mnist(train=False, scale="[0,1]", source="full")
    print(f"MNIST from {data.data_root()}: {len(train)} train, {len(test)} test; torch threads {torch.get_num_threads()}",
          flush=True)

    model = MnistClassifier()
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    loader = train.loader(batch_size=args.batch_size, shuffle=True, seed=args.seed, drop_last=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=args.epochs * len(loader))
    start = time.time()
    for epoch in range(args.epochs):
        model.train()
        total, seen = 0.0, 0
        for step, (x, y) in enumerate(loader):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(y)
            seen += len(y)
            if step % 100 == 0:
                print(f"epoch {epoch + 1} step {step}/{len(loader)} loss {total / seen:.4f} "
                      f"({time.time() - start:.0f}s)", flush=True)
        acc, _ = evaluate(model, test.images, test.labels)
        print(f"epoch {epoch + 1}: train loss {total / seen:.4f}, test accuracy {acc:.4%} "
              f"({time.time() - start:.0f}s)", flush=True)

    acc, feats = evaluate(model, test.images, test.labels)
    print(f"final MNIST test accuracy: {acc:.4%} ({int(round(acc * len(test)))}/{len(test)})", flush=True)
    if acc < args.min_accuracy:
        print(f"below --min-accuracy {args.min_accuracy:.2%}: nothing written")
        return 1

    args.out.mkdir(parents=True, exist_ok=True)
    model.eval()
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    weights_sha = write_with_sha(args.out / CLASSIFIER_FILE, lambda p: torch.save(state, p))
    mu, cov = gaussian_stats(feats)
    stats_sha = write_with_sha(
        args.out / STATS_FILE,
        lambda p: np.savez(p, mu=mu, cov=cov, n=np.int64(len(test)), test_accuracy=np.float64(acc),
                           classifier_sha256=np.str_(weights_sha)),
    )
    size = (args.out / CLASSIFIER_FILE).stat().st_size
    print(f"wrote {args.out / CLASSIFIER_FILE} ({size / 1024:.0f} KiB, sha256 {weights_sha})")
    print(f"wrote {args.out / STATS_FILE} (features {mu.shape[0]}, sha256 {stats_sha})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
