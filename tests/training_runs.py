"""An honest run of hw4's baseline as the notebook's runner trains it (P1's networks and steps, P2's train_gan and
runner: Adam, the averaged generator, a Checkpoint per epoch), on 640 digits of the shipped sample, with a training
record: what the record check (tests/grading/judge/test_training_record.py) and its calibration replay."""
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from dgmlab import artifacts, data
from dgmlab.checkpoint import Checkpoint
from dgmlab.checkpoint_record import Record


class Generator(nn.Module):
    def __init__(self, latent_dim=100, widths=(128, 256, 512), out_dim=784):
        super().__init__()
        self.latent_dim = latent_dim
        layers, width_in = [], latent_dim
        for width in widths:
            layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2)]
            width_in = width
        self.net = nn.Sequential(*layers, nn.Linear(width_in, out_dim), nn.Tanh())

    def forward(self, z):
        return self.net(z)


class Discriminator(nn.Module):
    def __init__(self, widths=(512, 256, 128), in_dim=784, dropout=0.3):
        super().__init__()
        layers, width_in = [], in_dim
        for width in widths:
            layers += [nn.Linear(width_in, width), nn.LeakyReLU(0.2), nn.Dropout(dropout)]
            width_in = width
        self.net = nn.Sequential(*layers, nn.Linear(width_in, 1))

    def forward(self, x):
        return self.net(x.reshape(x.shape[0], -1))


def d_step(g, d, opt, real, z):
    d.train()
    opt.zero_grad()
    with torch.no_grad():
        fake = g(z)
    r, f = d(real), d(fake)
    loss = F.binary_cross_entropy_with_logits(r, torch.ones_like(r)) + F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))
    loss.backward()
    opt.step()
    return loss.item()


def g_step(g, d, opt, z):
    opt.zero_grad()
    logits = d(g(z))
    loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
    loss.backward()
    opt.step()
    return loss.item()


def train_gan(g, d, g_opt, d_opt, loader, epochs, d_steps=1):
    history = {"d_loss": [], "g_loss": []}
    n_d = 0
    device = next(g.parameters()).device  # as the notebook's: batches moved there, noise drawn there
    for _ in range(epochs):
        for real, _labels in loader:
            real = real.to(device)
            z = torch.randn(real.shape[0], g.latent_dim, device=device)
            history["d_loss"].append(d_step(g, d, d_opt, real, z))
            n_d += 1
            if n_d % d_steps == 0:
                history["g_loss"].append(g_step(g, d, g_opt, torch.randn(real.shape[0], g.latent_dim, device=device)))
    return history


def run(folder, seed=0, epochs=3, record=None, stop_after=None, n=640, source="sample", device="cpu", log=None):
    """Train in ``folder`` on ``device``; return (record path, graded weights path). ``stop_after``: epochs before a
    'disconnect'; ``log``: called with (epoch, seconds) after each epoch."""
    folder = Path(folder)
    torch.manual_seed(seed)
    g, d = Generator().to(device), Discriminator().to(device)
    g_opt = torch.optim.Adam(g.parameters(), lr=5e-4, betas=(0.5, 0.999))
    d_opt = torch.optim.Adam(d.parameters(), lr=5e-4, betas=(0.5, 0.999))
    train = data.mnist(train=True, scale="[-1,1]", n=n, source=source)
    loader = train.loader(64)
    average = AveragedModel(g, multi_avg_fn=get_ema_multi_avg_fn(1 - 1 / (2 * len(loader))), use_buffers=True)
    g_opt.register_step_post_hook(lambda *a: average.update_parameters(g))
    record = record or Record(epochs=tuple(range(1, epochs + 1)), replay=tuple(range(1, epochs)), steps=16,
                              keep=("average",), path=folder / "baseline_training_record.pt")
    ckpt = Checkpoint(folder / "checkpoints" / "baseline.pt", epochs=epochs, quiet=True, record=record,
                      generator=g, discriminator=d, g_opt=g_opt, d_opt=d_opt, average=average, shuffle=loader.generator,
                      config=dict(data=train, batch_size=64))
    done, history = ckpt.resume({"d_loss": [], "g_loss": []})
    for epoch in range(done + 1, epochs + 1):
        if stop_after is not None and epoch > stop_after:
            return None, None
        started = time.perf_counter()
        h = train_gan(g, d, g_opt, d_opt, loader, 1)
        history["d_loss"] += h["d_loss"]
        history["g_loss"] += h["g_loss"]
        ckpt.save(epoch, history)
        if log is not None:
            log(epoch, time.perf_counter() - started)
    weights = artifacts.save_weights(average.module, folder / "baseline_generator_weights.pt")
    return record.path, weights

