#### cell: q1_steps
def discriminative_step(W, F, prior_z, x, y, lr):
    from torch.func import grad_and_value
    def risk(w):
        Q = discriminative_posterior(torch.softmax(w, dim=-1), F, prior_z, x)
        return -torch.take_along_dim(Q, y.unsqueeze(-1), dim=-1).squeeze(-1).log().mean()
    g, v = grad_and_value(risk)(W.detach())
    return (W.detach() - lr * g), v.item()


def generative_step(V, F, x, y, lr):
    from torch.func import grad_and_value
    onehot = torch.nn.functional.one_hot(F, num_classes=int(max(F.max(), x.max())) + 1).to(V.dtype)  # (K, X)
    def nll(v):
        p_x_given_y = torch.softmax(v, dim=-1) @ onehot     # (C, X)
        return -torch.log(p_x_given_y[y, x]).mean()
    g, val = grad_and_value(nll)(V.detach())
    return (V.detach() - lr * g), val.item()
#### cell: q4_frechet
def frechet_gaussian(mu1, cov1, mu2, cov2):
    import torch as _t
    m1, m2 = _t.as_tensor(mu1, dtype=_t.float64), _t.as_tensor(mu2, dtype=_t.float64)
    s1, s2 = _t.as_tensor(cov1, dtype=_t.float64), _t.as_tensor(cov2, dtype=_t.float64)
    ev = _t.linalg.eigvals(s1 @ s2)
    tr_root = ev.sqrt().real.sum()
    out = (m1 - m2).square().sum() + s1.diagonal().sum() + s2.diagonal().sum() - 2 * tr_root
    return out.item()
#### cell: p2_coupling
class CouplingLayer(nn.Module):
    def __init__(self, dim, hidden, mask):
        super().__init__()
        self.register_buffer("mask", mask.float())
        self.trunk = nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU())
        self.s_head = nn.Sequential(nn.Linear(hidden, dim), nn.Tanh())
        self.t_head = nn.Linear(hidden, dim)

    def forward(self, x):
        cond = self.trunk(x * self.mask)
        s = self.s_head(cond) * (1 - self.mask)
        z = x * self.mask + (1 - self.mask) * (x * s.exp() + self.t_head(cond))
        return z, s.sum(dim=-1)

    def inverse(self, z):
        cond = self.trunk(z * self.mask)
        s = self.s_head(cond) * (1 - self.mask)
        return z * self.mask + (1 - self.mask) * (z - self.t_head(cond)) * (-s).exp()
#### cell: p2_realnvp
class RealNVP(nn.Module):
    def __init__(self, dim, hidden, n_coupling):
        super().__init__()
        self.dim = dim
        m = alternating_mask(dim)
        self.layers = nn.Sequential(*(CouplingLayer(dim, hidden, (1 - m) if k & 1 else m)
                                      for k in range(n_coupling)))

    def forward(self, x):
        acc = 0
        for c in self.layers:
            x, piece = c(x)
            acc = acc + piece
        return x, acc if torch.is_tensor(acc) else torch.zeros(len(x))

    def inverse(self, z):
        for c in list(self.layers)[::-1]:
            z = c.inverse(z)
        return z

    def log_prob(self, x):
        z, acc = self(x)
        return acc - 0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(-1)

    @torch.no_grad()
    def sample(self, n):
        p = next(self.parameters())
        return self.inverse(torch.randn(n, self.dim, dtype=p.dtype, device=p.device))
#### cell: q1_written
Minimise the empirical cross-entropy −mean_j log Q(y^j|x^j). Because θ is fixed, build a lookup x ↦ {z : F_θ(z) = x}
in a single pass. Then iterate mini-batches: posterior over z for each x from the lookup and the prior,
Q(y|x) = Σ_z P_w(y|z) p(z|x), mean −log, gradient w.r.t. w, Adam step; early-stop on validation NLL.
