"""dgmlab.novelty: copied MNIST digits are caught (as they are, shifted, noisy), generated ones are not.

Cheap: the shipped index and dgmlab's shipped MNIST sample, plus the genuine hw1 samples of
tests/fixtures. One test also checks the shipped index against real MNIST when it is on disk.
"""
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import shared_data_env
from dgmlab import novelty
from dgmlab.data import load_sample
from dgmlab.metrics import AssetError

FIXTURE = Path(__file__).parent / "fixtures" / "hw1_genuine_samples_1000.pt"


@pytest.fixture(autouse=True)
def _one_thread():
    """One torch thread, as in grading mode: on a shared 2-core machine two threads made eigh 25x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _real(train: bool, n: int = 100) -> torch.Tensor:
    """``n`` real MNIST digits in [0, 1] from dgmlab's shipped sample."""
    x, _ = load_sample(train=train)
    return torch.from_numpy(x[:n].astype("float32") / 255.0)


def _shift(x, dy, dx):
    out = torch.zeros_like(x)
    h, w = x.shape[-2:]
    out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        x[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
    return out


@pytest.mark.slow  # searches the MNIST index
def test_exact_copies_are_flagged_and_traced_to_their_split():
    test_digits, train_digits = _real(train=False), _real(train=True)
    report = novelty.find_copies(test_digits, scale="[0,1]")
    assert report.n_copies == 100, report.summary()
    assert (report.distance < 0.1).all(), f"an exact copy lies {report.distance.max():.3f} from its source"
    assert (report.nearest >= novelty.N_TRAIN).all() and report.source(0).startswith("MNIST test image")
    report = novelty.find_copies(train_digits * 2 - 1)  # [-1, 1], detected from the pixels
    assert report.n_copies == 100 and (report.nearest < novelty.N_TRAIN).all()
    assert "100 of 100 samples are near-copies" in report.summary()


@pytest.mark.parametrize("pixels", [1, 2])
def test_shifted_copies_are_flagged(pixels):
    x = _real(train=False)
    dirs = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)]
    shifted = torch.cat([_shift(part, pixels * dy, pixels * dx) for part, (dy, dx) in zip(x.chunk(8), dirs)])
    assert (shifted != x).any()
    report = novelty.find_copies(shifted, scale="[0,1]")
    assert report.n_copies >= 95, report.summary()


@pytest.mark.parametrize("std", [0.05, 0.1])
def test_noisy_copies_are_flagged(std):
    x = _real(train=True) * 2 - 1
    noisy = (x + torch.randn(x.shape, generator=torch.Generator().manual_seed(0)) * std).clamp(-1, 1)
    report = novelty.find_copies(noisy, scale="[-1,1]")
    assert report.n_copies >= 97, report.summary()


@pytest.mark.parametrize("degrees", [-20, 7, 12, 25])
def test_copies_turned_by_many_degrees_fail_as_a_file(degrees):
    """Turned by 10 degrees or more a copy looks new to the unturned search; turning it back catches enough of
    them that a file of 100 fails (more than MAX_COPIES), at and between the search's angles (up to 25)."""
    x = _real(train=True)
    report = novelty.find_copies(novelty.rotate(x, degrees), scale="[0,1]")
    assert report.n_copies > novelty.MAX_COPIES, report.summary()
    turned = np.flatnonzero(report.turned)
    assert len(turned) and "turned by" in report.source(int(turned[0])), report.summary()
    assert (report.nearest[turned] < novelty.N_TRAIN).mean() > 0.9  # traced back to the training digits


def test_rotate_turns_about_the_image_centre():
    x = _real(train=False, n=4)
    quarter = novelty.rotate(x, 90)
    ours = torch.rot90(x, k=1, dims=(2, 3))
    theirs = torch.rot90(x, k=-1, dims=(2, 3))
    # a quarter turn about the centre moves every pixel onto a pixel: one of the two directions, to rounding
    assert min(float((quarter - ours).abs().max()), float((quarter - theirs).abs().max())) < 1e-4
    assert torch.allclose(novelty.rotate(novelty.rotate(x, 15), -15).sum(), x.sum(), rtol=0.05)


def test_a_real_digit_without_its_own_row_is_not_a_copy_of_itself():
    x = _real(train=False, n=20)
    rows = novelty.find_copies(x, scale="[0,1]").nearest  # each test digit's own row
    report = novelty.find_copies(x, scale="[0,1]", exclude=rows)
    assert (report.nearest != rows).all() and report.distance.min() > 0.3, report.summary()


@pytest.mark.slow  # searches the MNIST index
def test_genuine_generated_samples_pass():
    x = torch.load(FIXTURE, weights_only=True)[:100]
    report = novelty.find_copies(x, scale="[-1,1]")
    assert report.n_copies == 0, report.summary()
    assert report.ratio.min() > novelty.RATIO_THRESHOLD + 0.1, "genuine samples sit close to the threshold"
    assert report.turned_ratio.min() > novelty.ROTATED_RATIO_THRESHOLD + 0.1, "turned, they sit close to it"
    assert report.summary().startswith("none of the 100 samples")
    same = novelty.find_copies((x + 1) / 2)  # the same images in [0, 1] give the same answer
    np.testing.assert_allclose(same.ratio, report.ratio, atol=1e-5)


def test_noise_and_blank_images_are_not_copies():
    g = torch.Generator().manual_seed(1)
    x = torch.cat([torch.rand(20, 1, 28, 28, generator=g), torch.zeros(2, 1, 28, 28)])
    report = novelty.find_copies(x, scale="[0,1]")
    assert report.n_copies == 0 and np.isfinite(report.ratio).all(), report.summary()


def test_bad_input_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="not an MNIST batch"):
        novelty.find_copies(torch.zeros(4, 3, 32, 32))
    with pytest.raises(ValueError, match="range"):
        novelty.find_copies(torch.full((4, 1, 28, 28), 3.0))


def test_shipped_index_is_small_complete_and_checked():
    path = novelty._asset_path()
    assert path.stat().st_size < 3_000_000, "the index ships in the wheel: keep it a few MB"
    index = novelty.load_index()
    assert tuple(index.coords_t.shape) == (novelty.COMPONENTS, 70_000) and index.n_train == 60_000
    gram = index.basis.T @ index.basis
    assert torch.allclose(gram, torch.eye(novelty.COMPONENTS, dtype=gram.dtype), atol=1e-5)


def test_index_built_in_blocks_holds_the_numbers_of_the_whole_float64_product():
    with np.load(novelty._asset_path()) as z:
        codes, step = torch.from_numpy(z["codes"]), torch.from_numpy(z["step"])
    whole = codes.double() * step.double()  # (70000, k): the index as it was built before, in one float64 piece
    index = novelty.load_index()
    assert torch.equal(index.coords_t, whole.float().T)
    assert torch.equal(index.coords_sq, (whole ** 2).sum(1).float())


def test_damaged_or_missing_index_raises_with_a_fix(tmp_path):
    path = novelty._asset_path()
    copy = tmp_path / novelty.INDEX_FILE
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    copy.write_bytes(bytes(data))
    (tmp_path / (novelty.INDEX_FILE + ".sha256")).write_text(
        path.with_name(path.name + ".sha256").read_text())
    with pytest.raises(AssetError, match="corrupt or was modified.*build_novelty_index"):
        novelty.load_index(copy)
    with pytest.raises(AssetError, match="missing"):
        novelty.load_index(tmp_path / "nothing.npz")


def test_build_index_gives_orthonormal_components_and_int8_codes():
    x = _real(train=True, n=300)
    arrays = novelty.build_index(x, components=8)
    assert arrays["codes"].dtype == np.int8 and arrays["codes"].shape == (300, 8)
    basis = torch.from_numpy(arrays["basis"]).double()
    assert torch.allclose(basis.T @ basis, torch.eye(8, dtype=torch.float64), atol=1e-5)
    coords = arrays["codes"].astype(np.float64) * arrays["step"]
    assert np.abs(coords).max(0) == pytest.approx(127 * arrays["step"], rel=1e-6)  # each component fills int8
    assert 0.5 < float(arrays["explained"]) < 1.0


@pytest.mark.skipif(not shared_data_env(), reason="real MNIST not found under ../shared/datasets")
def test_shipped_index_matches_real_mnist():
    """The index's rows are MNIST's digits in order (training, then test), cleaned by this ``clean``."""
    raw = Path(shared_data_env()["DGMLAB_DATA"]) / "MNIST" / "raw"
    rows = np.array([0, 1, 12_345, 59_999, 60_000, 64_321, 69_999])
    train = np.memmap(raw / "train-images-idx3-ubyte", np.uint8, "r", offset=16).reshape(-1, 1, 28, 28)
    test = np.memmap(raw / "t10k-images-idx3-ubyte", np.uint8, "r", offset=16).reshape(-1, 1, 28, 28)
    assert len(train) == 60_000 and len(test) == 10_000
    x = torch.from_numpy(np.concatenate([train[rows[rows < 60_000]], test[rows[rows >= 60_000] - 60_000]]))
    report = novelty.find_copies(x)  # uint8 pixels
    assert report.nearest.tolist() == rows.tolist(), report.nearest
    assert report.copied.all() and (report.distance < 0.1).all()
