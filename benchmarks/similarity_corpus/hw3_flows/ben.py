#### cell: q1_torch_density
def f_inv_torch(x):
    first = x[:, 0]
    second = x[:, 1]
    third = x[:, 2]
    z1 = first
    z2 = second * torch.exp(-first)
    z3 = (third ** 3 - first ** 2) * torch.exp(first)
    return torch.stack([z1, z2, z3], dim=1)


def flow_log_prob(x, f_inv, base_log_prob):
    n = x.shape[0]
    results = torch.zeros(n, dtype=x.dtype)
    latent = f_inv(x)
    base_values = base_log_prob(latent)
    for i in range(n):
        point = x[i].clone().detach()
        def single(v):
            return f_inv(v.unsqueeze(0)).squeeze(0)
        jacobian_matrix = torch.autograd.functional.jacobian(single, point)
        determinant = torch.linalg.det(jacobian_matrix)
        results[i] = base_values[i] + torch.log(determinant.abs())
    return results
#### cell: q2_normalising_k
# NBVAL_CHECK_OUTPUT
# k_value: the normalising slope, a sympy number (or a float accurate to ~1e-6)
from scipy.optimize import brentq
from scipy.integrate import quad


def frame_probability(k):
    upper = 0.5 + 0.9 / k
    value, error = quad(lambda s: (0.9 - k * (s - 0.5)) * 8 * s, 0.5, upper)
    return value


k_value = brentq(lambda k: 0.9 + frame_probability(k) - 1.0, 0.5, 1000.0, xtol=1e-12)
print("k_value =", k_value)
#### cell: q3_d_star
# NBVAL_CHECK_OUTPUT
# D_star: sympy expression in a, b;  second_derivative_at_D_star: sympy expression in a, b
# D_star_smoothed: sympy expression in a, b, alpha (the maximiser of g_alpha)
value_function = a * sp.log(D) + b * sp.log(1 - D)
first_derivative = sp.diff(value_function, D)
solutions = sp.solve(first_derivative, D)
D_star = solutions[0]
second_derivative = sp.diff(first_derivative, D)
second_derivative_at_D_star = sp.simplify(second_derivative.subs(D, D_star))
smoothed_function = a * (1 - alpha) * sp.log(D) + a * alpha * sp.log(1 - D) + b * sp.log(1 - D)
smoothed_solutions = sp.solve(sp.diff(smoothed_function, D), D)
D_star_smoothed = sp.simplify(smoothed_solutions[0])
print("D_star =", D_star, "   second derivative there:", second_derivative_at_D_star)
#### cell: q4_grad_norm
def generator_grad_norm(generator, discriminator_logits, z, loss_fn):
    parameters = list(generator.parameters())
    for parameter in parameters:
        parameter.grad = None
    fake = generator(z)
    logits = discriminator_logits(fake)
    loss = loss_fn(logits)
    loss.backward()
    total = 0.0
    for parameter in parameters:
        if parameter.grad is not None:
            total += float((parameter.grad ** 2).sum())
    for parameter in parameters:
        parameter.grad = None
    return math.sqrt(total)
#### cell: q3_written
The loss is an integral over x of -(p_data(x) log D(x) + p_theta(x) log(1 - D(x))). We choose D(x) for every x
independently, so we minimise the loss by maximising p_data log D + p_theta log(1 - D) at each point. Taking the
derivative with respect to D and setting it to zero gives p_data / D = p_theta / (1 - D), so
D = p_data / (p_data + p_theta). The second derivative is negative, so it is a maximum. If both densities
are zero the value of D does not change the loss.
