"""hw5_explicit: the seed's point split, and the reference models learn (outside the notebook)."""
import importlib.util
from collections import defaultdict

import pytest
import torch

from conftest import ROOT



def _builder():
    spec = importlib.util.spec_from_file_location("hw5_builder_t", ROOT / "tools" / "notebooks" / "hw5_explicit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_point_split_is_the_seeds():
    nb = _builder().build()
    points = defaultdict(float)
    for cell in nb.nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            points[meta["grade_id"].split("_")[0]] += meta["points"]
    assert dict(points) == {"q1": 15, "q2": 10, "q3": 15, "q4": 10, "p1": 25, "p2": 25}


def test_every_answer_cell_has_a_wrong_answer_mutant():
    module = _builder()
    nb = module.build()
    answers = {c.metadata["nbgrader"]["grade_id"] for c in nb.nb.cells
               if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}
    full = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in nb.nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}
    # a wrong answer fails a cell, or (points per test) earns less than the cell's points there
    failing = {m.answer for m in module.MUTANTS if m.fails or any(p < full[t] for t, p in m.earns.items())}
    assert answers <= failing, f"answer cells without a failing mutant: {sorted(answers - failing)}"
    required = ["mask A and B swapped", "centre pixel left in mask A", "log-det sign flipped (coupling)",
                "missing logit-transform Jacobian", "inpainting overwrites visible pixels"]
    labels = {m.label for m in module.MUTANTS}
    assert not [r for r in required if r not in labels]
    assert set(module.PARTIAL) <= labels


@pytest.fixture(scope="module")
def ref():
    from bench_hw5_explicit import reference_namespace

    torch.set_num_threads(1)
    return reference_namespace()


def test_reference_pixelcnn_learns_on_the_sample(ref):
    from dgmlab.data import mnist

    torch.manual_seed(0)
    x = mnist(train=True, scale="binary", source="sample", n=64).images
    model = ref["PixelCNN"](8, 1, 3)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = None
    for _ in range(25):
        loss = ref["bernoulli_nll"](model(x), x).mean()
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.9 * first


def test_reference_realnvp_learns_on_the_sample(ref):
    from dgmlab.data import mnist

    torch.manual_seed(0)
    x = mnist(train=True, scale="[0,1]", source="sample", n=128).images.flatten(1)
    flow = ref["RealNVP"](784, 32, 4)
    opt = torch.optim.Adam(flow.parameters(), lr=1e-3)
    losses = []
    for _ in range(25):
        loss = ref["bits_per_dim"](ref["log_prob_data"](flow, ref["dequantize"](x), 1e-6), 784).mean()
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert losses[-1] < losses[0] - 1.0
    with torch.no_grad():
        z, _ = flow(ref["logit_transform"](ref["dequantize"](x[:4]).double().float(), 1e-6)[0])
        samples = ref["inverse_logit_transform"](flow.inverse(z), 1e-6)
    assert torch.isfinite(samples).all()
