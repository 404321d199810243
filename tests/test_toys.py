"""dgmlab.toys: the shared test models do what their docstrings promise."""
import torch

from dgmlab.toys import LinearCritic


def test_linear_critic_scores_and_gradient_are_w():
    w = torch.tensor([1.0, -2.0, 0.5, 3.0])
    critic = LinearCritic(w.reshape(2, 2), bias=0.3)
    x = torch.randn(5, 1, 2, 2, requires_grad=True)
    scores = critic(x)
    assert scores.shape == (5,)
    assert torch.allclose(scores, x.flatten(1) @ w + 0.3)
    (grad,) = torch.autograd.grad(scores.sum(), x)
    assert torch.allclose(grad.flatten(1), w.expand(5, 4))


def test_linear_critic_trains_like_any_module():
    critic = LinearCritic([1.0, 1.0])
    opt = torch.optim.SGD(critic.parameters(), lr=0.5)
    critic(torch.ones(1, 2)).sum().backward()
    opt.step()
    assert torch.allclose(critic.lin.weight, torch.tensor([[0.5, 0.5]])) and torch.allclose(critic.lin.bias, torch.tensor([-0.5]))
