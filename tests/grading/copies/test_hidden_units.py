"""Generators compared by what their hidden units do (``hidden_units``): the red team's third round (ATTACK3,
finding 1) disguised the published generators so that their weights' spectra moved (hw4's tensors renamed, so the
network was not recognised; a constant unit per layer; a dead channel with huge kernels) while they still drew
what they drew and earned every trained-cell point. Each such file is refused; an independent run is not."""
import shutil

import pytest
import torch

from conftest import ROOT
from dgmlab.grading.copies import hidden_units as HU
from dgmlab.grading.copies import shared_weights as SW
from dgmlab.grading.course import Course
from generator_rescaling import rescaled_generator
from network_copies import one_thread, permuted_copy, rotated_copy  # noqa: F401 (a fixture)
from network_copies import saved as _saved
from sacrificed_units import constant_units, dead_channel, renamed

FIXTURES = ROOT / "tests" / "fixtures"


pytestmark = pytest.mark.usefixtures("one_thread")


def _published(tmp_path, hw: str, name: str, fixture: str) -> tuple[str, list]:
    """A course publishing ``fixture`` as its demo's ``name`` of ``hw``: (that path, published_weights)."""
    source = f"examples/demo_reference/{hw}/{name}"
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    (tmp_path / "source" / "hw1_wgan").mkdir(parents=True)  # the kit's hw1 Generator comes from its locked cell
    shutil.copy(ROOT / "source" / "hw1_wgan" / "hw1_wgan.ipynb", tmp_path / "source" / "hw1_wgan")
    (tmp_path / source).parent.mkdir(parents=True)
    shutil.copy(FIXTURES / fixture, tmp_path / source)
    return source, SW.published_weights(Course(tmp_path), hw)


def _disguised(fixture: str, sacrifice=None, seed: int = 3) -> dict:
    """The fixture with its units permuted, its noise rotated, every unit rescaled by e^U(-1.5, 1.5), then a unit
    sacrificed (``sacrifice``), in float16: the red team's files."""
    state = {k: v.double() if v.is_floating_point() else v
             for k, v in torch.load(FIXTURES / fixture, weights_only=True).items()}
    state = rescaled_generator(rotated_copy(permuted_copy(state, seed), seed), seed, 1.5)
    state = sacrifice(state, seed) if sacrifice else state
    return {k: v.half() if v.is_floating_point() else v for k, v in state.items()}


def _refused_only_by_its_hidden_units(copy: bytes, published: list) -> bool:
    mine, theirs = SW.weights_of(copy, [published[0][1].function.network]), published[0][1]
    assert SW.similarity(mine, theirs)[0] < SW.THRESHOLD  # unrelated-looking weights,
    assert SW._agreement(mine, theirs) < theirs.function.network.refuse  # other outputs on the fixed noise
    return SW.unit_distance(mine, theirs) <= SW.UNITS_COPY


@pytest.mark.parametrize("name, fixture", [("baseline_generator_weights.pt", "hw4_genuine_baseline_generator_f16.pt"),
                                           ("cgan_generator_weights.pt", "hw4_genuine_cgan_generator_f16.pt")])
def test_a_published_hw4_generator_renamed_rescaled_and_its_noise_rotated_is_refused(tmp_path, name, fixture):
    source, published = _published(tmp_path, "hw4_gans", name, fixture)
    copy = _saved(renamed(_disguised(fixture)))  # hw4's loader places tensors by shape: names do not matter
    assert _refused_only_by_its_hidden_units(copy, published)
    assert SW.published_copy(copy, published) == source


def test_a_published_hw4_generator_with_a_constant_unit_per_layer_is_refused(tmp_path):
    name, fixture = "baseline_generator_weights.pt", "hw4_genuine_baseline_generator_f16.pt"
    source, published = _published(tmp_path, "hw4_gans", name, fixture)
    copy = _saved(_disguised(fixture, constant_units))
    assert _refused_only_by_its_hidden_units(copy, published)
    assert SW.published_copy(copy, published) == source


@pytest.mark.parametrize("hw, name, fixture", [("hw1_wgan", "generator_weights.pt", "hw1_generator_epoch27_f16.pt"),
                                               ("hw2_wgangp", "p5_generator_weights.pt", "hw2_genuine_generator_f16.pt")])
def test_a_published_generator_with_a_dead_channel_of_huge_kernels_is_refused(tmp_path, hw, name, fixture):
    source, published = _published(tmp_path, hw, name, fixture)
    copy = _saved(_disguised(fixture, dead_channel))
    assert _refused_only_by_its_hidden_units(copy, published)
    assert SW.published_copy(copy, published) == source


def _translated(state: dict, dy: int, dx: int) -> dict:
    """hw4's generator ``state`` drawing each image moved ``dy`` rows and ``dx`` columns (its output layer's rows
    rolled; the rows rolled in from the border draw background: weight 0, bias -5): the red team's fourth round
    (ATTACK4, finding 1, w/hw4_shift.py)."""
    out = {k: v.clone() for k, v in state.items()}
    rows, bias = out["net.6.weight"].reshape(28, 28, -1), out["net.6.bias"].reshape(28, 28)
    rows, bias = torch.roll(rows, (dy, dx), (0, 1)), torch.roll(bias, (dy, dx), (0, 1))
    border = torch.ones(28, 28, dtype=torch.bool)
    border[dy:, dx:] = False  # dy, dx >= 0: the first dy rows and dx columns rolled in
    rows[border], bias[border] = 0, -5
    out["net.6.weight"], out["net.6.bias"] = rows.reshape(784, -1), bias.reshape(784)
    return out


def test_a_published_hw4_generator_drawing_its_images_one_pixel_over_is_refused(tmp_path):
    name, fixture = "baseline_generator_weights.pt", "hw4_genuine_baseline_generator_f16.pt"
    source, published = _published(tmp_path, "hw4_gans", name, fixture)
    state = {k: v.double() for k, v in torch.load(FIXTURES / fixture, weights_only=True).items()}
    copy = _translated(rotated_copy(permuted_copy(state, 3), 3), 1, 1)
    copy = _saved({k: v.half() for k, v in copy.items()})
    assert _refused_only_by_its_hidden_units(copy, published)
    assert SW.published_copy(copy, published) == source


def test_an_independently_trained_generator_is_not_refused(tmp_path):
    _, published = _published(tmp_path, "hw4_gans", "baseline_generator_weights.pt",
                              "hw4_genuine_baseline_generator_f16.pt")
    own = (FIXTURES / "hw4_seed2_baseline_generator_f16.pt").read_bytes()  # a full run from seed 2
    assert SW.unit_distance(SW.weights_of(own, [published[0][1].function.network]), published[0][1]) > \
        1.5 * SW.UNITS_COPY
    assert SW.published_copy(own, published) is None


def test_constant_units_have_no_signature(tmp_path):
    _, published = _published(tmp_path, "hw4_gans", "baseline_generator_weights.pt",
                              "hw4_genuine_baseline_generator_f16.pt")
    network, state = published[0][1].function.network, torch.load(
        FIXTURES / "hw4_genuine_baseline_generator_f16.pt", weights_only=True)
    live = [len(s) for s in HU.signatures(network, state)]
    assert [len(s) for s in HU.signatures(network, constant_units(state))] == [n - 1 for n in live]  # one per layer


def test_a_renamed_copy_with_constant_units_is_listed_by_the_report_as_the_published_weights(tmp_path):
    name, fixture = "baseline_generator_weights.pt", "hw4_genuine_baseline_generator_f16.pt"
    source, _ = _published(tmp_path, "hw4_gans", name, fixture)
    (tmp_path / "submitted" / "atk" / "hw4_gans").mkdir(parents=True)
    (tmp_path / "submitted" / "atk" / "hw4_gans" / name).write_bytes(
        _saved(renamed(_disguised(fixture, constant_units))))
    (found,) = SW.compare(Course(tmp_path), ["hw4_gans"])
    (match,) = found.published
    assert (match.student, match.source, match.refused) == ("atk", source, True)
    assert "atk's is the kit's published" in SW.format_report([found])


def test_a_unit_of_huge_spread_leaves_the_other_units_their_signatures(tmp_path):
    _, published = _published(tmp_path, "hw4_gans", "baseline_generator_weights.pt",
                              "hw4_genuine_baseline_generator_f16.pt")
    network = published[0][1].function.network
    state = torch.load(FIXTURES / "hw4_genuine_baseline_generator_f16.pt", weights_only=True)
    loud = {k: v.float().clone() for k, v in state.items()}
    for a, b in ((0, 2), (2, 4), (4, 6)):  # unit 0 of each layer: incoming weights x 1e6, no outgoing weights
        loud[f"net.{a}.weight"][0] *= 1e6
        loud[f"net.{a}.bias"][0] *= 1e6
        loud[f"net.{b}.weight"][:, 0] = 0
    mine, theirs = HU.signatures(network, loud), HU.signatures(network, state)
    assert [len(s) for s in mine] == [len(s) for s in theirs]
    assert HU.distance(mine, theirs) <= SW.UNITS_COPY


def test_a_files_signatures_are_taken_once_per_course_and_a_damaged_entry_again(tmp_path, monkeypatch):
    from dgmlab.grading.copies import weight_vectors as WV

    (tmp_path / "f.pt").write_bytes(_saved(_disguised("hw4_genuine_baseline_generator_f16.pt")))
    (tmp_path / "course").mkdir()
    _, published = _published(tmp_path / "course", "hw4_gans", "baseline_generator_weights.pt",
                              "hw4_genuine_baseline_generator_f16.pt")
    network, cache = published[0][1].function.network, tmp_path / "cache"
    first = WV.units(WV.read_weights(tmp_path / "f.pt", [network], cache=cache))
    taken = []
    monkeypatch.setattr(HU, "signatures", lambda *a: taken.append(a) or [])
    again = WV.units(WV.read_weights(tmp_path / "f.pt", [network], cache=cache))
    assert taken == [] and [t.tolist() for t in again] == [t.tolist() for t in first]
    (entry,) = cache.iterdir()
    entry.write_bytes(b"not a tensor file")
    assert WV.units(WV.read_weights(tmp_path / "f.pt", [network], cache=cache)) == [] and len(taken) == 1
