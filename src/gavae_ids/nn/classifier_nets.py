"""Classifier networks: the (GAVAE-)DNN and the 1-D CNN baseline (paper §4.2, §5.5).

Both return raw logits; the softmax of the paper's output layer is applied by
the loss (cross-entropy) during training and by ``predict_proba`` afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from gavae_ids.nn.common import MLPBackbone


class ClassifierNet(nn.Module):
    """An MLP backbone topped by a linear (softmax) output layer — the paper's DNN (Fig. 6).

    The backbone is the same :class:`~gavae_ids.nn.common.MLPBackbone` the
    GAVAE encoder uses, so with equal ``in_features``/``hidden``/``activation``
    the encoder's ``backbone.*`` weights load into this network by name.

    Parameters
    ----------
    in_features : int
        Width of the encoded feature vector.
    hidden : sequence of int
        Hidden layer widths, e.g. the encoder's ``(80, 40, 20)``.
    n_classes : int
        Number of output classes.
    activation : str
        Activation of the hidden layers (see ``MLPBackbone``).

    Examples
    --------
    >>> net = ClassifierNet(122, (80, 40, 20), 5)
    >>> net(torch.zeros(3, 122)).shape
    torch.Size([3, 5])
    """

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int] = (80, 40, 20),
        n_classes: int = 2,
        activation: str = "relu",
    ):
        super().__init__()
        self.backbone = MLPBackbone(in_features, hidden, activation)
        self.head = nn.Linear(self.backbone.out_features, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


class CNN1DNet(nn.Module):
    """A small 1-D convolutional network over the encoded feature vector (the CNN baseline).

    The feature vector is read as a one-channel sequence of length
    ``in_features``::

        (N, F) → (N, 1, F)
        → Conv1d(1, c1, k, padding=k//2) → ReLU → MaxPool1d(2, ceil_mode=True)
        → Conv1d(c1, c2, k, padding=k//2) → ReLU → AdaptiveMaxPool1d(pool_size)
        → Flatten (c2·pool_size) → Linear(dense) → ReLU → Linear(n_classes)

    The adaptive pool makes the head's width independent of ``F`` and lets a
    one-feature input through (it is repeated to ``pool_size`` positions).
    The column order of a tabular vector carries little locality, which is one
    reason the paper's CNN trails the DNN (Tables 6–7); it is kept small so it
    trains in about the DNN's time on a CPU.

    Parameters
    ----------
    in_features : int
        Width of the encoded feature vector.
    n_classes : int
        Number of output classes.
    channels : (int, int)
        Output channels of the two convolutions.
    kernel_size : int
        Width of both convolution kernels.
    pool_size : int
        Positions kept by the final adaptive max pool.
    dense : int
        Width of the fully connected layer before the output layer.

    Examples
    --------
    >>> CNN1DNet(122, 5)(torch.zeros(3, 122)).shape
    torch.Size([3, 5])
    """

    def __init__(
        self,
        in_features: int,
        n_classes: int = 2,
        channels: Sequence[int] = (16, 32),
        kernel_size: int = 3,
        pool_size: int = 8,
        dense: int = 64,
    ):
        super().__init__()
        if len(channels) != 2:
            raise ValueError(f"channels must hold two widths, got {tuple(channels)!r}")
        c1, c2 = (int(c) for c in channels)
        pad = kernel_size // 2
        self.in_features = in_features
        self.features = nn.Sequential(
            nn.Conv1d(1, c1, kernel_size, padding=pad),
            nn.ReLU(),
            nn.MaxPool1d(2, ceil_mode=True),
            nn.Conv1d(c1, c2, kernel_size, padding=pad),
            nn.ReLU(),
            nn.AdaptiveMaxPool1d(pool_size),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Linear(c2 * pool_size, dense),
            nn.ReLU(),
            nn.Linear(dense, n_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x.unsqueeze(1)))
