"""benchmarks/estimate_colab_t4.py: its FLOP and op counts on steps whose cost is known, and its time model."""

import pytest


def test_flops_of_a_linear_training_step_are_counted_exactly():
    import torch

    import estimate_colab_t4 as est

    torch.manual_seed(0)
    layer = torch.nn.Linear(8, 4, bias=False)
    opt = torch.optim.SGD(layer.parameters(), lr=0.1)
    x = torch.randn(16, 8)

    def step():
        opt.zero_grad()
        layer(x).square().sum().backward()
        opt.step()

    c = est.count_step(step, repeats=1)
    # forward 2*16*8*4, weight gradient 2*4*16*8; no input gradient (x needs none)
    assert c["flop"] == 2 * 1024
    assert c["ops"] > 0 and c["cpu_s"] >= 0


def test_gradient_penalty_double_backward_is_counted_through_modules():
    """FlopCounterMode's module tracker breaks torch.autograd.grad; the estimator must count it anyway."""
    import torch

    import estimate_colab_t4 as est

    critic = torch.nn.Sequential(torch.nn.Linear(8, 4, bias=False), torch.nn.Tanh(), torch.nn.Linear(4, 1, bias=False))
    x = torch.randn(16, 8)

    def plain():
        critic.zero_grad()
        critic(x).sum().backward()

    def with_penalty():
        critic.zero_grad()
        xi = x.clone().requires_grad_(True)
        out = critic(xi).sum()
        (g,) = torch.autograd.grad(out, xi, create_graph=True)
        (out + 10 * (g.norm(dim=1) - 1).square().mean()).backward()

    assert est.count_step(with_penalty, repeats=1)["flop"] > 2 * est.count_step(plain, repeats=1)["flop"]


def test_the_slower_of_host_and_gpu_sets_the_pace_and_serial_is_their_sum():
    import estimate_colab_t4 as est

    # 1 s of FLOPs at the low estimate's fraction, 1,000 ops, 1 ms of data per step, 60 steps
    row = dict(homework="hwX", run="r", epochs=1, steps_per_epoch=60, batches_per_step=1, batch_s=1e-3,
               flop=int(est.FRACTION[0] * est.T4_FP32_PEAK), ops=1000, view_ops=0, cpu_s=1.0, wall_s=1.0)
    r = est.estimate(row)
    gpu = [1.0, est.FRACTION[0] / est.FRACTION[1]]
    host = [1000 * t_op + 1e-3 for t_op in est.T_OP]
    assert r["t4_minutes"] == pytest.approx(gpu)  # FLOP-bound; 60 steps: seconds per step = minutes
    assert r["t4_serial_minutes"] == pytest.approx([g + h for g, h in zip(gpu, host)])
    assert r["cpu_s_per_epoch"] == pytest.approx(60.0)
    launch_bound = est.estimate(dict(row, flop=10 ** 9))
    assert launch_bound["t4_minutes"] == pytest.approx(host)


def test_verdicts_follow_the_estimate_range():
    import estimate_colab_t4 as est

    row = dict(homework="hwX", run="r", epochs=1, steps_per_epoch=60, batches_per_step=1, batch_s=1e-3,
               flop=int(est.FRACTION[0] * est.T4_FP32_PEAK), ops=1000, view_ops=0, cpu_s=1.0, wall_s=1.0)
    fits = dict(row, homework="small", flop=0, steps_per_epoch=10)
    too_big = dict(row, homework="big", steps_per_epoch=10_000)
    edge = dict(row, homework="edge", steps_per_epoch=2000)  # 33 min at the low end, 83 at the high end
    near = dict(row, homework="near", steps_per_epoch=1400)  # 23 min at the low end, 58 at the high end
    table = est.markdown([est.estimate(fits), est.estimate(too_big), est.estimate(edge), est.estimate(near)])
    assert "| small | 0-0 | yes |" in table
    assert "| big | " in table and table.split("| big | ")[-1].split("\n")[0].endswith("| no |")
    assert table.split("| edge | ")[-1].split("\n")[0].endswith("| only at the low end |")
    assert table.split("| near | ")[-1].split("\n")[0].endswith("| at the limit at the high end |")


def test_rows_from_earlier_files_are_re_estimated_and_the_latest_count_of_a_run_wins(tmp_path):
    import json

    import estimate_colab_t4 as est

    base = dict(homework="hw2", epochs=40, steps_per_epoch=937, batches_per_step=1, batch_s=1e-3, flop=10 ** 10,
                view_ops=0, cpu_s=1.0, wall_s=1.0, t4_minutes=[0.0, 0.0])  # a stale estimate, to be recomputed
    first = tmp_path / "first.json"
    first.write_text(json.dumps({"rows": [dict(base, run="MNIST WGAN-GP, capacity 128 (1 critic + 1 generator)",
                                               ops=700),
                                          dict(base, homework="hw5", run="masked CNN: 64 channels", ops=91)]}))
    later = tmp_path / "later.json"
    later.write_text(json.dumps({"rows": [dict(base, run="MNIST WGAN-GP, capacity 32 (1 critic + 1 generator)",
                                               ops=649)]}))
    out = tmp_path / "out.json"
    assert est.main(["--rows-from", str(first), str(later), "--out", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert [(r["homework"], r["ops"]) for r in rows] == [("hw2", 649), ("hw5", 91)]
    assert rows[0]["counted_in"] == str(later)
    assert rows[0]["t4_minutes"] == pytest.approx(est.estimate(dict(base, run="x", ops=649))["t4_minutes"])
    assert rows[0]["t4_minutes"][0] > 0
