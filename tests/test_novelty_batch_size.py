"""dgmlab.novelty compares 64 samples at a time with the 70,000 digits (less memory than 256 at once): the copy report
is the same for any batch size, so no grade that reads it moves."""
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
