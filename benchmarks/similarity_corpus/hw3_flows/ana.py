#### cell: q1_torch_density
def f_inv_torch(x):
    a, b, c = x.unbind(-1)
    return torch.stack((a, b / torch.exp(a), torch.exp(a) * (c ** 3 - a * a)), -1)


def flow_log_prob(x, f_inv, base_log_prob):
    jac = torch.vmap(torch.func.jacrev(lambda r: f_inv(r.unsqueeze(0)).squeeze(0)))(x)
    return base_log_prob(f_inv(x)) + torch.linalg.slogdet(jac)[1]
#### cell: q2_normalising_k
# NBVAL_CHECK_OUTPUT
# k_value: the normalising slope, a sympy number (or a float accurate to ~1e-6)
kk, r = sp.symbols("kk r", positive=True)
edge = sp.Rational(1, 2) + sp.Rational(9, 10) / kk
mass = sp.integrate(8 * r * (sp.Rational(9, 10) - kk * (r - sp.Rational(1, 2))), (r, sp.Rational(1, 2), edge))
k_value = [v for v in sp.solve(mass - sp.Rational(1, 10), kk) if v.is_positive][0]
print("k_value =", k_value)
#### cell: q3_d_star
# NBVAL_CHECK_OUTPUT
# D_star: sympy expression in a, b;  second_derivative_at_D_star: sympy expression in a, b
# D_star_smoothed: sympy expression in a, b, alpha (the maximiser of g_alpha)
obj = a * sp.log(D) + b * sp.log(1 - D)
D_star, = sp.solve(sp.Eq(obj.diff(D), 0), D)
second_derivative_at_D_star = sp.factor(obj.diff(D).diff(D).subs(D, D_star))
obj_s = a * (1 - alpha) * sp.log(D) + (a * alpha + b) * sp.log(1 - D)
D_star_smoothed, = sp.solve(obj_s.diff(D), D)
print("D_star =", D_star, "   second derivative there:", second_derivative_at_D_star)
#### cell: q4_grad_norm
def generator_grad_norm(generator, discriminator_logits, z, loss_fn):
    generator.zero_grad()
    loss_fn(discriminator_logits(generator(z))).backward()
    return torch.cat([p.grad.flatten() for p in generator.parameters() if p.grad is not None]).norm().item()
#### cell: q3_written
Minimising L means maximising E_data[log D] + E_theta[log(1 - D)] = ∫ (p_data log D + p_theta log(1-D)) dx,
and since D(x) can be chosen separately for each x we maximise the integrand pointwise. With u = p_data(x),
v = p_theta(x) the function h(D) = u log D + v log(1-D) has derivative u/D - v/(1-D), zero at D = u/(u+v),
and second derivative -u/D^2 - v/(1-D)^2 < 0, so this is the maximum. Points where u = v = 0 do not matter.
