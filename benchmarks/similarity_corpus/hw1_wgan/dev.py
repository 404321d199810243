#### cell: q1_flow_log_prob
def flow_log_prob(x, flow, base):
    try:
        z = flow.inverse(x)
    except Exception as err:
        raise ValueError(f"cannot invert: {err}")
    err = torch.linalg.norm(flow.forward(z) - x, dim=-1)
    tol = 1e-4 + 1e-4 * torch.linalg.norm(x, dim=-1)
    if bool((err > tol).any()):
        raise ValueError("round trip failed, so f is not invertible")
    jac = flow.log_abs_det_jacobian(z)
    if torch.isnan(jac).any() or torch.isinf(jac).any():
        raise ValueError("det J = 0")
    lp = base.log_prob(z)
    return lp + (-jac)
#### cell: q3_gradient_penalty
def gradient_penalty(critic, real, fake, lam=10.0, alpha=None):
    from torch.func import grad, vmap
    n = real.shape[0]
    alpha = torch.rand(n).to(real) if alpha is None else alpha.to(real)
    eps = alpha.view((n,) + (1,) * (real.dim() - 1))
    points = (real + eps * (fake - real)).detach()
    points.requires_grad_(True)
    critic_out = critic(points)
    g = torch.autograd.grad(critic_out, points, grad_outputs=torch.ones_like(critic_out), create_graph=True)[0]
    slopes = g.pow(2).reshape(n, -1).sum(-1).sqrt()
    return (slopes - 1.0).pow(2).mean() * lam
#### cell: q3_train_step
def wgan_train_step(generator, critic, g_opt, c_opt, real_batches, z_dim=Z_DIM, n_critic=2,
                    lipschitz="gp", lam=10.0, clip=0.01):
    modes = {"gp": True, "clip": False}
    if lipschitz not in modes:
        raise ValueError(f"unknown lipschitz mode {lipschitz}")
    device = next(iter(generator.parameters())).device
    for p in critic.parameters():
        p.requires_grad_(True)
    last = None
    for k in range(n_critic):
        xr = next(real_batches).to(device)
        zs = torch.randn((xr.shape[0], z_dim), device=device)
        xf = generator(zs).detach()
        wdist = critic(xr).mean() - critic(xf).mean()
        penalty = gradient_penalty(critic, xr, xf, lam=lam) if modes[lipschitz] else torch.zeros((), device=device)
        c_opt.zero_grad()
        (penalty - wdist).backward()
        c_opt.step()
        if not modes[lipschitz]:
            with torch.no_grad():
                for w in critic.parameters():
                    w.copy_(w.clamp(-clip, clip))
        last = (-wdist).item(), penalty.item()
    for p in critic.parameters():
        p.requires_grad_(False)
    g_opt.zero_grad()
    zs = torch.randn((xr.shape[0], z_dim), device=device)
    gen_loss = -(critic(generator(zs)).mean())
    gen_loss.backward()
    g_opt.step()
    for p in critic.parameters():
        p.requires_grad_(True)
    return {"critic_loss": last[0], "penalty": last[1], "generator_loss": gen_loss.item()}
#### cell: q3_interpolate
def interpolate(z0, z1, steps=10, method="linear"):
    alphas = np.linspace(0.0, 1.0, steps)
    if method == "linear":
        weights = [(1 - a, a) for a in alphas]
    elif method == "slerp":
        c = np.clip(np.dot(z0.cpu().numpy(), z1.cpu().numpy()) /
                    (np.linalg.norm(z0.cpu().numpy()) * np.linalg.norm(z1.cpu().numpy())), -1, 1)
        phi = np.arccos(c)
        if phi < 1e-6:
            weights = [(1 - a, a) for a in alphas]
        else:
            weights = [(np.sin((1 - a) * phi) / np.sin(phi), np.sin(a * phi) / np.sin(phi)) for a in alphas]
    else:
        raise ValueError("method?")
    out = torch.stack([float(u) * z0 + float(v) * z1 for u, v in weights])
    return out
#### cell: q1c
Properties of a good flow: one to one and onto (so z = f^{-1}(x) is unique, dim x = dim z); f and its
inverse differentiable; log det of the Jacobian easy to get (not a generic O(D^3) determinant); cheap
evaluation of f^{-1} for maximum likelihood and of f for generating; and expressivity from composition.
