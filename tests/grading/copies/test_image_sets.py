"""Issue 71, item 1: handed-in generators compared by the set of images they draw (image_sets), which a copy
distilled at a rotated noise cannot escape; listed by the report as "needs a look", never silently."""
import dataclasses
import shutil

import pytest
import torch

from conftest import ROOT
from dgmlab.grading.copies import functional_copies as FC
from dgmlab.grading.copies import image_sets as IS
from dgmlab.grading.copies import networks as NW
from dgmlab.grading.course import Course
from dgmlab.grading.draw_key import KEY_ENV
from network_copies import (
    one_thread,  # noqa: F401 (a fixture)
    rotated_copy,
    saved,
)

FIXTURES = ROOT / "tests" / "fixtures"
HW, NAME = "hw4_gans", "baseline_generator_weights.pt"
PUBLISHED = "hw4_genuine_baseline_generator_f16.pt"
HONEST = "hw4_seed2_baseline_generator_f16.pt"  # a full run from another seed
EARLY = "hw4_early_baseline_generator_f16.pt"  # the published run at epoch 5
SOURCE = f"examples/demo_reference/{HW}/{NAME}"
KEY = bytes(range(32))

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(autouse=True)
def draw_key(monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY.hex())


def _state(fixture: str) -> dict:
    return torch.load(FIXTURES / fixture, weights_only=True)


def _rotated(state: dict) -> dict:
    """``G(Qz)``: what a perfect distillation at a rotated noise draws (other images from the same noise, the same
    set)."""
    return rotated_copy(state, seed=7)


def _course(tmp_path, submitted: dict) -> Course:
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    (tmp_path / SOURCE).parent.mkdir(parents=True)
    shutil.copy(FIXTURES / PUBLISHED, tmp_path / SOURCE)
    for student, data in submitted.items():
        (tmp_path / "submitted" / student / HW).mkdir(parents=True)
        (tmp_path / "submitted" / student / HW / NAME).write_bytes(data)
    return Course(tmp_path)


def _network(tmp_path) -> NW.KitNetwork:
    return FC.kit_networks(_course(tmp_path, {}), HW)[0]


def test_a_rotated_noise_copy_is_within_the_threshold_and_an_independent_run_is_not(tmp_path):
    net = _network(tmp_path)
    published = IS.image_set(saved(_state(PUBLISHED)), net)
    copy = IS.image_set(saved(_rotated(_state(PUBLISHED))), net)
    honest = IS.image_set(saved(_state(HONEST)), net)
    assert IS.distance(copy, published) <= IS.THRESHOLDS[net.kind] < IS.distance(honest, published)


def test_a_generator_that_draws_nan_is_refused_as_not_finite(tmp_path):
    def drawing_nan(z):  # finite on all but one of the key's noise vectors (the NaN trap's aim, now keyed)
        out = torch.zeros(z.shape[0], 784)
        out[3, 5] = float("nan")
        return out

    with pytest.raises(NW.NotFinite, match="NaN or inf on 128 of the grader's 8,192 noise vectors"):
        IS.draw(_network(tmp_path), drawing_nan)


def test_the_features_come_from_the_course_key(tmp_path):
    net = _network(tmp_path)
    other = dataclasses.replace(net, key=bytes(32))
    assert not torch.equal(IS.features(net.key, 784)[0], IS.features(other.key, 784)[0])
    with pytest.raises(NW.NoInputsKey):
        IS.image_set(saved(_state(PUBLISHED)), dataclasses.replace(net, key=b""))


def test_the_report_lists_a_distilled_copy_and_a_classmates_copy_with_distance_and_threshold(tmp_path):
    rotated = saved(_rotated(_state(PUBLISHED)))
    course = _course(tmp_path, {"alice": rotated, "bob": rotated, "carol": saved(_state(HONEST))})
    looks = IS.compare(course, [HW])
    assert {(k.student, k.other, k.source) for k in looks} == {("alice", None, SOURCE), ("bob", None, SOURCE),
                                                               ("alice", "bob", None)}
    text = IS.format_report(looks)
    assert "needs a look" in text and f"{IS.THRESHOLDS[f'{HW}/{NAME}']:.1e}" in text


def test_image_sets_are_cached_per_file_digest(tmp_path):
    course = _course(tmp_path, {"alice": saved(_state(HONEST))})
    IS.compare(course, [HW])
    cached = list((tmp_path / ".dgmlab" / "cache" / "image_sets").glob("*.npy"))
    assert len(cached) == 2  # the published file's and alice's
    path = tmp_path / "submitted" / "alice" / HW / NAME
    assert IS.read(path, FC.kit_networks(course, HW), cached[0].parent).mean.shape == (IS.FEATURES + 1,)


def test_pseudonyms_replace_both_students_of_a_look():
    look = IS.Look(HW, NAME, "alice", 0.01, 0.1, other="bob")
    assert IS.anonymize([look], {"alice": "student-1", "bob": "student-2"})[0].other == "student-2"
    assert "student-1" in IS.line(IS.anonymize([look], {"alice": "student-1", "bob": "student-2"})[0])


def test_the_dashboard_lists_a_look_escaped_with_its_distance():
    look = IS.Look(HW, "<b>x.pt", "student-1", 2.5e-05, 8e-05, source=SOURCE)
    page = str(IS.html(HW, [look]))
    assert "&lt;b&gt;x.pt" in page and "2.50e-05" in page and "8.0e-05" in page and "needs a look" in page


def test_full_runs_are_near_mnists_digits_and_an_early_checkpoint_is_far(tmp_path):
    net = _network(tmp_path)
    digits, bound = IS.digits(net), IS.FAR_FROM_DIGITS[net.kind]
    for fixture in (PUBLISHED, HONEST):
        assert IS.distance(IS.image_set(saved(_state(fixture)), net), digits) < bound, fixture
    assert IS.distance(IS.image_set(saved(_state(EARLY)), net), digits) > 10 * bound


def test_the_report_lists_a_generator_far_from_the_digits_with_its_distance_and_threshold(tmp_path):
    course = _course(tmp_path, {"carol": saved(_state(HONEST)), "dan": saved(_state(EARLY))})
    (far,) = [look for look in IS.compare(course, [HW]) if look.far]
    assert (far.student, far.threshold) == ("dan", IS.FAR_FROM_DIGITS[f"{HW}/{NAME}"]) and far.distance > far.threshold
    text = IS.format_report([far])
    assert "dan's images needs a look" in text and "MNIST's digits" in text and f"{far.threshold:.1e}" in text


def test_a_set_of_fewer_images_is_measured_with_its_own_count(tmp_path):
    """The unbiased estimate counts each set's own images: two halves of the same 1,000 digits are about 0 apart
    (within the noise of 500 images, about 1e-4), where counting them as SAMPLES images puts them far apart."""
    net = _network(tmp_path)
    digits = IS.digits(net)
    from dgmlab import data

    images = data.mnist(train=True, scale="[-1,1]", source="sample").images.reshape(1000, -1).double()
    halves = [IS.ImageSet(net, IS.embed(net, half), n=500) for half in (images[:500], images[500:])]
    assert abs(IS.distance(*halves)) < 3e-4 and digits.n == 1000
    wrong = [IS.ImageSet(net, h.mean) for h in halves]  # counted as SAMPLES images each
    assert IS.distance(*wrong) > 10e-4
