"""A published generator disguised by a rotation of its noise (``G(Qz)`` draws the same images) and permuted hidden
units: its outputs on the fixed noise and its weights look unrelated, what its hidden units draw does not
(``weight_vectors.unit_distance``). Red team, finding 3: such files earned full trained-result marks."""
import shutil

import pytest
import torch

from conftest import ROOT
from dgmlab.grading.autograde import draw_seeds as DS
from dgmlab.grading.copies import dashboard_copies as DC
from dgmlab.grading.copies import shared_weights as SW
from dgmlab.grading.course import Course
from network_copies import one_thread, permuted_copy, rotated_copy  # noqa: F401 (a fixture)
from network_copies import saved as _saved

FIXTURES = ROOT / "tests" / "fixtures"
GENERATORS = [("hw1_wgan", "generator_weights.pt", "hw1_generator_epoch27_f16.pt"),
              ("hw2_wgangp", "p5_generator_weights.pt", "hw2_genuine_generator_f16.pt"),
              ("hw4_gans", "baseline_generator_weights.pt", "hw4_genuine_baseline_generator_f16.pt"),
              ("hw4_gans", "cgan_generator_weights.pt", "hw4_genuine_cgan_generator_f16.pt")]


pytestmark = pytest.mark.usefixtures("one_thread")


def _disguised(fixture: str, seed: int = 3) -> bytes:
    return _saved(rotated_copy(permuted_copy(torch.load(FIXTURES / fixture, weights_only=True), seed), seed))


def _course(tmp_path, published: dict, submitted: dict = {}) -> Course:
    """A course publishing {path: fixture}, with submitted/<student>/<hw>/<file> for {(student, hw, file): bytes}."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    (tmp_path / "source" / "hw1_wgan").mkdir(parents=True)  # the kit's hw1 Generator comes from its locked cell
    shutil.copy(ROOT / "source" / "hw1_wgan" / "hw1_wgan.ipynb", tmp_path / "source" / "hw1_wgan")
    for rel, fixture in published.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / fixture, tmp_path / rel)
    for (student, hw, name), data in submitted.items():
        (tmp_path / "submitted" / student / hw).mkdir(parents=True, exist_ok=True)
        (tmp_path / "submitted" / student / hw / name).write_bytes(data)
    return Course(tmp_path)


@pytest.mark.parametrize("hw, name, fixture", GENERATORS)
def test_a_published_generator_with_its_noise_rotated_and_units_permuted_is_refused(tmp_path, hw, name, fixture):
    source = f"examples/demo_reference/{hw}/{name}"
    published = SW.published_weights(_course(tmp_path, {source: fixture}), hw)
    copy = _disguised(fixture)
    mine = SW.weights_of(copy, [published[0][1].function.network])
    assert SW.similarity(mine, published[0][1])[0] < SW.THRESHOLD  # the weights look unrelated,
    assert SW._agreement(mine, published[0][1]) < published[0][1].function.network.refuse  # the fixed noise's outputs too
    assert SW.unit_distance(mine, published[0][1]) <= SW.UNITS_COPY
    seeds = DS.seeds_for(bytes(range(32)), hw, {name: copy}, published)
    assert source in seeds[name]["refused"]


def test_a_disguised_published_generator_is_listed_as_refused_by_the_report(tmp_path):
    source = "examples/demo_reference/hw4_gans/baseline_generator_weights.pt"
    course = _course(tmp_path, {source: "hw4_genuine_baseline_generator_f16.pt"}, {
        ("ann", "hw4_gans", "baseline_generator_weights.pt"): _disguised("hw4_genuine_baseline_generator_f16.pt"),
        ("cat", "hw4_gans", "baseline_generator_weights.pt"):
            (FIXTURES / "hw4_seed2_baseline_generator_f16.pt").read_bytes()})
    (found,) = SW.compare(course, ["hw4_gans"])
    (match,) = found.published
    assert (match.student, match.source, match.refused) == ("ann", source, True) and match.units <= SW.UNITS_COPY
    assert not found.pairs  # ann's and cat's: two unrelated networks
    assert "ann's is the kit's published" in SW.format_report([found]) and "cat" not in SW.format_report([found])
    html = DC.published_weights_html("hw4_gans", found.published)
    assert 'data-stat="units">' in html and 'data-stat="refused">yes<' in html


@pytest.mark.parametrize("hw, name, published, own", [
    ("hw4_gans", "baseline_generator_weights.pt", "hw4_genuine_baseline_generator_f16.pt",
     "hw4_seed2_baseline_generator_f16.pt"),  # a full run from another seed: an honest student's
    ("hw4_gans", "baseline_generator_weights.pt", "hw4_genuine_baseline_generator_f16.pt",
     "hw4_early_baseline_generator_f16.pt"),
    ("hw4_gans", "cgan_generator_weights.pt", "hw4_genuine_cgan_generator_f16.pt", "hw4_early_cgan_generator_f16.pt"),
    ("hw2_wgangp", "p5_generator_weights.pt", "hw2_genuine_generator_f16.pt", "hw2_early_generator_f16.pt")])
def test_the_kits_other_runs_have_other_hidden_units_and_are_not_refused(tmp_path, hw, name, published, own):
    source = f"examples/demo_reference/{hw}/{name}"
    pub = SW.published_weights(_course(tmp_path, {source: published}), hw)
    data = (FIXTURES / own).read_bytes()
    assert SW.unit_distance(SW.weights_of(data, [pub[0][1].function.network]), pub[0][1]) > 1.5 * SW.UNITS_COPY
    assert "refused" not in DS.seeds_for(bytes(range(32)), hw, {name: data}, pub)[name]
