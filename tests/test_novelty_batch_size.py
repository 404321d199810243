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
