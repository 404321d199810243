#### cell: q1_torch_density
def f_inv_torch(x):
    x1 = x[:, 0]
    x2 = x[:, 1]
    x3 = x[:, 2]
    z = torch.zeros_like(x)
    z[:, 0] = x1
    z[:, 1] = x2 * torch.exp(-x1)
    z[:, 2] = (x3 ** 3 - x1 ** 2) * torch.exp(x1)
    return z


def flow_log_prob(x, f_inv, base_log_prob):
    z = f_inv(x)
    out = base_log_prob(z)
    logs = []
    for i in range(len(x)):
        def g(v):
            return f_inv(v.reshape(1, 3)).reshape(3)
        J = torch.autograd.functional.jacobian(g, x[i])
        logs.append(torch.log(torch.abs(torch.linalg.det(J))))
    logs = torch.tensor(logs, dtype=x.dtype)
    print(logs[:3])
    return out + logs
#### cell: q2_normalising_k
# NBVAL_CHECK_OUTPUT
# k_value: the normalising slope, a sympy number (or a float accurate to ~1e-6)
k = sp.symbols("k", positive=True)
s = sp.symbols("s")
density = sp.Rational(9, 10) - k * (s - sp.Rational(1, 2))
end = sp.Rational(1, 2) + sp.Rational(9, 10) / k
integral = sp.integrate(density * 8 * s, (s, sp.Rational(1, 2), end))
print(integral)
answers = sp.solve(integral + sp.Rational(9, 10) - 1, k)
print(answers)
k_value = answers[0]
print("k_value =", k_value)
#### cell: q3_d_star
# NBVAL_CHECK_OUTPUT
# D_star: sympy expression in a, b;  second_derivative_at_D_star: sympy expression in a, b
# D_star_smoothed: sympy expression in a, b, alpha (the maximiser of g_alpha)
f = a * sp.log(D) + b * sp.log(1 - D)
df = sp.diff(f, D)
print(df)
D_star = sp.solve(df, D)[0]
d2f = sp.diff(df, D)
second_derivative_at_D_star = sp.simplify(d2f.subs(D, D_star))
f2 = a * ((1 - alpha) * sp.log(D) + alpha * sp.log(1 - D)) + b * sp.log(1 - D)
D_star_smoothed = sp.solve(sp.diff(f2, D), D)[0]
print("D_star =", D_star, "   second derivative there:", second_derivative_at_D_star)
#### cell: q4_grad_norm
def generator_grad_norm(generator, discriminator_logits, z, loss_fn):
    generator.zero_grad()
    x = generator(z)
    out = discriminator_logits(x)
    loss = loss_fn(out)
    loss.backward()
    s = 0
    for p in generator.parameters():
        if p.grad is not None:
            s = s + p.grad.norm() ** 2
    return float(s ** 0.5)
#### cell: q3_written
First I write the expectation over z as an expectation over x = G(z), so the loss is minus the integral of
p_data log D + p_theta log(1-D). For each x I can pick D(x) freely so I make each term as large as possible.
Derivative: p_data/D - p_theta/(1-D) = 0 gives D = p_data/(p_data + p_theta). Second derivative is
-p_data/D^2 - p_theta/(1-D)^2 which is negative so it is a maximum. When p_data and p_theta are both 0 it does not matter what D is.
