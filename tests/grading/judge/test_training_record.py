"""The judge's training record check (dgmlab.grading.judge.training_record) on hw4's baseline: an honest short run
passes; weights that are not its last snapshot, a record stitched from two runs, a trail that falls, a missing,
malformed or oversized record need a look, each saying why."""
import io
import pickle

import pytest
import torch

import training_runs
from dgmlab.grading.judge import training_record as record_check
from homeworks.hw4_gans.hidden import training_record as hw4_record

NAME = "baseline_generator_weights.pt"
FIXTURES = training_runs.Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two honest runs (seeds 0 and 1): ``{seed: (record bytes, graded state dict)}``."""
    out = {}
    for seed in (0, 1):
        record, weights = training_runs.run(tmp_path_factory.mktemp(f"run{seed}"), seed=seed)
        out[seed] = record.read_bytes(), torch.load(weights, weights_only=True)
    return out


def _verdict(record_bytes, graded, seed=7):
    return record_check.verdict(NAME, record_bytes, graded, seed, hw4_record.Hooks(seed))


def _edited(record_bytes, edit) -> bytes:
    record = torch.load(io.BytesIO(record_bytes), weights_only=True)
    edit(record)
    buf = io.BytesIO()
    torch.save(record, buf)
    return buf.getvalue()


@pytest.mark.parametrize("seed", [7, 8])
def test_honest_run_is_one_run(runs, seed):
    record, graded = runs[0]
    found = _verdict(record, graded, seed)
    assert found.status == record_check.ONE_RUN, found.reasons
    assert "off by" in found.replay


def test_weights_not_the_last_snapshot_need_a_look(runs):
    found = _verdict(runs[0][0], runs[1][1])  # run 0's record, run 1's weights
    assert found.status == record_check.NEEDS_A_LOOK
    assert "the graded weights are not its last snapshot's" in found.reasons


def test_record_stitched_from_two_runs_fails_the_replay(runs):
    other = torch.load(io.BytesIO(runs[1][0]), weights_only=True)

    def stitch(record):  # run 1's landings after run 0's replay states
        for mine, theirs in zip(record["entries"], other["entries"], strict=True):
            if "landing" in mine:
                mine["landing"] = theirs["landing"]

    found = _verdict(_edited(runs[0][0], stitch), runs[0][1])
    assert found.status == record_check.NEEDS_A_LOOK
    assert any("lands elsewhere than its landing" in r for r in found.reasons), found.reasons


def test_replay_state_from_another_run_fails_the_replay(runs):
    other = torch.load(io.BytesIO(runs[1][0]), weights_only=True)

    def stitch(record):  # run 1's states before run 0's landings
        for mine, theirs in zip(record["entries"], other["entries"], strict=True):
            if "state" in mine:
                mine["state"], mine["rng"] = theirs["state"], theirs["rng"]

    found = _verdict(_edited(runs[0][0], stitch), runs[0][1])
    assert any("lands elsewhere" in r or "history is not what the replay computes" in r for r in found.reasons)


def test_trail_that_falls_is_flagged(runs):
    trained = torch.load(FIXTURES / "hw4_genuine_baseline_generator_f16.pt", weights_only=True)

    def fall(record):  # a 50-epoch generator at the first snapshot, the short run's after it
        record["entries"][0]["keep"]["average"] = {f"module.{k}": v for k, v in trained.items()}

    found = _verdict(_edited(runs[0][0], fall), runs[0][1])
    assert found.status == record_check.NEEDS_A_LOOK
    assert any("its score fell to" in r for r in found.reasons), found.reasons


def test_a_fast_records_trail_ending_in_a_trained_generator_needs_a_look(runs):
    """An attacker's trial: a distilled generator handed in with a record that says fast mode (no rise asked) was
    "one run". A short run cannot make a generator that scores as a trained one: its record is not that run's."""
    trained = {f"module.{k}": v for k, v in
               torch.load(FIXTURES / "hw4_genuine_baseline_generator_f16.pt", weights_only=True).items()}

    def forged(record):  # every snapshot the trained generator: nothing falls, and fast mode asks for no rise
        for entry in record["entries"]:
            entry["keep"]["average"] = dict(trained)

    graded = {k.removeprefix("module."): v for k, v in trained.items()}
    found = _verdict(_edited(runs[0][0], forged), graded)
    assert found.status == record_check.NEEDS_A_LOOK
    assert any("record of a short run (fast mode)" in r for r in found.reasons), found.reasons
    assert not record_check.rise_problems([(1, 1.0), (2, 1.1)], hw4_record.RISE["fast"])  # an honest fast trail


def test_rise_as_the_kits_runs_passes_and_a_flat_trail_does_not():
    rise = hw4_record.RISE["full"]
    kit_run = [(5, 5.10), (10, 7.24), (20, 8.02), (30, 8.09), (40, 8.18), (50, 8.14)]  # docs/hw4_gans.md, seed 0
    assert record_check.rise_problems(kit_run, rise) == []
    assert record_check.rise_problems([(5, 8.3), (50, 8.4)], rise)  # a copy's trail: good from the start


def test_missing_record_needs_a_look(runs):
    found = _verdict(None, runs[0][1])
    assert found.status == record_check.NEEDS_A_LOOK
    assert "no training record (baseline_training_record.pt) was handed in" in found.reasons


@pytest.mark.parametrize("data, says", [
    (b"not a torch file", "cannot be read with torch.load(weights_only=True)"),
    (pickle.dumps({"format": "dgmlab-record/1", "entries": [print]}, protocol=2), "cannot be read"),
    (b"\0" * (record_check.MAX_RECORD_BYTES + 1), "more than the"),
], ids=["not torch", "a pickled function", "oversized"])
def test_malformed_or_oversized_record_is_refused(runs, data, says):
    found = _verdict(data, runs[0][1])
    assert found.status == record_check.NEEDS_A_LOOK
    assert found.reasons[0].startswith("refused:") and says in found.reasons[0], found.reasons


def test_record_of_another_shape_is_refused(runs):
    found = _verdict(_edited(runs[0][0], lambda r: r["entries"].reverse()), runs[0][1])
    assert found.reasons == ["refused: not a training record the kit's Checkpoint writes: its snapshots' epochs "
                             "and steps do not increase"]


def test_replay_segment_longer_than_the_bound_is_not_replayed(runs):
    def longer(record):
        for entry in record["entries"]:
            if "landing_at" in entry:
                entry["landing_at"] = entry["landing"]["step"] = entry["step"] + hw4_record.MAX_REPLAY_STEPS + 1

    found = _verdict(_edited(runs[0][0], longer), runs[0][1])
    assert any("could not start" in r and "the replay takes 1 to" in r for r in found.reasons), found.reasons


def test_key_picks_among_replay_states():
    assert {record_check.pick(seed, 3) for seed in range(40)} == {0, 1, 2}
