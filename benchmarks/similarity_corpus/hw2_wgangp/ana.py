#### cell: p3_costs
def smoothing_costs(x, eps):
    y = x + eps
    M = ot.dist(x, y, metric="euclidean")
    a = ot.unif(len(x))
    return float(ot.emd2(a, a, M)), float(np.sqrt((eps ** 2).sum(1)).mean())
#### cell: p4_linprog
def w1_linprog(p, q, C):
    n = p.size
    A = np.zeros((2 * n, n * n))
    for i in range(n):
        A[i, i * n:(i + 1) * n] = 1
        A[n + i, i::n] = 1
    r = linprog(C.flatten(), A_eq=A, b_eq=np.r_[p, q], bounds=[(0, None)] * (n * n))
    return float(r.fun), r.x.reshape((n, n))
#### cell: p5_critic
class Critic(nn.Module):
    """WGAN critic for MNIST: images (N, 1, 28, 28) float32 -> scores (N,) float32. No BatchNorm."""

    def __init__(self, capacity=128):
        super().__init__()
        self.stem = nn.Conv2d(1, capacity, kernel_size=3, padding=1)
        self.res = nn.Sequential(ResidualBlock(capacity, stride=2, batchnorm=False),
                                 ResidualBlock(capacity, stride=2, batchnorm=False),
                                 ResidualBlock(capacity, batchnorm=False))
        self.out = nn.Linear(capacity * 7 * 7, 1)

    def forward(self, x):
        return self.out(self.res(F.relu(self.stem(x))).flatten(1)).view(-1)
#### cell: p5_gradient_penalty
def gradient_penalty(critic, x_real, x_fake):
    t = torch.rand([len(x_real)] + [1] * (x_real.ndim - 1), device=x_real.device)
    xm = torch.lerp(x_real, x_fake, t).detach().requires_grad_()
    g, = torch.autograd.grad(critic(xm).sum(), xm, create_graph=True)
    return g.flatten(1).norm(dim=1).sub(1).square().mean()
#### cell: p5_report
(i) The digits look mostly right but some strokes are broken; the classifier score is a little lower than for
real test images and the FD is larger than between two real halves. Both metrics look only at a classifier's
view of the images: a model producing one perfect digit per class scores very well, and neither number
notices memorised training images.
(ii) The negative critic loss without the penalty estimates the Wasserstein-1 distance; it drops fast and then
levels off, it is noisy, so I would not use it alone to decide when to stop.
