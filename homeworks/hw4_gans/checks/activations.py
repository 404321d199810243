"""hw4_gans' checks of P1's networks: which activation the hidden layers apply, read off the network itself (a hint
in the messages of the generator's and the discriminator's tests, never their points).
"""
from __future__ import annotations

from dgmlab.probes import TestFailure, _torch, working

from .common import _param_shapes, load_by_shape


def _activation_probe(make, in_dim, widths, out_dim):
    """The network ``make()`` with parameters that send one unit through every hidden layer and the rest nowhere:
    the first layer's bias ``b`` (weights 0), the second layer's weight ``b`` (then 1) on that unit, the last layer 1
    from it to every output. ``{b: the mean output}`` for b = +1 and -1: with a LeakyReLU of slope a (a ReLU: a = 0)
    and two or more hidden layers, out(+1) = last(1) and out(-1) = last(a) (last: the output layer's function)."""
    torch = _torch()
    shapes = _param_shapes(in_dim, widths, out_dim)
    out = {}
    for b in (1.0, -1.0):
        params = [torch.zeros(shape) for shape in shapes]  # no draw: the kernel's random stream is left as it was
        params[1][0] = b
        for k in range(1, len(widths)):
            params[2 * k][0, 0] = b if k == 1 else 1.0
        params[-2][:, 0] = 1.0
        with torch.random.fork_rng(devices=[]):
            net = load_by_shape(make(), params, "the network").eval()
        with torch.no_grad():
            out[str(b)] = float(net(torch.zeros(2, in_dim)).mean())
    return out


def _activation(v):
    """The probe's :func:`_activation_probe` outputs, or None when the network raised on them (a hint only)."""
    try:
        found = working(v).activation
    except TestFailure:
        return None
    return found if isinstance(found, dict) else None


def _is_identity_at_one(activation) -> bool:
    """Whether the probe's output for b = +1 (:func:`_activation_probe`) is 1: no sigmoid after the last layer."""
    return isinstance(activation, dict) and isinstance(activation.get("1.0"), float) and abs(activation["1.0"] - 1) < 1e-4


def slope_hint(found, last) -> str:
    """": the hidden layers' negative slope is ...", when the probe's outputs (:func:`_activation_probe`) read as a
    LeakyReLU (or ReLU) of another slope than 0.2 before the statement's output function ``last`` (an inverse of
    it: ``math.atanh`` for the generator's tanh, the identity for the discriminator's logit); else ""."""
    try:
        a, one = last(float(found["-1.0"])), last(float(found["1.0"]))
    except (TypeError, KeyError, ValueError, IndexError):
        return ""
    if not (abs(one - 1) < 1e-4 and -1e-6 <= a < 1 and abs(a - 0.2) > 1e-4):
        return ""
    return (": the hidden layers' negative slope is 0 (a ReLU), not the statement's LeakyReLU(0.2)" if a < 1e-6 else
            f": the hidden layers' negative slope is {a:.3g}, not the statement's LeakyReLU(0.2)")
