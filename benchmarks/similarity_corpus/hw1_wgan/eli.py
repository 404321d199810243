#### cell: q1_flow_log_prob
def flow_log_prob(x, flow, base):
    N = x.shape[0]
    z = flow.inverse(x)
    x_again = flow.forward(z)
    close = torch.isclose(x_again, x, atol=1e-4, rtol=1e-4)
    print("round trip ok:", close.all().item())
    if close.all() == False:
        raise ValueError("The flow can not be inverted at x")
    logdet = flow.log_abs_det_jacobian(z)
    finite = torch.isfinite(logdet)
    if finite.all() == False:
        raise ValueError("The Jacobian is singular")
    out = torch.zeros(N)
    base_part = base.log_prob(z)
    out = base_part - logdet
    return out
#### cell: q3_gradient_penalty
def gradient_penalty(critic, real, fake, lam=10.0, alpha=None):
    N = real.shape[0]
    if alpha == None:
        alpha = torch.rand(N)
    alpha = alpha.to(real.device)
    if real.dim() == 2:
        a = alpha[:, None]
    elif real.dim() == 4:
        a = alpha[:, None, None, None]
    else:
        a = alpha.reshape(N, *([1] * (real.dim() - 1)))
    x_hat = a * real + (1 - a) * fake
    x_hat = x_hat.detach()
    x_hat.requires_grad = True
    c = critic(x_hat)
    grad = torch.autograd.grad(c.sum(), x_hat, create_graph=True)[0]
    grad = grad.reshape(N, -1)
    norm = grad.norm(dim=1)
    gp = ((norm - 1) ** 2).mean()
    gp = lam * gp
    return gp
#### cell: q3_train_step
def wgan_train_step(generator, critic, g_opt, c_opt, real_batches, z_dim=Z_DIM, n_critic=2,
                    lipschitz="gp", lam=10.0, clip=0.01):
    if lipschitz != "gp" and lipschitz != "clip":
        raise ValueError("wrong lipschitz")
    device = next(generator.parameters()).device
    result = {"critic_loss": 0.0, "penalty": 0.0, "generator_loss": 0.0}
    for it in range(n_critic):
        real = next(real_batches)
        real = real.to(device)
        N = real.shape[0]
        z = torch.randn(N, z_dim).to(device)
        fake = generator(z)
        fake = fake.detach()
        c_opt.zero_grad()
        loss = critic_loss(critic(real), critic(fake))
        if lipschitz == "gp":
            gp = gradient_penalty(critic, real, fake, lam)
        else:
            gp = torch.tensor(0.0)
        full = loss + gp
        full.backward()
        c_opt.step()
        if lipschitz == "clip":
            clip_weights(critic, clip)
        result["critic_loss"] = loss.item()
        result["penalty"] = gp.item()
    z = torch.randn(N, z_dim).to(device)
    g_opt.zero_grad()
    fake = generator(z)
    gloss = generator_loss(critic(fake))
    gloss.backward()
    g_opt.step()
    result["generator_loss"] = gloss.item()
    return result
#### cell: q3_interpolate
def interpolate(z0, z1, steps=10, method="linear"):
    if method == "linear":
        out = []
        for k in range(steps):
            t = k / (steps - 1)
            out.append((1 - t) * z0 + t * z1)
        return torch.stack(out)
    elif method == "slerp":
        cosine = (z0 * z1).sum() / (z0.norm() * z1.norm())
        cosine = torch.clamp(cosine, -1, 1)
        omega = torch.acos(cosine)
        out = []
        for k in range(steps):
            t = k / (steps - 1)
            if omega < 1e-4:
                out.append((1 - t) * z0 + t * z1)
            else:
                out.append(torch.sin((1 - t) * omega) / torch.sin(omega) * z0 + torch.sin(t * omega) / torch.sin(omega) * z1)
        return torch.stack(out)
    else:
        raise ValueError("method must be 'linear' or 'slerp'")
#### cell: q1c
1) f has to be invertible (bijective), the dimension of z and x is the same.
2) f and f inverse are differentiable.
3) We need to compute the determinant of the Jacobian efficiently, for example when the Jacobian is triangular.
4) Sampling and density evaluation need forward and inverse to be fast.
5) The flow needs to be expressive, we stack several transformations.
