"""Weights shared between students: copies (renamed, converted, trained on) are found, independent runs are not."""
import shutil

import pytest
import torch

from conftest import ROOT
from dgmlab.grading.copies import shared_weights as SW
from dgmlab.grading.course import Course
from statement_mlp import statement_state

FIXTURES = ROOT / "tests" / "fixtures"
HW = "hw4_gans"
FILE = "baseline_generator_weights.pt"


def _mlp(seed: int) -> dict:
    torch.manual_seed(seed)
    return statement_state()


def _weights(tmp_path, state, name="w.pt"):
    path = tmp_path / name
    torch.save(state, path)
    return SW.read_weights(path)


def _sim(tmp_path, a, b):
    return SW.similarity(_weights(tmp_path, a, "a.pt"), _weights(tmp_path, b, "b.pt"))[0]


def test_independent_starting_weights_are_unrelated(tmp_path):
    assert abs(_sim(tmp_path, _mlp(1), _mlp(2))) < 0.02


def test_a_renamed_reordered_float16_copy_is_the_same_network(tmp_path):
    state = _mlp(1)
    copy = {f"layer_{i}": t.half() for i, t in reversed(list(enumerate(state.values())))}
    assert _sim(tmp_path, state, copy) > 0.99


def test_a_copy_trained_on_for_45_epochs_stays_related():
    # the hw4 baseline's average at epochs 5 and 50 of one run: a classmate's epoch-5 network trained to the end
    early = SW.read_weights(FIXTURES / "hw4_early_baseline_generator_f16.pt")
    final = SW.read_weights(FIXTURES / "hw4_genuine_baseline_generator_f16.pt")
    sim, n = SW.similarity(early, final)
    assert sim > 0.4 and n == 8  # four weight matrices in each file


def test_two_independently_trained_networks_are_unrelated():
    # the hw4 baseline after 50 epochs from seed 0 and from seed 2: two honest students
    a = SW.read_weights(FIXTURES / "hw4_genuine_baseline_generator_f16.pt")
    b = SW.read_weights(FIXTURES / "hw4_seed2_baseline_generator_f16.pt")
    sim, n = SW.similarity(a, b)
    assert sim < SW.THRESHOLD / 2 and n == 8


def test_a_trained_network_is_unrelated_to_other_starting_weights(tmp_path):
    final = SW.read_weights(FIXTURES / "hw4_genuine_baseline_generator_f16.pt")
    assert abs(SW.similarity(final, _weights(tmp_path, _mlp(7)))[0]) < 0.05


def test_biases_and_small_tensors_are_not_compared(tmp_path):
    # biases look alike in any two runs, and a 10 x 10 matrix is too small to tell: nothing to compare
    state = {"w": torch.randn(10, 10), "bias": torch.ones(5000)}
    assert SW.similarity(_weights(tmp_path, state, "a.pt"), _weights(tmp_path, state, "b.pt")) == (None, 0)


def test_files_that_are_not_state_dicts_give_no_tensors_but_a_digest(tmp_path):
    torch.save(torch.randn(100, 784), tmp_path / "samples.pt")
    torch.save({"nested": {"w": torch.randn(64, 64)}}, tmp_path / "checkpoint.pt")
    (tmp_path / "broken.pt").write_bytes(b"not a torch file")
    torch.save({"w": torch.randn(64, 64).to_sparse()}, tmp_path / "sparse.pt")
    for name in ["samples.pt", "checkpoint.pt", "broken.pt", "sparse.pt"]:
        w = SW.read_weights(tmp_path / name)
        assert w.tensors == [] and len(w.digest) == 64, name
    assert SW.read_weights(tmp_path / "missing.pt") is None


def test_masks_are_not_compared(tmp_path):
    # two independent PixelCNN-style layers that keep a full-shape 0/1 mask buffer: only the weights count
    mask = (torch.rand(64, 64, 7, 7) > 0.5).float()
    a = {"conv.weight": torch.randn(64, 64, 7, 7), "conv.mask": mask}
    b = {"conv.weight": torch.randn(64, 64, 7, 7), "conv.mask": mask.clone()}
    sim, n = SW.similarity(_weights(tmp_path, a, "a.pt"), _weights(tmp_path, b, "b.pt"))
    assert n == 2 and abs(sim) < 0.05


def _course(tmp_path, files: dict) -> Course:
    """submitted/<student>/hw4_gans/<file> for each {(student, file): state or bytes}."""
    shutil.copy(ROOT / "nbgrader_config.py", tmp_path)
    for (student, name), content in files.items():
        folder = tmp_path / "submitted" / student / HW
        folder.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            torch.save(content, folder / name)
    return Course(tmp_path)


def test_class_report_names_the_copied_pairs_and_only_those(tmp_path):
    early = torch.load(FIXTURES / "hw4_early_baseline_generator_f16.pt", weights_only=True)
    final = (FIXTURES / "hw4_genuine_baseline_generator_f16.pt").read_bytes()
    course = _course(tmp_path, {
        ("ann", FILE): final,
        ("ben", FILE): final,  # ann's very file
        ("cat", FILE): {f"g.{i}": t for i, t in enumerate(early.values())},  # ann's run at epoch 5, renamed
        ("dan", FILE): _mlp(3),  # an independent network
        ("eve", FILE): _mlp(4),
        ("dan", "samples.pt"): torch.randn(100, 784),  # not weights
        ("eve", "other_weights.pt"): _mlp(3),  # dan's network, but in a file of another name: not compared
    })
    files = SW.compare(course, [HW])
    assert [(f.file, f.students, f.common_start) for f in files] == [(FILE, 5, False)]
    pairs = files[0].pairs
    assert [(p.students, p.identical) for p in pairs] == [
        (("ann", "ben"), True), (("ann", "cat"), False), (("ben", "cat"), False)]
    assert pairs[0].similarity == pytest.approx(1.0, abs=1e-3) and 0.4 < pairs[1].similarity < 0.99
    assert all(p.file == FILE and p.hw == HW for p in pairs) and SW.shared_pairs(course, [HW]) == pairs
    text = SW.format_report(files)
    assert "ann and ben: identical files" in text and "ann and cat: weight similarity 0.5" in text


def test_identical_files_are_reported_even_without_weight_tensors(tmp_path):
    tiny = {"w": torch.randn(3, 3)}
    course = _course(tmp_path, {("ann", FILE): tiny, ("ben", FILE): tiny, ("cat", FILE): {"w": torch.randn(3, 3)}})
    pairs = SW.shared_pairs(course, [HW])
    assert [(p.students, p.identical, p.similarity) for p in pairs] == [(("ann", "ben"), True, None)]


def test_identical_files_of_samples_are_reported(tmp_path):
    samples = torch.randn(100, 784)
    course = _course(tmp_path, {("ann", "samples.pt"): samples, ("ben", "samples.pt"): samples,
                                ("cat", "samples.pt"): torch.randn(100, 784)})
    assert [(p.students, p.identical) for p in SW.shared_pairs(course, [HW])] == [(("ann", "ben"), True)]


def test_a_class_that_shares_its_starting_weights_is_one_notice_not_every_pair(tmp_path):
    # five students who all ran an old notebook (seed 0 before building the networks), each trained on a little
    base = _mlp(0)
    course = _course(tmp_path, {(f"s{i}", FILE): {k: v + 0.5 * v.std() * torch.randn_like(v) for k, v in base.items()}
                                for i in range(5)})
    (files,) = SW.compare(course, [HW])
    assert len(files.pairs) == 10 and files.common_start
    text = SW.format_report([files])
    assert text.count("\n") == 0 and "10 of 10 pairs alike" in text and "started from common weights" in text


def test_a_file_name_that_is_not_utf8_is_shown_with_a_replacement(tmp_path):
    import os

    name = os.fsdecode(b"w\xff.pt")
    state = _mlp(1)
    course = _course(tmp_path, {("ann", name): state, ("ben", name): state})
    (pair,) = SW.shared_pairs(course, [HW])
    assert pair.file == "w\ufffd.pt" and pair.file.encode("utf-8")


def _publish(course, files: dict):
    """The kit's own files in the course directory: {relative path: fixture name}."""
    for rel, fixture in files.items():
        (course.root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(FIXTURES / fixture, course.root / rel)


def test_weights_the_kit_publishes_are_named_even_when_one_student_hands_them_in(tmp_path):
    genuine = (FIXTURES / "hw4_genuine_baseline_generator_f16.pt").read_bytes()
    early = torch.load(FIXTURES / "hw4_early_baseline_generator_f16.pt", weights_only=True)
    course = _course(tmp_path, {
        ("ann", FILE): genuine,  # the kit's example submission's file, as downloaded
        ("ben", "my_weights.pt"): {f"g.{i}": t for i, t in enumerate(early.values())},  # its run at epoch 5, renamed
        ("cat", FILE): torch.load(FIXTURES / "hw4_seed2_baseline_generator_f16.pt", weights_only=True),  # her own
    })
    _publish(course, {f"examples/demo_reference/{HW}/{FILE}": "hw4_genuine_baseline_generator_f16.pt",
                      "tests/fixtures/hw4_early_cgan_generator_f16.pt": "hw4_early_cgan_generator_f16.pt"})
    assert [p.relative_to(course.root).as_posix() for p in SW.published_files(course, HW)] == [
        f"examples/demo_reference/{HW}/{FILE}", "tests/fixtures/hw4_early_cgan_generator_f16.pt"]
    files = SW.compare(course, [HW])
    found = [(m.student, m.file, m.source, m.identical) for f in files for m in f.published]
    assert found == [("ann", FILE, f"examples/demo_reference/{HW}/{FILE}", True),
                     ("ben", "my_weights.pt", f"examples/demo_reference/{HW}/{FILE}", False)]
    ben = next(m for f in files for m in f.published if m.student == "ben")
    assert 0.4 < ben.similarity < 0.99 and ben.tensors == 8  # a published network trained on (or back)
    assert all(not f.pairs for f in files)  # ann's and cat's are unrelated
    assert [m.refused for f in files for m in f.published] == [True, False]  # ann's is not graded, ben's is
    text = SW.format_report(files)
    assert f"ann's is the kit's published examples/demo_reference/{HW}/{FILE}: dgmlab autograde does not grade" in text
    assert "ben's is alike (weight similarity 0.5" in text and "trained on from it? (graded" in text
    assert "cat" not in text


def test_a_copy_of_a_published_network_is_found_for_the_grader_and_a_trained_on_one_is_not(tmp_path):
    genuine = (FIXTURES / "hw4_genuine_baseline_generator_f16.pt").read_bytes()
    course = _course(tmp_path, {})
    _publish(course, {f"examples/demo_reference/{HW}/{FILE}": "hw4_genuine_baseline_generator_f16.pt"})
    published = SW.published_weights(course, HW)
    source = f"examples/demo_reference/{HW}/{FILE}"

    def saved(state):
        path = tmp_path / "x.pt"
        torch.save(state, path)
        return path.read_bytes()

    state = torch.load(FIXTURES / "hw4_genuine_baseline_generator_f16.pt", weights_only=True)
    assert SW.published_copy(genuine, published) == source  # as downloaded
    assert SW.published_copy(saved({f"m{i}": t.float() for i, t in enumerate(state.values())}), published) == source
    early = (FIXTURES / "hw4_early_baseline_generator_f16.pt").read_bytes()  # its run at epoch 5: related, not it
    assert SW.published_copy(early, published) is None
    assert SW.published_copy((FIXTURES / "hw4_seed2_baseline_generator_f16.pt").read_bytes(), published) is None
    assert SW.published_copy(genuine, []) is None


def test_a_class_without_the_kits_files_is_compared_among_itself_only(tmp_path):
    genuine = (FIXTURES / "hw4_genuine_baseline_generator_f16.pt").read_bytes()
    course = _course(tmp_path, {("ann", FILE): genuine})
    assert SW.published_files(course, HW) == [] and SW.compare(course, [HW]) == []


def _similarity_by_definition(a, b):
    """The measure spelled out: each tensor's best same-shape cosine in the other file, median over both files."""
    import statistics

    def best(x, others):
        return [max(float(v @ w) for s2, w in others if s2 == s) for s, v in x if any(s2 == s for s2, _ in others)]

    values = best(a.tensors, b.tensors) + best(b.tensors, a.tensors)
    return (statistics.median(values) if values else None), len(values)


def test_cross_values_are_the_measure_spelled_out(tmp_path):
    def net(seed, widths):
        g = torch.Generator().manual_seed(seed)
        return {f"w{i}": torch.randn(o, i_, generator=g) for i, (i_, o) in enumerate(zip(widths, widths[1:]))}

    states = [net(1, (40, 50, 60)), net(2, (40, 50, 60)), net(3, (40, 50, 70)),  # shapes shared in part
              {"w": net(1, (40, 50))["w0"] + 0.5 * torch.randn(50, 40), "v": torch.randn(30, 40)},  # one of 1's, trained
              net(4, (9, 9))]  # too small to compare: nothing in common with anything
    nets = [_weights(tmp_path, state, f"{i}.pt") for i, state in enumerate(states)]
    cross = SW.cross_values(nets[:2], nets[2:])
    for (i, j), (sim, n) in cross.items():
        want, n_want = _similarity_by_definition(nets[i], nets[2 + j])
        assert n == n_want and (sim is None if want is None else sim == pytest.approx(want, abs=1e-6)), (i, j)
    assert sorted(cross) == [(i, j) for i in range(2) for j in range(3)] and cross[(0, 1)][0] > 0.5
    pairs = SW.pair_values(nets)  # a set against itself: each pair once, the same measure
    assert sorted(pairs) == [(i, j) for i in range(5) for j in range(i + 1, 5)]
    for (i, j), (sim, n) in pairs.items():
        want, n_want = _similarity_by_definition(nets[i], nets[j])
        assert n == n_want and (sim is None if want is None else sim == pytest.approx(want, abs=1e-6)), (i, j)


def test_threshold_is_the_calibrated_one():
    """Independent runs measured at most 0.045 and copies at least 0.29 (benchmarks/results/
    shared_weights_calibration.json): the threshold sits between, with room on both sides."""
    import json

    record = json.loads((ROOT / "benchmarks" / "results" / "shared_weights_calibration.json").read_text())
    for label, r in record.items():
        assert r["independent_max"] < SW.THRESHOLD / 2, label
        assert r["copied_min"] > 2 * SW.THRESHOLD, label


# ------------------------------------------------------------------ compared by what they compute (functional_copies)
def _saved(state: dict) -> bytes:
    import io

    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def _fixture(name: str) -> dict:
    return torch.load(FIXTURES / name, weights_only=True)


def test_permuted_and_rescaled_copies_compute_what_the_network_computes_with_unrelated_weights():
    from dgmlab.grading.copies import functional_copies as FC
    from network_copies import permuted_copy, rescaled_copy

    (net, _) = FC.kit_networks(Course(ROOT), HW)  # hw4's baseline generator (placed by shape), then the cGAN's
    state = _fixture("hw4_genuine_baseline_generator_f16.pt")
    original = net.fingerprint(_saved(state))
    for copy in (permuted_copy(state), rescaled_copy(state), rescaled_copy(permuted_copy(state, 3), 4)):
        assert FC.agreement(original, net.fingerprint(_saved(copy))) > 0.9999
    weights = SW.weights_of(_saved(permuted_copy(state)))
    assert SW.similarity(SW.weights_of(_saved(state)), weights)[0] < SW.THRESHOLD  # invisible to the weights


def test_a_permuted_copy_of_a_published_network_is_refused_under_grading(tmp_path):
    from dgmlab.grading.autograde import draw_seeds as DS
    from network_copies import permuted_copy

    course = _course(tmp_path, {})
    (tmp_path / "source" / "hw1_wgan").mkdir(parents=True)  # the kit's Generator comes from its locked cell
    shutil.copy(ROOT / "source" / "hw1_wgan" / "hw1_wgan.ipynb", tmp_path / "source" / "hw1_wgan")
    _publish(course, {"examples/demo_reference/hw1_wgan/generator_weights.pt": "hw1_generator_epoch27_f16.pt"})
    published = SW.published_weights(course, "hw1_wgan")
    copy = _saved(permuted_copy(_fixture("hw1_generator_epoch27_f16.pt"), seed=5))
    assert SW.similarity(SW.weights_of(copy), published[0][1])[0] < SW.THRESHOLD  # the weights look unrelated
    seeds = DS.seeds_for(bytes(range(32)), "hw1_wgan", {"generator_weights.pt": copy}, published)
    assert "examples/demo_reference/hw1_wgan/generator_weights.pt" in seeds["generator_weights.pt"]["refused"]


def _hw1_course(tmp_path):
    course = _course(tmp_path, {})
    (tmp_path / "source" / "hw1_wgan").mkdir(parents=True)  # the kit's Generator comes from its locked cell
    shutil.copy(ROOT / "source" / "hw1_wgan" / "hw1_wgan.ipynb", tmp_path / "source" / "hw1_wgan")
    return course


def test_a_published_network_trained_on_is_refused_while_its_outputs_stay_close_and_graded_after(tmp_path):
    # the published runs' early networks: hw1's epoch 5 agrees 0.59 with its epoch 27 (no independent pair of
    # generators reaches 0.11): refused; hw4's epoch 5 agrees 0.28 with its epoch 50: graded (and listed)
    course = _hw1_course(tmp_path)
    _publish(course, {"examples/demo_reference/hw1_wgan/generator_weights.pt": "hw1_generator_epoch27_f16.pt",
                      f"examples/demo_reference/{HW}/{FILE}": "hw4_genuine_baseline_generator_f16.pt"})
    early = (FIXTURES / "hw1_generator_epoch05_f16.pt").read_bytes()
    assert SW.published_copy(early, SW.published_weights(course, "hw1_wgan")) is not None
    early = (FIXTURES / "hw4_early_baseline_generator_f16.pt").read_bytes()
    assert SW.published_copy(early, SW.published_weights(course, HW)) is None


def _noisy(state: dict, sigma: float, seed: int = 1) -> dict:
    """The red team's disguise: noise of ``sigma`` times each weight matrix's own std added to it."""
    g = torch.Generator().manual_seed(seed)
    return {k: (v.float() + sigma * v.float().std() * torch.randn(v.shape, generator=g)).to(v.dtype)
            if v.is_floating_point() and v.dim() >= 2 else v for k, v in state.items()}


@pytest.mark.parametrize("hw, name, fixture", [
    ("hw1_wgan", "generator_weights.pt", "hw1_generator_epoch27_f16.pt"),
    ("hw2_wgangp", "p5_generator_weights.pt", "hw2_genuine_generator_f16.pt"),
    (HW, FILE, "hw4_genuine_baseline_generator_f16.pt"),
    (HW, "cgan_generator_weights.pt", "hw4_genuine_cgan_generator_f16.pt")])
def test_a_noisy_copy_of_a_published_generator_is_refused_under_grading(tmp_path, hw, name, fixture):
    """Noise of 0.2 x each weight matrix's std: weights 0.98 alike (under PUBLISHED_COPY), outputs 0.83 to 0.97,
    and hw1's copy of its published network earned 7 of 7 before (red team F11)."""
    from dgmlab.grading.autograde import draw_seeds as DS

    course = _hw1_course(tmp_path)
    source = f"examples/demo_reference/{hw}/{name}"
    _publish(course, {source: fixture})
    published = SW.published_weights(course, hw)
    copy = _saved(_noisy(_fixture(fixture), 0.2))
    assert SW.similarity(SW.weights_of(copy), published[0][1])[0] < SW.PUBLISHED_COPY  # not the weights' doing
    seeds = DS.seeds_for(bytes(range(32)), hw, {name: copy}, published)
    assert source in seeds[name]["refused"]


def test_an_independent_training_is_not_refused_under_grading(tmp_path):
    # the hw4 baseline trained in full from seed 2 against the published one (seed 0): an honest student's
    from dgmlab.grading.autograde import draw_seeds as DS
    from dgmlab.grading.copies import functional_copies as FC

    course = _course(tmp_path, {})
    _publish(course, {f"examples/demo_reference/{HW}/{FILE}": "hw4_genuine_baseline_generator_f16.pt"})
    published = SW.published_weights(course, HW)
    own = (FIXTURES / "hw4_seed2_baseline_generator_f16.pt").read_bytes()
    net = published[0][1].function.network
    assert abs(FC.agreement(net.fingerprint(own), published[0][1].function)) < net.refuse - 0.4
    assert "refused" not in DS.seeds_for(bytes(range(32)), HW, {FILE: own}, published)[FILE]


def test_a_permuted_and_rescaled_copy_between_two_students_is_listed(tmp_path):
    from dgmlab.grading.report import dashboard as D
    from network_copies import permuted_copy, rescaled_copy

    genuine = _fixture("hw4_genuine_baseline_generator_f16.pt")
    course = _course(tmp_path, {("ann", FILE): genuine,
                                ("ben", FILE): rescaled_copy(permuted_copy(genuine, seed=2), seed=3),  # ann's, disguised
                                ("cat", FILE): _fixture("hw4_seed2_baseline_generator_f16.pt")})  # her own run
    (found,) = SW.compare(course, [HW])
    (pair,) = found.pairs
    assert pair.students == ("ann", "ben") and not pair.identical
    assert pair.similarity < SW.THRESHOLD and pair.agreement == pytest.approx(1.0, abs=1e-3)
    assert "ann and ben: weight similarity 0.0" in SW.format_report([found]) and "outputs agreement 1.00" in \
        SW.format_report([found])
    html = D.shared_weights_html(HW, [found])
    assert "ann and ben" in html and 'data-stat="agreement">1<' in html and "cat" not in html


def test_two_independently_trained_networks_compute_unrelated_outputs(tmp_path):
    # the hw4 baseline after 50 epochs from seed 0 and from seed 2: two honest students
    from dgmlab.grading.copies import functional_copies as FC

    course = _course(tmp_path, {("ann", FILE): _fixture("hw4_genuine_baseline_generator_f16.pt"),
                                ("cat", FILE): _fixture("hw4_seed2_baseline_generator_f16.pt")})
    net = FC.kit_networks(course, HW)[0]
    a, b = (net.fingerprint((FIXTURES / f).read_bytes()) for f in ("hw4_genuine_baseline_generator_f16.pt",
                                                                   "hw4_seed2_baseline_generator_f16.pt"))
    assert abs(FC.agreement(a, b)) < FC.THRESHOLD / 5
    assert [f.pairs for f in SW.compare(course, [HW])] == [[]]


def test_a_file_that_does_not_load_into_the_kits_network_gives_no_functional_comparison(tmp_path):
    from dgmlab.grading.copies import functional_copies as FC

    networks = FC.kit_networks(Course(ROOT), HW)
    genuine = _fixture("hw4_genuine_baseline_generator_f16.pt")
    extra = {**genuine, "extra.weight": torch.randn(64, 64)}  # not the specified generator
    wider = statement_state(widths=(128, 256, 640))  # another architecture
    for data in (_saved(extra), _saved(wider), _saved(torch.randn(100, 784)), b"not a torch file"):
        assert FC.fingerprint(data, networks) is None
        assert SW.weights_of(data, networks).function is None
    with pytest.raises(FC.NoKitNetwork, match="more than"):  # over the graded cell's size limit: not unpickled
        networks[0].fingerprint(b"\0" * (networks[0].max_bytes + 1))


def test_functional_thresholds_are_the_calibrated_ones():
    """benchmarks/results/functional_copies_calibration.json: every independent pair below its network's threshold,
    every permuted or rescaled copy at or above SAME; where fine-tuned copies are listed (all but Real NVP, which
    lists only the same function: its independent runs agree up to 0.83), the threshold is at least 0.15 from the
    independent pairs and 0.25 from the fine-tuned copies."""
    import json

    from dgmlab.grading.copies import functional_copies as FC

    record = json.loads((ROOT / "benchmarks" / "results" / "functional_copies_calibration.json").read_text())
    course = Course(ROOT)
    for label, r in record.items():
        if label == "cost":
            continue
        net = next(n for n in FC.kit_networks(course, r["hw"]) if n.name == r["file"])
        assert r["independent_max"] < net.threshold and r["exact_copies_min"] >= FC.SAME, label
        if net.threshold < FC.SAME:  # fine-tuned copies listed: the bar away from both sides
            assert r["independent_max"] + 0.15 < net.threshold < r["fine_tuned_min"] - 0.25, label
        assert net.refuse == FC.SAME or r["independent_max"] + 0.4 <= net.refuse, label  # refused: far from honest


def test_every_noisy_copy_of_a_published_generator_that_clears_its_bar_is_refused():
    """benchmarks/results/functional_copies_noisy.json: noisy copies of each published generator, judged as
    dgmlab autograde judges them: any that earns its cell's full points on one of the draws agrees at least the
    network's refusal bound with the published network (and was refused)."""
    import json

    from dgmlab.grading.copies import functional_copies as FC

    record = json.loads((ROOT / "benchmarks" / "results" / "functional_copies_noisy.json").read_text())["noisy"]
    assert {"hw1", "hw2", "hw4_baseline", "hw4_cgan"} <= set(record)
    for label, r in record.items():
        net = next(n for n in FC.kit_networks(Course(ROOT), r["hw"]) if n.name == r["file"])
        passing = [row for row in r["rows"] if row["clears_bar"] and row["noise"] > 0]
        assert passing, label  # some disguise still clears the bar: what needs refusing
        for row in passing:
            assert row["agreement"] >= net.refuse and row["refused"], (label, row)


def test_the_published_files_are_the_courses_setting(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\n")
    for rel in ("examples/demo_reference/hw1_wgan/generator_weights.pt", "tests/fixtures/hw1_x.pt",
                "published/hw1_wgan/mine.pt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        torch.save({"w": torch.ones(2)}, tmp_path / rel)
    course = Course(tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in SW.published_files(course, "hw1_wgan")] == [
        "examples/demo_reference/hw1_wgan/generator_weights.pt", "tests/fixtures/hw1_x.pt"]  # the default
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.PublishedWeights.patterns = ['published/{hw}/*.pt']\n")
    assert [p.relative_to(tmp_path).as_posix() for p in SW.published_files(course, "hw1_wgan")] == [
        "published/hw1_wgan/mine.pt"]
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.PublishedWeights.patterns = 'published/*.pt'\n")
    with pytest.raises(Exception, match="must be a list of glob strings"):
        SW.published_files(course, "hw1_wgan")


def test_a_zip_bomb_is_reported_as_not_read_and_compared_by_its_bytes_only(tmp_path):
    from test_weights_files import make_bomb

    make_bomb(tmp_path / "bomb.pt", 2**24)
    course = _course(tmp_path, {("ann", FILE): _fixture("hw4_genuine_baseline_generator_f16.pt"),
                                ("ben", FILE): (tmp_path / "bomb.pt").read_bytes()})
    (found,) = SW.compare(course, [HW])
    assert found.students == 2 and found.pairs == [] and [s for s, _ in found.unread] == ["ben"]
    assert f"{HW} {FILE}: ben's was not read: {FILE}: entry 'archive/data/0' is compressed" in SW.format_report([found])


def test_the_compared_coordinates_keep_only_the_sample_not_the_whole_permutation():
    from dgmlab.grading.copies import weight_vectors as WV

    coords = WV._coords(2_000_000)  # a tensor of 2 million numbers: its permutation alone is 16 MB
    assert coords.numel() == WV.SAMPLE and coords.untyped_storage().nbytes() == WV.SAMPLE * coords.element_size()
    assert WV._coords(2_000_000) is coords  # drawn once, the same in every file
    assert WV._coords.cache_info().maxsize is not None  # and the cache of sizes is bounded
