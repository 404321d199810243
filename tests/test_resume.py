"""Training that resumes: hw1's shipped train_wgan, killed with SIGKILL mid-run, picks up where it stopped.

The child process executes the source notebook's own cells (imports, networks, the reference
answers of Q3 and the given training loop), as benchmarks/bench_hw1_wgan.py does, in fast mode,
and trains tiny networks for a few epochs of a few steps. One run blocks in the middle of epoch 3
(after the checkpoint of epoch 2) and the test kills it with SIGKILL; running it again must resume
after epoch 2, train only the remaining epochs, and end with exactly the weights, optimizer state
and losses of an uninterrupted run, although (as in the notebook, whose training cell draws a fresh
``runtime.run_seed()``) the rerun builds its networks from other random weights before the checkpoint replaces them. The run keeps the notebook's average of the generator over the last
AVERAGE_LAST epochs, whose first term (epoch 2) is in the checkpoint the kill leaves: it must survive too.
"""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from conftest import ROOT

pytestmark = pytest.mark.slow  # trains and kills trainings: make test, not make test-fast

NOTEBOOK = ROOT / "source" / "hw1_wgan" / "hw1_wgan.ipynb"
EPOCHS, STEPS = 4, 3          # epochs, generator steps per epoch (2 critic batches each)
BLOCK_AT = 2 * STEPS + 2      # the 8th training step: in the middle of epoch 3, after epoch 2's checkpoint
AVERAGE_LAST = 3              # the generator is averaged at the end of epochs 2, 3 and 4

CHILD = textwrap.dedent('''
    import json, os, sys, time
    import torch

    from dgmlab.authoring.reference import reference_namespace

    t0 = time.perf_counter()
    ns = reference_namespace(sys.argv[1], ["imports", "wgan_networks", "q3_wgan_losses", "q3_gradient_penalty", "q3_clip_weights",
                                           "q3_train_step", "train_wgan"],
                             {"__name__": "hw1_resume_child", "device": torch.device("cpu")})
    from torch.optim.swa_utils import AveragedModel
    ns["AveragedModel"] = AveragedModel
    t1 = time.perf_counter()

    import dgmlab.data
    images = dgmlab.data.mnist(train=True, scale="[-1,1]", source="sample", n=256).images
    step, calls = ns["wgan_train_step"], []
    block_at = int(os.environ.get("BLOCK_AT", "0"))

    def counted_step(*a, **k):
        calls.append(1)
        if len(calls) == block_at:          # wait here to be killed, mid-epoch, after a checkpoint
            open("blocked", "w").close()
            time.sleep(600)
        return step(*a, **k)

    ns["wgan_train_step"] = counted_step
    torch.manual_seed(int(os.environ["INIT_SEED"]))  # run_seed(): a rerun starts from other random weights
    generator, critic = ns["Generator"](width=4), ns["Critic"](width=4)
    average = ns["AveragedModel"](generator, use_buffers=True)
    averaged_after, ends = [], []           # steps done at each update of the average; the generators averaged
    update = average.update_parameters

    def recorded_update(model):
        averaged_after.append(len(calls))
        ends.append({k: v.clone() for k, v in model.state_dict().items()})
        update(model)

    average.update_parameters = recorded_update
    history = ns["train_wgan"](generator, critic, images, epochs=int(sys.argv[2]), batch_size=32,
                               max_steps=int(sys.argv[3]), grid_every=100, checkpoint="checkpoints/wgan.pt",
                               average=average, average_last=int(sys.argv[4]))
    torch.save({"generator": generator.state_dict(), "critic": critic.state_dict(), "history": history,
                "average": average.module.state_dict(), "ends": ends}, "final.pt")
    print(json.dumps({"steps_run": len(calls), "averaged_after": averaged_after, "cells_s": t1 - t0,
                      "train_s": time.perf_counter() - t1}))
''')


def _env():
    env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
    env.update(DGMLAB_FAST="1", MPLBACKEND="Agg", PYTHONPATH=str(ROOT / "src"))
    return env


def _run(folder, block_at=0, init_seed=0):
    folder.mkdir(exist_ok=True)
    (folder / "child.py").write_text(CHILD)
    return subprocess.Popen([sys.executable, "child.py", str(NOTEBOOK), str(EPOCHS), str(STEPS), str(AVERAGE_LAST)],
                            cwd=folder,
                            env={**_env(), "BLOCK_AT": str(block_at), "INIT_SEED": str(init_seed)},
                            stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def _finish(proc, timeout=300):
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out
    return out, json.loads(out.strip().splitlines()[-1])


def _final(folder):
    return torch.load(folder / "final.pt", weights_only=True)


def test_sigkilled_training_resumes_and_ends_with_the_same_weights(tmp_path):
    straight = _run(tmp_path / "straight")                 # the uninterrupted run, in parallel with the other
    killed = _run(tmp_path / "resumed", block_at=BLOCK_AT)
    deadline = time.monotonic() + 300  # generous: a busy shared CI machine can be slow to import torch
    while not (tmp_path / "resumed" / "blocked").exists():
        assert killed.poll() is None, killed.communicate()[0]
        assert time.monotonic() < deadline, "the run never reached the step where it waits to be killed"
        time.sleep(0.05)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait(timeout=30)
    assert killed.returncode == -signal.SIGKILL
    first_out = killed.stdout.read()
    assert "training from the start" in first_out, first_out
    ckpt = torch.load(tmp_path / "resumed" / "checkpoints" / "wgan.pt", weights_only=True)
    assert ckpt["epoch"] == 2, "the killed run should have left the checkpoint of epoch 2"

    # the training cell draws fresh starting weights each time it runs: the rerun's are other random weights,
    # replaced by the checkpoint's
    out, stats = _finish(_run(tmp_path / "resumed", init_seed=1))
    assert f"resuming after epoch 2 of {EPOCHS}" in out, out
    assert stats["steps_run"] == (EPOCHS - 2) * STEPS, "the rerun should train only epochs 3 and 4"
    straight_out, straight_stats = _finish(straight)
    assert straight_stats["steps_run"] == EPOCHS * STEPS, straight_out

    a, b = _final(tmp_path / "straight"), _final(tmp_path / "resumed")
    for net in ("generator", "critic", "average"):
        assert a[net].keys() == b[net].keys()
        for name in a[net]:
            assert torch.equal(a[net][name], b[net][name]), f"{net}.{name} differs from the uninterrupted run"
    assert a["history"] == b["history"], "the loss history differs from the uninterrupted run"
    assert len(b["history"]["critic_loss"]) == EPOCHS * STEPS

    # the optimizers (and the whole checkpoint state) match too
    ca = torch.load(tmp_path / "straight" / "checkpoints" / "wgan.pt", weights_only=True)
    cb = torch.load(tmp_path / "resumed" / "checkpoints" / "wgan.pt", weights_only=True)
    for opt in ("g_opt", "c_opt"):
        for k, state in ca["state"][opt]["state"].items():
            for key, value in state.items():
                assert torch.equal(value, cb["state"][opt]["state"][k][key]), f"{opt} state {k}.{key} differs"



def test_the_average_is_the_mean_of_the_last_epochs_generators(tmp_path):
    out, stats = _finish(_run(tmp_path / "straight"))
    # updated once per epoch, at the end of each of the last AVERAGE_LAST epochs (2, 3 and 4), not per step
    assert stats["averaged_after"] == [e * STEPS for e in range(EPOCHS - AVERAGE_LAST + 1, EPOCHS + 1)], out
    final = _final(tmp_path / "straight")
    assert len(final["ends"]) == AVERAGE_LAST
    for name, value in final["average"].items():
        if value.is_floating_point():  # weights and batch norm's running statistics: their plain mean
            mean = sum(end[name] for end in final["ends"]) / AVERAGE_LAST
            torch.testing.assert_close(value, mean, msg=f"average.{name} is not the mean of the epochs' generators")
    assert not torch.equal(final["average"]["net.0.weight"], final["generator"]["net.0.weight"]), \
        "the average should differ from the last epoch's generator"
