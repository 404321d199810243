#### cell: q1_steps
def discriminative_step(W, F, prior_z, x, y, lr):
    W = W.detach().requires_grad_()
    loss = -discriminative_posterior(W.softmax(-1), F, prior_z, x).gather(1, y[:, None]).log().mean()
    (g,) = torch.autograd.grad(loss, W)
    return (W - lr * g).detach(), float(loss)


def generative_step(V, F, x, y, lr):
    V = V.detach().requires_grad_()
    hit = (x[:, None] == F[None, :]).float()
    loss = -(V.softmax(-1)[y] * hit).sum(-1).log().mean()
    (g,) = torch.autograd.grad(loss, V)
    return (V - lr * g).detach(), float(loss)
#### cell: q4_frechet
def frechet_gaussian(mu1, cov1, mu2, cov2):
    mu1, mu2, cov1, cov2 = (np.asarray(a, np.float64) for a in (mu1, mu2, cov1, cov2))
    covmean = scipy.linalg.sqrtm(cov1 @ cov2)
    covmean = covmean.real if np.iscomplexobj(covmean) else covmean
    return float(((mu1 - mu2) ** 2).sum() + np.trace(cov1 + cov2 - 2 * covmean))
#### cell: p2_coupling
class CouplingLayer(nn.Module):
    def __init__(self, dim, hidden, mask):
        super().__init__()
        self.register_buffer("mask", mask.float())
        net = lambda: nn.Sequential(nn.Linear(dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                    nn.Linear(hidden, dim))
        self.s, self.t = net(), net()

    def _st(self, h):
        keep = h * self.mask
        return torch.tanh(self.s(keep)) * (1 - self.mask), self.t(keep) * (1 - self.mask)

    def forward(self, x):
        s, t = self._st(x)
        return x * torch.exp(s) + t, s.sum(1)

    def inverse(self, z):
        s, t = self._st(z)
        return (z - t) * torch.exp(-s)
#### cell: p2_realnvp
class RealNVP(nn.Module):
    def __init__(self, dim, hidden, n_coupling):
        super().__init__()
        self.dim = dim
        base = alternating_mask(dim)
        self.layers = nn.ModuleList([CouplingLayer(dim, hidden, base if i % 2 == 0 else 1 - base)
                                     for i in range(n_coupling)])

    def forward(self, x):
        total = x.new_zeros(len(x))
        for f in self.layers:
            x, d = f(x)
            total += d
        return x, total

    def inverse(self, z):
        for f in self.layers[::-1]:
            z = f.inverse(z)
        return z

    def log_prob(self, x):
        z, ld = self.forward(x)
        return torch.distributions.Normal(0., 1.).log_prob(z).sum(1) + ld

    @torch.no_grad()
    def sample(self, n):
        p = next(self.parameters())
        return self.inverse(torch.randn(n, self.dim, dtype=p.dtype, device=p.device))
#### cell: q1_written
Loss: the mean negative log of Q(y|x) over the training pairs. For every training x, list the latent codes
z that the frozen decoder maps to x (done once). Each iteration: take a batch, compute Q(y|x) by summing
P_w(y|z) p(z) over those z and normalising, average -log, backprop to w only, update, and stop on validation.
