#### cell: q1_steps
def discriminative_step(W, F, prior_z, x, y, lr):
    weights = W.clone().detach()
    weights.requires_grad = True
    probabilities = torch.softmax(weights, dim=1)
    posterior = discriminative_posterior(probabilities, F, prior_z, x)
    n = len(y)
    total = 0.0
    for j in range(n):
        total = total - torch.log(posterior[j, y[j]])
    loss = total / n
    loss.backward()
    with torch.no_grad():
        new_weights = weights - lr * weights.grad
    return new_weights.detach(), loss.item()


def generative_step(V, F, x, y, lr):
    logits = V.clone().detach()
    logits.requires_grad = True
    p_z = torch.softmax(logits, dim=1)
    n = len(x)
    total = 0.0
    for j in range(n):
        matches = (F == x[j]).to(logits.dtype)
        total = total - torch.log(torch.sum(p_z[y[j]] * matches))
    loss = total / n
    loss.backward()
    with torch.no_grad():
        new_logits = logits - lr * logits.grad
    return new_logits.detach(), loss.item()
#### cell: q4_frechet
def frechet_gaussian(mu1, cov1, mu2, cov2):
    mu1 = np.array(mu1, dtype=np.float64)
    mu2 = np.array(mu2, dtype=np.float64)
    cov1 = np.array(cov1, dtype=np.float64)
    cov2 = np.array(cov2, dtype=np.float64)
    difference = mu1 - mu2
    mean_term = np.dot(difference, difference)
    eigenvalues, eigenvectors = np.linalg.eigh(cov1)
    eigenvalues[eigenvalues < 0] = 0
    sqrt_cov1 = eigenvectors @ np.diag(np.sqrt(eigenvalues)) @ eigenvectors.T
    product = sqrt_cov1 @ cov2 @ sqrt_cov1
    product = (product + product.T) / 2
    product_eigenvalues = np.linalg.eigvalsh(product)
    product_eigenvalues[product_eigenvalues < 0] = 0
    trace_sqrt = np.sum(np.sqrt(product_eigenvalues))
    result = mean_term + np.trace(cov1) + np.trace(cov2) - 2 * trace_sqrt
    return float(result)
#### cell: p2_coupling
class CouplingLayer(nn.Module):
    def __init__(self, dim, hidden, mask):
        super().__init__()
        self.register_buffer("mask", mask.float())
        self.scale_network = nn.Sequential(
            nn.Linear(dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, dim),
            nn.Tanh(),
        )
        self.translation_network = nn.Sequential(
            nn.Linear(dim, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, dim),
        )

    def forward(self, x):
        masked_input = x * self.mask
        scale = self.scale_network(masked_input) * (1 - self.mask)
        translation = self.translation_network(masked_input) * (1 - self.mask)
        output = masked_input + (1 - self.mask) * (x * torch.exp(scale) + translation)
        log_determinant = torch.sum(scale, dim=1)
        return output, log_determinant

    def inverse(self, z):
        masked_input = z * self.mask
        scale = self.scale_network(masked_input) * (1 - self.mask)
        translation = self.translation_network(masked_input) * (1 - self.mask)
        output = masked_input + (1 - self.mask) * ((z - translation) * torch.exp(-scale))
        return output
#### cell: p2_realnvp
class RealNVP(nn.Module):
    def __init__(self, dim, hidden, n_coupling):
        super().__init__()
        self.dim = dim
        first_mask = alternating_mask(dim)
        second_mask = 1 - first_mask
        layer_list = []
        for index in range(n_coupling):
            if index % 2 == 0:
                layer_list.append(CouplingLayer(dim, hidden, first_mask))
            else:
                layer_list.append(CouplingLayer(dim, hidden, second_mask))
        self.layers = nn.ModuleList(layer_list)

    def forward(self, x):
        log_determinant = torch.zeros(x.shape[0], device=x.device, dtype=x.dtype)
        current = x
        for layer in self.layers:
            current, layer_log_det = layer(current)
            log_determinant = log_determinant + layer_log_det
        return current, log_determinant

    def inverse(self, z):
        current = z
        for index in range(len(self.layers) - 1, -1, -1):
            current = self.layers[index].inverse(current)
        return current

    def log_prob(self, x):
        z, log_determinant = self.forward(x)
        log_normal = -0.5 * torch.sum(z * z, dim=1) - 0.5 * self.dim * np.log(2 * np.pi)
        return log_normal + log_determinant

    @torch.no_grad()
    def sample(self, n):
        p = next(self.parameters())
        return self.inverse(torch.randn(n, self.dim, dtype=p.dtype, device=p.device))
#### cell: q1_written
The risk is the average of minus the log of Q(y | x) over the data. Before training, for each data point x we
find all latent values z with F(z) = x by running the decoder over every z once. In each step we sample a
mini-batch, compute Q(y | x) from P_w(y | z) and the prior restricted to those z, take the mean of -log Q,
compute the gradient with respect to w (the decoder stays fixed), and update w with gradient descent.
We stop when the loss on held-out data no longer decreases.
