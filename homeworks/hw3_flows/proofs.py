"""hw3_flows' proofs: what every graded cell is proven against (tests/authoring/test_proofs.py -k hw3).

Each Mutant names the answer cell it replaces, what it still earns in each test cell, or which cells
it passes; the statements, solutions and tests are the percent files beside this module.
"""
from dgmlab.authoring.proofs import Mutant

# A wrong answer that is the reference with one mistake is written as edits=[(old, new)] of the reference answer
# (each old found exactly once in the answer cell, solution markers dropped), so a fix to a solution reaches it;
# so is a correct variant that is the reference with a harmless change. source= stays for a genuinely different
# implementation (most correct variants), a hand-derived or typed-in result (issue 19) and a rewrite of the
# whole answer, where an edit would be no clearer than the copy.
#
# Every graded cell gives points per test, so a wrong answer names in earns= the points it still gets:
# those of the tests its mistake leaves passing (tests/authoring/test_proofs.py checks the exact number).
_REAL_ROOT, _U = "sp.real_root(z3 * sp.exp(-z1) + z1 ** 2, 3)", "z3 * sp.exp(-z1) + z1 ** 2"
_J_F = "f.jacobian(z).replace(sp.DiracDelta, lambda *args: sp.S.Zero)"
_LIMIT_SAT, _LIMIT_NON = "sp.limit(d_saturating, h, -sp.oo)", "sp.limit(d_non_saturating, h, -sp.oo)"

MUTANTS = [
    # Q1(a)
    Mutant("q1_f_and_inverse", "principal complex cube root in f", edits=[
        (_REAL_ROOT, f"({_U}) ** sp.Rational(1, 3)")], earns={"q1_f_and_inverse_tests": 3.25}),
    Mutant("q1_f_and_inverse", "cube root taken with sp.cbrt (also principal)", edits=[(_REAL_ROOT, f"sp.cbrt({_U})")],
           earns={"q1_f_and_inverse_tests": 3.25}),
    # 2 (was 2.5 while the round trip compared at the fixed x = (0, 1, 2), where x1 = 0 makes both orders agree; graded
    # it compares at a drawn x)
    Mutant("q1_f_and_inverse", "inverse solves x3 in the wrong order (x3^3 e^{x1} - x1^2)", edits=[
        ("(x3 ** 3 - x1 ** 2) * sp.exp(x1)", "x3 ** 3 * sp.exp(x1) - x1 ** 2")], earns={"q1_f_and_inverse_tests": 2}),
    # a careful student's slip (s60): the hint names the last entry's steps and the sign of its exponent
    Mutant("q1_f_and_inverse", "sign slip: e^{-x1} in f_inv's last entry", edits=[
        ("(x3 ** 3 - x1 ** 2) * sp.exp(x1)", "(x3 ** 3 - x1 ** 2) * sp.exp(-x1)")], earns={"q1_f_and_inverse_tests": 2}),
    Mutant("q1_f_and_inverse", "decides f is not invertible", edits=[
        ("f_is_invertible = True", "f_is_invertible = False")], earns={"q1_f_and_inverse_tests": 4.5}),
    Mutant("q1_f_and_inverse", "cube root as 1/3 float exponent", edits=[
        (_REAL_ROOT, f"sp.sign({_U}) * sp.Abs({_U}) ** (1 / 3)")], earns={"q1_f_and_inverse_tests": 4.5}),
    # (found by a red-team run: any pair of mutually inverse maps earned 5 of 5). Wrong but self-consistent (issue 45
    # item 5): f(f_inv(x)) = x for its own f; the round trips send f_inv through the question's map (the grader's
    # _f_num) and f is compared with it, so only the two shape checks pay
    Mutant("q1_f_and_inverse", "the identity and its inverse instead of the question's map", '''
f = sp.Matrix([z1, z2, z3])
f_inv = sp.Matrix([x1, x2, x3])
f_is_invertible = True
''', earns={"q1_f_and_inverse_tests": 1}),
    Mutant("q1_f_and_inverse", "no cube root in f, and an inverse of that f (self-consistent)", edits=[
        (_REAL_ROOT, _U), ("(x3 ** 3 - x1 ** 2) * sp.exp(x1)", "(x3 - x1 ** 2) * sp.exp(x1)")],
        earns={"q1_f_and_inverse_tests": 1}),
    Mutant("q1_f_and_inverse", "correct variant: sign(u)|u|^(1/3) and expanded inverse", '''
_u = z3 * sp.exp(-z1) + z1 ** 2
f = sp.Matrix([z1, z2 * sp.exp(z1), sp.sign(_u) * sp.Abs(_u) ** sp.Rational(1, 3)])
f_inv = sp.Matrix([x1, x2 / sp.exp(x1), x3 ** 3 * sp.exp(x1) - x1 ** 2 * sp.exp(x1)])
f_is_invertible = True
''', passes=["q1_f_and_inverse_tests"]),
    # Q1(b)
    # these three are wrong but self-consistent (issue 45 item 5): det_J_f is the determinant of their own J_f; the
    # grader's finite-difference determinant of the question's map withholds that half point
    Mutant("q1_jacobian", "Jacobian of the inverse used instead of f", edits=[(_J_F, "f_inv.jacobian(x)")],
           earns={"q1_jacobian_tests": 0.5}),
    Mutant("q1_jacobian", "Jacobian of f_inv rewritten in z (the inverse matrix)", edits=[
        (_J_F, "f_inv.jacobian(x).subs({x1: f[0], x2: f[1], x3: f[2]}, simultaneous=True)")],
        earns={"q1_jacobian_tests": 2}),
    Mutant("q1_jacobian", "chain rule's e^{z1} dropped from df2/dz2, det_J_f of that J_f (self-consistent)", edits=[
        (_J_F, _J_F + "\nJ_f[1, 1] = sp.S.One")], earns={"q1_jacobian_tests": 2}),
    Mutant("q1_jacobian", "transposed Jacobian, determinant right", edits=[(_J_F, _J_F + ".T")],
           earns={"q1_jacobian_tests": 3.25}),
    Mutant("q1_jacobian", "principal cube root differentiated", '''
_fp = sp.Matrix([z1, z2 * sp.exp(z1), (z3 * sp.exp(-z1) + z1 ** 2) ** sp.Rational(1, 3)])
J_f = _fp.jacobian(z)
det_J_f = J_f.det()
''', earns={"q1_jacobian_tests": 2.5}),
    Mutant("q1_jacobian", "correct variant: DiracDelta terms kept, hand-written determinant", '''
J_f = f.jacobian(z)
det_J_f = 1 / (3 * sp.Abs(z3 * sp.exp(-z1) + z1 ** 2) ** sp.Rational(2, 3))
''', passes=["q1_jacobian_tests"]),
    Mutant("q1_jacobian", "correct variant: Jacobian and determinant as sp.simplify writes them", '''
J_f = sp.simplify(f.jacobian(z).replace(sp.DiracDelta, lambda *args: sp.S.Zero))
det_J_f = sp.simplify(J_f.det())
''', passes=["q1_jacobian_tests"]),
    # Q1(c). The first four are wrong but self-consistent (issue 45 item 5): p_x_star is their own p_x at x*; the
    # grader's p_Z(z*) / |det df/dz(z*)| (z* solved numerically from the question's map) withholds that half point
    Mutant("q1_density", "multiplies by |det J_f| instead of dividing", edits=[
        ("p_z_of_x * sp.Abs(", "p_z_of_x / sp.Abs(")], earns={"q1_density_tests": 1}),
    Mutant("q1_density", "forgets the Jacobian factor", edits=[(" * sp.Abs(f_inv.jacobian(x).det())", "")],
           earns={"q1_density_tests": 1}),
    Mutant("q1_density", "Gaussian evaluated at x instead of z = f^{-1}(x)", edits=[
        ("-f_inv.dot(f_inv) / 2", "-x.dot(x) / 2")], earns={"q1_density_tests": 1}),
    Mutant("q1_density", "1-D normaliser (2 pi)^(-1/2)", edits=[("sp.Rational(-3, 2)", "sp.Rational(-1, 2)")],
           earns={"q1_density_tests": 1}),
    Mutant("q1_density", "float value at x*", edits=[("sp.simplify(p_x.subs(X_STAR))", "sp.N(p_x.subs(X_STAR))")],
           earns={"q1_density_tests": 4.25}),
    Mutant("q1_density", "correct variant: no Abs (here det J_{f^-1} = 3 x3^2 >= 0, so it is still right)", edits=[
        ("sp.Abs(f_inv.jacobian(x).det())", "f_inv.jacobian(x).det()")], passes=["q1_density_tests"]),
    Mutant("q1_density", "correct variant: 1/|det J_f| at z = f^{-1}(x), hand-written value", '''
_zx = {z1: f_inv[0], z2: f_inv[1], z3: f_inv[2]}
p_x = (2 * sp.pi) ** sp.Rational(-3, 2) * sp.exp(-(f_inv.T * f_inv)[0] / 2) / sp.Abs(det_J_f.subs(_zx, simultaneous=True))
p_x_star = sp.exp(-sp.Rational(365, 729)) / (3 * (2 * sp.pi) ** sp.Rational(3, 2))
''', passes=["q1_density_tests"]),
    Mutant("q1_density", "correct variant: sp.simplify of the density, its value by subs alone", '''
p_x = sp.simplify((2 * sp.pi) ** sp.Rational(-3, 2) * sp.exp(-f_inv.dot(f_inv) / 2) * sp.Abs(f_inv.jacobian(x).det()))
p_x_star = p_x.subs(X_STAR)
''', passes=["q1_density_tests"]),
    # Q1(d)
    Mutant("q1_torch_density", "missing |det| absolute value", edits=[
        ("torch.log(torch.abs(torch.det(J)))", "torch.log(torch.det(J))")], earns={"q1_torch_density_tests": 3.25}),
    Mutant("q1_torch_density", "sign error on log|det|", edits=[
        ("base_log_prob(z) + torch.stack", "base_log_prob(z) - torch.stack")], earns={"q1_torch_density_tests": 1.75}),
    Mutant("q1_torch_density", "sign slip: e^{-x1} in f_inv_torch's last entry", edits=[
        ("(x3_ ** 3 - x1_ ** 2) * torch.exp(x1_)", "(x3_ ** 3 - x1_ ** 2) * torch.exp(-x1_)")],
        earns={"q1_torch_density_tests": 3.25}),
    Mutant("q1_torch_density", "base density evaluated at x instead of f_inv(x)", edits=[
        ("base_log_prob(z)", "base_log_prob(x)")], earns={"q1_torch_density_tests": 1.75}),
    Mutant("q1_torch_density", "correct variant: torch.func.jacrev + slogdet", '''
def f_inv_torch(x):
    a, b, c = x.unbind(1)
    return torch.stack([a, b / torch.exp(a), c ** 3 * torch.exp(a) - a ** 2 * torch.exp(a)], dim=1)

def flow_log_prob(x, f_inv, base_log_prob):
    J = torch.func.vmap(torch.func.jacrev(lambda v: f_inv(v[None])[0]))(x)
    return base_log_prob(f_inv(x)) + torch.linalg.slogdet(J).logabsdet
''', passes=["q1_torch_density_tests"]),
    # Q2.1
    Mutant("q2_counter_density", "forgets |x|, |y| (only the positive sides)", edits=[
        ("xy.abs().amax(dim=1)", "xy.amax(dim=1)")], earns={"q2_counter_density_tests": 0.5}),
    Mutant("q2_counter_density", "no clamp: negative beyond the frame", edits=[
        ("torch.clamp(0.9 - k * (r - 0.5), min=0.0)", "0.9 - k * (r - 0.5)")], earns={"q2_counter_density_tests": 0.5}),
    Mutant("q2_counter_density", "rectangular strips |y| <= 0.5 instead of wedges |y| <= |x|", '''
def p_counter(xy, k):
    ax, ay = xy[:, 0].abs(), xy[:, 1].abs()
    side_x = torch.where(ay <= 0.5, torch.clamp(0.9 - k * (ax - 0.5), min=0.0), torch.zeros_like(ax))
    side_y = torch.where(ax <= 0.5, torch.clamp(0.9 - k * (ay - 0.5), min=0.0), torch.zeros_like(ay))
    inside = (ax <= 0.5) & (ay <= 0.5)
    return torch.where(inside, torch.full_like(ax, 0.9), torch.maximum(side_x, side_y))
''', earns={"q2_counter_density_tests": 1}),
    Mutant("q2_counter_density", "L1 radius |x| + |y| instead of max", edits=[
        ("xy.abs().amax(dim=1)", "xy.abs().sum(dim=1)")], earns={"q2_counter_density_tests": 0.5}),
    # red team F3 (/tmp/redteam/hw3_zero.py): answers right only where the density is constant earned 3.5 and 2.5
    # of 7 from the visible property checks (symmetric, non-negative, 0 beyond the frame); the frame is hidden now
    Mutant("q2_counter_density", "red team F3: 0.9 on B, 0 elsewhere (no frame)", '''
def p_counter(xy, k):
    return torch.where(xy.abs().amax(dim=1) <= 0.5, 0.9, 0.0).to(xy.dtype)
''', earns={"q2_counter_density_tests": 1}),
    Mutant("q2_counter_density", "red team F3: identically 0", '''
def p_counter(xy, k):
    return torch.zeros(xy.shape[0], dtype=xy.dtype)
''', earns={"q2_counter_density_tests": 0.5}),
    Mutant("q2_counter_density", "correct variant: the handout's case-by-case definition", '''
def p_counter(xy, k):
    ax, ay = xy[:, 0].abs(), xy[:, 1].abs()
    edge = 0.5 + 0.9 / k
    out = torch.zeros_like(ax)
    out = torch.where((ax <= 0.5) & (ay <= 0.5), torch.full_like(ax, 0.9), out)
    out = torch.where((ax >= 0.5) & (ax <= edge) & (ay <= ax), 0.9 - k * (ax - 0.5), out)
    out = torch.where((ay >= 0.5) & (ay <= edge) & (ax <= ay), 0.9 - k * (ay - 0.5), out)
    return out
''', passes=["q2_counter_density_tests"]),
    # Q2.2
    Mutant("q2_normalising_k", "frame alone normalised to 1 (forgets B's mass)", edits=[
        ("sp.Eq(sp.Rational(9, 10) + frame_mass, 1)", "sp.Eq(frame_mass, 1)")], earns={"q2_normalising_k_tests": 1}),
    Mutant("q2_normalising_k", "one of the four sides only", edits=[("* 8 * s_sym", "* 2 * s_sym")],
           earns={"q2_normalising_k_tests": 1}),
    Mutant("q2_normalising_k", "outer edge read literally as 0.5 + 0.9k", edits=[
        ("sp.Rational(9, 10) / k_sym))", "sp.Rational(9, 10) * k_sym))"),
        ("sp.solve(sp.Eq(sp.Rational(9, 10) + frame_mass, 1), k_sym)[0]",
         "sp.nsolve(sp.Rational(9, 10) + frame_mass - 1, k_sym, 0.03)")], earns={"q2_normalising_k_tests": 1}),
    Mutant("q2_normalising_k", "correct variant: numerical root (float)", '''
import scipy.optimize
k_value = scipy.optimize.brentq(lambda kk: 0.9 + 1.2 * (0.9 / kk) ** 2 + 1.8 * (0.9 / kk) - 1.0, 1.0, 100.0, xtol=1e-12)
''', passes=["q2_normalising_k_tests"]),
    # Q2.4
    Mutant("q2_vp_bound", "1-D normal peak 1/sqrt(2 pi) as the 2-D ceiling", edits=[
        ("max_density_vp = 1 / (2 * sp.pi)", "max_density_vp = 1 / sp.sqrt(2 * sp.pi)")],
        earns={"q2_vp_bound_tests": 0.75, "q2_pinsker_tests": 0.5}),
    Mutant("q2_vp_bound", "Pinsker solved the wrong way (KL >= delta^2 / 2)", edits=[
        ("kl_lower_bound = 2 * tv_lower_bound ** 2", "kl_lower_bound = tv_lower_bound ** 2 / 2")],
        earns={"q2_pinsker_tests": 1}, passes=["q2_vp_bound_tests"]),
    Mutant("q2_vp_bound", "mass of B taken as 1", edits=[("p_B = sp.Rational(9, 10)", "p_B = 1")],
           earns={"q2_vp_bound_tests": 0.25, "q2_pinsker_tests": 0.5}),
    Mutant("q2_vp_bound", "Pinsker without the square (KL >= 2 delta)", edits=[
        ("kl_lower_bound = 2 * tv_lower_bound ** 2", "kl_lower_bound = 2 * tv_lower_bound")],
        earns={"q2_pinsker_tests": 1}, passes=["q2_vp_bound_tests"]),
    Mutant("q2_vp_bound", "correct variant: floats", '''
p_B = 0.9
max_density_vp = 1 / (2 * math.pi)
tv_lower_bound = 0.9 - 1 / (2 * math.pi)
kl_lower_bound = 2 * (0.9 - 1 / (2 * math.pi)) ** 2
''', passes=["q2_vp_bound_tests", "q2_pinsker_tests"]),
    # Q3.1
    # wrong but self-consistent (issue 45 item 5): its D_star_smoothed at alpha = 0 is its own D_star; the
    # statement's D* at the grader's seeded (a, b) withholds that half point
    Mutant("q3_d_star", "swapped a and b", '''
D_star = b / (a + b)
second_derivative_at_D_star = sp.diff(a * sp.log(D) + b * sp.log(1 - D), D, 2).subs(D, D_star)
D_star_smoothed = (1 - alpha) * b / (a + b)
''', earns={"q3_d_star_tests": 1.5}),
    Mutant("q3_d_star", "second derivative of the loss (sign flipped)", edits=[
        ("second_derivative_at_D_star = sp.simplify(", "second_derivative_at_D_star = -sp.simplify(")],
        earns={"q3_d_star_tests": 3.75}),
    Mutant("q3_d_star", "second derivative left as a function of D", edits=[
        ("sp.diff(g, D, 2).subs(D, D_star)", "sp.diff(g, D, 2)")], earns={"q3_d_star_tests": 3.25}),
    # the printed D* copied in earns nothing (issue 19): reused for the smoothed case, or the target misread
    Mutant("q3_d_star", "copied D* from the statement and reused it for label smoothing", '''
D_star = a / (a + b)
second_derivative_at_D_star = sp.diff(a * sp.log(D) + b * sp.log(1 - D), D, 2).subs(D, D_star)
D_star_smoothed = a / (a + b) + 0 * alpha
''', earns={"q3_d_star_tests": 3.75}),
    Mutant("q3_d_star", "copied D* and scaled it by the smoothing amount alpha instead of 1 - alpha", '''
D_star = a / (a + b)
second_derivative_at_D_star = sp.diff(a * sp.log(D) + b * sp.log(1 - D), D, 2).subs(D, D_star)
D_star_smoothed = alpha * a / (a + b)
''', earns={"q3_d_star_tests": 3.25}),
    Mutant("q3_d_star", "correct variant: hand-written forms", '''
D_star = 1 / (1 + b / a)
second_derivative_at_D_star = -(a + b) ** 3 / (a * b)
D_star_smoothed = (1 - alpha) / (1 + b / a)
''', passes=["q3_d_star_tests"]),
    Mutant("q3_d_star", "correct variant: sympy's forms, factored, unsimplified, expanded", '''
g = a * sp.log(D) + b * sp.log(1 - D)
D_star = sp.factor(sp.solve(sp.diff(g, D), D)[0])
second_derivative_at_D_star = sp.diff(g, D, 2).subs(D, D_star)
g_alpha = sp.expand(a * ((1 - alpha) * sp.log(D) + alpha * sp.log(1 - D)) + b * sp.log(1 - D))
D_star_smoothed = sp.simplify(sp.solve(sp.diff(g_alpha, D), D)[0])
''', passes=["q3_d_star_tests"]),
    # Q3.2
    Mutant("q3_discrete_discriminator", "mean over points instead of expectation", edits=[
        ("-(p_data * np.log(D)).sum() - (p_g * np.log(1 - D)).sum()", "-np.log(D).mean() - np.log(1 - D).mean()")],
        earns={"q3_discrete_discriminator_tests": 2}),
    Mutant("q3_discrete_discriminator", "D* with p_g on top", edits=[
        ("return p_data / (p_data + p_g)", "return p_g / (p_data + p_g)")],
        earns={"q3_discrete_discriminator_tests": 2}),
    Mutant("q3_discrete_discriminator", "sign error in the loss", edits=[
        ("-(p_data * np.log(D)).sum() - (p_g", "(p_data * np.log(D)).sum() + (p_g")],
        earns={"q3_discrete_discriminator_tests": 1}),
    Mutant("q3_discrete_discriminator", "correct variant: dot products", '''
def discriminator_loss(D, p_data, p_g):
    return -float(np.dot(p_data, np.log(D)) + np.dot(p_g, np.log1p(-D)))

def optimal_discriminator(p_data, p_g):
    return 1.0 / (1.0 + p_g / p_data)
''', passes=["q3_discrete_discriminator_tests"]),
    # Q4.1
    Mutant("q4_logit_derivatives", "wrong sign of the limit (h -> +oo)", edits=[
        (_LIMIT_SAT, _LIMIT_SAT.replace("-sp.oo", "sp.oo")), (_LIMIT_NON, _LIMIT_NON.replace("-sp.oo", "sp.oo"))],
        earns={"q4_saturating_tests": 2.5, "q4_non_saturating_tests": 1.5}),
    Mutant("q4_logit_derivatives", "derivative of log(sigma) instead of log(1 - sigma)", edits=[
        ("sp.diff(sp.log(1 - sigma), h)", "sp.diff(sp.log(sigma), h)")],
        earns={"q4_saturating_tests": 0.5}, passes=["q4_non_saturating_tests"]),
    Mutant("q4_logit_derivatives", "non-saturating loss without its minus sign", edits=[
        ("sp.diff(-sp.log(sigma), h)", "sp.diff(sp.log(sigma), h)")],
        earns={"q4_non_saturating_tests": 0.5}, passes=["q4_saturating_tests"]),
    Mutant("q4_logit_derivatives", "correct variant: hand-simplified forms", '''
d_saturating = -sp.exp(h) / (1 + sp.exp(h))
limit_saturating = sp.Integer(0)
d_non_saturating = sigma - 1
limit_non_saturating = sp.Integer(-1)
''', passes=["q4_saturating_tests", "q4_non_saturating_tests"]),
    Mutant("q4_logit_derivatives", "correct variant: simplified and rewritten in tanh", '''
d_saturating = sp.simplify(sp.diff(sp.log(1 - sigma), h)).rewrite(sp.tanh)
limit_saturating = sp.limit(d_saturating, h, -sp.oo)
d_non_saturating = sp.together(sp.diff(-sp.log(sigma), h))
limit_non_saturating = sp.limit(d_non_saturating, h, -sp.oo)
''', passes=["q4_saturating_tests", "q4_non_saturating_tests"]),
    # Q4.2
    Mutant("q4_generator_losses", "sum instead of mean", edits=[
        ("logsigmoid(-logits).mean()", "logsigmoid(-logits).sum()"),
        ("logsigmoid(logits).mean()", "logsigmoid(logits).sum()")],
        earns={"q4_generator_losses_tests": 0}),
    Mutant("q4_generator_losses", "both losses the constant 0 (red team: earned 0.5 when the visible check compared "
           "the two answers with each other)", '''
def saturating_loss(logits):
    return torch.zeros((), dtype=logits.dtype)

def non_saturating_loss(logits):
    return torch.zeros((), dtype=logits.dtype)
''', earns={"q4_generator_losses_tests": 0}),
    Mutant("q4_generator_losses", "saturating loss uses log(sigma) (sign of the logit)", edits=[
        ("logsigmoid(-logits)", "logsigmoid(logits)")], earns={"q4_generator_losses_tests": 1}),
    Mutant("q4_generator_losses", "detached logits", edits=[
        ("logsigmoid(-logits)", "logsigmoid(-logits.detach())"), ("logsigmoid(logits)", "logsigmoid(logits.detach())")],
        earns={"q4_generator_losses_tests": 2.25}),
    # a correct variant until the statement asked for losses finite at any logit (issue 62): log(1 - sigmoid(h)) is
    # log(0) once sigmoid(h) rounds to 1, and a perfect discriminator's logits are large
    Mutant("q4_generator_losses", "naive log(1 - sigmoid): infinite for large logits", '''
def saturating_loss(logits):
    return torch.log(1 - torch.sigmoid(logits)).mean()

def non_saturating_loss(logits):
    return -torch.log(torch.sigmoid(logits)).mean()
''', earns={"q4_generator_losses_tests": 2.5}),
    # a library shortcut (benchmarks/library_shortcuts.py): finite at any logit, but its log is clamped at -100
    Mutant("q4_generator_losses", "binary_cross_entropy on sigmoid(logits): wrong beyond |h| = 100", '''
def saturating_loss(logits):
    return -torch.nn.functional.binary_cross_entropy(torch.sigmoid(logits), torch.zeros_like(logits))

def non_saturating_loss(logits):
    return torch.nn.functional.binary_cross_entropy(torch.sigmoid(logits), torch.ones_like(logits))
''', earns={"q4_generator_losses_tests": 2.5}),
    Mutant("q4_generator_losses", "correct variant: softplus", '''
def saturating_loss(logits):
    return -torch.nn.functional.softplus(logits).mean()

def non_saturating_loss(logits):
    return torch.nn.functional.softplus(-logits).mean()
''', passes=["q4_generator_losses_tests"]),
    # Q4.3
    Mutant("q4_grad_norm", "accumulates .grad across calls", '''
def generator_grad_norm(generator, discriminator_logits, z, loss_fn):
    loss_fn(discriminator_logits(generator(z))).backward()
    return float(torch.sqrt(sum((p.grad ** 2).sum() for p in generator.parameters())))
''', earns={"q4_grad_norm_tests": 2}),
    # a different implementation: it tolerates the unused parameters the detach leaves, so it returns 0, not an error
    Mutant("q4_grad_norm", "generator output detached", '''
def generator_grad_norm(generator, discriminator_logits, z, loss_fn):
    params = list(generator.parameters())
    loss = loss_fn(discriminator_logits(generator(z).detach()))
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    return float(sum(0.0 if g is None else (g ** 2).sum() for g in grads) ** 0.5)
''', earns={"q4_grad_norm_tests": 0}),
    Mutant("q4_grad_norm", "squared norm (no square root)", edits=[
        ("float(torch.sqrt(sum((g ** 2).sum() for g in grads)))", "float(sum((g ** 2).sum() for g in grads))")],
        earns={"q4_grad_norm_tests": 0}),
    # red team F3 (/tmp/redteam/hw3_const.py): a constant earned 2 of 5 (a positive float; the same twice)
    Mutant("q4_grad_norm", "red team F3: returns the constant 1.0 (no gradient)", '''
def generator_grad_norm(generator, discriminator_logits, z, loss_fn):
    return 1.0
''', earns={"q4_grad_norm_tests": 0}),
    Mutant("q4_grad_norm", "correct variant: zero_grad + backward", '''
def generator_grad_norm(generator, discriminator_logits, z, loss_fn):
    generator.zero_grad(set_to_none=True)
    loss_fn(discriminator_logits(generator(z))).backward()
    flat = torch.cat([p.grad.reshape(-1) for p in generator.parameters()])
    return torch.linalg.vector_norm(flat).item()
''', passes=["q4_grad_norm_tests"]),
]

# Red team s60 F1 (/work/scratch/s60/attack/work/mk3.py): answers that know nothing of the question and hand back the
# values the student package records for the visible tests (dgmlab.probes.expected, expected.json), as constants or as
# a line through two recorded points, earned 18.75 of 63 when the sympy cells compared at fixed points. Those cells now
# compare at points drawn from the grading seed, with the grader's values there, and a constant fails their form
# checks, so each earns what the blank earns.
_RECORDED = 'from dgmlab import probes as _P\n_E = _P.expected("hw3_flows", "{}")\n'
REPLAYS = [
    Mutant("q1_f_and_inverse", "red team F1: f, f_inv as lines through the recorded points", _RECORDED.format(
        "q1_f_and_inverse_tests") + '''_R = lambda M: M.applyfunc(sp.Rational)
_A, _B = _R(_E["f_at_z_pos"]), _R(_E["f_at_z_neg"])
f = _A + (z3 - sp.Rational(1, 5)) / sp.Rational(-6, 5) * (_B - _A)
_C, _D = _R(_E["f_inv_at_x_pos"]), _R(_E["f_inv_at_x_neg"])
f_inv = _C + (x3 - 2) / (-4) * (_D - _C)
f_is_invertible = True
''', earns={"q1_f_and_inverse_tests": 0}),
    Mutant("q1_jacobian", "red team F1: J_f and det_J_f the recorded values (constants)", _RECORDED.format(
        "q1_jacobian_tests") + '''J_f = _E["J_f_at_z_neg"].applyfunc(
    lambda e: sp.Integer(round(float(e))) if abs(float(e) - round(float(e))) < 1e-30 else sp.Rational(e))
det_J_f = sp.Rational(_E["det_at_z_pos"])
''', earns={"q1_jacobian_tests": 0}),
    Mutant("q1_density", "red team F1: p_x through the recorded value, p_x_star a guess", _RECORDED.format(
        "q1_density_tests") + '''p_x = sp.Rational(_E["p_x_at_x_of_z_neg"]) * sp.exp(x1 - sp.Rational(1, 2))
p_x_star = sp.Rational(1, 2)
''', earns={"q1_density_tests": 0}),
    Mutant("q3_d_star", "red team F1: D* = 1/2 and g'' = -1, constants (the equal-weights case)", '''
D_star = sp.Rational(1, 2)
second_derivative_at_D_star = sp.Integer(-1)
D_star_smoothed = sp.Rational(1, 2)
''', earns={"q3_d_star_tests": 0}),
    Mutant("q3_discrete_discriminator", "red team F1: the loss 2 log 2 at D = 1/2, else the recorded loss at D*", '''
def discriminator_loss(D, p_data, p_g):
    from dgmlab import probes as _P
    if np.allclose(D, 0.5):
        return 2 * math.log(2)
    return float(_P.expected("hw3_flows", "q3_discrete_discriminator_tests")["loss_at_optimal"])

def optimal_discriminator(p_data, p_g):
    return np.full_like(p_data, 0.25)
''', earns={"q3_discrete_discriminator_tests": 0}),
    Mutant("q4_logit_derivatives", "red team F1: the derivatives the recorded values (constants), limits 0", '''
from dgmlab import probes as _P
d_saturating = sp.Rational(float(_P.expected("hw3_flows", "q4_saturating_tests")["d_at_h"])) + 0 * h
d_non_saturating = sp.Rational(float(_P.expected("hw3_flows", "q4_non_saturating_tests")["d_at_h"])) + 0 * h
limit_saturating = limit_non_saturating = sp.Integer(0)
''', earns={"q4_saturating_tests": 0, "q4_non_saturating_tests": 0}),
]
MUTANTS += REPLAYS

PARTIAL = [
    "principal complex cube root in f",
    "missing |det| absolute value",
    "Pinsker solved the wrong way (KL >= delta^2 / 2)",
    "wrong sign of the limit (h -> +oo)",
]

# A class for the demo's dashboard (dgmlab examples): each student is the reference with these
# mutants in place; some mistakes are shared, as in a real class, so the dashboard groups them.
CLASS = {
    "demo_amara": ["missing |det| absolute value"],
    "demo_bilal": ["forgets the Jacobian factor", "sign error on log|det|"],
    "demo_chen": ["forgets the Jacobian factor", "swapped a and b"],
    "demo_dana": ["multiplies by |det J_f| instead of dividing", "Pinsker solved the wrong way (KL >= delta^2 / 2)"],
    "demo_emil": ["copied D* from the statement and reused it for label smoothing", "sum instead of mean"],
    "demo_farah": ["forgets |x|, |y| (only the positive sides)", "frame alone normalised to 1 (forgets B's mass)"],
    "demo_goran": ["sign error on log|det|", "detached logits", "accumulates .grad across calls"],
    "demo_hana": ["correct variant: torch.func.jacrev + slogdet", "wrong sign of the limit (h -> +oo)"],
    "demo_ines": ["forgets the Jacobian factor", "mean over points instead of expectation",
                  "squared norm (no square root)"],
}

# Generated mutants (benchmarks/mutation_kill_rates.py) that survive because they change nothing a grade
# should notice; each with its reason. tests/authoring/test_mutation.py checks every label is still generated.
EQUIVALENT_MUTANTS = {
    "q1_jacobian": {
        "L3 args: `f.jacobian(z).replace(sp.DiracDelta, lambda *args: sp.S.Z...` -> `f.jacobian(z).replace(lambda "
        "*args: sp.S.Zero, sp.DiracDe...` (first two arguments swapped)":
            "the swapped replace() matches nothing, so J_f keeps DiracDelta terms of real_root's derivative; they "
            "vanish wherever z3 e^-z1 + z1^2 != 0, i.e. almost everywhere, so J_f and det J_f are the same function",
    },
    "q2_counter_density": {
        "L10 compare: `r <= 0.5` -> `r < 0.5` (<= -> <)":
            "at r = 0.5 both branches give 0.9 (the frame starts at 0.9 - k * 0): the density is continuous there",
    },
    "q2_normalising_k": {
        "L7 args: `sp.Eq(sp.Rational(9, 10) + frame_mass, 1)` -> `sp.Eq(1, sp.Rational(9, 10) + frame_mass)` "
        "(first two arguments swapped)": "an equation with its sides swapped has the same solutions",
    },
    "q2_vp_bound": {
        "L6 arith: `max_density_vp * 1` -> `max_density_vp / 1` (* -> /)": "x * 1 == x / 1",
    },
}
