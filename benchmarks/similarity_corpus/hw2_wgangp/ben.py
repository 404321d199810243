#### cell: p3_costs
def smoothing_costs(x, eps):
    n = x.shape[0]
    shifted = x + eps
    cost = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            cost[i, j] = np.sqrt(np.sum((x[i] - shifted[j]) ** 2))
    weights = np.ones(n) / n
    emd_value = ot.emd2(weights, weights, cost)
    total = 0.0
    for i in range(n):
        total = total + np.sqrt(np.sum(eps[i] ** 2))
    identity_cost = total / n
    return float(emd_value), float(identity_cost)
#### cell: p4_linprog
def w1_linprog(p, q, C):
    n = len(p)
    equality_rows = []
    right_hand_side = []
    for i in range(n):
        row = np.zeros(n * n)
        for j in range(n):
            row[i * n + j] = 1.0
        equality_rows.append(row)
        right_hand_side.append(p[i])
    for j in range(n):
        row = np.zeros(n * n)
        for i in range(n):
            row[i * n + j] = 1.0
        equality_rows.append(row)
        right_hand_side.append(q[j])
    cost_vector = C.reshape(n * n)
    solution = linprog(cost_vector, A_eq=np.array(equality_rows), b_eq=np.array(right_hand_side),
                       bounds=(0, None))
    plan = solution.x.reshape(n, n)
    value = solution.fun
    return float(value), plan
#### cell: p5_critic
class Critic(nn.Module):
    """WGAN critic for MNIST: images (N, 1, 28, 28) float32 -> scores (N,) float32. No BatchNorm."""

    def __init__(self, capacity=128):
        super().__init__()
        self.first_conv = nn.Conv2d(in_channels=1, out_channels=capacity, kernel_size=3, stride=1, padding=1)
        self.block1 = ResidualBlock(capacity, capacity, stride=2, batchnorm=False)
        self.block2 = ResidualBlock(capacity, capacity, stride=2, batchnorm=False)
        self.block3 = ResidualBlock(capacity, capacity, stride=1, batchnorm=False)
        self.block4 = ResidualBlock(capacity, capacity, stride=1, batchnorm=False)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.linear = nn.Linear(capacity, 1)

    def forward(self, x):
        out = self.first_conv(x)
        out = F.relu(out)
        out = self.block1(out)
        out = self.block2(out)
        out = self.block3(out)
        out = self.block4(out)
        out = self.pool(out)
        out = out.view(out.size(0), -1)
        out = self.linear(out)
        return out[:, 0]
#### cell: p5_gradient_penalty
def gradient_penalty(critic, x_real, x_fake):
    batch_size = x_real.size(0)
    epsilon = torch.rand(batch_size, 1, 1, 1, device=x_real.device)
    if x_real.dim() != 4:
        epsilon = epsilon.view(batch_size, *([1] * (x_real.dim() - 1)))
    mixed = epsilon * x_real.detach() + (1 - epsilon) * x_fake.detach()
    mixed.requires_grad_(True)
    critic_scores = critic(mixed)
    gradient = torch.autograd.grad(outputs=critic_scores, inputs=mixed,
                                   grad_outputs=torch.ones(critic_scores.size(), device=x_real.device),
                                   create_graph=True, retain_graph=True, only_inputs=True)[0]
    gradient = gradient.view(batch_size, -1)
    norm = torch.sqrt(torch.sum(gradient * gradient, dim=1))
    return torch.mean((norm - 1.0) ** 2)
#### cell: p5_report
(i) My samples after training are readable for most classes, a few are blurry or mixed. The classifier
score is close to the real images but below it, and the Frechet distance is small but still bigger than
for real against real. The classifier score could be fooled by a generator that outputs one good image for
each digit, and the Frechet distance only uses mean and covariance of features, so it can't see copying
of the training set.
(ii) E[D(x)] - E[D(G(z))] estimates W1. It decreases a lot at the start and then stays flat. It is
noisy so it is a weak stopping criterion; I stopped after the fixed number of epochs.
