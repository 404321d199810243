#### cell: p1_discriminator
class Discriminator(nn.Module):
    def __init__(self, widths=(512, 256, 128), in_dim=784, dropout=0.3):
        super().__init__()
        dims = [in_dim, *widths]
        self.body = nn.Sequential(*[m for a, b in zip(dims, dims[1:])
                                    for m in (nn.Linear(a, b), nn.LeakyReLU(0.2), nn.Dropout(dropout))])
        self.head = nn.Linear(dims[-1], 1)

    def forward(self, x):
        return self.head(self.body(x.flatten(1)))
#### cell: p2_train_gan
def train_gan(generator, discriminator, g_opt, d_opt, loader, epochs, d_steps=1, progress=True):
    dev = next(generator.parameters()).device
    log = {"d_loss": [], "g_loss": []}
    it = 0
    for ep in tqdm(range(epochs), disable=not progress):
        for xb, _ in loader:
            xb = xb.to(dev)
            noise = lambda: torch.randn(len(xb), generator.latent_dim, device=dev)
            log["d_loss"].append(discriminator_step(generator, discriminator, d_opt, xb, noise()))
            it += 1
            if it % d_steps == 0:
                log["g_loss"].append(generator_step(generator, discriminator, g_opt, noise()))
    return log
#### cell: p5_ot_primal
def ot_primal(v, w, C):
    C = np.asarray(C, dtype=float)
    m, n = C.shape
    A = np.vstack([np.repeat(np.eye(m), n, axis=1), np.tile(np.eye(n), m)])
    sol = linprog(C.reshape(-1), A_eq=A, b_eq=np.hstack([v, w]), bounds=(0, None))
    return float(sol.fun), sol.x.reshape(m, n)
#### cell: p5_ot_dual
def ot_dual(v, w, C):
    C = np.asarray(C, dtype=float)
    m, n = C.shape
    A = np.hstack([np.repeat(np.eye(m), n, axis=0), np.tile(np.eye(n), (m, 1))])
    sol = linprog(-np.hstack([v, w]), A_ub=A, b_ub=C.reshape(-1), bounds=[(None, None)] * (m + n))
    return float(-sol.fun), sol.x[:m], sol.x[m:]
#### cell: p4a_derivation
Write V as one integral over x: ∫ p_data log D + p_g log(1 − D) dx. Maximise pointwise: for a, b ≥ 0 the
function t ↦ a log t + b log(1 − t) on (0,1) has derivative a/t − b/(1 − t), zero at t = a/(a + b), and it is
concave (second derivative −a/t² − b/(1−t)² < 0), so that is the max. Therefore
D*(x) = p_data(x) / (p_data(x) + p_g(x)); where both densities are 0, D can be anything.
