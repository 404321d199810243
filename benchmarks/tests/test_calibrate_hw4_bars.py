"""benchmarks/calibrate_hw4_bars.py: the bars and fixtures come from the generator average the notebook saves."""
import json

import torch

import calibrate_hw4_bars
from bench_hw4_gans import load_notebook_namespace


def test_calibration_draws_from_the_average_the_notebook_saves(tmp_path, monkeypatch):
    """benchmarks/calibrate_hw4_bars.py on a run folder holding both generators of each epoch (two untrained
    networks, so they differ): the draws, the bar and the fixtures come from the averaged one, as the notebook
    samples, scores and saves it; the trained weights are scored beside it."""
    monkeypatch.delenv("DGMLAB_FAST", raising=False)   # the script runs the notebook in full mode; restored after
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    ns = load_notebook_namespace(threads=1)
    torch.manual_seed(0)
    trained, average = (ns["make_gan"]("baseline", ns["LATENT_DIM"])[0] for _ in range(2))
    for epoch in (calibrate_hw4_bars.EARLY_EPOCH, calibrate_hw4_bars.EARLY_EPOCH + 1):
        torch.save(trained.state_dict(), tmp_path / f"baseline_epoch{epoch:02d}.pt")
        torch.save(average.state_dict(), tmp_path / f"baseline_average_epoch{epoch:02d}.pt")
    (tmp_path / "baseline_log.jsonl").write_text('{"epoch": 1}\n')
    out, fixtures = tmp_path / "bars.json", tmp_path / "fixtures"
    assert calibrate_hw4_bars.main(["calibrate", str(tmp_path), "--json", str(out), "--fixtures", str(fixtures),
                                    "--last", "1", "--models", "baseline"]) == 0
    record = json.loads(out.read_text())["baseline"]
    assert record["graded_generator"] == "average" and record["late_epochs"] == [calibrate_hw4_bars.EARLY_EPOCH + 1]
    assert record["score_bar"] % 0.25 == 0 and record["score_bar"] < 5   # untrained networks score near 1
    assert set(record["final_5000"]) >= {"mnist_score", "trained"}
    genuine = torch.load(fixtures / "hw4_genuine_baseline_generator_f16.pt", weights_only=True)
    for key, value in average.state_dict().items():  # the graded generator (the average), in float16
        assert genuine[key].dtype == torch.float16 and torch.equal(genuine[key], value.half()), key
    assert not torch.equal(genuine["net.0.weight"], trained.state_dict()["net.0.weight"].half())
