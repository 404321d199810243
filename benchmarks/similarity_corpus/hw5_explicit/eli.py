#### cell: q1_steps
def discriminative_step(W, F, prior_z, x, y, lr):
    W = W.clone().detach()
    W.requires_grad_(True)
    P = torch.softmax(W, dim=1)
    Q = discriminative_posterior(P, F, prior_z, x)
    n = x.shape[0]
    probs = Q[range(n), y]
    loss = -torch.mean(torch.log(probs))
    loss.backward()
    W_new = W - lr * W.grad
    W_new = W_new.detach()
    print("loss", loss.item())
    return W_new, loss.item()


def generative_step(V, F, x, y, lr):
    V = V.clone().detach()
    V.requires_grad_(True)
    P = torch.softmax(V, dim=1)
    n = x.shape[0]
    K = F.shape[0]
    like = torch.zeros(n)
    for j in range(n):
        for z in range(K):
            if F[z] == x[j]:
                like[j] = like[j] + P[y[j], z]
    loss = -torch.mean(torch.log(like))
    loss.backward()
    V_new = V - lr * V.grad
    return V_new.detach(), loss.item()
#### cell: q4_frechet
def frechet_gaussian(mu1, cov1, mu2, cov2):
    mu1 = np.array(mu1, dtype=float)
    mu2 = np.array(mu2, dtype=float)
    cov1 = np.array(cov1, dtype=float)
    cov2 = np.array(cov2, dtype=float)
    d = mu1 - mu2
    part1 = np.sum(d * d)
    s = scipy.linalg.sqrtm(cov1.dot(cov2))
    if np.iscomplexobj(s):
        s = np.real(s)
    part2 = np.trace(cov1) + np.trace(cov2) - 2 * np.trace(s)
    print(part1, part2)
    return float(part1 + part2)
#### cell: p2_coupling
class CouplingLayer(nn.Module):
    def __init__(self, dim, hidden, mask):
        super().__init__()
        self.register_buffer("mask", mask.float())
        self.s1 = nn.Linear(dim, hidden)
        self.s2 = nn.Linear(hidden, hidden)
        self.s3 = nn.Linear(hidden, dim)
        self.t1 = nn.Linear(dim, hidden)
        self.t2 = nn.Linear(hidden, hidden)
        self.t3 = nn.Linear(hidden, dim)

    def s(self, x):
        h = torch.relu(self.s1(x))
        h = torch.relu(self.s2(h))
        return torch.tanh(self.s3(h))

    def t(self, x):
        h = torch.relu(self.t1(x))
        h = torch.relu(self.t2(h))
        return self.t3(h)

    def forward(self, x):
        m = self.mask
        s = self.s(m * x) * (1 - m)
        t = self.t(m * x) * (1 - m)
        z = m * x + (1 - m) * (x * torch.exp(s) + t)
        log_det = s.sum(dim=1)
        return z, log_det

    def inverse(self, z):
        m = self.mask
        s = self.s(m * z) * (1 - m)
        t = self.t(m * z) * (1 - m)
        x = m * z + (1 - m) * ((z - t) * torch.exp(-s))
        return x
#### cell: p2_realnvp
class RealNVP(nn.Module):
    def __init__(self, dim, hidden, n_coupling):
        super().__init__()
        self.dim = dim
        layers = []
        for i in range(n_coupling):
            mask = alternating_mask(dim)
            if i % 2 == 1:
                mask = 1 - mask
            layers.append(CouplingLayer(dim, hidden, mask))
        self.layers = nn.ModuleList(layers)

    def forward(self, x):
        total = torch.zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            total = total + ld
        return x, total

    def inverse(self, z):
        for i in range(len(self.layers)):
            layer = self.layers[len(self.layers) - 1 - i]
            z = layer.inverse(z)
        return z

    def log_prob(self, x):
        z, total = self.forward(x)
        D = self.dim
        log_pz = -0.5 * torch.sum(z ** 2, dim=1) - D / 2 * math.log(2 * math.pi)
        return log_pz + total

    @torch.no_grad()
    def sample(self, n):
        p = next(self.parameters())
        return self.inverse(torch.randn(n, self.dim, dtype=p.dtype, device=p.device))
#### cell: q1_written
We minimise the average of -log Q(y|x) on the training data. First, for every x in the data, we find which z
give F(z) = x. Then for many iterations we take a batch, compute Q(y|x) using the formula from part 1 with
only those z, compute the loss, do backward to get the gradient for w (not theta), and update w. We stop
when the validation loss stops going down.
