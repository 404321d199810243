"""The grader draws a graded file's 1,000 samples 100 rows at a time (hw1's and hw2's ``generate_in_chunks``) and scores
them 100 at a time (``DRAW_CHUNK``), to keep a Gradescope grading within its memory: the images and the scores are the
ones the whole batch gives, bit for bit, so no grade moves.
"""
import pytest
import torch

from dgmlab import data, metrics
from homeworks.hw1_wgan import checks as hw1_checks
from homeworks.hw2_wgangp.checks import common as hw2_common


def _trained_looking(model: torch.nn.Module, seed: int) -> torch.nn.Module:
    """``model`` with its batch norms' running statistics drawn (as a trained one has), in eval mode."""
    gen = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.running_mean.copy_(0.1 * torch.randn(module.running_mean.shape, generator=gen))
            module.running_var.copy_(0.5 + torch.rand(module.running_var.shape, generator=gen))
    return model.eval()


@pytest.mark.parametrize("hw, make, z_dim", [
    ("hw1", hw1_checks.wgan_networks_generator, hw1_checks.Z_DIM),
    ("hw2", lambda: hw2_common.given_mnist_generator(capacity=32), hw2_common.SEED_DIM)])
def test_a_draw_in_chunks_is_the_whole_batchs_bit_for_bit(hw, make, z_dim):
    torch.manual_seed(0)
    generator = _trained_looking(make(), seed=1)
    z = torch.randn(1000, z_dim, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        whole, chunked = generator(z), hw1_checks.generate_in_chunks(generator, z)
    assert torch.equal(chunked, whole), f"{hw}: largest difference {float((chunked - whole).abs().max())}"


def test_the_chunks_cover_every_row_once():
    rows = hw2_common.generate_in_chunks(lambda z: z * 2, torch.arange(250.0).reshape(250, 1), chunk=100)
    assert torch.equal(rows, torch.arange(0.0, 500.0, 2.0).reshape(250, 1))


def test_the_classifier_scores_100_at_a_time_as_500_at_once():
    digits = data.mnist(train=False, scale="[-1,1]", source="sample").images[:200]
    noise = torch.rand(400, 1, 28, 28, generator=torch.Generator().manual_seed(3)) * 2 - 1
    x = torch.cat([digits, noise])
    chunk = hw1_checks.DRAW_CHUNK
    assert metrics.mnist_score(x, splits=1, batch_size=chunk, scale="[-1,1]") == \
        metrics.mnist_score(x, splits=1, batch_size=500, scale="[-1,1]")
    assert torch.equal(metrics.mnist_predict(x, batch_size=chunk, scale="[-1,1]"),
                       metrics.mnist_predict(x, batch_size=500, scale="[-1,1]"))
