#### cell: q1_torch_density
def f_inv_torch(x):
    e = torch.exp(x[..., :1])
    return torch.cat([x[..., :1], x[..., 1:2] / e, (x[..., 2:] ** 3 - x[..., :1] ** 2) * e], dim=-1)


def flow_log_prob(x, f_inv, base_log_prob):
    xs = x.detach().requires_grad_(True)
    z = f_inv(xs)
    rows = []
    for j in range(z.shape[1]):
        gj, = torch.autograd.grad(z[:, j].sum(), xs, retain_graph=True)
        rows.append(gj)
    J = torch.stack(rows, dim=1)
    logdet = torch.log(torch.det(J).abs())
    return base_log_prob(z.detach()) + logdet.detach()
#### cell: q2_normalising_k
# NBVAL_CHECK_OUTPUT
# k_value: the normalising slope, a sympy number (or a float accurate to ~1e-6)
# the frame is the ring 1/2 < s < 1/2 + 0.9/k with density 0.9 - k (s - 1/2); the integral is 8 s ds
slope = sp.Symbol("slope", positive=True)
u = sp.Symbol("u", nonnegative=True)
w = sp.Rational(9, 10) / slope
ring = sp.integrate((sp.Rational(9, 10) - slope * u) * 8 * (u + sp.Rational(1, 2)), (u, 0, w))
k_value = sp.nsimplify(sp.solve(sp.together(ring) - sp.Rational(1, 10), slope)[0])
print("k_value =", k_value)
#### cell: q3_d_star
# NBVAL_CHECK_OUTPUT
# D_star: sympy expression in a, b;  second_derivative_at_D_star: sympy expression in a, b
# D_star_smoothed: sympy expression in a, b, alpha (the maximiser of g_alpha)
D_star = a / (a + b)
second_derivative_at_D_star = sp.together(-a / D_star ** 2 - b / (1 - D_star) ** 2)
a_eff, b_eff = a * (1 - alpha), a * alpha + b
D_star_smoothed = a_eff / (a_eff + b_eff)
print("D_star =", D_star, "   second derivative there:", second_derivative_at_D_star)
#### cell: q4_grad_norm
def generator_grad_norm(generator, discriminator_logits, z, loss_fn):
    from torch.func import functional_call, grad
    names = [n for n, p in generator.named_parameters()]
    params = {n: p.detach() for n, p in generator.named_parameters()}
    def objective(ps):
        return loss_fn(discriminator_logits(functional_call(generator, ps, (z,))))
    grads = grad(objective)(params)
    return sum(float(grads[n].pow(2).sum()) for n in names) ** 0.5
#### cell: q3_written
Pointwise maximisation. Because L(D) = −∫ (p_data log D + p_θ log(1−D)), and nothing ties D(x) to D(x′),
the best D maximises φ(y) = α log y + β log(1−y) for each x (α = p_data(x), β = p_θ(x)). φ′(y) = 0 ⇔
α(1−y) = βy ⇔ y = α/(α+β); φ″ < 0 so φ is concave and this is the unique maximiser. Where α = β = 0 any
value works and it does not change L.
