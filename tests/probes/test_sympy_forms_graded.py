"""Forms sympy writes for a right answer earn every point, judged as the grader judges (issue 62).

hw1 Q2(a)'s KL as ``sp.simplify`` writes it after integrating (a power of a power in the log), with erf and erfc
terms that cancel, and with the ``theta/theta_0`` of sympy's integrals (0/0 at ``theta_0 = 0``): each is the right
answer, and each earns 8 of 8 on the self-check's draw and on a graded one. The eight routes a student takes to these
forms are proven in homeworks/hw1_wgan/proofs.py (slow tier); this is the same judgement without the integrals.
"""
import pytest
import sympy as sp

from dgmlab import probes
from dgmlab.grading.judge import judge
from dgmlab.probes import wire

HW, CELL = "hw1_wgan", "q2_kl_gaussians_tests"
x, theta, theta0 = sp.symbols("x theta theta_0", real=True)
eps = sp.symbols("epsilon", positive=True)
sg, sd = sp.symbols("sigma_g sigma_data", positive=True)


def _pdf(at, mean, std):
    return sp.exp(-(at - mean) ** 2 / (2 * std ** 2)) / (std * sp.sqrt(2 * sp.pi))


INTEGRAND = _pdf(x, theta, sg) * sp.log(_pdf(x, theta, sg) / _pdf(x, theta0, sd))
KL = sp.log(sd / sg) + (sg ** 2 + (theta - theta0) ** 2) / (2 * sd ** 2) - sp.Rational(1, 2)
FORMS = {
    "simplify's power of a power": (-sd ** 2 + sg ** 2 + (theta - theta0) ** 2
                                    + sp.log(sd ** (2 * sd ** 2) / sg ** (2 * sd ** 2))) / (2 * sd ** 2),
    "erf and erfc terms": KL + (sp.erf(theta / sg) + sp.erfc(theta / sg) - 1) * sp.exp((theta - theta0) ** 2),
    "theta/theta_0 as integrate writes it": KL + theta0 * (1 - theta / theta0) - (theta0 - theta),
}


def _judged(kl_general, seed):
    spec = probes.spec_for(HW, CELL)
    kl_gaussians = (theta - theta0) ** 2 / (2 * eps ** 2)
    data = probes.run_probe(spec, (INTEGRAND, kl_general, kl_gaussians), seed)
    shown = [{"output_type": "display_data", "metadata": {},
              "data": {probes.PROBE_MIME: {"cell": CELL, "data": wire.dumps(data)}}}]
    return judge.judge_cell(HW, CELL, "", shown, seed)


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("seed", [0, 4242])
def test_a_right_kl_in_any_form_sympy_writes_earns_every_point(form, seed):
    result = _judged(FORMS[form], seed)
    assert result.earned == result.points == 8, "\n".join(result.lines)


def test_a_wrong_kl_in_the_same_form_still_loses_its_points():
    wrong = (-sd ** 2 + sg ** 2 + (theta - theta0) ** 2
             + sp.log(sg ** (2 * sd ** 2) / sd ** (2 * sd ** 2))) / (2 * sd ** 2)  # the log-ratio upside down
    result = _judged(wrong, 4242)
    assert result.earned <= 8 - 2 - 2, "\n".join(result.lines)  # the numerical integration and the exact form fail
