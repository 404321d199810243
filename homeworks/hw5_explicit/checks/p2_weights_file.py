"""hw5_explicit P2's last cell (p2_real_nvp_mnist): the handed-in weights file of the trained Real NVP; its visible
test, bars and CheckSpec (the other P2 cells are in :mod:`.p2_real_nvp_mnist`)."""
from __future__ import annotations

from dgmlab.probes import CheckSpec
from dgmlab.probes.points import points

from .common import (
    P2_WEIGHTS_FILE,
    _assert_log_det,
    _file_from_full_mode,
    _file_network,
    _training_digits,
    flow_input,
    flow_on_digits,
)
from .p2_real_nvp_mnist import stated_coupling_shapes


def _layout_realnvp(dim=784, hidden=256, n_coupling=6) -> dict:
    """``{name: shape}`` of the state dict of the RealNVP the docstrings state (self.layers, each with its (dim,)
    ``mask`` buffer and s_net, t_net). Names and shapes only, as :func:`_layout_pixelcnn`."""
    layout = {}
    for layer in range(n_coupling):
        layout[f"layers.{layer}.mask"] = (dim,)
        layout.update(stated_coupling_shapes(dim, hidden, prefix=f"layers.{layer}."))
    return layout


P2_FILE_NETWORK = ("RealNVP", (784, 256, 6), "file_realnvp", _layout_realnvp)  # common._file_network's network
# The visible point's bars, as P1's (no likelihood formula: that answers P2): a Real NVP on the grading digits after
# the printed logit transform (mid-bin values), the mean square of z's coordinates (a standard normal latent gives 1;
# untrained 34-86, 30 steps 4.4, the full run 0.27) and its log-determinant per dimension (the full run -0.23; a flow
# that only shrinks its input pays here).
P2_VISIBLE_BAR_Z2 = 2.0
P2_VISIBLE_BAR_LOG_DET = -1.0


@points(1)
def test_p2_file_is_a_trained_realnvp(v, ref):
    # the file in the printed flow RealNVP(784, 256, 6) (its own masks): log-det = Jacobian's, and 200 training
    # digits sent to a latent of about unit scale without shrinking
    _file_from_full_mode(v, P2_WEIGHTS_FILE)
    net = _file_network(v, P2_WEIGHTS_FILE, "the P2 training cell", P2_FILE_NETWORK)
    digits = _training_digits(200, scale="[0,1]")
    _assert_log_det(net, flow_input(digits[:1]))
    z2, log_det = flow_on_digits(net, digits)
    if not z2 <= P2_VISIBLE_BAR_Z2:
        raise AssertionError(
            f"the flow in {P2_WEIGHTS_FILE} sends 200 training digits to z with a mean square of {z2:.2f} per coordinate, "
            f"where a standard normal latent gives 1 and the full training run about 0.3 (untrained: 30-90): hand in "
            f"the file the full training run writes")
    if not log_det >= P2_VISIBLE_BAR_LOG_DET:
        raise AssertionError(
            f"the flow in {P2_WEIGHTS_FILE} has a log-determinant of {log_det:.2f} per dimension on 200 training digits, "
            f"where the full training run gives about -0.2: it shrinks its input toward 0 rather than modelling it")


CHECKS = [
    CheckSpec("p2_weights_tests", names=(), visible=(test_p2_file_is_a_trained_realnvp,), files=(P2_WEIGHTS_FILE,)),
]
