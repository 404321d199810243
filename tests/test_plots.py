import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

from dgmlab import plots  # noqa: E402


def test_image_grid_10x10_saves_png(tmp_path):
    fig = plots.image_grid(torch.rand(100, 1, 28, 28) * 2 - 1, title="samples", save=tmp_path / "g" / "grid.png")
    assert (tmp_path / "g" / "grid.png").read_bytes()[:4] == b"\x89PNG"
    image = fig.axes[0].images[0].get_array()
    assert image.shape[0] == image.shape[1]  # 10 rows x 10 columns of equal tiles


def test_image_grid_accepts_flat_mnist_and_rgb():
    plots.image_grid(torch.rand(8, 784))
    plots.image_grid(torch.rand(8, 3, 32, 32), nrow=4)


def test_image_grid_rejects_bad_shape():
    with pytest.raises(ValueError, match="shape"):
        plots.image_grid(torch.rand(5))


def test_to_numpy_maps_minus_one_one_to_unit_range():
    x = plots.to_numpy_images(torch.tensor([-1.0, 1.0]).view(1, 1, 1, 2))
    assert x.min() == 0.0 and x.max() == 1.0


def test_interpolation_strip_shape(tmp_path):
    fig = plots.interpolation_strip(torch.rand(3, 8, 1, 28, 28), save=tmp_path / "strip.png")
    assert (tmp_path / "strip.png").exists() and fig is not None


def test_loss_curves(tmp_path):
    fig = plots.loss_curves({"critic": [1, 2, 3, 2, 1] * 10, "generator": range(50)}, smooth=5,
                            save=tmp_path / "loss.png")
    assert len(fig.axes[0].get_legend().get_texts()) == 2


def test_loss_curves_need_a_curve():
    with pytest.raises(ValueError):
        plots.loss_curves({})
