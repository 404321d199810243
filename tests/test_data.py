import numpy as np
import pytest
import torch

from dgmlab import data


@pytest.fixture
def no_data(monkeypatch, tmp_path):
    monkeypatch.setenv("DGMLAB_DATA", str(tmp_path / "empty"))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("DGMLAB_FAST", raising=False)
    return monkeypatch


def test_data_root_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("DGMLAB_DATA", str(tmp_path))
    assert data.data_root() == tmp_path


def test_shipped_sample_is_real_balanced_mnist():
    x, y = data.load_sample(train=True)
    assert x.shape == (1000, 1, 28, 28) and x.dtype == np.uint8
    assert np.bincount(y, minlength=10).tolist() == [100] * 10
    xt, yt = data.load_sample(train=False)
    assert xt.shape == (200, 1, 28, 28) and np.bincount(yt).tolist() == [20] * 10
    # real digits: mostly black background with a bright stroke
    assert 0.05 < (x > 128).mean() < 0.3


def test_fast_mode_falls_back_to_sample(no_data):
    no_data.setenv("DGMLAB_FAST", "1")
    s = data.mnist(train=True)
    assert s.source == "sample" and s.images.shape == (1000, 1, 28, 28)


def test_full_mode_offline_raises_at_once_naming_the_fix(no_data):
    import time

    t0 = time.monotonic()
    with pytest.raises(data.DataUnavailableError) as err:
        data.mnist()
    assert time.monotonic() - t0 < 15  # a hang guard: a download would retry for minutes; loose for a loaded CI
    assert "DGMLAB_DATA" in str(err.value) and "python -m dgmlab.data download mnist" in str(err.value)


@pytest.mark.parametrize("scale,lo,hi", [("[-1,1]", -1.0, 1.0), ("[0,1]", 0.0, 1.0), ("binary", 0.0, 1.0)])
def test_scales(no_data, scale, lo, hi):
    s = data.mnist(source="sample", scale=scale)
    assert s.images.dtype == torch.float32
    assert s.images.min().item() == lo and s.images.max().item() == hi
    if scale == "binary":
        assert set(s.images.unique().tolist()) == {0.0, 1.0}


def test_unknown_scale_is_rejected(no_data):
    with pytest.raises(ValueError, match="scale must be one of"):
        data.mnist(source="sample", scale="0-255")


def test_subset_is_seeded(no_data):
    a = data.mnist(source="sample", n=50, seed=3)
    b = data.mnist(source="sample", n=50, seed=3)
    assert torch.equal(a.images, b.images) and len(a) == 50


def test_subset_larger_than_available_is_an_error(no_data):
    with pytest.raises(ValueError, match="only 200"):
        data.mnist(train=False, source="sample", n=500)


def test_loader_yields_batches(no_data):
    batch, labels = next(iter(data.mnist(source="sample").loader(batch_size=32)))
    assert batch.shape == (32, 1, 28, 28) and labels.shape == (32,)


def test_full_mnist_from_shared_datasets(monkeypatch):
    from conftest import SHARED_DATA

    if not (SHARED_DATA / "MNIST" / "raw").exists():
        pytest.skip("../shared/datasets/MNIST is not on this machine")
    monkeypatch.setenv("DGMLAB_DATA", str(SHARED_DATA))
    s = data.mnist(train=False)
    assert s.source == "full" and s.images.shape == (10000, 1, 28, 28)


def test_cifar_offline_full_mode_is_a_clear_error(no_data):
    with pytest.raises(data.DataUnavailableError, match="CIFAR-10"):
        data.cifar10()


def test_cifar_fast_mode_uses_labelled_synthetic_standin(no_data, capsys):
    no_data.setenv("DGMLAB_FAST", "1")
    s = data.cifar10(n=16)
    assert s.source == "synthetic" and s.images.shape == (16, 3, 32, 32)
    assert "SYNTHETIC" in capsys.readouterr().out


def test_cifar_reads_torchvision_layout(no_data, tmp_path):
    """A tiny CIFAR-10 in torchvision's pickle layout is read through torchvision."""
    import pickle

    root = tmp_path / "cifar"
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batch = {"data": rng.integers(0, 256, (4, 3072), dtype=np.uint8), "labels": list(range(4))}
        with open(folder / name, "wb") as fh:
            pickle.dump(batch, fh)
    with open(folder / "batches.meta", "wb") as fh:
        pickle.dump({"label_names": [str(i) for i in range(10)]}, fh)
    no_data.setenv("DGMLAB_DATA", str(root))
    import torchvision.datasets.cifar as cifar_module

    no_data.setattr(cifar_module.CIFAR10, "_check_integrity", lambda self: True)  # md5s are of the real files
    no_data.setattr(cifar_module, "check_integrity", lambda path, md5=None: True)
    s = data.cifar10(train=True, scale="[0,1]")
    assert s.source == "full" and s.images.shape == (20, 3, 32, 32)
