#### cell: p1_discriminator
def _block(n_in, n_out, p):
    return [nn.Linear(n_in, n_out), nn.LeakyReLU(0.2), nn.Dropout(p)]


class Discriminator(nn.Module):
    def __init__(self, widths=(512, 256, 128), in_dim=784, dropout=0.3):
        super().__init__()
        mods = [nn.Flatten()]
        for n_in, n_out in zip((in_dim,) + tuple(widths[:-1]), widths):
            mods.extend(_block(n_in, n_out, dropout))
        mods.append(nn.Linear(widths[-1], 1))
        self.model = nn.Sequential(*mods)

    def forward(self, x):
        return self.model(x)
#### cell: p2_train_gan
def _noise(gen, n, device):
    return torch.randn(n, gen.latent_dim, device=device)


def train_gan(generator, discriminator, g_opt, d_opt, loader, epochs, d_steps=1, progress=True):
    device = next(discriminator.parameters()).device
    out = dict(d_loss=[], g_loss=[])
    with tqdm(total=epochs * len(loader), disable=not progress, leave=False) as bar:
        for step, (real, _) in enumerate((b for _ in range(epochs) for b in loader), start=1):
            real = real.to(device, non_blocking=True)
            out["d_loss"].append(discriminator_step(generator, discriminator, d_opt, real, _noise(generator, real.size(0), device)))
            if step % d_steps == 0:
                out["g_loss"].append(generator_step(generator, discriminator, g_opt, _noise(generator, real.size(0), device)))
            bar.update()
    return out
#### cell: p5_ot_primal
def _coupling_constraints(k1, k2):
    return np.concatenate([np.kron(np.eye(k1), np.ones(k2)[None]), np.kron(np.ones(k1)[None], np.eye(k2))])


def ot_primal(v, w, C):
    C = np.asarray(C, dtype=np.float64)
    res = linprog(C.ravel(), A_eq=_coupling_constraints(*C.shape), b_eq=np.r_[v, w], bounds=(0, None),
                  method="highs-ipm")
    if not res.success:
        raise RuntimeError(res.message)
    return float(res.fun), res.x.reshape(C.shape)
#### cell: p5_ot_dual
def ot_dual(v, w, C):
    C = np.asarray(C, dtype=np.float64)
    k1, k2 = C.shape
    A_ub = _coupling_constraints(k1, k2).T
    res = linprog(-np.r_[v, w], A_ub=A_ub, b_ub=C.ravel(), bounds=(None, None), method="highs-ds")
    if not res.success:
        raise RuntimeError(res.message)
    phi, psi = np.split(res.x, [k1])
    return float(np.dot(phi, v) + np.dot(psi, w)), phi, psi
#### cell: p4a_derivation
1. LOTUS: E_z log(1 − D(G(z))) = ∫ p_g(x) log(1 − D(x)) dx, so V = ∫ [p_data log D + p_g log(1 − D)] dx.
2. No constraint links D at different points ⇒ maximise the integrand for each x.
3. φ(t) = a log t + b log(1 − t), a = p_data(x), b = p_g(x): φ′(t) = a/t − b/(1 − t) = 0 at t = a/(a + b);
   φ″ = −a/t² − b/(1 − t)² < 0 ⇒ unique maximum.
4. D*_G = p_data/(p_data + p_g); outside supp p_data ∪ supp p_g any value is optimal.
