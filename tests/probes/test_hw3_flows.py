"""hw3_flows: the closed-form values its hidden tests rely on, re-derived independently with sympy.

The hidden tests hard-code a few numbers (the normalising slope k, log p_X(x*), the Pinsker bound,
the frame's mass as a function of k). These tests derive each from first principles, so a slip in
the builder's constants shows up here, not as a wrong grade.
"""
import math
import re
from pathlib import Path

import pytest
import sympy as sp

from conftest import assert_earns_every_point, homework_builders

FOLDER = Path(__file__).resolve().parents[2] / "homeworks" / "hw3_flows"
BUILDER = "\n".join(p.read_text() for p in sorted([*FOLDER.glob("*.py"), *FOLDER.glob("hidden/*.py")]))  # and hidden tests


def test_density_at_x_star_from_the_forward_jacobian():
    z1, z2, z3 = sp.symbols("z1 z2 z3", real=True)
    f = sp.Matrix([z1, z2 * sp.exp(z1), sp.real_root(z3 * sp.exp(-z1) + z1 ** 2, 3)])
    z_star = {z1: 0, z2: 1, z3: sp.Rational(1, 27)}  # f^{-1}(0, 1, 1/3)
    assert f.subs(z_star) == sp.Matrix([0, 1, sp.Rational(1, 3)])
    det = f.jacobian([z1, z2, z3]).replace(sp.DiracDelta, lambda *a: sp.S.Zero).det().subs(z_star)
    zz = sp.Matrix([z_star[z1], z_star[z2], z_star[z3]])
    p = (2 * sp.pi) ** sp.Rational(-3, 2) * sp.exp(-zz.dot(zz) / 2) / sp.Abs(det)
    issue_value = (2 * sp.pi) ** sp.Rational(-3, 2) * sp.exp(-(1 + sp.Rational(1, 729)) / 2) / 3
    assert sp.simplify(p - issue_value) == 0
    # q1_torch_density_tests' hidden closed form near x*: log N(f_inv(x)) + log(3 x3^2), here at x* itself
    closed = -1.5 * math.log(2 * math.pi) - float(zz.dot(zz)) / 2 + math.log(3 * (1 / 3) ** 2)
    assert abs(float(sp.log(p)) - closed) < 1e-12
    assert "torch.log(3 * xs[:, 2] ** 2)" in BUILDER


def test_normalising_slope_from_the_case_by_case_definition():
    k, xs, ys = sp.symbols("k x y", positive=True)
    edge = sp.Rational(1, 2) + sp.Rational(9, 10) / k
    # right wedge |x| in [0.5, edge], |y| <= |x|; four congruent wedges by symmetry
    wedge = sp.integrate(sp.integrate(sp.Rational(9, 10) - k * (xs - sp.Rational(1, 2)), (ys, -xs, xs)),
                         (xs, sp.Rational(1, 2), edge))
    mass = sp.Rational(9, 10) + 4 * wedge
    (k_star,) = [s for s in sp.solve(sp.Eq(mass, 1), k) if s.is_positive]
    assert sp.simplify(k_star - (sp.Rational(81, 10) + sp.Rational(9, 10) * sp.sqrt(93))) == 0
    # Q2.2's hidden mass formula for any slope: 0.9 + 1.8 t + 1.2 t^2 with t = 0.9 / k (Q2.1's hidden tests compare
    # values at the grader's seeded points instead of a mass the kernel reports)
    t = sp.Rational(9, 10) / k
    assert sp.simplify(mass - (sp.Rational(9, 10) + sp.Rational(6, 5) * t ** 2 + sp.Rational(9, 5) * t)) == 0
    assert "0.9 + 1.2 * t ** 2 + 1.8 * t" in BUILDER


def test_the_recorded_k_digest_is_the_normalising_slope_to_four_decimals():
    """Q2.2's visible test compares a slow digest of k (the kit never records k): the digest recorded is that of the
    slope derived above, a float accurate to 1e-6 gives it, the printed value typed to 4 significant digits does not."""
    from dgmlab import probes
    from homeworks.hw3_flows import checks

    k_star = sp.Rational(81, 10) + sp.Rational(9, 10) * sp.sqrt(93)
    recorded = probes.expected("hw3_flows", "q2_normalising_k_tests")["k_digest"]
    assert checks.slow_digest(k_star, checks.K_DECIMALS) == recorded
    assert checks.slow_digest(float(k_star) + 1e-6, checks.K_DECIMALS) == recorded
    assert checks.slow_digest(16.78, checks.K_DECIMALS) != recorded
    assert checks.slow_digest(sp.Symbol("k"), checks.K_DECIMALS) is None


def test_pinsker_bound():
    gaussian_peak = 1 / (2 * sp.pi)  # max of N(0, I_2)
    z = sp.symbols("z", real=True)
    assert sp.maximum(sp.exp(-z ** 2 / 2) / (2 * sp.pi), z) == gaussian_peak
    kl = 2 * (sp.Rational(9, 10) - gaussian_peak) ** 2
    assert abs(float(kl) - 1.0977027966903) < 1e-12


def test_discriminator_and_logit_limits():
    a, b, D = sp.symbols("a b D", positive=True)
    g = a * sp.log(D) + b * sp.log(1 - D)
    assert sp.solve(sp.diff(g, D), D) == [a / (a + b)]
    assert sp.simplify(sp.diff(g, D, 2).subs(D, a / (a + b)) + (a + b) ** 3 / (a * b)) == 0
    alpha = sp.symbols("alpha", positive=True)  # one-sided label smoothing: real target 1 - alpha
    g_alpha = a * ((1 - alpha) * sp.log(D) + alpha * sp.log(1 - D)) + b * sp.log(1 - D)
    assert [sp.simplify(r - (1 - alpha) * a / (a + b)) for r in sp.solve(sp.diff(g_alpha, D), D)] == [0]
    assert "(1 - alpha) * a / (a + b)" in BUILDER  # what q3_d_star_tests compares D_star_smoothed with
    h = sp.symbols("h", real=True)
    s = 1 / (1 + sp.exp(-h))
    assert sp.limit(sp.diff(sp.log(1 - s), h), h, -sp.oo) == 0
    assert sp.limit(sp.diff(-sp.log(s), h), h, -sp.oo) == -1


def test_points_split_adds_to_100():
    from conftest import homework_builders

    nb = homework_builders()["hw3_flows"].build()
    assert nb.points() == 100
    stated = [int(p) for p in re.findall(r"\| Q\d \| [^|]+ \| (\d+) \|", BUILDER)]
    assert sum(stated) == 100


def test_release_does_not_print_the_vp_ceiling():
    """`q2_vp_bound_tests` grades max_density_vp = 1/(2 pi); no text a student sees may print it (issue 19)."""
    import nbformat

    release = Path(__file__).resolve().parents[2] / "release" / "hw3_flows" / "hw3_flows.ipynb"
    text = "\n".join(c.source for c in nbformat.read(release, as_version=4).cells)
    compact = re.sub(r"\s+", "", text)
    for form in ["1/(2\\pi)", "\\frac1{2\\pi}", "\\frac{1}{2\\pi}", "\\tfrac1{2\\pi}", "\\tfrac{1}{2\\pi}",
                 "1/(2*math.pi)", "1/(2*sp.pi)", "1/(2*np.pi)", "0.159"]:
        assert form not in compact, f"the hw3 release prints the VP density ceiling ({form})"


# ---------------------------------------------------------------------- red team F3: answers a property check passes
def _judged_answer(cell, source, seed=4242):
    """What ``source`` (an answer cell's code) earns in test cell ``cell`` when the grader judges its probe."""
    return _judged(cell, source, seed).earned


def _judged(cell, source, seed=4242):
    """The grader's result for test cell ``cell`` when ``source`` (an answer cell's code) is judged by its probe."""
    import torch

    from dgmlab import probes
    from dgmlab.grading.judge import cell_verdicts
    from dgmlab.probes import wire
    from homeworks.hw3_flows import checks as spec_module

    namespace = {"torch": torch, "make_generator": spec_module.make_generator}
    exec(source, namespace)
    spec = probes.spec_for("hw3_flows", cell)
    data = probes.run_probe(spec, tuple(namespace[n] for n in spec.names), seed)
    nb = homework_builders()["hw3_flows"].build().nb
    hidden = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == cell)
    shown = [{"output_type": "display_data", "metadata": {},
              "data": {probes.PROBE_MIME: {"cell": cell, "data": wire.dumps(data)}}}]
    return cell_verdicts.judge_cell("hw3_flows", cell, hidden, shown, seed)


@pytest.mark.parametrize("source, most", [
    ("def p_counter(xy, k):\n    return torch.where(xy.abs().amax(dim=1) <= 0.5, 0.9, 0.0).double()\n", 1.0),
    ("def p_counter(xy, k):\n    return torch.zeros(xy.shape[0], dtype=torch.float64)\n", 0.5),
])
def test_red_team_counter_densities_earn_only_their_constant_regions(source, most):
    """Red team F3 (/tmp/redteam/hw3_zero.py): 0.9 on B and identically 0 earned 3.5 and 2.5 of 7 from symmetry and
    support checks; now only the drawn points where the printed density is a constant give (0.5 each): the squares'
    and the edges' property checks ask for the frame's ramp too."""
    for seed in (4242, 5):
        assert _judged_answer("q2_counter_density_tests", source, seed) == most


def test_red_team_constant_gradient_norm_earns_nothing():
    """Red team F3 (/tmp/redteam/hw3_const.py): a constant 1.0 earned 2 of 5 ("a positive float", "the same twice")."""
    source = "def generator_grad_norm(generator, discriminator, z, loss_fn):\n    return 1.0\n"
    assert _judged_answer("q4_grad_norm_tests", source) == 0


# ---------------------------------------------------------------------- visible tests compare with recorded values
# The converted cells' visible tests compare the student's values (on the working seed's inputs, or at fixed points)
# with values the grader's references gave there when the kit was built (homeworks/hw3_flows/checks/expected.json); the
# hidden tests compare the values on the grading seed's inputs.
CONVERTED = ("q1_f_and_inverse_tests", "q1_jacobian_tests", "q1_density_tests", "q1_torch_density_tests",
             "q2_normalising_k_tests", "q3_d_star_tests", "q3_discrete_discriminator_tests", "q4_saturating_tests", "q4_non_saturating_tests",
             "q4_generator_losses_tests", "q4_grad_norm_tests")
_REFERENCE_CELLS = ["helpers", "q1_symbols", "q1_f_and_inverse", "q1_jacobian", "q1_density", "base_log_prob",
                    "q1_torch_density", "q2_normalising_k", "q3_symbols", "q3_d_star", "q3_discrete_discriminator", "q4_symbols",
                    "q4_logit_derivatives", "q4_generator_losses", "q4_grad_norm", "q4_setup"]


@pytest.fixture(scope="module")
def reference():
    """The reference answers, run from the instructor's notebook (its imports cell, which sets torch's default dtype
    for the whole process, replaced by the names it imports)."""
    import numpy as np
    import torch

    import dgmlab
    from dgmlab.authoring.reference import reference_namespace

    root = Path(__file__).resolve().parents[2]
    return reference_namespace(root / "source" / "hw3_flows" / "hw3_flows.ipynb", _REFERENCE_CELLS,
                               {"__name__": "hw3_reference", "math": math, "np": np, "sp": sp, "torch": torch,
                                "dgmlab": dgmlab})


def _data(reference, cell, seed):
    from dgmlab import probes
    from dgmlab.probes import wire

    spec = probes.spec_for("hw3_flows", cell)
    return spec, wire.loads(wire.dumps(probes.run_probe(spec, tuple(reference[n] for n in spec.names), seed)))


@pytest.mark.parametrize("cell", CONVERTED)
@pytest.mark.parametrize("seed", [0, 987_654])
def test_the_reference_earns_every_point_of_a_converted_cell_on_any_grading_seed(reference, cell, seed):
    """Visible tests compare with values recorded on the working seed (or at fixed points) in a self-check and with the
    grader's references on another seed's draw: the reference earns every visible point on seed 0 and on another
    seed, and with the hidden tests every point."""

    spec, data = _data(reference, cell, seed)
    assert_earns_every_point("hw3_flows", spec, data, seed)


@pytest.mark.parametrize("cell, test", [("q4_grad_norm_tests", "test_matches_finite_differences"),
                                        ("q4_generator_losses_tests", "test_both_losses_on_a_batch_of_logits"),
                                        ("q1_torch_density_tests", "test_linear_map_with_negative_determinant")])
def test_a_visible_test_reads_the_values_under_working(reference, cell, test):
    """A converted visible test reads the probe's values on its own draw (under "working"), not the hidden tests':
    with those taken out, it fails though every other value is right."""
    from dgmlab import probes

    spec, data = _data(reference, cell, 987_654)
    del data["working"]
    result = probes.judge("hw3_flows", spec, data, 987_654)
    failed = {name for name, _, _, ok, _ in result.results if not ok}
    assert test in failed, result.lines


def _sympy_values(record):
    """Every value of ``record`` (recorded values, at any depth) that sympy reads as a number."""
    if isinstance(record, dict):
        return [v for x in record.values() for v in _sympy_values(x)]
    if isinstance(record, (list, tuple, sp.MatrixBase)):
        return [v for x in record for v in _sympy_values(x)]
    return [record] if isinstance(record, (sp.Basic, float)) else []


def test_no_value_the_student_package_records_answers_p_x_star():
    """Issue 55: p(x*) is one fixed number, the answer itself, so the student package records its digest, not the
    value. No number recorded for any hw3 cell, handed in as p_x_star (with p_x blank), passes the check that it is
    p(x*), in a self-check (the working seed, judged against the recorded values) or graded: each earns what any
    exact number in (0, 1) earns (1/2 here, the property check's half point)."""
    from dgmlab import probes
    from homeworks.hw3_flows import checks as spec_module

    recorded = [v for cell in CONVERTED for v in _sympy_values(probes.expected("hw3_flows", cell))]
    assert len(recorded) > 10
    for seed in (probes.WORKING_SEED, 4242):
        anything = _judged("q1_density_tests", "import sympy\np_x = None\np_x_star = sympy.Rational(1, 2)\n", seed)
        for value in recorded:
            as_code = f"sympy.{sp.srepr(value)}" if isinstance(value, sp.Basic) else repr(value)
            result = _judged("q1_density_tests", f"import sympy\np_x = None\np_x_star = {as_code}\n", seed)
            passed = {name for name, _, _, ok, _ in result.results if ok}
            assert "test_p_x_star_is_p_x_at_x_star" not in passed and result.earned <= anything.earned, (value, seed)
    assert "p_x_star" not in probes.expected("hw3_flows", "q1_density_tests")
    assert spec_module.number_digest(sp.Rational(1, 3)) != spec_module.number_digest(sp.Rational(1, 3) + 1e-21)


# ---------------------------------------------------------------------- red team s60 F1: the recorded values replayed
# Answers that know nothing of the question and hand back the values the student package records (expected.json), as
# constants or lines through two recorded points (homeworks/hw3_flows/proofs.py, "red team F1: ..."), earned 18.75 of
# 63 while the sympy cells compared at fixed points: graded, they now compare at the grading seed's points.
REPLAYS = [m for m in homework_builders()["hw3_flows"].MUTANTS if m.label.startswith("red team F1:")]
_EARNS = sorted({cell for m in REPLAYS for cell in m.earns})


def _replayed(cell, seed):
    """What the replayed answers earn in test cell ``cell`` judged on ``seed``'s draw, with the hidden tests."""
    import numpy as np

    from dgmlab import probes
    from dgmlab.grading import hidden
    from dgmlab.grading.references import recorded
    from dgmlab.probes import wire
    from homeworks.hw3_flows import checks as spec_module

    namespace = {"sp": sp, "np": np, "math": math, **spec_module.symbols()}
    for mutant in REPLAYS:
        if cell in mutant.earns:
            exec(mutant.source, namespace)
    spec = probes.spec_for("hw3_flows", cell)
    data = wire.loads(wire.dumps(probes.run_probe(spec, tuple(namespace[n] for n in spec.names), seed)))
    return probes.judge("hw3_flows", spec, data, seed, expected_at=recorded.expected_at,
                        hidden=hidden.tests("hw3_flows", cell))


def test_every_cell_the_red_team_replayed_has_a_replay_mutant():
    assert _EARNS == sorted(["q1_f_and_inverse_tests", "q1_jacobian_tests", "q1_density_tests", "q3_d_star_tests",
                             "q3_discrete_discriminator_tests", "q4_saturating_tests", "q4_non_saturating_tests"])


@pytest.mark.parametrize("cell", _EARNS)
@pytest.mark.parametrize("seed", [4242, 987_654])
def test_replaying_the_recorded_values_earns_nothing_when_graded(cell, seed):
    result = _replayed(cell, seed)
    assert result.earned == 0, result.lines


@pytest.mark.parametrize("cell", ["q1_f_and_inverse_tests", "q1_jacobian_tests", "q1_density_tests",
                                  "q3_discrete_discriminator_tests", "q4_saturating_tests", "q4_non_saturating_tests"])
def test_the_replay_is_what_the_recorded_values_answer_in_a_self_check(cell):
    """The control: on the working draw the replayed values pass the visible test that compares with them, so the test
    above fails if grading ever compared at the working points again (q3_d_star's replay is a guess, not a value)."""
    from dgmlab import probes

    comparing = {"q1_f_and_inverse_tests": "test_f_is_the_questions_map_at_one_point",
                 "q1_jacobian_tests": "test_J_f_matches_finite_differences_at_one_point",
                 "q1_density_tests": "test_change_of_variables_at_one_point",
                 "q3_discrete_discriminator_tests": "test_loss_at_the_optimum_is_two_log_two_minus_twice_the_jsd",
                 "q4_saturating_tests": "test_d_saturating_matches_a_finite_difference",
                 "q4_non_saturating_tests": "test_d_non_saturating_matches_a_finite_difference"}[cell]
    result = _replayed(cell, probes.WORKING_SEED)
    assert comparing in {name for name, _, _, ok, _ in result.results if ok}, result.lines


def test_a_graded_draw_moves_every_point_a_sympy_cell_is_compared_at():
    from dgmlab import probes

    for cell in ("q1_f_and_inverse_tests", "q4_saturating_tests", "q3_discrete_discriminator_tests"):
        spec = probes.spec_for("hw3_flows", cell)
        working, graded = (probes.make_inputs(spec, s)["working"] for s in (probes.WORKING_SEED, 4242))
        for key, value in working.items():
            if key != "grid":  # the grid of discriminators is the same on every draw
                assert repr(graded[key]) != repr(value), (cell, key)


# ---------------------------------------------------------------------- careful-student trial (issue 62): given cells
def _given_cell(marker: str) -> str:
    """The source of the instructor's notebook's one code cell that contains ``marker``."""
    import nbformat

    root = Path(__file__).resolve().parents[2]
    cells = [c.source for c in nbformat.read(root / "source" / "hw3_flows" / "hw3_flows.ipynb", as_version=4).cells
             if c.cell_type == "code" and marker in c.source]
    assert len(cells) == 1, f"{len(cells)} cells contain {marker!r}"
    return cells[0]


def _run_given_cell(marker: str, namespace: dict, capsys) -> str:
    """What the notebook's cell with ``marker`` prints when run in ``namespace`` (fast mode, not graded)."""
    capsys.readouterr()
    exec(compile(_given_cell(marker), f"<hw3_flows: {marker}>", "exec"), namespace)
    return capsys.readouterr().out


@pytest.fixture
def given(reference, fast_mode, tmp_path):
    """The reference answers with the rest of what the notebook's imports cell gives (figures saved under
    ``tmp_path``), in fast mode."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm.auto import tqdm

    yield dict(reference, plt=plt, tqdm=tqdm, FIGURES=tmp_path / "figures")
    plt.close("all")


@pytest.fixture
def vp_namespace(given):
    """:func:`given` with the reference answers up to Q2.4 and the given code the "Seeing the gap" cell uses."""
    for marker in ("def p_counter(", "def sample_counter(", "max_density_vp = "):
        exec(compile(_given_cell(marker), f"<hw3_flows: {marker}>", "exec"), given)
    return given


def _numbers_printed(out: str) -> list[float]:
    """The numbers in ``out``, but for the line naming where the figure was saved (a path of the machine)."""
    text = "\n".join(line for line in out.splitlines() if not line.startswith("figure saved"))
    return [float(n) for n in re.findall(r"-?\d+\.\d+|-?\d+", text)]


def test_the_vp_flow_cell_prints_no_value_a_hidden_test_grades(vp_namespace, capsys):
    """The learned density's maximum is 1/(2 pi), the max_density_vp that q2_vp_bound_tests grades: a student whose
    ceiling is wrong (here 1/sqrt(2 pi)) read it off the cell ("max learned density 0.159 (your ceiling 0.399)").
    The cell now says whether the learned density stays under the student's ceiling, and prints no number near it."""
    vp_namespace["max_density_vp"] = 1 / sp.sqrt(2 * sp.pi)
    out = _run_given_cell('desc="VP flow"', vp_namespace, capsys)
    ceiling = 1 / (2 * math.pi)
    assert not [n for n in _numbers_printed(out) if abs(n - ceiling) < 0.02 * ceiling], out
    assert "the learned density stays at or below your max_density_vp" in out


def test_the_vp_flow_cell_says_a_ceiling_below_the_learned_density_is_too_small(vp_namespace, capsys):
    vp_namespace["max_density_vp"] = 1 / (4 * sp.pi)
    out = _run_given_cell('desc="VP flow"', vp_namespace, capsys)
    assert "max_density_vp is too small" in out, out


def test_the_monte_carlo_cell_gives_no_warning_on_a_differentiable_answer(given, capsys):
    """The reference flow_log_prob keeps its graph (create_graph=True), as the statement asks; the cross-check cell
    turned that into a float and torch warned "Converting a tensor with requires_grad=True to a scalar"."""
    import warnings

    import torch

    x_star = torch.tensor([[0.0, 1.0, 1 / 3]])
    assert given["flow_log_prob"](x_star, given["f_inv_torch"],
                                  given["standard_normal_log_prob"]).requires_grad  # what used to warn
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = _run_given_cell('desc="Monte Carlo"', given, capsys)
    assert "autograd" in out and "disagree" not in out, out


def test_the_monte_carlo_cell_says_what_to_check_when_autograd_and_exact_disagree(given, capsys):
    import torch

    ns = given
    ns["f_inv_torch"] = lambda x: torch.stack([x[:, 0], x[:, 1] * torch.exp(-x[:, 0]),  # the cube of x3 left out
                                               (x[:, 2] - x[:, 0] ** 2) * torch.exp(x[:, 0])], dim=1)
    out = _run_given_cell('desc="Monte Carlo"', ns, capsys)
    assert "disagree at x*" in out and "f_inv_torch" in out, out
