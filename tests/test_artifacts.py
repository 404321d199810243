"""dgmlab.artifacts: a graded file is read safely, and every way it can be unusable is refused with a reason."""
from pathlib import Path

import pytest
import torch
from torch import nn

from dgmlab import artifacts
from dgmlab.artifacts import ArtifactError
from dgmlab.data import load_sample

GENUINE = Path(__file__).parent / "fixtures" / "hw1_genuine_samples_1000.pt"


def _genuine(n=100):
    """The first ``n`` of hw1's genuine graded samples (float32, (1000, 1, 28, 28) in [-1, 1])."""
    return torch.load(GENUINE, weights_only=True)[:n].clone()


class _Pickled:
    """Not a tensor: torch.load(weights_only=True) must refuse to build it."""


def _saved(tmp_path, obj, name="graded.pt"):
    path = tmp_path / name
    torch.save(obj, path)
    return path


def _tiny_model():
    return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3), nn.Linear(3, 2))


def test_error_is_an_assertion_so_a_points_test_fails_on_it():
    assert issubclass(ArtifactError, AssertionError)


def test_missing_file_says_what_writes_it_and_what_to_submit(tmp_path):
    with pytest.raises(ArtifactError, match=r"no samples\.pt in the homework folder.*deliverable \(a\).*submit"):
        artifacts.load(tmp_path / "samples.pt", max_bytes=10**6, made_by="deliverable (a)")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = _saved(tmp_path, torch.zeros(1000))
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load ran on an oversized file"))
    with pytest.raises(ArtifactError, match=r"more than the 100 a file"):
        artifacts.load(path, max_bytes=100)


def test_pickled_objects_are_not_built(tmp_path):
    path = _saved(tmp_path, {"model": _Pickled()})
    with pytest.raises(ArtifactError, match=r"could not be read with torch\.load\(weights_only=True\)"):
        artifacts.load(path, max_bytes=10**6)


def test_a_damaged_file_is_refused_with_a_reason(tmp_path):
    path = tmp_path / "graded.pt"
    path.write_bytes(b"not a torch file")
    with pytest.raises(ArtifactError, match="could not be read"):
        artifacts.load(path, max_bytes=10**6)


def test_load_returns_the_saved_tensors(tmp_path):
    x = torch.randn(5, 3)
    assert torch.equal(artifacts.load(_saved(tmp_path, {"x": x}), max_bytes=10**6)["x"], x)


def test_load_bytes_reads_handed_in_bytes_and_refuses_what_load_refuses(tmp_path, monkeypatch):
    """load_bytes: the grader's read of a handed-in file's bytes (no path, seed or kernel state)."""
    x = torch.randn(5, 3)
    data = _saved(tmp_path, {"x": x}).read_bytes()
    assert torch.equal(artifacts.load_bytes(data, name="w.pt", max_bytes=10**6)["x"], x)
    with pytest.raises(ArtifactError, match=r"w\.pt could not be read with torch\.load\(weights_only=True\)"):
        artifacts.load_bytes(_saved(tmp_path, {"model": _Pickled()}).read_bytes(), name="w.pt", max_bytes=10**6)
    with pytest.raises(ArtifactError, match="could not be read"):
        artifacts.load_bytes(b"not a torch file", name="w.pt", max_bytes=10**6)
    with pytest.raises(ArtifactError, match="not the file's bytes"):
        artifacts.load_bytes("w.pt", name="w.pt", max_bytes=10**6)
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load ran on an oversized file"))
    with pytest.raises(ArtifactError, match=r"w\.pt is 1,500 bytes, more than the 100 a file"):
        artifacts.load_bytes(b"0" * 1500, name="w.pt", max_bytes=100)


@pytest.mark.slow  # scores 1,000 samples
def test_genuine_samples_pass_and_come_back_as_images():
    x = artifacts.samples(_genuine())
    assert x.shape == (100, 1, 28, 28) and x.dtype == torch.float32
    assert artifacts.require_new(x).n_copies <= 3


@pytest.mark.parametrize("bad, reason", [
    ([[0.0]], "must be a torch tensor"),
    (torch.zeros(100, 784, dtype=torch.uint8), "dtype torch.uint8"),
    (torch.zeros(99, 784), r"shape \(99, 784\)"),
    (torch.full((100, 784), float("nan")), "NaN"),
    (torch.rand(100, 784) * 255, r"in \[-1, 1\].*not rescaled"),
    (torch.zeros(100, 784), "all the same"),
])
def test_unusable_samples_are_refused_with_the_reason(bad, reason):
    with pytest.raises(ArtifactError, match=reason):
        artifacts.samples(bad)


def test_samples_in_another_declared_range_pass():
    x = _genuine()
    assert artifacts.samples((x + 1) / 2, value_range=(0.0, 1.0)).min() >= 0


@pytest.mark.slow  # searches the MNIST index
def test_real_digits_are_refused_as_copies():
    digits, _ = load_sample(train=False)
    x = torch.from_numpy(digits[:100].astype("float32") / 127.5 - 1.0).reshape(100, 1, 28, 28)
    with pytest.raises(ArtifactError, match="match dataset images, not generated ones"):
        artifacts.require_new(artifacts.samples(x))


def test_weights_of_the_same_architecture_load_and_the_model_is_in_eval_mode():
    source, target = _tiny_model(), _tiny_model()
    loaded = artifacts.load_weights(target, source.state_dict())
    assert loaded is target and not target.training
    assert all(torch.equal(a, b) for a, b in zip(source.state_dict().values(), target.state_dict().values()))


def test_half_precision_weights_are_read_as_the_models_dtype():
    source = _tiny_model()
    half = {k: (v.half() if v.is_floating_point() else v) for k, v in source.state_dict().items()}
    target = artifacts.load_weights(_tiny_model(), half)
    assert target[0].weight.dtype == torch.float32
    assert torch.allclose(target[0].weight, source[0].weight, atol=1e-3)


def test_another_architecture_is_refused_with_the_differences_listed():
    other = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))
    with pytest.raises(ArtifactError, match=r"missing 5 \(1\.running_mean, 1\.running_var, 1\.num_batches_tracked, \.\.\.\)"):
        artifacts.load_weights(_tiny_model(), other.state_dict())


def test_a_wider_layer_is_refused_with_both_shapes():
    state = _tiny_model().state_dict()
    state["0.weight"] = torch.zeros(3, 5)
    with pytest.raises(ArtifactError, match=r"0\.weight has shape \(3, 5\), the notebook's architecture has \(3, 4\)"):
        artifacts.load_weights(_tiny_model(), state)


@pytest.mark.parametrize("edit, reason", [
    (lambda s: s.__setitem__("0.weight", torch.full((3, 4), float("inf"))), "diverged"),
    (lambda s: s.__setitem__("0.bias", torch.zeros(3, dtype=torch.int64)), "expected floating point"),
    (lambda s: s.__setitem__("1.num_batches_tracked", torch.tensor(1.0)), "expected torch.int64"),
    (lambda s: s.__setitem__("2.bias", [0.0, 0.0]), "must be a tensor"),
])
def test_unusable_values_are_refused_with_the_reason(edit, reason):
    state = _tiny_model().state_dict()
    edit(state)
    with pytest.raises(ArtifactError, match=reason):
        artifacts.load_weights(_tiny_model(), state)


def test_a_whole_model_or_a_list_is_not_a_state_dict():
    with pytest.raises(ArtifactError, match=r"must be a state dict.*found list"):
        artifacts.load_weights(_tiny_model(), [torch.zeros(1)])


def test_a_fixed_dtype_refuses_another_float():
    x = _genuine()
    assert artifacts.samples(x, dtype=torch.float32).dtype == torch.float32
    with pytest.raises(ArtifactError, match=r"dtype torch\.float64, expected torch\.float32"):
        artifacts.samples(x.double(), dtype=torch.float32)
    assert artifacts.samples(x.double()).dtype == torch.float32  # without dtype= any float passes


def _labelled(labels=None):
    images = _genuine()
    return {"images": images, "labels": torch.arange(10).repeat_interleave(10) if labels is None else labels}


def test_labelled_samples_come_back_as_images_and_labels():
    x, y = artifacts.labelled_samples(_labelled(), name="cgan.pt")
    assert x.shape == (100, 1, 28, 28) and torch.equal(y, torch.arange(10).repeat_interleave(10))


@pytest.mark.parametrize("obj, reason", [
    (torch.zeros(100, 784), r'cgan\.pt must hold a dict with keys "images" and "labels".*found Tensor'),
    ({"images": torch.zeros(100, 784)}, r"found dict with keys \['images'\]"),
    (_labelled(torch.arange(10).repeat_interleave(10).float()), r"torch\.int64 tensor of shape \(100,\), found torch\.float32"),
    (_labelled(torch.arange(10)), r"found torch\.int64 of shape \(10,\)"),
    (_labelled(torch.ones(100, dtype=torch.int64)), r"exactly 10 times, found counts \[0, 100, 0"),
    (_labelled(torch.arange(1, 11).repeat_interleave(10)), r"counts \[0, 10, .*, 10\] and 10 outside 0-9"),
    ({"images": torch.zeros(100, 784), "labels": torch.arange(10).repeat_interleave(10)},
     r'cgan\.pt\["images"\] are \(almost\) all the same'),
])
def test_unusable_labelled_files_are_refused_with_the_reason(obj, reason):
    with pytest.raises(ArtifactError, match=reason):
        artifacts.labelled_samples(obj, name="cgan.pt")


def test_labelled_samples_pass_the_dtype_rule_to_the_images():
    with pytest.raises(ArtifactError, match=r'\["images"\] has dtype torch\.float64'):
        artifacts.labelled_samples(_labelled() | {"images": _labelled()["images"].double()}, dtype=torch.float32)


@pytest.mark.slow  # scores samples against the MNIST index
def test_the_copy_look_up_runs_once_per_content(monkeypatch):
    from dgmlab import novelty

    calls = []
    real = novelty.find_copies
    monkeypatch.setattr(novelty, "find_copies", lambda x, **kw: calls.append(1) or real(x, **kw))
    monkeypatch.setattr(artifacts, "_REPORTS", type(artifacts._REPORTS)())
    x = artifacts.samples(_genuine())
    first = artifacts.require_new(x)
    assert artifacts.require_new(x.clone()) is first and len(calls) == 1  # same content: no second look-up
    other = x.flip(0)
    other[0, 0, 0, 0] = -0.5
    artifacts.require_new(other)
    assert len(calls) == 2  # another content is looked up afresh


class _Masked(nn.Module):
    """A layer whose mask buffer the constructor builds: a file must not replace it."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)
        self.register_buffer("mask", torch.tril(torch.ones(3, 3)))


def test_constant_buffers_refuse_a_replaced_mask_and_accept_the_built_one():
    state = _Masked().state_dict()
    assert artifacts.load_weights(_Masked(), state, constant_buffers=True)
    state["mask"] = torch.ones(3, 3)
    artifacts.load_weights(_Masked(), state)  # without the option a buffer is data
    with pytest.raises(ArtifactError, match="buffer mask differs from the one the notebook's architecture builds"):
        artifacts.load_weights(_Masked(), state, constant_buffers=True)


def test_save_weights_writes_float16_that_load_weights_reads(tmp_path):
    source = _tiny_model()
    path = artifacts.save_weights(source, tmp_path / "w.pt")
    assert path == tmp_path / "w.pt" and not (tmp_path / "w.pt.tmp").exists()
    state = artifacts.load(path, max_bytes=10_000)
    assert state["0.weight"].dtype == torch.float16 and state["1.num_batches_tracked"].dtype == torch.int64
    target = artifacts.load_weights(_tiny_model(), state)
    assert torch.allclose(target[0].weight, source[0].weight, atol=1e-3)
    assert not torch.equal(target[0].weight, _tiny_model()[0].weight)


def test_save_weights_makes_the_folder_it_writes_into(tmp_path):
    path = artifacts.save_weights(_tiny_model(), tmp_path / "artifacts" / "w_fast.pt")
    assert path.exists() and artifacts.load(path, max_bytes=10_000)["0.weight"].dtype == torch.float16


@pytest.mark.slow  # draws and scores thousands of samples
def test_the_copy_allowance_grows_with_the_file():
    """3 near-copies in a file of 100; beyond that 1 in 100 (10 in hw1's 1,000), so a genuine file of 1,000 with a
    stray near-copy or two passes and one padded with real digits fails."""
    from dgmlab import novelty

    assert [novelty.allowed_copies(n) for n in (50, 100, 500, 1000)] == [3, 3, 5, 10]
    digits, _ = load_sample(train=True)
    real = torch.from_numpy(digits[:11].astype("float32") / 127.5 - 1.0)
    x = _genuine(1000)
    x[:5] = real[:5]
    assert artifacts.require_new(x).n_copies >= 5  # 5 of 1,000: within the allowance
    x[:11] = real
    with pytest.raises(ArtifactError, match=r"\(at most 10 may\)"):
        artifacts.require_new(x)


class _StudentsGenerator(nn.Module):
    """A student's implementation of a specified MLP generator, with its own layer names."""

    def __init__(self, embedding=False):
        super().__init__()
        self.label_embedding = nn.Embedding(10, 4) if embedding else None
        self.hidden1, self.hidden2 = nn.Linear(8 + (4 if embedding else 0), 16), nn.Linear(16, 32)
        self.to_pixels = nn.Linear(32, 784)

    def forward(self, z, labels=None):
        if self.label_embedding is not None:
            z = torch.cat([z, self.label_embedding(labels)], dim=1)
        h = nn.functional.leaky_relu(self.hidden1(z), 0.2)
        h = nn.functional.leaky_relu(self.hidden2(h), 0.2)
        return torch.tanh(self.to_pixels(h))


def test_mlp_tensors_places_a_students_tensors_by_shape_in_the_layout_order():
    student = _StudentsGenerator(embedding=True)
    tensors = artifacts.mlp_tensors(student.state_dict(), in_dim=8, widths=(16, 32), embedding=(10, 4))
    assert [tuple(t.shape) for t in tensors] == artifacts.mlp_shapes(8, (16, 32), 784, (10, 4))
    assert torch.equal(tensors[0], student.label_embedding.weight.detach())
    assert torch.equal(tensors[-1], student.to_pixels.bias.detach())


def test_the_student_package_holds_the_layout_not_what_the_network_computes():
    """hw4's networks as a computation are the grader's (homeworks.hw4_gans.hidden.references): nothing public in
    dgmlab.artifacts turns tensors and an input into the network's output."""
    public = {n for n in dir(artifacts) if not n.startswith("_")}
    assert not public & {"mlp_forward", "mlp_generator"}
    assert set(artifacts.__all__) <= public


@pytest.mark.parametrize("change, reason", [
    (lambda s: {k: v for k, v in s.items() if k != "to_pixels.bias"}, r"missing tensors of shape \(784,\)"),
    (lambda s: {**s, "stored_images": torch.zeros(100, 784)}, r"does not have: \(100, 784\)"),
    (lambda s: {**s, "hidden1.bias": torch.zeros(17)}, r"missing tensors of shape \(16,\).*does not have: \(17,\)"),
    (lambda s: {**s, "copy_of_bias": s["hidden2.bias"]}, r"does not have: \(32,\)"),
    (lambda s: {**s, "hidden1.weight": s["hidden1.weight"].long()}, "expected floating point"),
    (lambda s: {**s, "hidden2.bias": torch.full((32,), float("inf"))}, "NaN or infinite"),
    (lambda s: list(s.values()), "must be a state dict"),
    (lambda s: {**s, "to_pixels.bias": [0.0] * 784}, "must be a tensor"),
])
def test_mlp_tensors_refuses_what_is_not_the_specified_network(change, reason):
    state = _StudentsGenerator().state_dict()
    with pytest.raises(ArtifactError, match=reason):
        artifacts.mlp_tensors(change(state), in_dim=8, widths=(16, 32), spec="the tiny generator")


def test_mlp_tensors_refuses_a_spec_whose_tensors_share_a_shape():
    with pytest.raises(ValueError, match="share a shape"):
        artifacts.mlp_tensors({}, in_dim=8, widths=(16, 16))
