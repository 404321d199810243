#### cell: p1_discriminator
class Discriminator(nn.Module):
    def __init__(self, widths=(512, 256, 128), in_dim=784, dropout=0.3):
        super().__init__()
        layers = []
        n = in_dim
        for w in widths:
            layers.append(nn.Linear(n, w))
            layers.append(nn.LeakyReLU(0.2))
            layers.append(nn.Dropout(dropout))
            n = w
        layers.append(nn.Linear(n, 1))
        self.layers = nn.Sequential(*layers)
        print(self.layers)

    def forward(self, x):
        if x.dim() == 4:
            x = x.reshape(x.shape[0], 784)
        out = self.layers(x)
        return out
#### cell: p2_train_gan
def train_gan(generator, discriminator, g_opt, d_opt, loader, epochs, d_steps=1, progress=True):
    history = {"d_loss": [], "g_loss": []}
    device = next(generator.parameters()).device
    count = 0
    for e in range(epochs):
        if progress:
            print("epoch", e + 1, "of", epochs)
        for real, labels in tqdm(loader, disable=not progress):
            real = real.to(device)
            z = torch.randn(real.shape[0], generator.latent_dim).to(device)
            dl = discriminator_step(generator, discriminator, d_opt, real, z)
            history["d_loss"].append(dl)
            count += 1
            if count % d_steps == 0:
                z = torch.randn(real.shape[0], generator.latent_dim).to(device)
                gl = generator_step(generator, discriminator, g_opt, z)
                history["g_loss"].append(gl)
    return history
#### cell: p5_ot_primal
def ot_primal(v, w, C):
    v = np.array(v)
    w = np.array(w)
    C = np.array(C)
    k1, k2 = C.shape
    A = np.zeros((k1 + k2, k1 * k2))
    for i in range(k1):
        for j in range(k2):
            A[i, i * k2 + j] = 1
            A[k1 + j, i * k2 + j] = 1
    b = np.concatenate([v, w])
    res = linprog(C.reshape(-1), A_eq=A, b_eq=b)
    print(res.status)
    T = res.x.reshape(k1, k2)
    return float(res.fun), T
#### cell: p5_ot_dual
def ot_dual(v, w, C):
    v = np.array(v)
    w = np.array(w)
    C = np.array(C)
    k1, k2 = C.shape
    A = np.zeros((k1 * k2, k1 + k2))
    b = np.zeros(k1 * k2)
    for i in range(k1):
        for j in range(k2):
            A[i * k2 + j, i] = 1
            A[i * k2 + j, k1 + j] = 1
            b[i * k2 + j] = C[i, j]
    c = -np.concatenate([v, w])
    res = linprog(c, A_ub=A, b_ub=b, bounds=(None, None))
    print(res.status)
    phi = res.x[:k1]
    psi = res.x[k1:]
    return float(-res.fun), phi, psi
#### cell: p4a_derivation
We change variables in the second expectation so both terms are integrals over x. Then we can maximise
inside the integral for each x. Let a = p_data(x) and b = p_g(x). f(D) = a log(D) + b log(1-D).
f'(D) = a/D - b/(1-D) = 0 so a - aD = bD and D = a/(a+b). f''(D) = -a/D^2 - b/(1-D)^2 < 0 so it is a maximum.
So D* = p_data/(p_data + p_g). If a = b = 0 then D does not matter.
