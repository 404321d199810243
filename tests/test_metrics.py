"""dgmlab.metrics: IS and Fréchet distance against hand-computed cases, input checks,
the shipped MNIST classifier (SHA-256, real-data scores) and the offline Inception path."""
import math
import shutil
import socket
import time

import numpy as np
import pytest
import torch

from conftest import shared_data_env
from dgmlab import metrics
from dgmlab.data import load_sample
from dgmlab.metrics import (
    AssetError,
    MetricUnavailable,
    frechet_distance,
    gaussian_stats,
    inception_score,
    mnist_frechet_distance,
    mnist_images,
    mnist_predict,
    mnist_score,
)


def _random_cov(d, seed, rank=None):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(d, rank or d))
    return a @ a.T / (rank or d)


def _rotation(d, seed):
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return q


# ----------------------------------------------------------------- inception_score
def test_is_of_one_hot_rows_over_k_classes_is_k():
    probs = np.tile(np.eye(4), (2, 1))  # each of the 2 splits holds every class once
    assert inception_score(probs, splits=2) == pytest.approx((4.0, 0.0), abs=1e-12)


def test_is_of_identical_rows_is_one():
    probs = np.tile([[0.2, 0.3, 0.5]], (10, 1))
    assert inception_score(probs, splits=10) == pytest.approx((1.0, 0.0), abs=1e-12)


def test_is_matches_hand_computed_two_row_case():
    # marginal (3/4, 1/4); KL rows: log(4/3) and log(4/3)/2 -> IS = (4/3)^(3/4)
    mean, std = inception_score(np.array([[1.0, 0.0], [0.5, 0.5]]), splits=1)
    assert mean == pytest.approx((4 / 3) ** 0.75, rel=1e-12)
    assert std == 0.0


def test_is_uses_each_splits_own_marginal():
    # split 1 all class 0, split 2 all class 1: each split scores 1 (a global marginal would give 2)
    probs = np.array([[1.0, 0.0]] * 3 + [[0.0, 1.0]] * 3)
    assert inception_score(probs, splits=2) == pytest.approx((1.0, 0.0), abs=1e-12)


def test_is_std_is_over_split_scores():
    probs = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.5, 0.5]])  # split scores 2 and 1
    assert inception_score(probs, splits=2) == pytest.approx((1.5, 0.5), abs=1e-12)


def test_is_accepts_torch_and_numpy_alike():
    probs = torch.softmax(torch.randn(50, 10, generator=torch.Generator().manual_seed(0)), dim=1)
    assert inception_score(probs, splits=5) == pytest.approx(inception_score(probs.numpy(), splits=5), rel=1e-6)


def test_is_rejects_logits_and_says_softmax():
    with pytest.raises(ValueError, match="softmax"):
        inception_score(torch.randn(20, 10), splits=2)


def test_is_rejects_fewer_rows_than_splits():
    with pytest.raises(ValueError, match="splits=10"):
        inception_score(np.eye(3), splits=10)


# ----------------------------------------------------------------- gaussian_stats
def test_gaussian_stats_hand_case_in_float64():
    mu, cov = gaussian_stats(torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]]))
    assert mu.dtype == np.float64 and cov.dtype == np.float64
    np.testing.assert_allclose(mu, [1.0, 1.0])
    np.testing.assert_allclose(cov, [[4 / 3, 0.0], [0.0, 4 / 3]])  # unbiased (N - 1)


# ----------------------------------------------------------------- frechet_distance
def test_fd_is_zero_for_identical_stats():
    cov = _random_cov(16, 0)
    mu = np.random.default_rng(1).normal(size=16)
    assert frechet_distance(mu, cov, mu, cov) == pytest.approx(0.0, abs=1e-9)


def test_fd_is_symmetric():
    mu1, mu2 = np.zeros(12), np.full(12, 0.3)
    c1, c2 = _random_cov(12, 2), _random_cov(12, 3)
    assert frechet_distance(mu1, c1, mu2, c2) == pytest.approx(frechet_distance(mu2, c2, mu1, c1), rel=1e-10)


def test_fd_one_dimensional_hand_case():
    # (0 - 3)^2 + (sqrt(1) - sqrt(4))^2 = 10
    assert frechet_distance([0.0], [[1.0]], [3.0], [[4.0]]) == pytest.approx(10.0, rel=1e-12)


def test_fd_closed_form_for_commuting_covariances():
    q = _rotation(6, 4)
    a, b = np.array([1.0, 2.0, 3.0, 0.5, 4.0, 9.0]), np.array([4.0, 2.0, 0.25, 0.5, 1.0, 1.0])
    mu1, mu2 = np.arange(6.0), np.arange(6.0)[::-1]
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    got = frechet_distance(mu1, q @ np.diag(a) @ q.T, mu2, q @ np.diag(b) @ q.T)
    assert got == pytest.approx(expected, rel=1e-10)


def test_fd_matches_sqrtm_formula_on_well_conditioned_case():
    from scipy.linalg import sqrtm

    c1, c2 = _random_cov(8, 5), _random_cov(8, 6)
    mu1, mu2 = np.zeros(8), np.ones(8)
    classic = 8.0 + np.trace(c1) + np.trace(c2) - 2 * np.trace(sqrtm(c1 @ c2)).real
    assert frechet_distance(mu1, c1, mu2, c2) == pytest.approx(classic, rel=1e-8)


def test_fd_near_singular_is_real_finite_and_exact():
    # singular and round-off-negative eigenvalues, commuting, so the closed form is known
    q = _rotation(5, 7)
    a = np.array([0.0, -1e-17, 1e-14, 2.0, 1.0])
    b = np.array([1.0, 0.0, 1e-16, 2.0, 0.0])
    got = frechet_distance(np.zeros(5), q @ np.diag(a) @ q.T, np.zeros(5), q @ np.diag(b) @ q.T)
    expected = np.sum((np.sqrt(np.clip(a, 0, None)) - np.sqrt(b)) ** 2)
    assert isinstance(got, float) and math.isfinite(got)
    assert got == pytest.approx(expected, abs=1e-6)


def test_fd_rank_deficient_sample_covariances_are_real_and_finite():
    rng = np.random.default_rng(8)
    mu1, c1 = gaussian_stats(rng.normal(size=(10, 64)))  # rank 9 in 64 dimensions
    mu2, c2 = gaussian_stats(rng.normal(size=(10, 64)) + 0.1)
    d12, d21 = frechet_distance(mu1, c1, mu2, c2), frechet_distance(mu2, c2, mu1, c1)
    assert isinstance(d12, float) and math.isfinite(d12) and d12 > 0
    assert d12 == pytest.approx(d21, rel=1e-8)


def test_fd_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"cov2 must have shape \(3, 3\)"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), np.eye(4))


# ----------------------------------------------------------------- image checks
def _digits(n=8):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(0))


def test_images_in_minus_one_one_are_mapped_to_zero_one():
    x = _digits()
    torch.testing.assert_close(mnist_images(2 * x - 1), x, atol=1e-6, rtol=0)


def test_flat_images_equal_square_images():
    x = _digits()
    torch.testing.assert_close(mnist_images(x.view(8, 784)), mnist_images(x))


def test_images_that_need_grad_are_accepted_detached():
    out = mnist_images(_digits().requires_grad_())
    assert not out.requires_grad


def test_images_in_0_255_are_rejected_with_divide_hint():
    with pytest.raises(ValueError, match="divide by 255"):
        mnist_images(_digits() * 255)


def test_images_outside_both_ranges_are_rejected():
    with pytest.raises(ValueError, match=r"range over \[-3.*\[0, 1\].*\[-1, 1\]"):
        mnist_images(_digits() * 6 - 3)


def test_images_of_wrong_shape_are_rejected_with_the_shapes_to_pass():
    with pytest.raises(ValueError, match=r"\(8, 28, 28\).*\(N, 1, 28, 28\) or \(N, 784\)"):
        mnist_images(_digits().view(8, 28, 28))


def test_images_with_nan_are_rejected():
    x = _digits()
    x[3, 0, 5, 5] = float("nan")
    with pytest.raises(ValueError, match=r"NaN or inf \(1 of 8 images\)"):
        mnist_images(x)


def test_explicit_scale_overrides_detection():
    x = _digits()  # all >= 0, so detection says [0,1]; the caller says [-1,1]
    torch.testing.assert_close(mnist_images(x, scale="[-1,1]"), (x + 1) / 2)


# ----------------------------------------------------------------- shipped classifier
ASSET_DIR = metrics._asset(metrics.CLASSIFIER_FILE).parent


def test_shipped_weights_are_small_and_match_their_sha256():
    path = ASSET_DIR / metrics.CLASSIFIER_FILE
    assert path.stat().st_size < 1_000_000
    assert metrics.verify_asset(path) == path
    assert metrics.verify_asset(ASSET_DIR / metrics.STATS_FILE)


def test_reference_stats_belong_to_the_shipped_classifier():
    with np.load(ASSET_DIR / metrics.STATS_FILE) as z:
        assert str(z["classifier_sha256"]) == metrics.file_sha256(ASSET_DIR / metrics.CLASSIFIER_FILE)
        assert int(z["n"]) == 10_000
    mu, cov = metrics.load_reference_stats()
    assert mu.shape == (metrics.FEATURE_DIM,) and cov.shape == (metrics.FEATURE_DIM,) * 2
    assert mu.dtype == np.float64


def test_corrupt_weights_give_an_error_naming_the_file_and_the_fix(tmp_path):
    for name in (metrics.CLASSIFIER_FILE, metrics.CLASSIFIER_FILE + metrics.SHA_SUFFIX):
        shutil.copy(ASSET_DIR / name, tmp_path / name)
    bad = tmp_path / metrics.CLASSIFIER_FILE
    blob = bytearray(bad.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    bad.write_bytes(bytes(blob))
    with pytest.raises(AssetError) as info:
        metrics.load_mnist_classifier(bad)
    msg = str(info.value)
    assert str(bad) in msg and "corrupt" in msg
    assert "git checkout" in msg and "train_mnist_classifier.py" in msg


def test_missing_sha_file_is_an_error(tmp_path):
    shutil.copy(ASSET_DIR / metrics.CLASSIFIER_FILE, tmp_path / metrics.CLASSIFIER_FILE)
    with pytest.raises(AssetError, match="SHA-256 of mnist_classifier.pt"):
        metrics.load_mnist_classifier(tmp_path / metrics.CLASSIFIER_FILE)


def test_classifier_is_cached_eval_mode_on_cpu():
    model = metrics.mnist_classifier()
    assert model is metrics.mnist_classifier()
    assert not model.training
    assert next(model.parameters()).device.type == "cpu"
    x = mnist_images(torch.as_tensor(load_sample(train=False)[0][:4]))
    assert model(x).shape == (4, 10) and model.features(x).shape == (4, metrics.FEATURE_DIM)


def test_predict_gives_int64_labels_and_same_for_both_ranges():
    x = torch.as_tensor(load_sample(train=False)[0][:50]).float() / 255
    labels = mnist_predict(x)
    assert labels.dtype == torch.int64 and labels.shape == (50,)
    assert torch.equal(labels, mnist_predict(2 * x - 1))


def test_shipped_sample_is_classified_and_scores_high_noise_scores_low():
    images, labels = load_sample(train=False)  # 200 real test digits, uint8
    x = torch.as_tensor(images).float() / 255
    accuracy = (mnist_predict(x) == torch.as_tensor(labels)).float().mean().item()
    assert accuracy >= 0.97
    real_score, _ = mnist_score(x, splits=1)
    noise = torch.rand(200, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    noise_score, _ = mnist_score(noise, splits=1)
    assert real_score > 8.5 and noise_score < 3.0
    real_fd, noise_fd = mnist_frechet_distance(2 * x - 1), mnist_frechet_distance(noise)
    assert real_fd < noise_fd / 10


def test_mnist_metrics_equals_the_two_separate_calls():
    x = torch.as_tensor(load_sample(train=True)[0][:300]).float() / 255
    both = metrics.mnist_metrics(x, splits=3)
    assert (both["mnist_score_mean"], both["mnist_score_std"]) == pytest.approx(mnist_score(x, splits=3), rel=1e-9)
    assert both["mnist_fd"] == pytest.approx(mnist_frechet_distance(x), rel=1e-9)


@pytest.mark.slow
@pytest.mark.skipif(not shared_data_env(), reason="real MNIST not found under ../shared/datasets")
def test_full_mnist_test_set_accuracy_score_and_self_distance(monkeypatch):
    from dgmlab.data import mnist

    monkeypatch.setenv("DGMLAB_DATA", shared_data_env()["DGMLAB_DATA"])
    test = mnist(train=False, scale="[-1,1]", source="full")
    assert (mnist_predict(test.images) == test.labels).float().mean().item() >= 0.99
    both = metrics.mnist_metrics(test.images)
    assert both["mnist_score_mean"] > 9.5
    assert both["mnist_fd"] < 1e-6  # the reference statistics are this very set's


# ----------------------------------------------------------------- Inception-v3 via torch-fidelity
@pytest.fixture
def no_network(monkeypatch):
    """Record and refuse every attempt to open a connection."""
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access attempted in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_missing_weights_file_fails_fast_without_network(monkeypatch, tmp_path, no_network):
    pytest.importorskip("torch_fidelity")
    monkeypatch.delenv("DGMLAB_OFFLINE", raising=False)  # even "online", a named file must not trigger a download
    monkeypatch.setenv(metrics.INCEPTION_WEIGHTS_ENV, str(tmp_path / "missing.pth"))
    start = time.perf_counter()
    with pytest.raises(MetricUnavailable) as info:
        metrics.inception_metrics(torch.rand(10, 3, 32, 32))
    assert time.perf_counter() - start < 8  # a hang guard, loose for a loaded CI
    assert no_network == []
    msg = str(info.value)
    assert "missing.pth" in msg and "no file there" in msg and "mnist_score" in msg


def test_offline_without_weights_says_what_to_set(monkeypatch, tmp_path, no_network):
    monkeypatch.delenv(metrics.INCEPTION_WEIGHTS_ENV, raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))  # empty hub cache
    with pytest.raises(MetricUnavailable, match=f"(?s)DGMLAB_OFFLINE is set.*export {metrics.INCEPTION_WEIGHTS_ENV}="):
        metrics.inception_weights_path()
    assert no_network == []


def test_unreachable_download_host_is_reported_not_waited_on(monkeypatch, tmp_path, no_network):
    monkeypatch.delenv("DGMLAB_OFFLINE", raising=False)
    monkeypatch.delenv(metrics.INCEPTION_WEIGHTS_ENV, raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(MetricUnavailable, match="github.com cannot be reached"):
        metrics.inception_weights_path()
    assert len(no_network) == 1  # one short probe, then the message


@pytest.mark.slow  # waits on a hanging lookup
def test_hanging_name_resolution_is_not_waited_on(monkeypatch, tmp_path):
    monkeypatch.delenv("DGMLAB_OFFLINE", raising=False)
    monkeypatch.delenv(metrics.INCEPTION_WEIGHTS_ENV, raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    def hang(*args, **kwargs):  # like a DNS lookup that hangs, then fails
        time.sleep(10)
        raise OSError("name resolution timed out")

    monkeypatch.setattr(socket, "create_connection", hang)
    start = time.perf_counter()
    with pytest.raises(MetricUnavailable, match="cannot be reached"):
        metrics.inception_weights_path()
    assert time.perf_counter() - start < 5


def test_inception_metrics_passes_uint8_rgb_and_local_weights_to_torch_fidelity(monkeypatch, tmp_path):
    torch_fidelity = pytest.importorskip("torch_fidelity")
    weights = tmp_path / "inception.pth"
    weights.write_bytes(b"stand-in")
    monkeypatch.setenv(metrics.INCEPTION_WEIGHTS_ENV, str(weights))
    seen = {}

    def fake_calculate_metrics(**kwargs):
        seen.update(kwargs)
        return {"inception_score_mean": 2.5, "inception_score_std": 0.1, "frechet_inception_distance": 7.0}

    monkeypatch.setattr(torch_fidelity, "calculate_metrics", fake_calculate_metrics)
    out = metrics.inception_metrics(torch.rand(6, 1, 28, 28) * 2 - 1, reference=torch.rand(6, 3, 28, 28))
    assert out == {"inception_score_mean": 2.5, "inception_score_std": 0.1, "fid": 7.0}
    assert seen["feature_extractor_weights_path"] == str(weights)
    assert seen["feature_extractor"] == "inception-v3-compat" and seen["isc_splits"] == 10
    assert seen["save_cpu_ram"] is True  # no DataLoader worker processes
    first = seen["input1"][0]
    assert first.dtype == torch.uint8 and first.shape == (3, 28, 28)
    assert seen["input2"][0].dtype == torch.uint8


@pytest.mark.slow
def test_inception_metrics_runs_torch_fidelity_end_to_end_with_local_weights(monkeypatch, tmp_path, no_network):
    """Real torch-fidelity code path, with a randomly initialised Inception-v3 saved as the local weights file."""
    fe = pytest.importorskip("torch_fidelity.feature_extractor_inceptionv3")
    with monkeypatch.context() as m:  # build the network without its real weights, then save its random ones
        m.setattr(fe.torch, "load", lambda *a, **k: {})
        m.setattr(torch.nn.Module, "load_state_dict", lambda self, *a, **k: None)
        net = fe.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path="x")
    torch.save(net.state_dict(), tmp_path / "random_inception.pth")
    monkeypatch.delenv("DGMLAB_OFFLINE", raising=False)
    monkeypatch.setenv(metrics.INCEPTION_WEIGHTS_ENV, str(tmp_path / "random_inception.pth"))
    out = metrics.inception_metrics(torch.rand(4, 1, 28, 28), reference=torch.rand(4, 3, 32, 32) * 2 - 1,
                                    splits=2, device="cpu")
    assert set(out) == {"inception_score_mean", "inception_score_std", "fid"}
    assert all(math.isfinite(v) for v in out.values())
    assert no_network == []
