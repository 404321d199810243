"""dgmlab.novelty cleans 250 images and compares 64 at a time with the 70,000 digits (less memory than 5,000 and 256):
the cleaned images and the copy report are the same for any batch size, so no grade that reads them moves."""
import numpy as np
import torch

from dgmlab import data, novelty


def test_the_copy_report_does_not_depend_on_the_batch_size():
    digits = data.mnist(train=False, scale="[-1,1]", source="sample").images[:40]
    noise = torch.rand(60, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    x = torch.cat([digits, noise])
    small, large = (novelty.find_copies(x, scale="[-1,1]", batch_size=size) for size in (64, 256))
    assert small.n_copies == large.n_copies >= 40
    for field in ("distance", "ratio", "nearest", "copied", "turned", "turned_ratio"):
        assert np.array_equal(getattr(small, field), getattr(large, field)), field


def test_cleaned_images_do_not_depend_on_the_batch_size():
    x = torch.rand(300, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    assert torch.equal(novelty.clean(x, "[0,1]", batch_size=250), novelty.clean(x, "[0,1]", batch_size=5000))


def test_the_digits_compared_a_block_at_a_time_give_each_samples_best_two_of_all_70000(monkeypatch):
    """The best two of each block of digits, then of those, are the best two of all (a block smaller than the index
    here, so a sample's nearest and second nearest can fall in different blocks); a digit a sample may not use
    (``exclude``) is left out in whichever block it is."""
    index = novelty._shipped_index()
    q = torch.randn(50, index.coords_t.shape[0], generator=torch.Generator().manual_seed(2)) * 3
    exclude = np.arange(0, 70_000, 1_400)[:50]
    full = torch.cdist(q.double(), index.coords_t.T.double())  # (50, 70000)
    full[torch.arange(50), torch.as_tensor(exclude)] = float("inf")
    want, rows = torch.topk(full, 2, dim=1, largest=False)
    monkeypatch.setattr(novelty, "DIGITS_A_BLOCK", 1_000)
    d1, d2, nearest = novelty._two_nearest(q, index, exclude, batch_size=16)
    assert np.allclose(d1, want[:, 0].numpy(), atol=1e-3) and np.allclose(d2, want[:, 1].numpy(), atol=1e-3)
    assert np.array_equal(nearest, rows[:, 0].numpy())
