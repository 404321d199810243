"""A generator's weight spectra are taken from its folded, balanced network (``weight_spectra``), so a published
generator disguised by a rotated noise and permuted units, then rescaled unit by unit (red team, second round:
``W1 -> D W1, b1 -> D b1, W2 -> W2 D^-1`` across each LeakyReLU earned full trained-result marks), is still refused."""
import io
import shutil

import numpy as np
import pytest
import torch

from conftest import ROOT
from dgmlab.grading.copies import shared_weights as SW
from dgmlab.grading.copies import weight_spectra as WS
from dgmlab.grading.course import Course
from generator_rescaling import rescaled_generator
from network_copies import permuted_copy, rotated_copy

FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread, as grading workers run (two threads on the loaded 2-core CI machine take 10 times as long)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _state(fixture: str) -> dict:
    return torch.load(FIXTURES / fixture, weights_only=True)


def _saved(state: dict) -> bytes:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def _disguised_and_rescaled(fixture: str, spread: float, seed: int = 3) -> dict:
    """The red team's file: noise rotated, units permuted, then every unit rescaled (saved in float16, as handed in)."""
    state = rotated_copy(permuted_copy(_state(fixture), seed), seed)
    wide = {k: v.double() if v.is_floating_point() else v for k, v in state.items()}
    return {k: v.half() if v.is_floating_point() else v for k, v in rescaled_generator(wide, seed, spread).items()}


@pytest.mark.parametrize("fixture", ["hw1_generator_epoch27_f16.pt", "hw2_genuine_generator_f16.pt",
                                     "hw4_genuine_baseline_generator_f16.pt", "hw4_genuine_cgan_generator_f16.pt"])
def test_rescaling_units_across_each_relu_and_batch_norm_leaves_the_spectra_unchanged(fixture):
    state = {k: v.double() if v.is_floating_point() else v for k, v in _state(fixture).items()}
    copy = rotated_copy(permuted_copy(rescaled_generator(state, 1, spread=4.0), 1), 1)  # factors e^-4 .. e^4, float64
    raw = np.median([np.abs(WS.spectrum(copy[k]) - WS.spectrum(v)).max() for k, v in state.items()
                     if v.is_floating_point() and v.dim() >= 2 and v.numel() >= WS.MIN_NUMEL])
    assert raw > 3 * SW.SPECTRUM_COPY  # the weights' own spectra move far (hw1: 0.17),
    for (shape, mine), (their_shape, theirs) in zip(WS.spectra(copy), WS.spectra(state), strict=True):
        assert shape == their_shape and np.abs(mine - theirs).max() < 1e-6  # the balanced network's do not


@pytest.mark.parametrize("name, fixture", [("baseline_generator_weights.pt", "hw4_genuine_baseline_generator_f16.pt"),
                                           ("cgan_generator_weights.pt", "hw4_genuine_cgan_generator_f16.pt")])
def test_a_published_generator_disguised_and_rescaled_is_refused(tmp_path, name, fixture):
    source = f"examples/demo_reference/hw4_gans/{name}"
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    (tmp_path / source).parent.mkdir(parents=True)
    shutil.copy(FIXTURES / fixture, tmp_path / source)
    published = SW.published_weights(Course(tmp_path), "hw4_gans")
    copy = _saved(_disguised_and_rescaled(fixture, spread=1.5))  # the red team's e^U(-1.5, 1.5)
    mine = SW.weights_of(copy, [published[0][1].function.network])
    assert SW.similarity(mine, published[0][1])[0] < SW.THRESHOLD  # unrelated-looking weights and outputs,
    assert SW._agreement(mine, published[0][1]) < published[0][1].function.network.refuse
    assert SW.spectral_distance(mine, published[0][1]) < SW.SPECTRUM_COPY / 5  # float16 rounding only
    assert SW.published_copy(copy, published) == source
