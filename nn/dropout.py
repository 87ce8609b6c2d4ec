"""``Dropout``: inverted dropout while training, the identity in eval mode."""
from __future__ import annotations

import numbers

from . import functional as F
from .activation import _Functional


class _DropoutNd(_Functional):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not isinstance(p, numbers.Number) or isinstance(p, bool) or p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        return self._function(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd, function=F.dropout):
    """Zeroes each element with probability ``p`` (scaling the rest by 1 / (1 - p))."""


class Dropout1d(_DropoutNd, function=F.dropout1d):
    """Zeroes whole channels of (N, C, L) or (C, L)."""


class Dropout2d(_DropoutNd, function=F.dropout2d):
    """Zeroes whole channels of (N, C, H, W)."""
