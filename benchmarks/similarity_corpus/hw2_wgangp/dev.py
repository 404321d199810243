#### cell: p3_costs
def smoothing_costs(x, eps):
    from scipy.optimize import linear_sum_assignment
    y = x + eps
    d = scipy.spatial.distance.cdist(x, y)
    r, c = linear_sum_assignment(d)
    emd = d[r, c].mean()
    ident = np.mean(np.sqrt(np.einsum("ij,ij->i", eps, eps)))
    return float(emd), float(ident)
#### cell: p4_linprog
def w1_linprog(p, q, C):
    import scipy.sparse as sps
    n = p.shape[0]
    I = sps.identity(n)
    one = sps.csr_matrix(np.ones((1, n)))
    constraints = sps.vstack([sps.kron(I, one), sps.kron(one, I)]).tocsr()
    sol = linprog(c=C.ravel(order="C"), A_eq=constraints, b_eq=np.append(p, q), bounds=(0.0, None))
    assert sol.status == 0, sol.message
    pi = sol.x.reshape(n, n)
    return float(np.sum(pi * C)), pi
#### cell: p5_critic
class Critic(nn.Module):
    """WGAN critic for MNIST: images (N, 1, 28, 28) float32 -> scores (N,) float32. No BatchNorm."""

    def __init__(self, capacity=128):
        super().__init__()
        layers = [nn.Conv2d(1, capacity // 2, 4, 2, 1), nn.LeakyReLU(0.2)]
        layers += [ResidualBlock(capacity // 2, capacity, stride=2, batchnorm=False)]
        layers += [ResidualBlock(capacity, batchnorm=False), ResidualBlock(capacity, batchnorm=False)]
        self.body = nn.Sequential(*layers)
        self.fc = nn.Linear(capacity * 49, 1)

    def forward(self, x):
        h = self.body(x)
        return self.fc(torch.flatten(h, 1)).squeeze(-1)
#### cell: p5_gradient_penalty
def gradient_penalty(critic, x_real, x_fake):
    n = x_real.shape[0]
    u = torch.rand(n, device=x_real.device)
    view = (n,) + (1,) * (x_real.ndim - 1)
    inter = x_fake + u.view(view) * (x_real - x_fake)
    inter = inter.detach().requires_grad_(True)
    with torch.enable_grad():
        score = critic(inter).sum()
        grad_inter = torch.autograd.grad(score, [inter], create_graph=True)[0]
    gnorm = (grad_inter.reshape(n, -1) ** 2).sum(dim=1).sqrt()
    return ((gnorm - 1) ** 2).mean()
#### cell: p5_report
(i) quality is decent: ~80% of the samples are recognisable digits. The score is just under that of real
digits; FD > real-vs-real. The score can be gamed by mode collapse onto one good image per class, FD only
compares Gaussians fitted to features, and neither detects a copied training set.
(ii) -critic loss (penalty excluded) ~ W1 between data and model. Big drop early, plateau later, lots of noise:
useful as a trend, not as an early-stopping rule.
