"""dgmlab.checkpoint_record: the training record a Checkpoint keeps (snapshots, replay states, landings), and that
a run interrupted and resumed, as in Colab, writes the record an uninterrupted one does."""
import torch
from torch.optim.swa_utils import AveragedModel

from dgmlab.checkpoint import Checkpoint
from dgmlab.checkpoint_record import Record

PLAN = dict(epochs=(1, 2, 3), replay=(1, 2), steps=3, keep=("average",))


def _train(folder, epochs=3, stop_after=None, retrain=False):
    """A tiny run of 5 steps an epoch; returns the record path, or None when 'disconnected' after ``stop_after``."""
    torch.manual_seed(0)
    net = torch.nn.Linear(4, 2)
    opt = torch.optim.Adam(net.parameters(), 1e-2)
    average = AveragedModel(net)
    opt.register_step_post_hook(lambda *args: average.update_parameters(net))
    shuffle = torch.Generator().manual_seed(1)
    ckpt = Checkpoint(folder / "run.pt", epochs=epochs, quiet=True, record=Record(**PLAN), net=net, opt=opt,
                      average=average, shuffle=shuffle)
    done, history = ckpt.resume({"loss": []}, retrain=retrain)
    for epoch in range(done + 1, epochs + 1):
        if stop_after is not None and epoch > stop_after:
            return None
        for _ in range(5):
            opt.zero_grad()
            loss = net(torch.randn(8, 4, generator=shuffle) + torch.randn(8, 4)).pow(2).mean()
            loss.backward()
            opt.step()
            history["loss"].append(loss.item())
        ckpt.save(epoch, history)
    return folder / "run.record.pt"


def _load(path):
    return torch.load(path, weights_only=True)


def test_record_keeps_a_snapshot_at_each_named_epoch_and_landings_after_replay_states(tmp_path):
    record = _load(_train(tmp_path))
    entries = record["entries"]
    assert [(e["epoch"], e["step"]) for e in entries] == [(1, 5), (2, 10), (3, 15)]
    assert [e["landing"]["step"] for e in entries[:2]] == [8, 13] and "state" not in entries[2]
    assert set(entries[0]["state"]) == {"net", "opt", "shuffle"}  # the whole run but the kept average
    assert entries[2]["keep"]["average"]["module.weight"].dtype == torch.float16
    assert record["history"]["loss"].shape == (15,)


def test_interrupted_and_resumed_run_writes_the_uninterrupted_record(tmp_path):
    whole = _load(_train(tmp_path / "whole"))
    assert _train(tmp_path / "cut", stop_after=1) is None  # disconnected after epoch 1, before its landing was saved
    resumed = _load(_train(tmp_path / "cut"))
    for a, b in zip(whole["entries"], resumed["entries"], strict=True):
        assert (a["epoch"], a["step"]) == (b["epoch"], b["step"])
        for name, state in (a.get("landing") or {}).get("state", {}).items():
            for key, value in state.items():
                assert torch.equal(value, b["landing"]["state"][name][key])
    assert torch.equal(whole["history"]["loss"], resumed["history"]["loss"])


def test_retrain_starts_the_record_over(tmp_path):
    path = _train(tmp_path)
    _train(tmp_path, retrain=True, stop_after=1)  # the old run's three snapshots are not kept
    assert [e["epoch"] for e in _load(path)["entries"]] == [1]


def test_keep_names_an_object_of_the_checkpoint(tmp_path):
    net = torch.nn.Linear(2, 2)
    try:
        Checkpoint(tmp_path / "x.pt", epochs=1, record=Record(keep=("average",)), net=net)
    except ValueError as exc:
        assert "'average' is not one of the Checkpoint's objects" in str(exc)
    else:
        raise AssertionError("Record(keep=...) of an unknown name was accepted")
