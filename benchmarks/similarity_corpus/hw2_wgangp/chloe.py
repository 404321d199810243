#### cell: p3_costs
def _pairwise(a, b):
    return np.linalg.norm(a[:, None, :] - b[None, :, :], axis=-1)


def smoothing_costs(x, eps):
    target = x + eps
    mass = np.full(x.shape[0], 1 / x.shape[0])
    plan = ot.emd(mass, mass, _pairwise(x, target))
    emd = np.sum(plan * _pairwise(x, target))
    return float(emd), float(np.mean(np.linalg.norm(target - x, axis=1)))
#### cell: p4_linprog
def _marginal_constraints(n):
    eye, ones = np.eye(n), np.ones(n)
    return np.concatenate([np.kron(eye, ones[None]), np.kron(ones[None], eye)], axis=0)


def w1_linprog(p, q, C):
    n = len(p)
    out = linprog(np.ravel(C), A_eq=_marginal_constraints(n), b_eq=np.hstack((p, q)),
                  bounds=(0, None), method="highs-ds")
    if not out.success:
        raise RuntimeError(out.message)
    return float(out.fun), np.reshape(out.x, (n, n))
#### cell: p5_critic
class Critic(nn.Module):
    """WGAN critic for MNIST: images (N, 1, 28, 28) float32 -> scores (N,) float32. No BatchNorm."""

    def __init__(self, capacity=128):
        super().__init__()
        blocks = [ResidualBlock(1, capacity, stride=2, batchnorm=False)]
        blocks += [ResidualBlock(capacity, capacity, stride=s, batchnorm=False) for s in (2, 1, 1)]
        self.features = nn.Sequential(*blocks, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.score = nn.Linear(capacity, 1)

    def forward(self, x):
        return torch.squeeze(self.score(self.features(x)), dim=-1)
#### cell: p5_gradient_penalty
def _interpolates(a, b):
    w = torch.rand(a.shape[0], device=a.device).reshape(-1, *([1] * (a.dim() - 1)))
    return (w * a + (1 - w) * b).detach().requires_grad_(True)


def gradient_penalty(critic, x_real, x_fake):
    pts = _interpolates(x_real, x_fake)
    out = critic(pts)
    (g,) = torch.autograd.grad(out, pts, grad_outputs=torch.ones_like(out), create_graph=True)
    return torch.square(torch.linalg.vector_norm(g.reshape(len(g), -1), dim=1) - 1).mean()
#### cell: p5_report
Quality: legible digits in most cells of the grid, some artefacts. Score somewhat under the real-data score;
FD above the real/real reference. Caveats: the score rewards confident, class-balanced outputs (a
mode-collapsed generator with one sharp sample per class would max it out), the FD only matches first and
second moments of features, and neither measures memorisation. The critic's W1 estimate (loss without
penalty, sign flipped) falls then plateaus; too noisy per step to stop on; budget plus visual checks instead.
