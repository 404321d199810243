#### cell: q1_flow_log_prob
def _check_invertible(flow, z, x):
    back = flow.forward(z)
    if not torch.allclose(back, x, rtol=1e-4, atol=1e-4):
        raise ValueError("f(f^{-1}(x)) differs from x")


def flow_log_prob(x, flow, base):
    z = flow.inverse(x)
    _check_invertible(flow, z, x)
    log_abs_det = flow.log_abs_det_jacobian(z)
    if (~torch.isfinite(log_abs_det)).any():
        raise ValueError("log|det J| is infinite or nan")
    return torch.sub(base.log_prob(z), log_abs_det)
#### cell: q3_gradient_penalty
def _mix(real, fake, alpha):
    alpha = alpha.reshape(-1, *[1 for _ in real.shape[1:]])
    return torch.lerp(fake.detach(), real.detach(), alpha)


def gradient_penalty(critic, real, fake, lam=10.0, alpha=None):
    if alpha is None:
        alpha = torch.rand(real.shape[:1], dtype=real.dtype, device=real.device)
    xh = _mix(real, fake, alpha).requires_grad_(True)
    out = critic(xh)
    grads, = torch.autograd.grad(out, xh, torch.ones_like(out), create_graph=True)
    per_sample = torch.linalg.vector_norm(grads.flatten(1), ord=2, dim=-1)
    return lam * torch.square(per_sample - 1).mean()
#### cell: q3_train_step
def _critic_update(generator, critic, c_opt, real, z_dim, mode, lam, clip):
    z = torch.randn(real.size(0), z_dim, device=real.device)
    fake = generator(z).detach()
    c_loss = critic_loss(critic(real), critic(fake))
    pen = gradient_penalty(critic, real, fake, lam=lam) if mode == "gp" else real.new_zeros(())
    c_opt.zero_grad(set_to_none=True)
    torch.add(c_loss, pen).backward()
    c_opt.step()
    if mode == "clip":
        clip_weights(critic, clip)
    return float(c_loss), float(pen)


def wgan_train_step(generator, critic, g_opt, c_opt, real_batches, z_dim=Z_DIM, n_critic=2,
                    lipschitz="gp", lam=10.0, clip=0.01):
    if lipschitz not in ["gp", "clip"]:
        raise ValueError("lipschitz: expected 'gp' or 'clip'")
    dev = next(generator.parameters()).device
    history = [_critic_update(generator, critic, c_opt, next(real_batches).to(dev), z_dim, lipschitz, lam, clip)
               for _ in range(n_critic)]
    n = history and next(real_batches, None)
    size = BATCH_SIZE if n is None else n.shape[0]
    g_opt.zero_grad(set_to_none=True)
    g = generator_loss(critic(generator(torch.randn(size, z_dim, device=dev))))
    g.backward()
    g_opt.step()
    return dict(critic_loss=history[-1][0], penalty=history[-1][1], generator_loss=float(g))
#### cell: q3_interpolate
def _slerp(z0, z1, t):
    n0, n1 = torch.linalg.vector_norm(z0), torch.linalg.vector_norm(z1)
    theta = torch.arccos(torch.clip(torch.inner(z0, z1) / (n0 * n1), -1, 1))
    if torch.isclose(theta, torch.zeros_like(theta)):
        return torch.lerp(z0.expand_as(t * z0), z1.expand_as(t * z1), t)
    return (torch.sin((1 - t) * theta) * z0 + torch.sin(t * theta) * z1) / torch.sin(theta)


def interpolate(z0, z1, steps=10, method="linear"):
    t = torch.linspace(0, 1, steps, dtype=z0.dtype, device=z0.device).view(-1, 1)
    if method == "slerp":
        return _slerp(z0, z1, t)
    if method == "linear":
        return torch.lerp(z0.expand(steps, -1), z1.expand(steps, -1), t)
    raise ValueError(f"unknown interpolation {method}")
#### cell: q1c
* bijective map, latent and data dimensions equal;
* smooth in both directions (a diffeomorphism) so that p_X(x) = p_Z(f^{-1}(x)) |det J_{f^{-1}}(x)| makes sense;
* Jacobian determinant tractable: autoregressive or coupling designs give O(D);
* fast inverse (needed for the likelihood) and fast forward pass (sampling);
* enough capacity, obtained by chaining layers and permuting coordinates between them.
