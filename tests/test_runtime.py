import random

import numpy as np
import pytest
import torch

from dgmlab import runtime


@pytest.fixture
def clean_env(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("DGMLAB_FAST", raising=False)
    monkeypatch.delenv("DGMLAB_DEVICE", raising=False)
    return monkeypatch


def test_mode_is_full_by_default(clean_env):
    assert runtime.mode() == "full"


def test_fast_mode_from_env(clean_env):
    clean_env.setenv("DGMLAB_FAST", "1")
    assert runtime.mode() == "fast" and runtime.is_fast()


def test_fast_mode_ignores_false_values(clean_env):
    clean_env.setenv("DGMLAB_FAST", "0")
    assert runtime.mode() == "full"


def test_grading_mode_wins_over_fast(clean_env):
    clean_env.setenv("DGMLAB_FAST", "1")
    clean_env.setenv("NBGRADER_EXECUTION", "autograde")
    assert runtime.mode() == "grading" and runtime.is_grading()


def test_pick_chooses_by_mode(clean_env):
    assert runtime.pick(full=40, fast=1, grading=0) == 40
    clean_env.setenv("DGMLAB_FAST", "1")
    assert runtime.pick(full=40, fast=1, grading=0) == 1
    clean_env.setenv("NBGRADER_EXECUTION", "validate")
    assert runtime.pick(full=40, fast=1, grading=0) == 0
    assert runtime.pick(full=40, fast=1) == 1


def test_device_is_cpu_here(clean_env):
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert runtime.device().type in (expected, "mps")


def test_grading_forces_cpu(clean_env):
    clean_env.setenv("NBGRADER_EXECUTION", "autograde")
    assert runtime.device().type == "cpu"


def test_unavailable_device_is_a_clear_error(clean_env):
    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="not available"):
        runtime.device("cuda")


def test_unknown_device_is_rejected(clean_env):
    with pytest.raises(ValueError, match="unknown device"):
        runtime.device("tpu")


def test_seed_everything_repeats_all_generators(clean_env):
    def draw():
        return random.random(), np.random.rand(), torch.rand(1).item()

    runtime.seed_everything(7)
    first = draw()
    runtime.seed_everything(7)
    assert draw() == first
    runtime.seed_everything(8)
    assert draw() != first


def test_run_seed_is_fresh_for_every_run(clean_env):
    clean_env.delenv("DGMLAB_SEED", raising=False)
    seeds = {runtime.run_seed() for _ in range(5)}
    assert len(seeds) == 5 and all(0 <= s < 2**31 for s in seeds)
    # seeding the global generators (as the notebooks do before they run) does not make it repeat
    runtime.seed_everything(0)
    first = runtime.run_seed()
    runtime.seed_everything(0)
    assert runtime.run_seed() != first


def test_run_seed_follows_dgmlab_seed(clean_env):
    clean_env.setenv("DGMLAB_SEED", " 42 ")
    assert runtime.run_seed() == runtime.run_seed() == 42


def test_run_seed_rejects_a_seed_that_is_not_a_number(clean_env):
    clean_env.setenv("DGMLAB_SEED", "abc")
    with pytest.raises(ValueError, match="DGMLAB_SEED='abc' is not an integer"):
        runtime.run_seed()


def test_grading_mode_is_sticky_once_started(clean_env):
    """In a process of its own (grading mode is read once, when dgmlab.runtime is first imported)."""
    import os
    import subprocess
    import sys

    code = ("import os\nfrom dgmlab import runtime\n"
            "os.environ.pop('NBGRADER_EXECUTION')\n"  # what a submission might try
            "print(runtime.mode())\n")
    env = {**os.environ, "NBGRADER_EXECUTION": "autograde"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-1] == "grading"
    assert runtime.mode() == "full"


# -- CUDA and mixed precision, proven on a CPU (no GPU is needed: torch.cuda is monkeypatched) -----------

@pytest.fixture
def fake_cuda(clean_env):
    """torch as it looks on a CUDA machine to code that only asks (nothing runs on CUDA)."""
    clean_env.delenv(runtime.AMP_ENV, raising=False)
    clean_env.setattr(torch.cuda, "is_available", lambda: True)
    return clean_env


def test_device_picks_cuda_when_present(fake_cuda):
    assert runtime.device() == torch.device("cuda")
    assert runtime.device("cuda:0") == torch.device("cuda:0")
    fake_cuda.setenv("DGMLAB_DEVICE", "cpu")
    assert runtime.device().type == "cpu"


def test_grading_stays_on_the_cpu_with_a_gpu_present(fake_cuda):
    fake_cuda.setenv("NBGRADER_EXECUTION", "autograde")
    assert runtime.device().type == "cpu" and runtime.amp_dtype("cuda") is None


@pytest.mark.parametrize("native_bf16, dtype", [(True, torch.bfloat16), (False, torch.float16)],
                         ids=["A100/L4/H100", "T4"])
def test_mixed_precision_on_cuda_uses_bf16_where_native_else_fp16(fake_cuda, native_bf16, dtype):
    asked = []

    def is_bf16_supported(including_emulation=True):
        asked.append(including_emulation)
        return native_bf16 or including_emulation   # a T4 emulates bf16 (slowly): that must not count

    fake_cuda.setattr(torch.cuda, "is_bf16_supported", is_bf16_supported)
    assert runtime.amp_dtype() == dtype and asked == [False]
    ctx = runtime.autocast()  # built, not entered: entering needs a real GPU
    assert isinstance(ctx, torch.autocast) and ctx.device == "cuda" and ctx.fast_dtype == dtype
    assert f"mixed-precision={str(dtype)[6:]}" in runtime.describe()
    fake_cuda.setenv(runtime.AMP_ENV, "0")
    assert runtime.amp_dtype() is None and not isinstance(runtime.autocast(), torch.autocast)


def test_mixed_precision_is_off_on_the_cpu(clean_env):
    assert runtime.amp_dtype("cpu") is None and runtime.amp_dtype("mps") is None
    assert "mixed-precision" not in runtime.describe() or runtime.device().type == "cuda"


def test_autocast_and_grad_scaler_change_nothing_on_the_cpu(clean_env):
    """A training step written with the helpers gives bit for bit the weights of the plain step on the CPU."""
    def step(use_helpers):
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(144, 1))
        opt = torch.optim.Adam(net.parameters(), lr=1e-2)
        x = torch.randn(8, 1, 8, 8)
        for _ in range(3):
            opt.zero_grad()
            if use_helpers:
                scaler = runtime.grad_scaler(torch.device("cpu"))
                with runtime.autocast(torch.device("cpu")):
                    out = net(x)
                    assert out.dtype == torch.float32 and not torch.is_autocast_enabled("cpu")
                loss = out.float().pow(2).mean()
                assert scaler.scale(loss) is loss and not scaler.is_enabled()
                scaler.scale(loss).backward()
                scaler.step(opt)
                scaler.update()
            else:
                net(x).pow(2).mean().backward()
                opt.step()
        return [p.detach().clone() for p in net.parameters()]

    assert all(torch.equal(a, b) for a, b in zip(step(True), step(False)))



@pytest.fixture
def cpus(clean_env):
    """``machine(idle, allowed, cores)``: the CPUs :func:`runtime.cpu_threads` reads (idle ones, this process's
    affinity, torch's default count)."""
    for name in runtime.THREAD_ENVS:
        clean_env.delenv(name, raising=False)
    clean_env.setattr(runtime, "_cpu_quota", lambda: None)

    def machine(idle, allowed, cores):
        clean_env.setattr(runtime, "_idle_cpus", lambda cpus, sample: idle)
        clean_env.setattr(runtime.os, "sched_getaffinity", lambda pid: set(range(allowed)), raising=False)
        clean_env.setattr(runtime, "_torch_threads", cores)
    return machine


def test_full_mode_on_a_busy_shared_cpu_uses_one_thread(cpus):
    cpus(idle=0.3, allowed=2, cores=2)  # careful-student trial (issue 62): 2 cores others keep busy
    assert runtime.cpu_threads() == 1


def test_full_mode_on_a_quiet_cpu_uses_every_allowed_physical_core(cpus):
    cpus(idle=7.9, allowed=8, cores=4)  # 4 cores, 8 hyperthreads: torch's own default, 4
    assert runtime.cpu_threads() == 4
    cpus(idle=3.9, allowed=4, cores=16)  # a cluster job given 4 of 16 cores
    assert runtime.cpu_threads() == 4


def test_fast_mode_uses_one_thread(cpus, clean_env):
    cpus(idle=8, allowed=8, cores=8)
    clean_env.setenv("DGMLAB_FAST", "1")
    assert runtime.cpu_threads() == 1


def test_threads_the_user_set_are_kept(cpus, clean_env):
    cpus(idle=0.0, allowed=2, cores=2)
    clean_env.setenv("OMP_NUM_THREADS", "2")
    assert runtime.cpu_threads() == torch.get_num_threads()
