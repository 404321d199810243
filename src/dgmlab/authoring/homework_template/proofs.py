"""The homework's proofs: each realistic wrong answer says what it still earns, each correct variant which cells it
passes (a course runs them as docs/own_homework.md says; a kit homework with `pytest tests/authoring/test_proofs.py
-k <hw>`)."""
from dgmlab.authoring.proofs import Mutant

MUTANTS = [
    Mutant("q1_log_density", "drops the normalising constant", edits=[
        ("- log_sigma - 0.5 * math.log(2 * math.pi)", "- log_sigma")], earns={"q1_log_density_tests": 1}),
    Mutant("q1_log_density", "uses log_sigma as sigma", edits=[("sigma = torch.exp(log_sigma)", "sigma = log_sigma")],
           earns={"q1_log_density_tests": 1}),
    Mutant("q1_log_density", "correct variant: torch.distributions", source='''
def gaussian_log_density(x, mu, log_sigma):
    return torch.distributions.Normal(mu, log_sigma.exp()).log_prob(x)
''', passes=["q1_log_density_tests"]),
    Mutant("q2_gaussian_kl", "forgets the -1", edits=[("sigma ** 2 + mu ** 2 - 1", "sigma ** 2 + mu ** 2")],
           earns={"q2_gaussian_kl_tests": 0}),
    # red team s60 F4: an expression in mu and sigma that is no KL earned the visible point
    Mutant("q2_gaussian_kl", "any expression in the symbols: mu", source='''
kl_gauss = mu
print("kl_gauss =", kl_gauss)
''', earns={"q2_gaussian_kl_tests": 0}),
    Mutant("q2_gaussian_kl", "the mean's term only: mu^2/2", source='''
kl_gauss = mu ** 2 / 2
print("kl_gauss =", kl_gauss)
''', earns={"q2_gaussian_kl_tests": 0}),
    Mutant("q2_gaussian_kl", "the reverse KL, KL(N(0,1) || N(mu, sigma^2))", source='''
kl_gauss = sp.log(sigma) + (1 + mu ** 2) / (2 * sigma ** 2) - sp.Rational(1, 2)
print("kl_gauss =", kl_gauss)
''', earns={"q2_gaussian_kl_tests": 1}),
    Mutant("q2_gaussian_kl", "a float constant (0.5 for 1/2)", edits=[
        ("(sigma ** 2 + mu ** 2 - 1) / 2", "0.5 * (sigma ** 2 + mu ** 2 - 1)")], earns={"q2_gaussian_kl_tests": 0}),
    Mutant("q2_gaussian_kl", "correct variant: log(sigma^2)/2, equal for sigma > 0", edits=[
        ("- sp.log(sigma)", "- sp.log(sigma ** 2) / 2")], passes=["q2_gaussian_kl_tests"]),
]
PARTIAL = ["drops the normalising constant", "forgets the -1"]  # the demo's partly-wrong submission
