"""Quality and speed of hw5's reference models on real MNIST, on the CPU, within a time budget.

Runs the *reference solutions* of homeworks/hw5_explicit/ (the code of the source
notebook's answer cells) outside the notebook:

- P1: masked CNN on binarised MNIST (fixed threshold 0.5, dgmlab's "binary" scale);
  reports the test NLL in nats per image on the full 10,000-image test set and seconds per epoch
  (measured, or extrapolated from the steps that ran when the budget ends an epoch early);
  saves an inpainting grid.
- P2: fully connected Real NVP on dequantised MNIST with the logit transform (alpha = 1e-6);
  reports test bits/dim on the full test set and seconds per epoch; saves samples and interpolations.

Usage (results as JSON on stdout and in --out; figures under --figures):

    DGMLAB_DATA=/work/shared/datasets nice -n 10 .venv/bin/python benchmarks/bench_hw5_explicit.py \
        --model pixelcnn --minutes 25 --channels 32 --n-layers 4 --kernel-size 3
    DGMLAB_DATA=/work/shared/datasets nice -n 10 .venv/bin/python benchmarks/bench_hw5_explicit.py \
        --model realnvp --minutes 25 --hidden 256 --n-coupling 6

Defaults are the notebook's full settings (which assume a GPU); pass smaller ones on a CPU.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HW = "hw5_explicit"


def reference_namespace(also=()) -> dict:
    """Execute the source notebook's reference cells of P1 and P2 (``REFERENCE_CELLS`` of
    homeworks/hw5_explicit/proofs.py, which the tests run too; markers are comments) and the cells named in
    ``also`` in a fresh namespace."""
    from dgmlab.authoring import homeworks

    proofs = homeworks(ROOT)[HW]
    return proofs.reference_namespace((*proofs.REFERENCE_CELLS, *also))


def _snapshot(args, model, step, steps_per_epoch, end_of_epoch=False):
    """With --save-dir: the weights at this step (every --save-every steps and at each epoch's end), for calibration."""
    import torch

    if not args.save_dir or not (end_of_epoch or (args.save_every and step % args.save_every == 0)):
        return
    folder = Path(args.save_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{args.model}_step{step:06d}.pt"
    tmp = folder / (name + ".tmp")
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, tmp)
    tmp.replace(folder / name)  # a reader never sees half a file
    with open(folder / "index.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"file": name, "step": step, "epoch": round(step / steps_per_epoch, 3),
                             "time": time.time()}) + "\n")


def bench_pixelcnn(args, ns):
    import torch

    import dgmlab.data
    from dgmlab import plots

    train = dgmlab.data.mnist(train=True, scale="binary", source="full")
    test = dgmlab.data.mnist(train=False, scale="binary", source="full", n=args.n_test)
    from dgmlab import runtime

    dev = torch.device(args.device)
    model = ns["PixelCNN"](args.channels, args.n_layers, args.kernel_size).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    scaler = runtime.grad_scaler(dev)  # as the notebook's loop: mixed precision on a GPU, nothing on the CPU
    nll = ns["bernoulli_nll"]
    steps_per_epoch = len(train) // args.batch_size
    deadline = time.monotonic() + 60 * args.minutes
    t0 = time.monotonic()
    step, epoch, losses = 0, 0, []
    done = False
    while not done:
        for xb, _ in train.loader(args.batch_size, seed=epoch + 1000 * args.seed):
            xb = xb.to(dev)
            with runtime.autocast(dev):
                logits = model(xb)
            loss = nll(logits.float(), xb).mean()
            opt.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            losses.append(loss.item())
            step += 1
            _snapshot(args, model, step, steps_per_epoch)
            if step % 50 == 0:
                print(f"pixelcnn step {step} epoch {epoch + step % steps_per_epoch / steps_per_epoch:.2f} "
                      f"train nll {sum(losses[-50:]) / 50:.1f}", flush=True)
            if time.monotonic() > deadline:
                done = True
                break
        epoch += 1
        _snapshot(args, model, step, steps_per_epoch, end_of_epoch=True)
        if epoch >= args.epochs:
            done = True
    train_s = time.monotonic() - t0
    model.eval()
    total = 0.0
    with torch.no_grad():
        for k in range(0, len(test), 500):
            xb = test.images[k:k + 500].to(dev)
            total += float(nll(model(xb), xb).sum())
    test_nll = total / len(test)
    model.cpu()  # the figures below run on the CPU
    if not args.figures:
        return _pixelcnn_result(args, step, steps_per_epoch, train_s, test_nll, len(test))
    torch.manual_seed(1)
    originals = test.images[:10]
    visible = torch.ones_like(originals, dtype=torch.bool)
    visible[:, :, 14:] = False
    completions = ns["inpaint"](model, originals, visible)
    shown = torch.where(visible, originals, torch.full_like(originals, 0.5))
    plots.image_grid(torch.cat([originals, shown, completions]), nrow=10,
                     title=f"P1 reference: original / lower half hidden / inpainted (test NLL {test_nll:.1f} nats)",
                     save=Path(args.figures) / "p1_inpainting.png")
    plots.loss_curves({"train NLL (nats/image)": losses}, title="P1 reference training", ylabel="nats", smooth=25,
                      save=Path(args.figures) / "p1_loss.png")
    return _pixelcnn_result(args, step, steps_per_epoch, train_s, test_nll, len(test))


def _pixelcnn_result(args, step, steps_per_epoch, train_s, test_nll, n_test):
    return {
        "model": "pixelcnn", "binarisation": "fixed threshold 0.5",
        "config": {k: getattr(args, k) for k in ("channels", "n_layers", "kernel_size", "batch_size", "lr")},
        "steps": step, "epochs_run": round(step / steps_per_epoch, 3), "train_seconds": round(train_s, 1),
        "seconds_per_epoch": round(train_s / step * steps_per_epoch, 1),
        "test_nll_nats": round(test_nll, 2), "test_images": n_test,
    }


def bench_realnvp(args, ns):
    import torch

    import dgmlab.data

    train = dgmlab.data.mnist(train=True, scale="[0,1]", source="full").images.flatten(1)
    test = dgmlab.data.mnist(train=False, scale="[0,1]", source="full", n=args.n_test).images.flatten(1)
    alpha = 1e-6
    flow = ns["RealNVP"](784, args.hidden, args.n_coupling)
    opt = torch.optim.Adam(flow.parameters(), lr=args.lr, weight_decay=1e-6)
    log_prob_data, bits_per_dim, dequantize = ns["log_prob_data"], ns["bits_per_dim"], ns["dequantize"]
    loader = torch.utils.data.DataLoader(train, batch_size=args.batch_size, shuffle=True, drop_last=True,
                                         generator=torch.Generator().manual_seed(args.seed))
    steps_per_epoch = len(loader)
    deadline = time.monotonic() + 60 * args.minutes
    t0 = time.monotonic()
    step, epoch, losses = 0, 0, []
    done = False
    while not done:
        for xb in loader:
            loss = bits_per_dim(log_prob_data(flow, dequantize(xb), alpha), 784).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            step += 1
            _snapshot(args, flow, step, steps_per_epoch)
            if step % 100 == 0:
                print(f"realnvp step {step} epoch {step / steps_per_epoch:.2f} train bpd {sum(losses[-100:]) / 100:.3f}",
                      flush=True)
            if time.monotonic() > deadline:
                done = True
                break
        epoch += 1
        _snapshot(args, flow, step, steps_per_epoch, end_of_epoch=True)
        if epoch >= args.epochs:
            done = True
    train_s = time.monotonic() - t0
    flow.eval()
    g = torch.Generator().manual_seed(0)
    total = 0.0
    with torch.no_grad():
        for k in range(0, len(test), 1000):
            xb = test[k:k + 1000]
            yb = (torch.round(xb * 255) + torch.rand(xb.shape, generator=g)) / 256
            total += float(bits_per_dim(log_prob_data(flow, yb, alpha), 784).sum())
        test_bpd = total / len(test)
    if args.figures:
        _realnvp_figures(args, ns, flow, test, losses, alpha)
    return {
        "model": "realnvp", "alpha": alpha,
        "config": {k: getattr(args, k) for k in ("hidden", "n_coupling", "batch_size", "lr")},
        "steps": step, "epochs_run": round(step / steps_per_epoch, 3), "train_seconds": round(train_s, 1),
        "seconds_per_epoch": round(train_s / step * steps_per_epoch, 1),
        "test_bits_per_dim": round(test_bpd, 4), "test_images": len(test),
    }



def _realnvp_figures(args, ns, flow, test, losses, alpha):
    import torch

    from dgmlab import plots

    with torch.no_grad():
        torch.manual_seed(2)
        inv = ns["inverse_logit_transform"]
        for t in (1.0, 0.7):
            s = inv(flow.inverse(t * torch.randn(64, 784)), alpha).clamp(0, 1)
            plots.image_grid(s.view(-1, 1, 28, 28), nrow=8, title=f"P2 reference samples, temperature {t}",
                             save=Path(args.figures) / f"p2_samples_t{t}.png")
        ends = test[:10] * 255 / 256 + 0.5 / 256
        z, _ = flow(ns["logit_transform"](ends, alpha)[0])
        w = torch.linspace(0, 1, 8)
        path = torch.stack([(1 - a) * z[0::2] + a * z[1::2] for a in w], dim=1)
        imgs = inv(flow.inverse(path.reshape(-1, 784)), alpha).clamp(0, 1)
        plots.interpolation_strip(imgs.view(5, 8, 1, 28, 28), title="P2 reference: latent interpolations",
                                  save=Path(args.figures) / "p2_interpolations.png")
    plots.loss_curves({"train bits/dim": losses}, title="P2 reference training", ylabel="bits/dim", smooth=50,
                      save=Path(args.figures) / "p2_loss.png")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["pixelcnn", "realnvp"], required=True)
    p.add_argument("--minutes", type=float, default=20.0, help="training time budget")
    p.add_argument("--epochs", type=int, default=10**6, help="stop after this many epochs (default: budget only)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--channels", type=int, default=64)
    p.add_argument("--n-layers", type=int, default=5)
    p.add_argument("--kernel-size", type=int, default=7)
    p.add_argument("--hidden", type=int, default=1024)
    p.add_argument("--n-coupling", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--n-test", type=int, default=None, help="evaluate on a seeded subset of the test set (default: all 10,000)")
    p.add_argument("--figures", default=str(ROOT / "docs" / "figures" / "hw5_explicit"),
                   help="folder for the figures; '' skips them (and P1's slow inpainting)")
    p.add_argument("--out", default=None, help="append the JSON result to this file")
    p.add_argument("--device", default="cpu", help="pixelcnn only: train and evaluate there (cuda: with the "
                   "notebook's mixed precision)")
    p.add_argument("--save-dir", default=None,
                   help="save the weights (a state dict) at each epoch's end into this folder, with index.jsonl")
    p.add_argument("--save-every", type=int, default=0, help="with --save-dir: also every this many steps")
    p.add_argument("--seed", type=int, default=0,
                   help="initialisation, shuffling and dequantisation noise (another seed: an independent run, "
                        "to measure run-to-run variation); test-set evaluation keeps its own fixed seeds")
    args = p.parse_args(argv)
    if args.batch_size is None:
        args.batch_size = 128
    if args.lr is None:
        args.lr = 1e-3 if args.model == "pixelcnn" else 1e-4
    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    ns = reference_namespace()
    result = (bench_pixelcnn if args.model == "pixelcnn" else bench_realnvp)(args, ns)
    result.update({"threads": args.threads, "minutes_budget": args.minutes, "torch": torch.__version__,
                   "command": "bench_hw5_explicit.py " + " ".join(sys.argv[1:] if argv is None else argv)})
    line = json.dumps(result)
    print(line, flush=True)
    if args.out:
        with open(args.out, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
