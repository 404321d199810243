#### cell: q1_steps
def _sgd(param, loss_fn, lr):
    p = param.detach().clone().requires_grad_(True)
    loss = loss_fn(p)
    loss.backward()
    return torch.sub(p, p.grad, alpha=lr).detach(), loss.detach().item()


def discriminative_step(W, F, prior_z, x, y, lr):
    def risk(w):
        q = discriminative_posterior(F=F, prior_z=prior_z, x=x, P_y_given_z=torch.nn.functional.softmax(w, 1))
        return torch.nn.functional.nll_loss(q.log(), y)
    return _sgd(W, risk, lr)


def generative_step(V, F, x, y, lr):
    def nll(v):
        decodes = torch.eq(F.unsqueeze(0), x.unsqueeze(1))
        return -torch.logsumexp(torch.log_softmax(v, 1)[y].masked_fill(~decodes, float("-inf")), 1).mean()
    return _sgd(V, nll, lr)
#### cell: q4_frechet
def _psd_sqrt(m):
    vals, vecs = np.linalg.eigh(0.5 * (m + m.T))
    return (vecs * np.sqrt(np.maximum(vals, 0.0))) @ vecs.T


def frechet_gaussian(mu1, cov1, mu2, cov2):
    a, b = np.asarray(cov1, np.float64), np.asarray(cov2, np.float64)
    r = _psd_sqrt(a)
    cross = np.trace(_psd_sqrt(r @ b @ r))
    gap = np.subtract(mu1, mu2, dtype=np.float64)
    return float(np.inner(gap, gap) + np.trace(a + b) - 2.0 * cross)
#### cell: p2_coupling
def _mlp(d, h):
    return nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, h), nn.ReLU(), nn.Linear(h, d))


class CouplingLayer(nn.Module):
    def __init__(self, dim, hidden, mask):
        super().__init__()
        self.register_buffer("mask", mask.float())
        self.nets = nn.ModuleDict({"s": _mlp(dim, hidden), "t": _mlp(dim, hidden)})

    def _params(self, v):
        frozen = self.mask * v
        free = 1 - self.mask
        return free * self.nets["s"](frozen).tanh(), free * self.nets["t"](frozen)

    def forward(self, x):
        log_scale, shift = self._params(x)
        return torch.addcmul(shift, x, log_scale.exp()), log_scale.sum(-1)

    def inverse(self, z):
        log_scale, shift = self._params(z)
        return torch.mul(z - shift, torch.exp(-log_scale))
#### cell: p2_realnvp
class RealNVP(nn.Module):
    def __init__(self, dim, hidden, n_coupling):
        super().__init__()
        self.dim = dim
        masks = itertools.cycle([alternating_mask(dim), 1 - alternating_mask(dim)])
        self.layers = nn.ModuleList([CouplingLayer(dim, hidden, next(masks)) for _ in range(n_coupling)])
        self.register_buffer("_zero", torch.zeros(()))

    def forward(self, x):
        log_dets = []
        for layer in self.layers:
            x, ld = layer(x)
            log_dets.append(ld)
        return x, torch.stack(log_dets, 0).sum(0)

    def inverse(self, z):
        return functools.reduce(lambda h, layer: layer.inverse(h), reversed(self.layers), z)

    def log_prob(self, x):
        z, ld = self(x)
        normal = torch.distributions.Independent(torch.distributions.Normal(torch.zeros_like(z), torch.ones_like(z)), 1)
        return normal.log_prob(z) + ld

    @torch.no_grad()
    def sample(self, n):
        p = next(self.parameters())
        return self.inverse(torch.randn(n, self.dim, dtype=p.dtype, device=p.device))
#### cell: q1_written
* objective: R(w) = −(1/n) Σ_j log Q_w(y_j | x_j);
* precomputation: decode every latent once to get, for each observed x, the set of z mapping to it;
* SGD loop: minibatch → Q via Bayes over that set → loss → gradient in w only (decoder frozen) → step;
* early stopping on a validation split.
