#### cell: p1_discriminator
class Discriminator(nn.Module):
    def __init__(self, widths=(512, 256, 128), in_dim=784, dropout=0.3):
        super().__init__()
        self.layers = nn.ModuleList()
        previous = in_dim
        for w in widths:
            self.layers.append(nn.Linear(previous, w))
            self.layers.append(nn.LeakyReLU(negative_slope=0.2))
            self.layers.append(nn.Dropout(p=dropout))
            previous = w
        self.final = nn.Linear(previous, 1)

    def forward(self, x):
        batch = x.shape[0]
        out = x.view(batch, -1)
        for layer in self.layers:
            out = layer(out)
        out = self.final(out)
        return out
#### cell: p2_train_gan
def train_gan(generator, discriminator, g_opt, d_opt, loader, epochs, d_steps=1, progress=True):
    device = next(generator.parameters()).device
    d_losses = []
    g_losses = []
    counter = 0
    if progress:
        progress_bar = tqdm(total=epochs * len(loader))
    for epoch in range(epochs):
        for batch in loader:
            images = batch[0]
            images = images.to(device)
            batch_size = images.shape[0]
            noise = torch.randn(batch_size, generator.latent_dim, device=device)
            d_loss = discriminator_step(generator, discriminator, d_opt, images, noise)
            d_losses.append(d_loss)
            counter = counter + 1
            if counter % d_steps == 0:
                noise = torch.randn(batch_size, generator.latent_dim, device=device)
                g_loss = generator_step(generator, discriminator, g_opt, noise)
                g_losses.append(g_loss)
            if progress:
                progress_bar.update(1)
    if progress:
        progress_bar.close()
    return {"d_loss": d_losses, "g_loss": g_losses}
#### cell: p5_ot_primal
def ot_primal(v, w, C):
    v = np.array(v, dtype=np.float64)
    w = np.array(w, dtype=np.float64)
    C = np.array(C, dtype=np.float64)
    k1 = len(v)
    k2 = len(w)
    A = []
    b = []
    for i in range(k1):
        row = np.zeros((k1, k2))
        row[i, :] = 1
        A.append(row.flatten())
        b.append(v[i])
    for j in range(k2):
        row = np.zeros((k1, k2))
        row[:, j] = 1
        A.append(row.flatten())
        b.append(w[j])
    result = linprog(C.flatten(), A_eq=np.array(A), b_eq=np.array(b), bounds=(0, None), method="highs")
    T = result.x.reshape((k1, k2))
    return float(result.fun), T
#### cell: p5_ot_dual
def ot_dual(v, w, C):
    v = np.array(v, dtype=np.float64)
    w = np.array(w, dtype=np.float64)
    C = np.array(C, dtype=np.float64)
    k1 = len(v)
    k2 = len(w)
    A = []
    b = []
    for i in range(k1):
        for j in range(k2):
            row = np.zeros(k1 + k2)
            row[i] = 1
            row[k1 + j] = 1
            A.append(row)
            b.append(C[i, j])
    objective = -np.concatenate([v, w])
    result = linprog(objective, A_ub=np.array(A), b_ub=np.array(b), bounds=[(None, None)] * (k1 + k2))
    phi = result.x[:k1]
    psi = result.x[k1:]
    return float(-result.fun), phi, psi
#### cell: p4a_derivation
The value function is an integral over x of p_data(x) log D(x) + p_g(x) log(1 - D(x)) after the change of
variables x = G(z). The discriminator can be any function, so we can maximise the integrand for every x on its
own. Setting the derivative p_data/D - p_g/(1 - D) to zero gives D = p_data/(p_data + p_g), and the second
derivative is negative, so this is the maximum. If p_data + p_g = 0 at some x the choice does not matter.
