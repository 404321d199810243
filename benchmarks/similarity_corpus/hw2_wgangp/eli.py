#### cell: p3_costs
def smoothing_costs(x, eps):
    n = len(x)
    y = x + eps
    M = ot.dist(x, y)
    M = np.sqrt(M)
    a = np.ones(n) / n
    b = np.ones(n) / n
    emd = ot.emd2(a, b, M)
    identity_cost = 0
    for i in range(n):
        identity_cost += np.linalg.norm(eps[i]) / n
    print("emd", emd, "identity", identity_cost)
    return float(emd), float(identity_cost)
#### cell: p4_linprog
def w1_linprog(p, q, C):
    n = len(p)
    A_rows = np.zeros((n, n * n))
    A_cols = np.zeros((n, n * n))
    for i in range(n):
        for j in range(n):
            A_rows[i, i * n + j] = 1
            A_cols[j, i * n + j] = 1
    A = np.concatenate([A_rows, A_cols])
    b = np.concatenate([p, q])
    c = C.reshape(-1)
    result = linprog(c, A_eq=A, b_eq=b)
    print(result.message)
    value = result.fun
    plan = result.x.reshape(n, n)
    return float(value), plan
#### cell: p5_critic
class Critic(nn.Module):
    """WGAN critic for MNIST: images (N, 1, 28, 28) float32 -> scores (N,) float32. No BatchNorm."""

    def __init__(self, capacity=128):
        super().__init__()
        self.conv = nn.Conv2d(1, capacity, 3, 1, 1)
        self.r1 = ResidualBlock(capacity, stride=2, batchnorm=False)
        self.r2 = ResidualBlock(capacity, stride=2, batchnorm=False)
        self.r3 = ResidualBlock(capacity, batchnorm=False)
        self.lin = nn.Linear(capacity, 1)

    def forward(self, x):
        x = self.conv(x)
        x = F.relu(x)
        x = self.r1(x)
        x = self.r2(x)
        x = self.r3(x)
        x = x.mean(dim=3)
        x = x.mean(dim=2)
        x = self.lin(x)
        x = x.reshape(-1)
        return x
#### cell: p5_gradient_penalty
def gradient_penalty(critic, x_real, x_fake):
    N = x_real.shape[0]
    alpha = torch.rand(N, 1, 1, 1)
    alpha = alpha.to(x_real.device)
    if len(x_real.shape) == 2:
        alpha = alpha.reshape(N, 1)
    x_hat = alpha * x_real + (1 - alpha) * x_fake
    x_hat = x_hat.detach()
    x_hat.requires_grad = True
    out = critic(x_hat)
    grads = torch.autograd.grad(out.sum(), x_hat, create_graph=True)
    grad = grads[0]
    grad = grad.reshape(N, -1)
    norms = grad.norm(2, dim=1)
    penalty = (norms - 1) ** 2
    return penalty.mean()
#### cell: p5_report
(i) The samples look like digits but some are not clear. The score is a bit lower than the score of real
test digits and the FD is bigger than the real vs real FD. The score can be high even if the generator only
makes one image per digit. FD only looks at mean and covariance so it can miss details and it can't tell
if the generator copied training images.
(ii) The critic loss without the penalty with a minus sign is the estimate of the Wasserstein distance. It goes
down quickly then stays almost constant. It is noisy, so it is not a good way to know when to stop.
