"""Building blocks shared by the GAVAE encoder and the classifiers."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn


class MLPBackbone(nn.Module):
    """Stack of ``Linear → activation`` layers: in_features → hidden[0] → … → hidden[-1].

    The GAVAE encoder and the GAVAE-DNN share this class, so the DNN's hidden
    layers can be initialised from the encoder by copying ``backbone.*`` weights
    by name (paper §4.2).
    """

    def __init__(self, in_features: int, hidden: Sequence[int], activation: str = "relu"):
        super().__init__()
        act = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh, "elu": nn.ELU}
        if activation not in act:
            raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(act)}")
        layers: list[nn.Module] = []
        prev = in_features
        for h in hidden:
            layers += [nn.Linear(prev, int(h)), act[activation]()]
            prev = int(h)
        self.layers = nn.Sequential(*layers)
        self.in_features = in_features
        self.out_features = prev

    def forward(self, x):
        return self.layers(x)
