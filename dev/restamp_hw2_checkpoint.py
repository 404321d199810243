"""Let hw2's MNIST checkpoint from the H100 (Python 3.12, bytecode fingerprints) resume on this machine.

``dgmlab.checkpoint`` fingerprinted code by its bytecode until session 11, which differs between Python
versions for the same source, so the H100's checkpoint after epoch 39 (``/work/runs/gpu3/hw2_wgangp/mnist.pt``)
is refused here. This rebuilds the run's ``Checkpoint`` the way the notebook's ``train_wgan_gp`` builds it
(reference solution, capacity 32, batch 64, all 60,000 MNIST digits, 40 epochs), checks that under the old
scheme every fingerprint except the three of code equals the file's, and writes a copy fingerprinted under
the current scheme. Only use it when the fingerprinted code has not changed since the file was written
(``git diff <commit of the run> -- homeworks/hw2_wgangp/p5_wgan_gp_mnist.py``). Used once, session 16:

    DGMLAB_DATA=/work/shared/datasets .venv/bin/python dev/restamp_hw2_checkpoint.py \\
        /work/runs/gpu3/hw2_wgangp/mnist.pt /work/runs/hw2e40/checkpoints/mnist.pt
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

CODE_KEYS = {"code", "critic (shapes and code)", "generator (shapes and code)"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("source", type=Path, help="the checkpoint written under another Python version")
    p.add_argument("target", type=Path, help="where to write the restamped copy (the source is not changed)")
    args = p.parse_args(argv)
    if args.target.exists():
        raise SystemExit(f"{args.target} exists: move it away first (nothing is overwritten)")
    os.environ.pop("DGMLAB_FAST", None)
    import torch

    from bench_hw2_wgangp import load_reference
    from dgmlab import data
    from dgmlab.checkpoint import SCHEME, Checkpoint

    ns = load_reference("cpu")
    generator, critic = ns["Generator"](capacity=32), ns["Critic"](capacity=32)
    opt_g, opt_c = ns["make_optimizers"](generator, critic)
    mnist = data.mnist(train=True, scale="[0,1]")
    loader = mnist.loader(batch_size=64, shuffle=True, seed=0)
    code = [ns[n] for n in ("critic_step", "generator_step", "critic_loss", "generator_loss", "gradient_penalty")]
    ckpt = Checkpoint(args.source, epochs=40, generator=generator, critic=critic, opt_g=opt_g, opt_c=opt_c,
                      shuffle=loader.generator, config=dict(images=mnist, batch_size=64, total_steps=40 * len(loader),
                                                            seed_dim=ns["SEED_DIM"], lr=None, code=code))
    saved = torch.load(args.source, map_location="cpu", weights_only=True)
    old = ckpt._fingerprints(legacy=True)
    differ = {k for k in set(old) | set(saved["fingerprint"]) if old.get(k) != saved["fingerprint"].get(k)}
    print(f"epoch {saved['epoch']}; fingerprints that differ under the old scheme: {sorted(differ)}")
    if not differ <= CODE_KEYS:
        raise SystemExit(f"not only code differs ({sorted(differ - CODE_KEYS)}): this is another run; not restamped")
    saved.update(fingerprint=ckpt.fingerprint, fingerprint_scheme=SCHEME,
                 restamped=f"fingerprints recomputed under scheme {SCHEME!r} from {args.source}")
    args.target.parent.mkdir(parents=True, exist_ok=True)
    torch.save(saved, args.target)
    print(f"written {args.target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
