"""hw1_wgan, q3_wgan_on_mnist: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
import io

import torch

from dgmlab import artifacts, metrics, runtime
from dgmlab.probes import asserts
from dgmlab.probes.points import points
from homeworks.hw1_wgan.checks import (
    DRAW_CHUNK,
    MAX_WEIGHTS_BYTES,
    WEIGHTS_FILE,
    drawn_samples,
    generate_in_chunks,
    real_digits,
    tiny_critic,
    wgan_networks_generator,
)

from .references import penalty_reference, wgan_run


# ------------------------------------------------------------------ q3_wgan_losses_tests
@points(1.25)
def test_gradients_flow_to_the_scores(v, ref):
    g = v.gradients
    if not (g["real"] is not None and g["fake"] is not None):
        raise AssertionError("critic_loss is detached from its inputs")
    asserts.assert_close(g["real"], torch.full((2,), -0.5), name="d critic_loss / d real_scores")
    asserts.assert_close(g["fake"], torch.full((4,), 0.25), name="d critic_loss / d fake_scores")
    if g["generator"] is None:
        raise AssertionError("generator_loss is detached from its input")
    asserts.assert_close(g["generator"], torch.full((2,), -0.5), name="d generator_loss / d fake_scores")


# ------------------------------------------------------------------ q3_gradient_penalty_tests
@points(1.5)
def test_nonlinear_critic_matches_reference_with_given_alpha(v, ref):
    crit = tiny_critic(v.inputs.critic_seed)
    want = penalty_reference(crit, v.inputs.real7, v.inputs.fake7, 10.0, v.inputs.alpha7).detach()
    asserts.assert_close(v.tiny_with_alpha, want, rtol=1e-5, atol=1e-6, name="penalty of a small tanh critic (alpha given)")


# ------------------------------------------------------------------ q3_train_step_tests
def _same_networks(v, ref, run, what):
    rec, want = getattr(v, run), wgan_run(v.inputs, run)
    if rec["returned_type"] != "dict":
        raise AssertionError("wgan_train_step does not return a dict")
    for name in ("critic", "generator"):
        got = rec[f"{name}_end"]
        if len(got) != len(want[name]):
            raise AssertionError(f"the {name}'s parameters were not handed back")
        for g, w in zip(got, want[name], strict=True):
            asserts.assert_close(g, w, rtol=1e-4, atol=1e-6, name=f"the {name}'s parameters after the step ({what})")

@points(1.25)
def test_critic_and_generator_with_the_penalty(v, ref):
    _same_networks(v, ref, "gp", "lipschitz='gp': critic_loss + gradient_penalty, n_critic=2")

@points(0.75)
def test_clipping_mode(v, ref):
    _same_networks(v, ref, "clip", "lipschitz='clip' with Adam: clip_weights right after each critic update")
    if v.clip["out"].get("penalty") != 0.0:
        raise AssertionError("'penalty' must be 0.0 when clipping")

# ------------------------------------------------------------------ q3_evaluate_samples_tests
@points(1.25)
def test_values_match_dgmlab(v, ref):
    x = real_digits(200)[torch.tensor(v.inputs.rows_200)]
    out = v.on_200
    mean, std = metrics.mnist_score(x)
    asserts.assert_close(out["mnist_score"], float(mean), rtol=1e-6,
                        name="'mnist_score' (mnist_score returns (mean, std) in that order)")
    asserts.assert_close(out["mnist_score_std"], float(std), rtol=1e-6, atol=1e-9, name="'mnist_score_std'")
    asserts.assert_close(out["mnist_frechet"], float(metrics.mnist_frechet_distance(x)), rtol=1e-6,
                        name="'mnist_frechet'")


# ------------------------------------------------------------------ q3_interpolate_tests
@points(0.5)
def test_slerp_keeps_the_norm_between_equal_norm_vectors(v, ref):
    asserts.assert_close(v.slerp_orthogonal.norm(dim=1), torch.full((5,), v.inputs.radius, dtype=torch.float64), atol=1e-8,
                        name="norms along a slerp between orthogonal vectors of equal norm")


# ------------------------------------------------------------------ q3_samples_quality_tests
DASHBOARD_DRAW = "graded_draw_100.pt"  # left in the autograded folder (keep: nothing while you work)

def _absent_in_fast_mode(v, ref):
    # fast mode (CI's smoke run) trains too little to write the graded file: nothing to score there
    return runtime.mode() == "fast" and WEIGHTS_FILE not in v.files

def _graded_samples(v, ref):
    """The grader's 1,000 samples from the handed-in weights, drawn by the kit's own Generator, and their
    near-copy report, once they pass every check but quality (else why this earns 0). Where the instructor's
    networks cell builds the same Generator as the visible check's (the kit's own do: test_probes_generator_is_the_
    notebooks), the same weights and noise draw the same images: the visible check's draw (drawn_samples, kept per
    file and seed within this grading's judging) is taken, not drawn again (1.5-2 s of a grading on one thread)."""
    data = v.files[WEIGHTS_FILE]  # the bytes handed in
    seed = v.seed_of(WEIGHTS_FILE)  # 0 while you work; under dgmlab autograde, the autograder's own for this file
    kit = ref.cell("wgan_networks")  # the kit's Generator, never one from the notebook
    if repr(kit["Generator"]()) == repr(wgan_networks_generator()):
        x, report = drawn_samples(data, seed)
    else:
        x, report = _drawn_afresh(data, seed, kit)
    drawn = io.BytesIO()
    torch.save(x[:100].clone(), drawn)
    try:  # under dgmlab autograde: the first 100, for the class dashboard (which never decides a point)
        ref.keep(DASHBOARD_DRAW, drawn.getvalue())
    except OSError:
        pass
    return x, report


def _drawn_afresh(data, seed, kit):
    """:func:`_graded_samples`'s draw where a course's networks cell builds another Generator than the kit's."""
    if len(data) > MAX_WEIGHTS_BYTES:
        raise artifacts.ArtifactError(
            f"{WEIGHTS_FILE} is {len(data):,} bytes, more than the {MAX_WEIGHTS_BYTES:,} a file of this kind can "
            "be; submit the file the cell after deliverable (a) writes, unchanged")
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # a damaged file, or one holding objects other than tensors
        raise artifacts.ArtifactError(
            f"{WEIGHTS_FILE} could not be read with torch.load(weights_only=True) (save tensors with torch.save, "
            f"as the cell after deliverable (a) does): {(str(exc).splitlines() or [''])[0][:160]}") from None
    generator = artifacts.load_weights(kit["Generator"](), state, name="the weights in generator_weights.pt")
    z = torch.randn(1000, kit["Z_DIM"], generator=torch.Generator().manual_seed(seed))  # (1000, Z_DIM)
    with torch.no_grad():
        x = artifacts.samples(generate_in_chunks(generator, z).float(), n=1000,
                              name="the samples drawn from generator_weights.pt")
    return x, artifacts.require_new(x)

@points(5)
def test_mnist_classifier_score_above_the_bar(v, ref):
    if _absent_in_fast_mode(v, ref):
        return
    x, _ = _graded_samples(v, ref)  # weights that fail the checks above earn nothing here either
    score, _ = metrics.mnist_score(x, splits=1, batch_size=DRAW_CHUNK, scale="[-1,1]")
    classes = metrics.mnist_predict(x, batch_size=DRAW_CHUNK, scale="[-1,1]").unique().numel()
    if not float(score) >= 8.5:
        raise AssertionError(
            f"expected an MNIST classifier score of at least 8.5 for the 1,000 drawn samples, found {float(score):.2f}: "
            "below the bar (a full run clears it; a run stopped early or a generator that lost its tanh may not)")
    if classes != 10:
        raise AssertionError(
            f"expected all 10 digit classes among the drawn samples, found {classes}: "
            "the generator covers too few digits (mode collapse)")


HIDDEN = {
    'q3_wgan_losses_tests': (test_gradients_flow_to_the_scores,),
    'q3_gradient_penalty_tests': (test_nonlinear_critic_matches_reference_with_given_alpha,),
    'q3_train_step_tests': (test_critic_and_generator_with_the_penalty, test_clipping_mode),
    'q3_evaluate_samples_tests': (test_values_match_dgmlab,),
    'q3_interpolate_tests': (test_slerp_keeps_the_norm_between_equal_norm_vectors,),
    'q3_samples_quality_tests': (test_mnist_classifier_score_above_the_bar,),
}
