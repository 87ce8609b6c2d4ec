"""``LeNet``: conv, pool, conv, pool, then fully connected layers (LeCun et al. 1998, scaled
to small images)."""
from __future__ import annotations

from ..activation import ReLU
from ..container import Sequential
from ..conv import Conv2d
from ..linear import Flatten, Linear
from ..module import Module
from ..pool import MaxPool2d


class LeNet(Module):
    """LeNet-style CNN: ``Conv2d(in_channels, c1, k, padding=k//2) - ReLU - MaxPool2d(2) -
    Conv2d(c1, c2, k, padding=k//2) - ReLU - MaxPool2d(2) - Flatten - Linear(., hidden) - ReLU -
    Linear(hidden, num_classes)``.

    Input ``(N, in_channels, image_size, image_size)`` (``image_size`` divisible by 4; the
    defaults fit the 8x8 digits), output logits ``(N, num_classes)``.
    """

    def __init__(self, in_channels=1, num_classes=10, image_size=8, channels=(16, 32),
                 kernel_size=3, hidden=64):
        super().__init__()
        if image_size % 4:
            raise ValueError(f"LeNet: image_size must be divisible by 4 (got {image_size})")
        c1, c2 = channels
        pad = kernel_size // 2
        self.features = Sequential(
            Conv2d(in_channels, c1, kernel_size, padding=pad), ReLU(), MaxPool2d(2),
            Conv2d(c1, c2, kernel_size, padding=pad), ReLU(), MaxPool2d(2))
        side = image_size // 4
        self.classifier = Sequential(Flatten(), Linear(c2 * side * side, hidden), ReLU(),
                                     Linear(hidden, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


CNN = LeNet
