"""benchmarks/bench_hw1_wgan.py: a stopped run continues its own epoch count from the notebook's checkpoint."""
import json

import pytest
import torch

import bench_hw1_wgan


def _stopped_run(out, checkpoint_epoch, rows, steps_per_epoch=468):
    (out / "checkpoints").mkdir(parents=True)
    torch.save({"format": "dgmlab-checkpoint/1", "epoch": checkpoint_epoch}, out / "checkpoints" / "wgan.pt")
    (out / "results.json").write_text(json.dumps({"steps_per_epoch": steps_per_epoch,
                                                  "epochs": [{"epoch": e, "seconds": 10.0} for e in rows]}))


def test_a_fresh_folder_starts_at_epoch_zero(tmp_path):
    record = {"epochs": []}
    assert bench_hw1_wgan.resumed_epochs(tmp_path, record, 468) == 0 and record["epochs"] == []


def test_rows_after_the_checkpoint_are_dropped(tmp_path):
    """Killed between writing epoch 3's row and saving its checkpoint: epoch 3 is trained again."""
    _stopped_run(tmp_path, checkpoint_epoch=2, rows=[1, 2, 3])
    record = {"epochs": []}
    assert bench_hw1_wgan.resumed_epochs(tmp_path, record, 468) == 2
    assert [row["epoch"] for row in record["epochs"]] == [1, 2]


def test_a_folder_of_another_epoch_size_is_refused(tmp_path):
    _stopped_run(tmp_path, checkpoint_epoch=2, rows=[1, 2], steps_per_epoch=30)
    with pytest.raises(SystemExit, match="30 steps per epoch.*another --out"):
        bench_hw1_wgan.resumed_epochs(tmp_path, {"epochs": []}, 468)


def _untrained_run(folder, epochs=(1, 2, 3)):
    """A bench_hw1_wgan.py run folder with an untrained generator saved per epoch (seeded by the epoch) and its
    results.json; returns the generators' state dicts."""
    from bench_hw1_wgan import load_reference

    ns = load_reference(torch.device("cpu"))
    folder.mkdir(exist_ok=True)
    states = []
    for epoch in epochs:
        torch.manual_seed(epoch)
        states.append(ns["Generator"]().state_dict())
        torch.save(states[-1], folder / f"generator_epoch{epoch:02d}.pt")
    (folder / "results.json").write_text(json.dumps({"args": {}, "epochs": [
        {"epoch": e, "seconds": 1.0, "mnist_score_1000": 1.0 + e} for e in epochs]}))
    return states


def test_the_bar_calibration_scores_the_chosen_epochs_at_the_graded_size(tmp_path):
    import calibrate_hw1_bar

    run = tmp_path / "run"
    _untrained_run(run)
    out = tmp_path / "bar.json"
    assert calibrate_hw1_bar.main([str(run), "--json", str(out), "--figures", str(tmp_path / "fig"),
                                   "--epochs", "1", "3", "--draw-size", "30", "--final-n", "200"]) == 0
    record = json.loads(out.read_text())
    assert [t["epoch"] for t in record["calibration"]] == [1, 3] and record["draw_size"] == 30
    assert record["final"]["epoch"] == 3 and record["final"]["graded_n"] == 30
    assert {p.name for p in (tmp_path / "fig").iterdir()} >= {"hw1_score_by_epoch.png", "hw1_samples_100.png"}
    assert record["average"] is None  # only with --average-last
    with pytest.raises(SystemExit, match=r"--epochs \[7\]: no generator_epochNN.pt"):
        calibrate_hw1_bar.main([str(run), "--json", str(out), "--figures", str(tmp_path / "fig"), "--epochs", "7"])


def test_the_bar_calibration_averages_the_last_epochs_generators_when_asked(tmp_path):
    import calibrate_hw1_bar

    run = tmp_path / "run"
    states = _untrained_run(run)
    mean = calibrate_hw1_bar.mean_state(states[1:])
    torch.testing.assert_close(mean["net.0.weight"], (states[1]["net.0.weight"] + states[2]["net.0.weight"]) / 2)
    assert torch.equal(mean["net.1.num_batches_tracked"], states[1]["net.1.num_batches_tracked"])
    out = tmp_path / "bar.json"
    assert calibrate_hw1_bar.main([str(run), "--json", str(out), "--figures", str(tmp_path / "fig"),
                                   "--draw-size", "30", "--final-n", "200", "--average-last", "2"]) == 0
    average = json.loads(out.read_text())["average"]
    assert average["epochs"] == [2, 3] and average["graded_n"] == 30
    assert 1.0 <= average["draws"]["min"] <= average["draws"]["median"] <= average["draws"]["max"] <= 10.0
    with pytest.raises(SystemExit, match="--average-last 4: no generator_epochNN.pt"):
        calibrate_hw1_bar.main([str(run), "--json", str(out), "--figures", str(tmp_path / "fig"),
                                "--average-last", "4"])


@pytest.mark.parametrize("hw", ["hw1", "hw2"])
def test_the_memorizer_writes_float16_weights_of_the_graded_network(tmp_path, hw):
    """benchmarks/make_memorizer.py (the proofs' cheat fixtures), one step: the file is the graded network's state
    dict in float16, moved away from the genuine weights it started from."""
    import make_memorizer

    out = tmp_path / "memorizer.pt"
    assert make_memorizer.main([hw, "--steps", "1", "--source", "sample", "--out", str(out)]) == 0
    state = torch.load(out, weights_only=True)
    genuine = torch.load(make_memorizer.FIXTURES / make_memorizer.HOMEWORKS[hw]["genuine"], weights_only=True)
    assert state.keys() == genuine.keys()
    assert all(v.dtype == torch.float16 for v in state.values() if v.is_floating_point())
    assert any(not torch.equal(state[k], genuine[k]) for k in state if state[k].is_floating_point())
