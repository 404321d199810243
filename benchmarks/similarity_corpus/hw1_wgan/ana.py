#### cell: q1_flow_log_prob
def flow_log_prob(x, flow, base):
    z = flow.inverse(x)
    ld = flow.log_abs_det_jacobian(z)
    ok = torch.allclose(flow.forward(z), x, atol=1e-4, rtol=1e-4) and bool(torch.isfinite(ld).all())
    if not ok:
        raise ValueError("not invertible")
    return base.log_prob(z) - ld
#### cell: q3_gradient_penalty
def gradient_penalty(critic, real, fake, lam=10.0, alpha=None):
    b = real.size(0)
    alpha = torch.rand(b, device=real.device) if alpha is None else alpha
    shape = [b] + [1] * (real.ndim - 1)
    mix = alpha.reshape(shape) * real + (1 - alpha.reshape(shape)) * fake
    mix = mix.detach().requires_grad_()
    g = torch.autograd.grad(critic(mix).sum(), mix, create_graph=True)[0]
    return lam * (g.flatten(start_dim=1).norm(dim=1).sub(1).pow(2).mean())
#### cell: q3_train_step
def wgan_train_step(generator, critic, g_opt, c_opt, real_batches, z_dim=Z_DIM, n_critic=2,
                    lipschitz="gp", lam=10.0, clip=0.01):
    assert lipschitz in {"gp", "clip"}, "bad lipschitz"
    if lipschitz not in {"gp", "clip"}:
        raise ValueError(lipschitz)
    dev = next(critic.parameters()).device
    stats = {}
    for i in range(n_critic):
        x = next(real_batches).to(dev)
        fake = generator(torch.randn(len(x), z_dim, device=dev)).detach()
        loss = critic(fake).mean() - critic(x).mean()
        gp = gradient_penalty(critic, x, fake, lam) if lipschitz == "gp" else torch.tensor(0.0)
        c_opt.zero_grad(); (loss + gp).backward(); c_opt.step()
        if lipschitz == "clip":
            for p in critic.parameters():
                p.data.clamp_(-clip, clip)
        stats = {"critic_loss": loss.item(), "penalty": gp.item()}
    g_opt.zero_grad()
    gl = -critic(generator(torch.randn(len(x), z_dim, device=dev))).mean()
    gl.backward(); g_opt.step()
    stats["generator_loss"] = gl.item()
    return stats
#### cell: q3_interpolate
def interpolate(z0, z1, steps=10, method="linear"):
    ts = torch.linspace(0., 1., steps).to(z0)[:, None]
    if method == "linear":
        return z0 + ts * (z1 - z0)
    if method != "slerp":
        raise ValueError("unknown method " + str(method))
    u0, u1 = z0 / z0.norm(), z1 / z1.norm()
    om = torch.acos(torch.clamp((u0 * u1).sum(), -1.0, 1.0))
    if om < 1e-5:
        return z0 + ts * (z1 - z0)
    return (torch.sin((1 - ts) * om) * z0 + torch.sin(ts * om) * z1) / torch.sin(om)
#### cell: q1c
We need f to be a bijection between spaces of equal dimension, so each x has a single preimage, and
smooth both ways so the density transforms with a Jacobian. Its log|det| has to be cheap (triangular
structure, e.g. coupling layers), both directions should be fast enough for training and sampling,
and stacking many layers gives the model enough flexibility.
