"""dgmlab.checkpoint on a toy loop: exact resumption, refusing another run's checkpoint, atomic saves."""
import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from dgmlab import checkpoint as ck
from dgmlab.checkpoint import Checkpoint, CheckpointError, CheckpointMismatch


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: extra threads only contend on a shared CPU
    yield
    torch.set_num_threads(threads)


def noisy_step(net, opt, batch):
    """Uses every global random source (Python, NumPy, torch), so a resumption must restore all three."""
    scale = 0.1 + 0.1 * random.random() + 0.1 * float(np.random.rand())
    loss = (net(batch + scale * torch.randn_like(batch)) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def other_step(net, opt, batch):
    loss = (net(batch) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def train(path, epochs=4, stop_after=None, lr=1e-2, step=noisy_step, retrain=False, width=8):
    """A small loop in the shape the homeworks use; returns (net, history, epochs trained in this call)."""
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, width), torch.nn.BatchNorm1d(width), torch.nn.ReLU(),
                              torch.nn.Linear(width, 1))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    data = torch.randn(64, 4, generator=torch.Generator().manual_seed(1))
    loader = torch.utils.data.DataLoader(data, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0))
    ckpt = Checkpoint(path, epochs=epochs, config=dict(data=data, step=step), net=net, opt=opt,
                      shuffle=loader.generator)
    done, history = ckpt.resume({"loss": []}, retrain=retrain)
    trained = 0
    for epoch in range(done + 1, epochs + 1):
        for batch in loader:
            history["loss"].append(step(net, opt, batch))
        ckpt.save(epoch, history)
        trained += 1
        if epoch == stop_after:
            break
    return net, history, trained


def test_resumed_run_equals_uninterrupted_run(tmp_path, capsys):
    straight, h_straight, n = train(tmp_path / "a.pt")
    assert n == 4
    train(tmp_path / "b.pt", stop_after=1)
    _, _, n = train(tmp_path / "b.pt", stop_after=2)
    assert n == 1 and "resuming after epoch 1 of 4" in capsys.readouterr().out
    resumed, h_resumed, n = train(tmp_path / "b.pt")
    assert n == 2
    assert h_resumed == h_straight
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), f"{name} differs after resuming"


def test_finished_run_is_loaded_not_retrained_unless_asked(tmp_path, capsys):
    net, history, _ = train(tmp_path / "a.pt")
    capsys.readouterr()
    again, history2, n = train(tmp_path / "a.pt")
    out = capsys.readouterr().out
    assert n == 0 and history2 == history and "finished run (4 epochs)" in out and "retrain=True" in out
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), again.state_dict().values()))
    _, _, n = train(tmp_path / "a.pt", retrain=True)
    assert n == 4 and "will be replaced" in capsys.readouterr().out


@pytest.mark.parametrize("change, named", [
    (dict(lr=2e-2), "opt (optimizer settings)"),
    (dict(step=other_step), "step"),
    (dict(width=16), "net (shapes and code)"),
])
def test_another_runs_checkpoint_is_refused_and_kept(tmp_path, change, named):
    path = tmp_path / "a.pt"
    train(path, stop_after=2)
    before = path.read_bytes()
    with pytest.raises(CheckpointMismatch) as err:
        train(path, **change)
    message = str(err.value)
    assert named in message and str(path) in message and "retrain=True" in message and "delete" in message
    assert path.read_bytes() == before, "a refused checkpoint must not be touched"
    _, _, n = train(path, retrain=True, **change)                 # asked explicitly: starts over, replaces it
    assert n == 4 and torch.load(path, weights_only=True)["epoch"] == 4


def test_checkpoint_ahead_of_the_run_and_unreadable_files_are_refused(tmp_path):
    path = tmp_path / "a.pt"
    train(path, epochs=4)
    with pytest.raises(CheckpointError, match="has 4 epochs, more than the 2"):
        train(path, epochs=2)
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read the checkpoint .*retrain=True"):
        train(path)
    torch.save({"some": torch.zeros(1)}, path)
    with pytest.raises(CheckpointError, match="not a dgmlab training checkpoint"):
        train(path)


def test_a_save_that_dies_leaves_the_previous_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "a.pt"
    train(path, stop_after=1)
    before = path.read_bytes()
    real_save = torch.save

    def dying_save(obj, f, *a, **k):
        f.write(b"half a checkpoint")
        raise OSError("disk vanished mid-save")

    monkeypatch.setattr(torch, "save", dying_save)
    with pytest.raises(OSError, match="mid-save"):
        train(path, stop_after=2)
    monkeypatch.setattr(torch, "save", real_save)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pt"], "no temporary file may be left behind"
    assert torch.load(path, weights_only=True)["epoch"] == 1


def test_checkpoint_holds_only_weights_only_types(tmp_path):
    train(tmp_path / "a.pt", stop_after=1)
    data = torch.load(tmp_path / "a.pt", weights_only=True)
    assert set(data) >= {"state", "rng", "history", "epoch", "fingerprint"}
    assert set(data["rng"]) == {"python", "numpy", "torch", "cuda"}


def test_no_path_trains_without_saving(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, history, n = train(None)
    assert n == 4 and len(history["loss"]) == 32 and list(tmp_path.iterdir()) == []


def test_bad_arguments_say_what_to_pass():
    with pytest.raises(TypeError, match="networks and optimizers"):
        Checkpoint("x.pt", epochs=2)
    with pytest.raises(TypeError, match="cannot be saved"):
        Checkpoint("x.pt", epochs=2, data=[1, 2])
    net = torch.nn.Linear(1, 1)
    with pytest.raises(RuntimeError, match="resume"):
        Checkpoint("x.pt", epochs=2, net=net).save(1, {})


def test_code_fingerprint_is_the_same_in_every_process(tmp_path):
    """Set constants (``x in {"a", "b"}``) are ordered by a per-process string hash; the fingerprint must not be."""
    script = tmp_path / "fp.py"
    script.write_text(
        "from dgmlab import checkpoint as m\n"
        "def f(x):\n    return x in {'alpha', 'beta', 'gamma', 'delta'} and [k for k in 'ab']\n"
        "print(m._function_fingerprint(f))\n")
    prints = {subprocess.run([sys.executable, str(script)], env={**os.environ, "PYTHONHASHSEED": str(seed)},
                             capture_output=True, text=True, check=True).stdout for seed in (1, 2, 3)}
    assert len(prints) == 1, prints


# --------------------------------------------------------------------------- code fingerprints across versions
CODE_SAMPLES = '''
def fstrings(x, width=8):
    """Python 3.12 splits an f-string's literal parts where 3.11 joins them."""
    a = f"{x!r:>{width}} and {x:.3f} {{braces}} {x=}"
    return a + f'{"nested " + f"{x}"}' f"tail {x}" "plain" + f"{x}{x}"


def control(xs, *args, key=None, **kw) -> list[int]:
    total: int = 0
    for i, x in enumerate(xs):
        if (y := x * 2) > 3 and not key:
            total += y
        elif x in {"alpha", "beta"}:
            continue
    try:
        match xs:
            case [first, *rest]:
                total += len(rest)
    except (ValueError, TypeError) as err:
        raise RuntimeError("bad") from err
    return [t for t in range(total) if t % 2] + [lambda q: q + 1]


def slicing(a, /, b, *, c=3):
    return a[1:2, ::3], b[...], -a @ b, a if b else c


class Net:
    def forward(self, x):
        return self.layer(x).relu()[:, None]


step = lambda batch, scale=0.5: batch * scale
'''

FINGERPRINT_SCRIPT = '''
import hashlib, importlib.util, sys, types
N = types.SimpleNamespace  # only the names checkpoint.py looks up: the other interpreters have no torch
sys.modules["torch"] = N(Tensor=type("T", (), {}), nn=N(Module=type("M", (), {})), Generator=type("G", (), {}))
package = types.ModuleType("dgmlab")  # checkpoint.py and the module it imports, not the whole package
package.__path__ = [sys.argv[1].rsplit("/", 1)[0]]
sys.modules["dgmlab"] = package
spec = importlib.util.spec_from_file_location("dgmlab.checkpoint", sys.argv[1])
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
sys.path.insert(0, sys.argv[2])
import code_samples as s
h = hashlib.sha256(); m._class_code(s.Net, h)
print([m._function_fingerprint(f) for f in (s.fstrings, s.control, s.slicing, s.step)], h.hexdigest())
'''


def _other_pythons() -> dict[str, str]:
    """Every CPython >= 3.10 on this machine (PATH and pyenv), by version: the Colab and laptop versions a run meets."""
    import glob
    import shutil

    found = {}
    candidates = [shutil.which(f"python3.{minor}") for minor in range(10, 15)]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[0-9]*/bin/python3")))
    for exe in filter(None, candidates + [sys.executable]):
        run = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True)
        if run.returncode == 0 and tuple(map(int, run.stdout.split("."))) >= (3, 10):
            found.setdefault(run.stdout.strip(), exe)
    return found


@pytest.mark.slow  # runs every Python on the machine
def test_code_fingerprint_is_the_same_under_every_python_version(tmp_path):
    """A checkpoint saved under Colab's Python 3.12 must resume under 3.11 (and back): the same code, the same print."""
    pythons = _other_pythons()
    if len(pythons) < 2:
        pytest.skip(f"only Python {', '.join(pythons)} on this machine: a second version is needed to compare")
    (tmp_path / "code_samples.py").write_text(CODE_SAMPLES)
    (tmp_path / "fp.py").write_text(FINGERPRINT_SCRIPT)
    prints = {version: subprocess.run([exe, str(tmp_path / "fp.py"), ck.__file__, str(tmp_path)],
                                      capture_output=True, text=True, check=True).stdout
              for version, exe in sorted(pythons.items())}
    assert len(set(prints.values())) == 1, prints
    assert "code fstrings" in prints[min(prints)] and "code <lambda>" in prints[min(prints)]


def _module_from(tmp_path, name, source):
    import importlib.util

    path = tmp_path / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_comments_blank_lines_and_docstrings_do_not_change_the_code_fingerprint(tmp_path):
    plain = _module_from(tmp_path, "plain", "def step(x, k=2):\n    return x * k + 1\n")
    noted = _module_from(tmp_path, "noted", 'def step(x, k=2):\n    """Scale, then shift."""\n\n'
                                            "    # the shift keeps it positive\n    return x * k + 1  # why\n")
    assert ck._function_fingerprint(plain.step) == ck._function_fingerprint(noted.step)


@pytest.mark.parametrize("changed", ["def step(x, k=2):\n    return x * k - 1\n",
                                     "def step(x, k=3):\n    return x * k + 1\n",
                                     "def step(x, k=2):\n    return x * k + 1.0\n",
                                     "def step(y, k=2):\n    return y * k + 1\n"])
def test_a_change_to_the_code_changes_its_fingerprint(tmp_path, changed):
    plain = _module_from(tmp_path, "plain", "def step(x, k=2):\n    return x * k + 1\n")
    other = _module_from(tmp_path, "other", changed)
    assert ck._function_fingerprint(plain.step) != ck._function_fingerprint(other.step)


def test_code_without_source_is_fingerprinted_by_its_bytecode():
    ns_a, ns_b = {}, {}
    exec(compile("def step(x):\n    return x + 1\n", "<no file>", "exec"), ns_a)
    exec(compile("def step(x):\n    return x - 1\n", "<no file>", "exec"), ns_b)
    assert ck._source_tree(ns_a["step"]) is None
    assert ck._function_fingerprint(ns_a["step"]) != ck._function_fingerprint(ns_b["step"])


def test_two_lambdas_on_one_line_are_told_apart(tmp_path):
    m = _module_from(tmp_path, "lambdas", "up, down = (lambda x: x + 1), (lambda x: x - 1)\n")
    assert ck._function_fingerprint(m.up) != ck._function_fingerprint(m.down)


def _saved_by_the_bytecode_scheme(path, monkeypatch, **train_kwargs):
    """Two epochs saved the way dgmlab saved them before code was compared by source."""
    with monkeypatch.context() as m:
        m.setattr(ck, "_source_tree", lambda fn: None)  # no source found: every function by its bytecode
        train(path, stop_after=2, **train_kwargs)
    data = torch.load(path, weights_only=True)
    del data["fingerprint_scheme"], data["python"]
    torch.save(data, path)


def test_a_checkpoint_from_before_the_source_scheme_still_resumes(tmp_path, monkeypatch):
    path = tmp_path / "a.pt"
    _saved_by_the_bytecode_scheme(path, monkeypatch)
    net, history, n = train(path)
    assert n == 2
    ref, ref_history, _ = train(tmp_path / "b.pt")
    assert history == ref_history
    saved = torch.load(path, weights_only=True)
    assert saved["fingerprint_scheme"] == ck.SCHEME, "the next save writes the new scheme"


def test_an_old_checkpoint_whose_code_differs_is_refused_with_the_python_version_hint(tmp_path, monkeypatch):
    path = tmp_path / "a.pt"
    _saved_by_the_bytecode_scheme(path, monkeypatch, step=other_step)
    before = path.read_bytes()
    with pytest.raises(CheckpointMismatch, match="step.*Python version that saved it"):
        train(path)
    assert path.read_bytes() == before


def train_scaled(path, epochs=4, stop_after=None, scaler_on=True, with_scaler=True, resume_on=None):
    """The toy loop with a loss scaler (on the CPU here; on a GPU it is hw5's float16 loop). Its scale grows every
    3 steps and backs off on the overflow planted at step 10, so it changes during the run."""
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)
    net = torch.nn.Linear(4, 1)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    on = scaler_on if resume_on is None or not Path(path).exists() else resume_on
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 8, growth_interval=3, enabled=on)
    data = torch.randn(32, 4, generator=torch.Generator().manual_seed(1))
    loader = torch.utils.data.DataLoader(data, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0))
    state = dict(net=net, opt=opt, shuffle=loader.generator, **({"scaler": scaler} if with_scaler else {}))
    ckpt = Checkpoint(path, epochs=epochs, config=dict(data=data), **state)
    done, history = ckpt.resume({"loss": []})
    for epoch in range(done + 1, epochs + 1):
        for batch in loader:
            loss = (net(batch) ** 2).mean() * (float("inf") if len(history["loss"]) == 10 else 1.0)
            opt.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            history["loss"].append(loss.item())
        ckpt.save(epoch, history)
        if epoch == stop_after:
            break
    return net, scaler, history


def test_the_loss_scale_is_resumed_with_the_run(tmp_path):
    straight, straight_scaler, h_straight = train_scaled(tmp_path / "a.pt")
    train_scaled(tmp_path / "b.pt", stop_after=2)
    resumed, resumed_scaler, h_resumed = train_scaled(tmp_path / "b.pt")
    assert straight_scaler.get_scale() != 2.0 ** 8  # the scale moved, so starting it afresh would show
    assert resumed_scaler.get_scale() == straight_scaler.get_scale()
    assert resumed_scaler.state_dict()["_growth_tracker"] == straight_scaler.state_dict()["_growth_tracker"]
    assert h_resumed == h_straight
    for a, b in zip(straight.parameters(), resumed.parameters()):
        assert torch.equal(a, b)


@pytest.mark.parametrize("saved_by", ["a scaler that was off", "a run without a scaler"])
def test_a_loss_scale_that_was_not_saved_starts_afresh_and_says_so(tmp_path, capsys, saved_by):
    if saved_by == "a scaler that was off":
        train_scaled(tmp_path / "a.pt", stop_after=2, scaler_on=False)
    else:
        train_scaled(tmp_path / "a.pt", stop_after=2, with_scaler=False)
    capsys.readouterr()
    _, scaler, history = train_scaled(tmp_path / "a.pt")
    out = capsys.readouterr().out
    assert "resuming after epoch 2 of 4" in out
    assert "scaler (the mixed-precision loss scale) was not saved; it starts afresh" in out
    assert len(history["loss"]) == 16


def test_a_scaler_that_is_off_resumes_without_a_note(tmp_path, capsys):
    train_scaled(tmp_path / "a.pt", stop_after=2, scaler_on=False)
    capsys.readouterr()
    train_scaled(tmp_path / "a.pt", scaler_on=False)  # a CPU run resumed on the CPU: no float16 step to warn about
    out = capsys.readouterr().out
    assert "resuming after epoch 2 of 4" in out and "loss scale" not in out


def test_a_scale_saved_on_a_gpu_is_ignored_by_a_scaler_that_is_off(tmp_path, capsys):
    train_scaled(tmp_path / "a.pt", stop_after=2)  # the scaler was on (float16 on a GPU)
    capsys.readouterr()
    _, scaler, history = train_scaled(tmp_path / "a.pt", resume_on=False)  # resumed on the CPU
    assert not scaler.is_enabled() and len(history["loss"]) == 16
    assert "loss scale" not in capsys.readouterr().out


def test_a_checkpoint_without_the_state_of_something_asked_for_is_refused_and_kept(tmp_path):
    path = tmp_path / "a.pt"
    train(path, stop_after=1)
    before = path.read_bytes()
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    class StepCounter:  # anything with a state_dict that the checkpoint does not fingerprint
        def state_dict(self):
            return {"steps": 0}

        def load_state_dict(self, state):
            pass

    sched = StepCounter()
    data = torch.randn(64, 4, generator=torch.Generator().manual_seed(1))
    loader = torch.utils.data.DataLoader(data, batch_size=8, shuffle=True, generator=torch.Generator().manual_seed(0))
    ckpt = Checkpoint(path, epochs=4, config=dict(data=data, step=noisy_step), net=net, opt=opt,
                      shuffle=loader.generator, sched=sched)
    untouched = {k: v.clone() for k, v in net.state_dict().items()}
    with pytest.raises(CheckpointMismatch, match="no saved state for sched"):
        ckpt.resume({"loss": []})
    assert path.read_bytes() == before
    for name, value in net.state_dict().items():  # refused before anything was loaded
        assert torch.equal(value, untouched[name]), f"{name} was loaded from a refused checkpoint"
