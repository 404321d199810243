"""hw5_explicit's mutants of issue 62: P1 answers that compute the stated numbers but whose state dict does not hold
the names the weights file is read by (proofs.py adds them to MUTANTS). Each loses the visible point that compares
the state dict's names with the stated ones."""
from __future__ import annotations

from dgmlab.authoring.proofs import Mutant

STATE_NAME_MUTANTS = [
    # the mask as a plain attribute: not saved with the weights, left behind by .to(device); the model built from it
    # loses its state-dict names too
    Mutant("p1_masked_conv", "mask kept as a plain attribute, not a buffer",
           edits=[('self.register_buffer("mask", mask[None, None])', "self.mask = mask[None, None]")],
           earns={"p1_masked_conv_tests": 4, "p1_model_tests": 4}),
    Mutant("p1_model", "plain 1x1 nn.Conv2d as the last layer",
           edits=[('layers.append(MaskedConv2d("B", channels, 1, 1))', "layers.append(nn.Conv2d(channels, 1, 1))")],
           earns={"p1_model_tests": 4}),
    Mutant("p1_model", "layers kept in self.layers, a ModuleList",
           edits=[("self.net = nn.Sequential(*layers)", "self.layers = nn.ModuleList(layers)"),
                  ("return self.net(x)", "for layer in self.layers:\n            x = layer(x)\n        return x")],
           earns={"p1_model_tests": 4}),
]
