#### cell: q1_flow_log_prob
def flow_log_prob(x, flow, base):
    # map data back to the latent space
    latent = flow.inverse(x)
    # check that going forward again gives x back
    reconstructed = flow.forward(latent)
    difference = (reconstructed - x).abs().max()
    if difference > 1e-4 * (1 + x.abs().max()):
        raise ValueError("flow is not invertible")
    jac_term = flow.log_abs_det_jacobian(latent)
    for value in jac_term.reshape(-1):
        if math.isinf(value.item()) or math.isnan(value.item()):
            raise ValueError("singular jacobian")
    log_base = base.log_prob(latent)
    result = log_base - jac_term
    return result
#### cell: q3_gradient_penalty
def gradient_penalty(critic, real, fake, lam=10.0, alpha=None):
    batch_size = real.shape[0]
    if alpha is None:
        alpha = torch.empty(batch_size, device=real.device).uniform_(0, 1)
    weights = alpha
    while weights.dim() < real.dim():
        weights = weights.unsqueeze(-1)
    interpolated = weights * real.detach() + (1.0 - weights) * fake.detach()
    interpolated.requires_grad = True
    scores = critic(interpolated)
    gradients = torch.autograd.grad(outputs=scores, inputs=interpolated,
                                    grad_outputs=torch.ones_like(scores), create_graph=True,
                                    retain_graph=True)[0]
    gradients = gradients.view(batch_size, -1)
    gradient_norm = torch.sqrt(torch.sum(gradients ** 2, dim=1) + 1e-12)
    penalty = torch.mean((gradient_norm - 1.0) ** 2)
    return lam * penalty
#### cell: q3_train_step
def wgan_train_step(generator, critic, g_opt, c_opt, real_batches, z_dim=Z_DIM, n_critic=2,
                    lipschitz="gp", lam=10.0, clip=0.01):
    if lipschitz == "gp":
        use_penalty = True
    elif lipschitz == "clip":
        use_penalty = False
    else:
        raise ValueError("lipschitz should be gp or clip")
    device = next(generator.parameters()).device
    critic_value = 0.0
    penalty_value = 0.0
    batch = None
    step = 0
    while step < n_critic:
        batch = next(real_batches)
        batch = batch.to(device)
        noise = torch.randn(batch.shape[0], z_dim, device=device)
        with torch.no_grad():
            generated = generator(noise)
        c_opt.zero_grad()
        real_out = critic(batch)
        fake_out = critic(generated)
        loss_c = critic_loss(real_out, fake_out)
        if use_penalty:
            pen = gradient_penalty(critic, batch, generated, lam=lam)
            total = loss_c + pen
            penalty_value = pen.item()
        else:
            total = loss_c
            penalty_value = 0.0
        total.backward()
        c_opt.step()
        if not use_penalty:
            clip_weights(critic, clip)
        critic_value = loss_c.item()
        step = step + 1
    g_opt.zero_grad()
    noise = torch.randn(batch.shape[0], z_dim, device=device)
    loss_g = generator_loss(critic(generator(noise)))
    loss_g.backward()
    g_opt.step()
    out = dict()
    out["critic_loss"] = critic_value
    out["penalty"] = penalty_value
    out["generator_loss"] = loss_g.item()
    return out
#### cell: q3_interpolate
def interpolate(z0, z1, steps=10, method="linear"):
    rows = []
    if method == "slerp":
        dot = float((z0 @ z1) / (torch.linalg.norm(z0) * torch.linalg.norm(z1)))
        dot = max(-1.0, min(1.0, dot))
        angle = math.acos(dot)
    elif method != "linear":
        raise ValueError("method must be linear or slerp")
    for i in range(steps):
        t = i / (steps - 1)
        if method == "slerp" and angle > 1e-6:
            a = math.sin((1 - t) * angle) / math.sin(angle)
            b = math.sin(t * angle) / math.sin(angle)
        else:
            a, b = 1 - t, t
        rows.append(a * z0 + b * z1)
    return torch.stack(rows)
#### cell: q1c
The transformation must be invertible; otherwise the density of x is not defined through z. It must be
differentiable with a differentiable inverse. The determinant of its Jacobian must be computable quickly,
which is why flows use layers with triangular Jacobians. Inverting it and running it forward must both
be efficient. And it should be flexible, which we get by composing several such layers.
