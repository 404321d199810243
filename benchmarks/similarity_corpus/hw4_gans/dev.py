#### cell: p1_discriminator
class Discriminator(nn.Module):
    def __init__(self, widths=(512, 256, 128), in_dim=784, dropout=0.3):
        super().__init__()
        seq = OrderedDict()
        last = in_dim
        for k, width in enumerate(widths):
            seq[f"fc{k}"] = nn.Linear(last, width)
            seq[f"act{k}"] = nn.LeakyReLU(0.2, inplace=False)
            seq[f"drop{k}"] = nn.Dropout(dropout)
            last = width
        seq["logit"] = nn.Linear(last, 1)
        self.mlp = nn.Sequential(seq)

    def forward(self, x):
        return self.mlp(torch.reshape(x, (len(x), -1)))
#### cell: p2_train_gan
def train_gan(generator, discriminator, g_opt, d_opt, loader, epochs, d_steps=1, progress=True):
    device = next(generator.parameters()).device
    d_hist, g_hist = [], []
    pbar = tqdm(range(epochs), desc="epochs", disable=not progress)
    for _ in pbar:
        for i, batch in enumerate(loader):
            x = batch[0].to(device) if isinstance(batch, (list, tuple)) else batch.to(device)
            d_hist.append(discriminator_step(generator, discriminator, d_opt, x,
                                             torch.randn(x.shape[0], generator.latent_dim, device=device)))
            if len(d_hist) % d_steps:
                continue
            g_hist.append(generator_step(generator, discriminator, g_opt,
                                         torch.randn(x.shape[0], generator.latent_dim, device=device)))
        if g_hist:
            pbar.set_postfix(d=d_hist[-1], g=g_hist[-1])
    return {"d_loss": d_hist, "g_loss": g_hist}
#### cell: p5_ot_primal
def ot_primal(v, w, C):
    import cvxpy as cp
    C = np.asarray(C, dtype=float)
    T = cp.Variable(C.shape, nonneg=True)
    prob = cp.Problem(cp.Minimize(cp.sum(cp.multiply(C, T))),
                      [cp.sum(T, axis=1) == np.asarray(v, float), cp.sum(T, axis=0) == np.asarray(w, float)])
    prob.solve()
    return float(prob.value), np.asarray(T.value)
#### cell: p5_ot_dual
def ot_dual(v, w, C):
    C = np.asarray(C, dtype=float)
    k1, k2 = C.shape
    ii, jj = np.meshgrid(np.arange(k1), np.arange(k2), indexing="ij")
    A = np.zeros((k1 * k2, k1 + k2))
    A[np.arange(k1 * k2), ii.ravel()] = 1.0
    A[np.arange(k1 * k2), k1 + jj.ravel()] = 1.0
    r = linprog(c=-np.concatenate((v, w)), A_ub=A, b_ub=C.flatten(), bounds=(None, None))
    assert r.success, r.message
    return -r.fun, r.x[:k1].copy(), r.x[k1:].copy()
#### cell: p4a_derivation
Substituting x = G(z): V(D, G) = ∫ p_data(x) log D(x) dx + ∫ p_g(x) log(1 − D(x)) dx. The integrand at x only
involves D(x), so we optimise per point. Let y = D(x). d/dy [p_data log y + p_g log(1 − y)] = p_data/y − p_g/(1 − y),
equal to zero iff y = p_data/(p_data + p_g), and the function is strictly concave in y, hence that y is the
global optimum: D*_G(x) = p_data(x)/(p_data(x) + p_g(x)).
