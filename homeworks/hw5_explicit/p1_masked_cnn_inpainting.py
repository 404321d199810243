# %% [markdown]
# ## P1 (25 points): Inpainting binarised MNIST with a masked CNN
#
# An autoregressive model factorises an image in **raster order** (row by row, left to right),
# $p(x) = \prod_i p(x_i \mid x_{<i})$. A masked CNN (PixelCNN, van den Oord et al., 2016) computes every
# conditional in one pass by zeroing the kernel taps that would see the current pixel or later ones: mask
# **A** in the first layer (the centre hidden too: pixel $i$ must not see itself), mask **B** after it (the
# centre feature then only summarises earlier pixels). For a $5\times5$ kernel:
# $$\text{A} = \begin{bmatrix}1&1&1&1&1\\1&1&1&1&1\\1&1&0&0&0\\0&0&0&0&0\\0&0&0&0&0\end{bmatrix},\qquad
#   \text{B} = \begin{bmatrix}1&1&1&1&1\\1&1&1&1&1\\1&1&1&0&0\\0&0&0&0&0\\0&0&0&0&0\end{bmatrix}.$$
# Pixels are binary (MNIST thresholded at 0.5), so each conditional is a Bernoulli whose logit the network
# outputs. **Inpainting** samples the hidden pixels one at a time in raster order, each conditioned on
# everything before it.
#
# **(5 points)** The masked convolution: build the mask once, as a buffer, and apply it in every forward pass, so
# that the layer stays masked whatever weights it is given later (set by hand or loaded from a file).

# %% kind="answer" grade_id="p1_masked_conv"
class MaskedConv2d(nn.Conv2d):
    """A 'same'-padded square convolution that only sees pixels before the centre in raster order.

    mask_type 'A' (first layer): kernel taps at the centre and after it are zero.
    mask_type 'B' (later layers): the centre tap is kept, taps after it are zero.
    Images have one channel here, so the mask is the same for every (out, in) channel pair.
    Input (N, in_channels, H, W) float32 -> output (N, out_channels, H, W) float32.
    The mask must act in every forward pass (the weights change during training). Keep it in a buffer
    named `mask` of shape (1, 1, kernel_size, kernel_size): the weights file you hand in is read by these names.
    """

    def __init__(self, mask_type, in_channels, out_channels, kernel_size):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        if mask_type not in ("A", "B"):
            raise ValueError(f"mask_type must be 'A' or 'B', got {mask_type!r}")
        self.mask_type = mask_type
        ### BEGIN SOLUTION
        k, c = kernel_size, kernel_size // 2
        mask = torch.ones(k, k)
        mask[c, c + (1 if mask_type == "B" else 0):] = 0   # the centre row, from the centre (A) or after it (B)
        mask[c + 1:, :] = 0                                 # every row below the centre
        self.register_buffer("mask", mask[None, None])
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)
        ### END SOLUTION


# %% kind="tests" grade_id="p1_masked_conv_tests"
from dgmlab.probes import check
check("p1_masked_conv_tests", MaskedConv2d)


# %% [markdown]
# **(5 points)** The model. It must be **causal as a whole**: the logit at pixel $(i, j)$ may depend only on
# pixels strictly before $(i, j)$ in raster order. Build exactly the docstring's stack and register its layers in
# that order, so that `parameters()` lists them in that order and given parameters load into it.

# %% kind="answer" grade_id="p1_model"
class PixelCNN(nn.Module):
    """A masked CNN for binary images: logits of p(x_ij = 1 | pixels before (i, j) in raster order).

    Layers: MaskedConv2d('A', 1, channels, 7) and ReLU; then n_layers times
    [MaskedConv2d('B', channels, channels, kernel_size) and ReLU]; then MaskedConv2d('B', channels, 1, 1).
    Keep these layers, in this order, in self.net = nn.Sequential(...) (the weights file you hand in is read
    by these names).
    forward: x (N, 1, H, W) float32 in {0, 1} -> logits (N, 1, H, W) float32 (any H, W).
    """

    def __init__(self, channels=64, n_layers=5, kernel_size=7):
        super().__init__()
        ### BEGIN SOLUTION
        layers = [MaskedConv2d("A", 1, channels, 7), nn.ReLU()]
        for _ in range(n_layers):
            layers += [MaskedConv2d("B", channels, channels, kernel_size), nn.ReLU()]
        layers.append(MaskedConv2d("B", channels, 1, 1))
        self.net = nn.Sequential(*layers)
        ### END SOLUTION

    def forward(self, x):
        ### BEGIN SOLUTION
        return self.net(x)
        ### END SOLUTION


# %% kind="tests" grade_id="p1_model_tests"
from dgmlab.probes import check
check("p1_model_tests", PixelCNN)


# %% [markdown]
# **(4 points)** The training loss: each image's negative log-likelihood in nats, summed over its pixels.
# Work from logits, not probabilities, so that confident predictions stay finite.

# %% kind="answer" grade_id="p1_nll"
def bernoulli_nll(logits, x):
    """Negative log-likelihood of binary images under independent Bernoulli pixels, in nats.

    logits: (N, 1, H, W) float tensor, log-odds of each pixel being 1 (any finite value).
    x:      (N, 1, H, W) float tensor in {0, 1}.
    Returns (N,) float tensor: -sum over pixels of log p(x_ij), finite even for very large |logits|.
    """
    ### BEGIN SOLUTION
    return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(dim=1)
    ### END SOLUTION


# %% kind="tests" grade_id="p1_nll_tests"
from dgmlab.probes import check
check("p1_nll_tests", bernoulli_nll)


# %% [markdown]
# **(6 points)** Inpainting: copy the visible pixels, then sample each hidden one in raster order from the
# model's conditional given the canvas so far (`torch.bernoulli`, not a threshold). The hidden pixels of
# `x` must play no role: a real user would not have them.

# %% kind="answer" grade_id="p1_inpaint"
@torch.no_grad()
def inpaint(model, x, visible):
    """Fill in the hidden pixels of binary images by autoregressive sampling.

    model:   maps (N, 1, H, W) float images to (N, 1, H, W) logits of p(x_ij = 1 | earlier pixels).
    x:       (N, 1, H, W) float tensor in {0, 1}; its hidden pixels must not be looked at.
    visible: (N, 1, H, W) bool tensor, True where the pixel is known.
    Returns (N, 1, H, W) float tensor: the visible pixels of x unchanged, and every hidden pixel
    sampled in raster order from Bernoulli(sigmoid(logit)), conditioned on all pixels before it
    (known or already sampled).
    """
    ### BEGIN SOLUTION
    canvas = torch.where(visible, x, torch.zeros_like(x))
    H, W = x.shape[-2:]
    for i in range(H):
        for j in range(W):
            hidden = ~visible[:, :, i, j]
            if not hidden.any():
                continue
            p = torch.sigmoid(model(canvas)[:, :, i, j])
            sample = torch.bernoulli(p)
            canvas[:, :, i, j] = torch.where(hidden, sample, canvas[:, :, i, j])
    return canvas
    ### END SOLUTION


# %% kind="tests" grade_id="p1_inpaint_tests"
from dgmlab.probes import check
check("p1_inpaint_tests", inpaint)

# %% [markdown]
# ### Training and inpainting binarised MNIST
#
# Full settings (GPU): the whole training set, `PixelCNN()` (64 channels, 5 mask-B layers of $7\times7$),
# Adam at $10^{-3}$, batch 128, 10 epochs; the test NLL is in nats per image. The training cell saves a
# checkpoint every epoch, so running it again after a disconnect resumes (`P1_RETRAIN = True` starts over).
# With the full settings it ends by writing **`p1_pixelcnn_weights.pt`**, the file to hand in.

# %% locked=true grade_id="p1_config"
P1 = dict(
    n_train=runtime.pick(full=None, fast=512),
    n_test=runtime.pick(full=None, fast=128),
    channels=runtime.pick(full=64, fast=8),
    n_layers=runtime.pick(full=5, fast=1),
    kernel_size=runtime.pick(full=7, fast=3),
    epochs=runtime.pick(full=10, fast=1),
    max_steps=runtime.pick(full=None, fast=30),
    batch_size=runtime.pick(full=128, fast=32),
    lr=1e-3,
)
P1


# %% locked=true grade_id="p1_train" uses_answers=true
def evaluate_nll(model, images, batch_size=500):
    """Mean test NLL in nats per image (images (N, 1, 28, 28) in {0, 1})."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for k in range(0, len(images), batch_size):
            xb = images[k:k + batch_size].to(device)
            total += float(bernoulli_nll(model(xb), xb).sum())
    model.train()
    return total / len(images)


from dgmlab import artifacts
from dgmlab.checkpoint import Checkpoint

P1_RETRAIN = False   # True: train again from the start, replacing the checkpoint

if not runtime.is_grading():
    runtime.seed_everything(runtime.run_seed())  # starting weights of this run's own
    train_bin = dgmlab.data.mnist(train=True, scale="binary", n=P1["n_train"])
    test_bin = dgmlab.data.mnist(train=False, scale="binary", n=P1["n_test"])
    print(f"binarised MNIST ({train_bin.source}): {len(train_bin)} train, {len(test_bin)} test images")
    pixelcnn = PixelCNN(P1["channels"], P1["n_layers"], P1["kernel_size"]).to(device)
    optimizer = torch.optim.Adam(pixelcnn.parameters(), lr=P1["lr"])
    scaler = runtime.grad_scaler()   # mixed precision on a GPU (the loss in float32); nothing on a CPU
    # a checkpoint after every epoch: running the cell again resumes; a finished run is loaded, not retrained
    ckpt = Checkpoint(runtime.pick(full="checkpoints/p1_pixelcnn.pt", fast="checkpoints/p1_pixelcnn_fast.pt"),
                      epochs=P1["epochs"], pixelcnn=pixelcnn, optimizer=optimizer, scaler=scaler,
                      config=dict(P1, data=train_bin, code=[bernoulli_nll]))
    done, p1_losses = ckpt.resume([], retrain=P1_RETRAIN)
    step = len(p1_losses)
    for epoch in range(done, P1["epochs"]):
        for xb, _ in tqdm(train_bin.loader(P1["batch_size"], seed=epoch), desc=f"PixelCNN epoch {epoch + 1}"):
            xb = xb.to(device)
            with runtime.autocast():
                logits = pixelcnn(xb)
            loss = bernoulli_nll(logits.float(), xb).mean()
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            p1_losses.append(loss.item())
            step += 1
            if P1["max_steps"] and step >= P1["max_steps"]:
                break
        ckpt.save(epoch + 1, p1_losses)
    p1_test_nll = evaluate_nll(pixelcnn, test_bin.images)
    print(f"test NLL: {p1_test_nll:.1f} nats per image ({p1_test_nll / 784 / math.log(2):.4f} bits per pixel)")
    if runtime.mode() == "full":   # the graded file: float16 state dict, written atomically
        dgmlab.workspace.saved(artifacts.save_weights(pixelcnn, "p1_pixelcnn_weights.pt"), graded=True)
    else:
        print("no weights saved: only the full settings write p1_pixelcnn_weights.pt (30 steps of a 1-layer network, "
              "as here, may not yet beat an untrained one)")
    plots.loss_curves({"train NLL (nats/image)": p1_losses}, title="PixelCNN training", ylabel="nats",
                      smooth=10, save=FIGURES / "p1_loss.png")
    plt.show()

# %% [markdown]
# Inpaint the lower half of ten test digits: originals, what the model sees (hidden part grey), completions.

# %% locked=true grade_id="p1_inpaint_demo" uses_answers=true
if not runtime.is_grading():
    runtime.seed_everything(1)
    originals = test_bin.images[:10].to(device)
    visible = torch.ones_like(originals, dtype=torch.bool)
    visible[:, :, 14:] = False
    pixelcnn.eval()
    completions = inpaint(pixelcnn, originals, visible)
    shown = torch.where(visible, originals, torch.full_like(originals, 0.5))
    plots.image_grid(torch.cat([originals, shown, completions]).cpu(), nrow=10,
                     title="original / lower half hidden / inpainted", save=FIGURES / "p1_inpainting.png")
    plt.show()

# %% [markdown]
# ### Your trained PixelCNN (3 points)
#
# Hand in `p1_pixelcnn_weights.pt`, which the training cell writes after its 10 epochs with the full settings,
# unchanged: the weights of the stated `PixelCNN()`, with its masks as that architecture builds them. The network
# must be causal and trained to the end: a full run gives about 61.5 nats per image on MNIST test digits (one
# epoch: 69.5; untrained: about 520) and predicts about 96.5% of the pixels of training digits right from the
# pixels before them (untrained: 87%). The cell below measures both on 100 digits.

# %% kind="tests" grade_id="p1_weights_tests"
from dgmlab.probes import check
check("p1_weights_tests")  # reads p1_pixelcnn_weights.pt from the homework folder

# %% [markdown]
# **P1 results (2 points, written).** Report your test NLL (nats per image) and the binarisation your data used
# (the 81.3 nats that van den Oord et al. report for a PixelCNN in "Pixel Recurrent Neural Networks", 2016, come
# from another binarisation, so the two numbers are not comparable). Describe the completions: plausible digits, consistent with the visible top half, where they
# fail. Why can a masked CNN with $3\times3$ or $7\times7$ kernels miss some earlier pixels (the "blind spot")?

# %% [markdown] kind="written" grade_id="p1_results" points=2
# A good answer reports a test NLL of about 62 nats per image after the full 10 epochs (the reference's full
# runs: 61.9 on the 10,000 test digits, 61.5 and 62.0 on the 100 grading digits, where the bar is 65; one epoch
# gives about 69.5), names the binarisation, a fixed threshold at 0.5 (easier to model than the paper's
# stochastic binarisation), and says the completions continue the
# visible strokes into plausible digits, sometimes a different digit class than the original (the top
# half is ambiguous: 7 vs 9, 3 vs 5), with occasional broken strokes far from the boundary. Blind spot:
# stacking masked kernels grows the receptive field up and to the left, but pixels to the upper right of
# the current one beyond the kernel's reach are never seen (the receptive field is a skewed triangle);
# gated PixelCNN fixes this with separate vertical and horizontal stacks. Marks (the NLL itself is graded
# from the saved weights above): figure described honestly, with the NLL and binarisation (1), blind spot (1).
# The NLL mark is for the number the student's own full run printed, not for its closeness to the reference's.
