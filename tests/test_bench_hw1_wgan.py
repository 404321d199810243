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
