"""benchmarks/calibrate_hw2_bar.py: scores draws of saved generators and proposes the P5 bar from them."""
import json

import pytest
import torch

import calibrate_hw2_bar
from bench_hw2_wgangp import load_reference


@pytest.fixture(scope="module")
def ref():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: extra threads only contend on a shared CPU
    try:
        yield load_reference()
    finally:
        torch.set_num_threads(threads)


def test_calibration_script_scores_draws_and_proposes_a_multiple_of_a_quarter(ref, tmp_path):
    """benchmarks/calibrate_hw2_bar.py on two checkpoints of an untrained generator: 20 draws each, a bar that is a
    multiple of 0.25 which at least 19 of the latest checkpoint's draws clear, the early step reported; and an
    empty folder is refused with what is missing."""
    torch.manual_seed(0)
    for step in (234, 468):
        torch.save(ref["Generator"](capacity=32).state_dict(), tmp_path / f"generator_step{step:06d}.pt")
    out = tmp_path / "bar.json"
    assert calibrate_hw2_bar.main([str(tmp_path), "--json", str(out), "--late", "1"]) == 0
    record = json.loads(out.read_text())
    assert record["steps"] == [234, 468] and record["late_steps"] == [468]
    bar = record["proposed_bar"]
    assert bar % 0.25 == 0 and 1.0 <= bar < 5  # an untrained generator scores near 1-2, never near real digits
    late = next(t for t in record["calibration"] if t["step"] == 468)
    assert late["draws_clearing_bar"] >= 19 and late["min"] <= late["median"] <= late["max"]
    assert record["early_draws_clearing"] == record["calibration"][0]["draws_clearing_bar"]
    with pytest.raises(SystemExit, match="no generator_stepNNNNNN.pt"):
        calibrate_hw2_bar.main([str(tmp_path / "missing"), "--json", str(out)])


def test_calibration_script_reads_the_generator_of_a_training_checkpoint(ref, tmp_path):
    """--checkpoint: the generator inside a notebook training checkpoint (dgmlab.checkpoint's file) is calibrated at
    the steps its history holds, read from the file directly (no resume, so no code fingerprint to match)."""
    from dgmlab.checkpoint import Checkpoint

    torch.manual_seed(0)
    G, D = ref["Generator"](capacity=32), ref["Critic"](capacity=32)
    ckpt = Checkpoint(tmp_path / "mnist.pt", epochs=2, quiet=True, generator=G, critic=D)
    _, history = ckpt.resume({"critic loss": [], "generator loss": []})
    history["critic loss"] += [0.0] * 5
    ckpt.save(1, history)
    out = tmp_path / "bar.json"
    assert calibrate_hw2_bar.main(["--checkpoint", str(tmp_path / "mnist.pt"), "--json", str(out), "--late", "1"]) == 0
    record = json.loads(out.read_text())
    assert record["steps"] == [5] and record["late_steps"] == [5]
    assert record["checkpoints"][0]["epoch"] == 1 and record["checkpoints"][0]["epochs"] == 2
    assert len(record["calibration"][0]["draws"]) == 20 and record["calibration"][0]["draws_clearing_bar"] >= 19
    ns = {**ref, "sample_generator": lambda g, n, seed: ref["sample"](g, n, seed=seed)}
    direct = calibrate_hw2_bar.draw_scores(ns, G.eval(), n=calibrate_hw2_bar.DRAW_SIZE, scale="[0,1]")
    assert [[round(x, 3), c] for x, c in direct] == record["calibration"][0]["draws"]  # the same weights
    with pytest.raises(SystemExit, match="not a dgmlab training checkpoint"):
        torch.save(G.state_dict(), tmp_path / "plain.pt")
        calibrate_hw2_bar.main(["--checkpoint", str(tmp_path / "plain.pt"), "--json", str(out)])
