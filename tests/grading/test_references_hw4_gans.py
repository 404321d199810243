"""homeworks.hw4_gans.hidden.references: the statement's networks as a computation, the grader's alone.

The student package holds only their layout (:func:`dgmlab.artifacts.mlp_shapes`, :func:`dgmlab.artifacts.mlp_tensors`);
what they compute with it (:func:`mlp_forward`) and the draw from handed-in weights (:func:`mlp_generator`) are here.
"""
import torch
from torch import nn

from homeworks.hw4_gans.hidden.references import mlp_generator


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


def test_mlp_generator_places_a_students_tensors_by_shape_and_draws_what_their_network_draws():
    torch.manual_seed(0)
    student = _StudentsGenerator()
    grader = mlp_generator(student.state_dict(), in_dim=8, widths=(16, 32))
    z = torch.randn(5, 8)
    with torch.no_grad():
        torch.testing.assert_close(grader(z), student(z))


def test_mlp_generator_draws_values_not_a_graph_to_train():
    grader = mlp_generator(_StudentsGenerator().state_dict(), in_dim=8, widths=(16, 32))
    assert not isinstance(grader, nn.Module)
    assert not grader(torch.randn(3, 8, requires_grad=True)).requires_grad


def test_mlp_generator_feeds_the_noise_before_the_label_embedding():
    torch.manual_seed(0)
    student = _StudentsGenerator(embedding=True)
    grader = mlp_generator(student.state_dict(), in_dim=8, widths=(16, 32), embedding=(10, 4))
    z, labels = torch.randn(6, 8), torch.arange(6)
    with torch.no_grad():
        torch.testing.assert_close(grader(z, labels), student(z, labels))


def test_mlp_generator_reads_float16_weights():
    torch.manual_seed(0)
    student = _StudentsGenerator()
    grader = mlp_generator({k: v.half() for k, v in student.state_dict().items()}, in_dim=8, widths=(16, 32))
    z = torch.randn(5, 8)
    with torch.no_grad():
        out = grader(z)
        assert out.dtype == torch.float32
        torch.testing.assert_close(out, student(z), atol=1e-2, rtol=1e-2)

