#### cell: q1_torch_density
def f_inv_torch(x):
    out = torch.empty_like(x)
    out[:, 0] = x[:, 0]
    out[:, 1] = x[:, 1] * (-x[:, 0]).exp()
    out[:, 2] = (x[:, 2].pow(3) - x[:, 0].pow(2)) * x[:, 0].exp()
    return out


def _log_abs_det(fn, row):
    J = torch.autograd.functional.jacobian(lambda r: fn(r.reshape(1, -1)).reshape(-1), row)
    sign, logabs = torch.linalg.slogdet(J)
    return logabs


def flow_log_prob(x, f_inv, base_log_prob):
    corrections = torch.stack([_log_abs_det(f_inv, r) for r in x.unbind(0)])
    return torch.add(base_log_prob(f_inv(x)), corrections)
#### cell: q2_normalising_k
# NBVAL_CHECK_OUTPUT
# k_value: the normalising slope, a sympy number (or a float accurate to ~1e-6)
_k = sp.Symbol("_k", positive=True)
_s = sp.Symbol("_s")
_height = sp.Rational(9, 10) - _k * (_s - sp.Rational(1, 2))
_outer = sp.solve(sp.Eq(_height, 0), _s)[0]
_frame = sp.integrate(sp.expand(8 * _s * _height), (_s, sp.Rational(1, 2), _outer))
k_value = sp.nsolve(_frame - sp.Rational(1, 10), _k, 20)
print("k_value =", k_value)
#### cell: q3_d_star
# NBVAL_CHECK_OUTPUT
# D_star: sympy expression in a, b;  second_derivative_at_D_star: sympy expression in a, b
# D_star_smoothed: sympy expression in a, b, alpha (the maximiser of g_alpha)
def _argmax(expr):
    (root,) = sp.solve(sp.diff(expr, D), D)
    return sp.simplify(root)


_g = a * sp.log(D) + b * sp.log(1 - D)
D_star = _argmax(_g)
second_derivative_at_D_star = sp.simplify(sp.diff(_g, (D, 2)).subs({D: D_star}))
D_star_smoothed = _argmax(a * ((1 - alpha) * sp.log(D) + alpha * sp.log(1 - D)) + b * sp.log(1 - D))
print("D_star =", D_star, "   second derivative there:", second_derivative_at_D_star)
#### cell: q4_grad_norm
def generator_grad_norm(generator, discriminator_logits, z, loss_fn):
    ps = tuple(p for p in generator.parameters() if p.requires_grad)
    gs = torch.autograd.grad(loss_fn(discriminator_logits(generator(z))), ps, allow_unused=True)
    flat = torch.cat([torch.zeros_like(p).view(-1) if g is None else g.view(-1) for p, g in zip(ps, gs)])
    return float(torch.linalg.vector_norm(flat))
#### cell: q3_written
- Rewrite L as -∫ [p_data(x) log D(x) + p_θ(x) log(1 − D(x))] dx (change the generator's expectation to one over x).
- D is unconstrained, so the minimum is reached by optimising each x separately.
- For fixed a, b > 0 the map t ↦ a log t + b log(1 − t) is strictly concave on (0, 1) (second derivative
  −a/t² − b/(1 − t)²) and its derivative a/t − b/(1 − t) vanishes at t = a/(a + b).
- So D*(x) = p_data(x)/(p_data(x) + p_θ(x)); on the set where both densities vanish D* is arbitrary (measure zero).
