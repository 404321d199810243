"""Issue 71, item 1: nothing public decides the copy check. The red team's "NaN trap" (three spare units that give
NaN on exactly one of the once-public noise vectors, ``nan_trap``) made the check take a published hw4 generator for
"not a kit network" (69/69, unflagged) and hid a classmate's copy from the report. The check's inputs now come from
the course key, and a network giving NaN or inf on any of them is refused and listed."""
import shutil

import pytest
import torch

from conftest import ROOT
from dgmlab.grading.autograde import draw_seeds as DS
from dgmlab.grading.copies import dashboard_copies as DC
from dgmlab.grading.copies import functional_copies as FC
from dgmlab.grading.copies import hidden_units as HU
from dgmlab.grading.copies import networks as NW
from dgmlab.grading.copies import shared_weights as SW
from dgmlab.grading.course import Course
from dgmlab.grading.draw_key import KEY_ENV
from homeworks.hw4_gans.hidden.references import mlp_generator
from nan_trap import public_noise, trapped
from network_copies import one_thread, permuted_copy  # noqa: F401 (a fixture)
from network_copies import saved as _saved

FIXTURES = ROOT / "tests" / "fixtures"
HW, NAME = "hw4_gans", "baseline_generator_weights.pt"
PUBLISHED = "hw4_genuine_baseline_generator_f16.pt"  # the kit's published hw4 generator (clears the bars)
HONEST = "hw4_seed2_baseline_generator_f16.pt"  # a full run from another seed: an honest student's
SOURCE = f"examples/demo_reference/{HW}/{NAME}"
KEY = bytes(range(32))  # the course's draw key in these tests (DGMLAB_DRAW_KEY)

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(autouse=True)
def draw_key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY.hex())


def _state(fixture: str) -> dict:
    return torch.load(FIXTURES / fixture, weights_only=True)


def _course(tmp_path, published: bool = True, submitted: dict = {}) -> Course:
    """A course that publishes the kit's hw4 generator (``published``), with submitted/<student>/hw4_gans/<NAME>
    for {student: bytes}."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    if published:
        (tmp_path / SOURCE).parent.mkdir(parents=True)
        shutil.copy(FIXTURES / PUBLISHED, tmp_path / SOURCE)
    for student, data in submitted.items():
        (tmp_path / "submitted" / student / HW).mkdir(parents=True)
        (tmp_path / "submitted" / student / HW / NAME).write_bytes(data)
    return Course(tmp_path)


def _graders_noise(course: Course, draw: int = 0) -> torch.Tensor:
    """The noise the copy check runs the baseline generator on in ``course`` (draw 0: its outputs'; 1 to 32: its
    hidden units')."""
    net = FC.kit_networks(course, HW)[0]
    with net.drawing(draw):
        return NW.noise(100)


def _trapped_on_the_public_noise(fixture: str) -> bytes:
    """The red team's file: ``fixture`` trapped on the first once-public noise vector, its units permuted."""
    return _saved(permuted_copy(trapped(_state(fixture), public_noise()[0]), 3))


def test_the_trap_gives_nan_on_exactly_the_once_public_vector_it_targets():
    images = mlp_generator(trapped(_state(PUBLISHED), public_noise()[0]))(public_noise())
    assert torch.isnan(images).any(dim=1).nonzero().flatten().tolist() == [0]


def test_a_published_generator_trapped_on_the_once_public_noise_is_refused_as_the_published_one(tmp_path):
    course = _course(tmp_path)
    seeds = DS.seeds_for(KEY, HW, {NAME: _trapped_on_the_public_noise(PUBLISHED)}, SW.published_weights(course, HW))
    assert SOURCE in seeds[NAME]["refused"]  # the keyed noise misses the trap: the copy is seen


def test_a_generator_giving_nan_on_one_of_the_graders_noise_vectors_is_refused_naming_them(tmp_path):
    course = _course(tmp_path)
    data = _saved(trapped(_state(HONEST), _graders_noise(course)[5]))  # a trap aimed with the course key itself
    seeds = DS.seeds_for(KEY, HW, {NAME: data}, SW.published_weights(course, HW))
    assert "the generator gives NaN or inf on 1 of the grader's 64 noise vectors" in seeds[NAME]["refused"]


def test_a_generator_giving_nan_on_one_of_the_hidden_units_draws_is_refused_naming_them(tmp_path):
    course = _course(tmp_path)
    data = _saved(trapped(_state(HONEST), _graders_noise(course, draw=7)[0]))
    seeds = DS.seeds_for(KEY, HW, {NAME: data}, SW.published_weights(course, HW))
    assert "gives NaN or inf on 1 of the grader's 2,048 noise vectors" in seeds[NAME]["refused"]


def test_a_published_generator_trapped_on_the_graders_noise_is_refused_for_its_nan_before_any_comparison(tmp_path):
    course = _course(tmp_path)
    data = _saved(trapped(_state(PUBLISHED), _graders_noise(course)[0]))
    with pytest.raises(FC.NotFinite, match="NaN or inf on 1 of the grader's 64"):
        SW.published_copy(data, SW.published_weights(course, HW), NAME)


def test_the_report_lists_a_generator_that_gives_nan_in_its_text_and_page(tmp_path):
    course = _course(tmp_path, published=False)
    course = _course(tmp_path, published=False, submitted={
        "ann": _saved(trapped(_state(HONEST), _graders_noise(course)[0])),
        "cat": (FIXTURES / "hw4_early_baseline_generator_f16.pt").read_bytes()})
    (found,) = SW.compare(course, [HW])
    assert [s for s, _ in found.not_finite] == ["ann"] and "64 noise vectors" in found.not_finite[0][1]
    assert f"{HW} {NAME}: ann's is not graded (its cell earns 0): {NAME}: the generator gives NaN" in \
        SW.format_report([found])
    html = str(DC.shared_weights_html(HW, [found]))
    assert 'data-stat="not_finite"' in html and "<td data-stat=\"student\">ann</td>" in html


def test_the_pseudonymized_report_names_no_student_whose_generator_gives_nan(tmp_path):
    course = _course(tmp_path, published=False)
    course = _course(tmp_path, published=False, submitted={
        "ann": _saved(trapped(_state(HONEST), _graders_noise(course)[0]))})
    (found,) = DC.anonymize_shared(SW.compare(course, [HW]), {"ann": "student-0001"})
    assert [s for s, _ in found.not_finite] == ["student-0001"] and "ann" not in str(found.not_finite)


def test_a_classmates_copy_trapped_on_the_once_public_noise_is_still_paired_with_its_source(tmp_path):
    course = _course(tmp_path, published=False, submitted={
        "ann": (FIXTURES / HONEST).read_bytes(), "bob": _trapped_on_the_public_noise(HONEST)})
    (found,) = SW.compare(course, [HW])
    (pair,) = found.pairs
    assert pair.students == ("ann", "bob") and pair.agreement >= FC.THRESHOLD and not found.not_finite


@pytest.mark.parametrize("fixture", [PUBLISHED, HONEST, "hw4_early_baseline_generator_f16.pt"])
def test_the_kits_own_generators_give_finite_images_on_every_input_drawn(tmp_path, fixture):
    weights = SW.weights_of((FIXTURES / fixture).read_bytes(), FC.kit_networks(_course(tmp_path), HW))
    assert weights.function is not None and SW.units(weights) and weights.not_finite is None


def test_an_honest_generator_is_not_refused(tmp_path):
    course = _course(tmp_path)
    seeds = DS.seeds_for(KEY, HW, {NAME: (FIXTURES / HONEST).read_bytes()}, SW.published_weights(course, HW))
    assert "refused" not in seeds[NAME]


def test_the_checks_inputs_differ_between_two_course_keys(tmp_path):
    course = _course(tmp_path)
    (a, _), (b, _) = (FC.kit_networks(course, HW, key) for key in (bytes(32), bytes([1] * 32)))
    with a.drawing():
        mine = NW.noise(100), NW.pick(200)
    with b.drawing():
        theirs = NW.noise(100), NW.pick(200)
    assert not torch.allclose(mine[0], theirs[0]) and mine[1].tolist() != theirs[1].tolist()
    assert a.inputs_id != b.inputs_id


def test_the_checks_inputs_are_not_the_once_public_noise(tmp_path):
    assert not torch.allclose(_graders_noise(_course(tmp_path)), public_noise())


def test_no_input_is_drawn_without_the_course_key():
    with pytest.raises(NW.NoInputsKey):
        NW.noise(100)
    keyless = NW.KitNetwork(HW, NAME, 10**7, mlp_generator, lambda g: g(NW.noise(100)))
    with pytest.raises(NW.NoInputsKey):  # never taken for "not a kit network", never drawn from a constant
        keyless.fingerprint((FIXTURES / HONEST).read_bytes())


def test_the_units_signatures_are_cached_apart_for_each_course_key(tmp_path):
    state, course, cache = {k: v.float() for k, v in _state(HONEST).items()}, _course(tmp_path), tmp_path / "cache"
    for key in (bytes(32), bytes([1] * 32), bytes(32)):
        HU.cached_signatures(FC.kit_networks(course, HW, key)[0], state, "d", cache)
    assert len(list(cache.glob("d-*.pt"))) == 2  # one entry per key, the first key's read back
