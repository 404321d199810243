"""hw4_gans, p2_three_ablations: the hidden tests of its test cells (the grader's alone, never a student's).

Each test is ``test_x(v, ref)``: ``v`` the student's values (and ``v.inputs``, ``v.files``), ``ref``
the grader's (:class:`dgmlab.probes.Ref`). ``HIDDEN`` lists them by test cell, in order.
"""
from dgmlab.probes.points import points
from homeworks.hw4_gans.checks import (
    HIDDEN_RUNS,
    STATEMENT_EXPERIMENTS,
    assert_fresh_standard_noise,
    paired,
    run_of,
    value,
)

from .references import (
    assert_generator_as_stated,
    assert_history_as_stated,
    assert_parameters_as_stated,
)

# ------------------------------------------------------------------ p2_make_gan_tests
# each experiment's networks with the grader's seeded parameters, against the statement's networks for it (the wide
# generator's: a visible test)


@points(0.25)
def test_unknown_name_raises(v, ref):
    for got, name in paired(v.calls, v.inputs.names, "results, one per make_gan call"):
        got = value(got, f"make_gan({name!r})")
        if name in STATEMENT_EXPERIMENTS:
            if not isinstance(got, dict):
                raise AssertionError(f"make_gan({name!r}) {got} for a name of the statement")
            assert_generator_as_stated(got["g_out"], v.inputs, (128, 256, 512), f"make_gan({name!r})'s generator")
        else:
            if got != "raised ValueError":
                raise AssertionError(
                    f"make_gan must raise ValueError for an unknown experiment name such as {name!r}, found it " + (
                    got if isinstance(got, str) else "returned networks"))


# ------------------------------------------------------------------ p2_train_gan_tests
# train_gan ran with stand-ins for the two steps; the grader replays the statement's schedule from the same seeded
# start and loader and compares the history and the parameters train_gan leaves with its own


@points(0.5)
def test_counts_optimizer_steps(v, ref):
    for run in HIDDEN_RUNS:
        assert_history_as_stated(run_of(v.runs, run), v.inputs, run)


@points(0.25)
def test_noise_has_a_row_per_real_digit_and_latent_dim_columns(v, ref):
    # the steps drew their noise in the shape of the notebook's z: the replay's is (batch size, latent_dim)
    assert_parameters_as_stated(v.noise_run, v.inputs, "noise",
                                "noise of shape (batch size, generator.latent_dim) in every step")
    # and each step's z is a fresh torch.randn draw: none handed to two steps, standard normal pooled over the runs
    assert_fresh_standard_noise(v.runs, v.noise_run)


@points(0.25)
def test_both_players_learn(v, ref):
    # each player stepped against the other's seeded start (flattened batches): both must end where their own updates lead
    assert_parameters_as_stated(v.frozen_run, v.inputs, "frozen",
                                "one update of each player per batch, each against the other's starting parameters")


# ------------------------------------------------------------------ p2_baseline_samples_tests
# No hidden test: its first visible test leaves the grader's draw for the class dashboard (ref.keep, which keeps
# nothing outside the grader's judge)


HIDDEN = {
    'p2_make_gan_tests': (test_unknown_name_raises,),
    'p2_train_gan_tests': (test_counts_optimizer_steps, test_noise_has_a_row_per_real_digit_and_latent_dim_columns, test_both_players_learn),
    'p2_baseline_samples_tests': (),
}
