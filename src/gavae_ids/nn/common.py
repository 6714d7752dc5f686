"""Building blocks shared by the GAVAE encoder and the classifiers."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

_ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh, "elu": nn.ELU}


def activation_module(name: str) -> nn.Module:
    """A new activation layer by name (``relu``, ``leaky_relu``, ``tanh``, ``elu``)."""
    if name not in _ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {sorted(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]()


class MLPBackbone(nn.Module):
    """Stack of ``Linear → activation`` layers: in_features → hidden[0] → … → hidden[-1].

    The GAVAE encoder and the GAVAE-DNN share this class, so the DNN's hidden
    layers can be initialised from the encoder by copying ``backbone.*`` weights
    by name (paper §4.2).
    """

    def __init__(self, in_features: int, hidden: Sequence[int], activation: str = "relu"):
        super().__init__()
        activation_module(activation)  # fails early on an unknown name
        layers: list[nn.Module] = []
        prev = in_features
        for h in hidden:
            layers += [nn.Linear(prev, int(h)), activation_module(activation)]
            prev = int(h)
        self.layers = nn.Sequential(*layers)
        self.in_features = in_features
        self.out_features = prev

    def forward(self, x):
        return self.layers(x)
