# %% [markdown]
# ## P0. The notebook runs from top to bottom (1 point)
#
# Restart the kernel and run every cell before you hand in. This point needs every piece defined and running,
# and `hw4_results.json` holding every model's result after 50 epochs, in agreement with your two weight files.

# %% kind="tests" grade_id="p0_tests" points=1
from dgmlab.probes import check
check("p0_tests", Generator, Discriminator, discriminator_loss, generator_loss, discriminator_step,
      generator_step, make_gan, train_gan, ConditionalGenerator, ConditionalDiscriminator,
      cgan_discriminator_step, cgan_generator_step, V_point, D_star, second_derivative, D_star_pi, C_point,
      virtual_criterion, js_divergence, ot_primal, ot_dual)

### BEGIN HIDDEN TESTS
from dgmlab.testing import points

@points(0.25)
def test_pieces_run_on_tiny_inputs():
    assert pieces is True, "a piece does not run on a tiny input"


@points(0.5)
def test_results_recorded_after_training():
    # the autograder does not train: it reads the results file your full-mode run saved
    assert RESULTS_FILE in files, (f"no {RESULTS_FILE} in the homework folder: run every training cell in "
                                   f"full mode and submit {RESULTS_FILE} together with the notebook")
    data = files[RESULTS_FILE]
    assert len(data) < 100_000, f"{RESULTS_FILE} is far larger than the notebook writes"
    try:
        saved = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise AssertionError(f"{RESULTS_FILE} is not valid JSON: {exc}") from None
    for name in (*EXPERIMENTS, "cgan"):
        r = saved.get(name) if isinstance(saved, dict) else None
        assert isinstance(r, dict), f"{RESULTS_FILE} records no result for {name}: run its training cell"
        assert r.get("epochs") == FULL_EPOCHS and r.get("data") == "full", (
            f"{name} in {RESULTS_FILE} was not trained in full mode ({FULL_EPOCHS} epochs on all MNIST "
            f"digits): epochs={r.get('epochs')}, data={r.get('data')}")
        assert isinstance(r.get("mnist_score"), (int, float)) and math.isfinite(r["mnist_score"]), \
            f"{name}: the MNIST classifier score in {RESULTS_FILE} is not a finite number"
    assert 0 <= saved["cgan"].get("conditional_accuracy", -1) <= 1, "conditional accuracy must be a share"
    # what cannot be typed: the baseline's and the cGAN's results are those of the weights handed in, measured here
    measured = measured_results(files, seed_of)
    for name, key, what, tol in [("baseline", "mnist_score", "MNIST classifier score", 0.4),
                                 ("cgan", "conditional_accuracy", "conditional accuracy", 0.02)]:
        recorded = float(saved[name][key])
        assert abs(recorded - measured[name]) <= tol, (
            f"{RESULTS_FILE} records a {what} of {recorded:.3f} for {name}, but the weights handed in give "
            f"{measured[name]:.3f} on the grader's draw of {MEASURE_N:,} images: hand in the results file and the "
            f"weights the same full-mode run saved")
### END HIDDEN TESTS

# %% [markdown]
# ## Closing note
#
# The GAN losses are two cross-entropies; which loss the generator uses and how strong and frequent each player
# is decide whether training works. At the optimal discriminator the generator minimises a Jensen-Shannon
# divergence, which gives little signal when supports barely overlap: hence the transport view of P5 and WGANs.
