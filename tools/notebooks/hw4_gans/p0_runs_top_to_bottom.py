# %% [markdown]
# ## P0. The notebook runs from top to bottom (1 point)
#
# Restart the kernel and run every cell before you submit. The check below confirms that every required
# piece is defined and works on a tiny input; after a training run (fast or full mode) it also checks that
# the results of P1-P3 were recorded. The autograder does not train: it checks `hw4_results.json`, which
# your full-mode run saved in the homework folder, for every model's result after the full 50 epochs.

# %% kind="tests" grade_id="p0_tests" points=1
from dgmlab.testing import points, run_tests


def _everything_defined():
    """Every answer's name exists (else the reason none of P0's points are earned)."""
    needed = ["Generator", "Discriminator", "discriminator_loss", "generator_loss", "discriminator_step",
              "generator_step", "make_gan", "train_gan", "ConditionalGenerator", "ConditionalDiscriminator",
              "cgan_discriminator_step", "cgan_generator_step", "V_point", "D_star", "second_derivative", "D_star_pi",
              "C_point", "virtual_criterion", "js_divergence", "ot_primal", "ot_dual"]
    missing = [n for n in needed if n not in globals()]
    assert not missing, f"expected every answer defined, found these missing (run every cell in order): {missing}"


@points(0.25)
def test_everything_is_defined():
    _everything_defined()

### BEGIN HIDDEN TESTS
@points(0.25)
def test_pieces_run_on_tiny_inputs():
    with torch.no_grad():
        x = Generator()(torch.randn(2, 100))
        Discriminator().eval()(x)
        ConditionalDiscriminator().eval()(ConditionalGenerator()(torch.randn(2, 100), torch.arange(2)), torch.arange(2))
    for name in EXPERIMENTS:
        make_gan(name)
    p = np.array([0.5, 0.5])
    float(virtual_criterion(p, p))
    float(js_divergence(p, p))
    ot_primal(p, p, np.eye(2))
    ot_dual(p, p, np.eye(2))


@points(0.5)
def test_results_recorded_after_training():
    _everything_defined()  # results of a notebook that does not define every answer earn nothing
    if is_grading():
        # the autograder does not train: it reads the results file your full-mode run saved
        assert RESULTS_FILE.exists(), (f"no {RESULTS_FILE} in the homework folder: run every training cell in "
                                       f"full mode and submit {RESULTS_FILE} together with the notebook")
        assert RESULTS_FILE.stat().st_size < 100_000, f"{RESULTS_FILE} is far larger than the notebook writes"
        try:
            saved = json.loads(RESULTS_FILE.read_text())
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
        return
    for name in (*EXPERIMENTS, "cgan"):
        assert name in RESULTS, f"no result recorded for {name}: run its training cell"
        assert np.isfinite(RESULTS[name]["mnist_score"]), f"{name}: the MNIST classifier score is not finite"
    assert 0 <= RESULTS["cgan"]["conditional_accuracy"] <= 1, "conditional accuracy must be a share"
    for name in ("baseline_samples", "cgan_grid", "d_steps_10_losses"):
        assert (FIGURES / f"{name}.png").exists(), f"figure {name}.png was not saved"
### END HIDDEN TESTS

run_tests(points=1, hidden=0.75)

# %% [markdown]
# ## Closing note
#
# What to take away: the GAN losses are two cross-entropies, and the choices around them (which loss the
# generator uses, how strong the discriminator is, how often each player moves) decide whether training
# works; the theory explains the target (at the optimal discriminator the generator minimises a Jensen-Shannon
# divergence) and why that target is hard to learn from when supports barely overlap, which is where the
# optimal-transport view of P5 and the WGAN come in.
