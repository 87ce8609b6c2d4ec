"""Dropout functions: ``dropout``, ``dropout1d``, ``dropout2d`` (inverted dropout, drawing from
``ad.manual_seed``'s stream). (Not named ``dropout``: that is a function of the package.)"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from autodiff import random as _random
from autodiff.ops._common import _tensor
from autodiff.tensor import Tensor


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by
    1/(1-p) while training; the identity otherwise. Draws from ``ad.manual_seed``'s stream."""
    if not isinstance(p, numbers.Number) or isinstance(p, bool) or p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    input = _tensor(input, "dropout")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * Tensor._make(np.zeros((), dtype=input.dtype))
    keep = _random.generator().random(input.shape) >= p
    scale = np.asarray(keep, dtype=input.dtype) * np.asarray(1.0 / (1.0 - p), dtype=input.dtype)
    return input * Tensor._make(scale)


def _feature_dropout(input, p, training, op):
    if not isinstance(p, numbers.Number) or isinstance(p, bool) or p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    input = _tensor(input, op)
    if not training or p == 0.0:
        return input
    mask_shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    keep = _random.generator().random(mask_shape) >= p
    scale = np.asarray(keep, dtype=input.dtype) * np.asarray(
        0.0 if p == 1.0 else 1.0 / (1.0 - p), dtype=input.dtype)
    return input * Tensor._make(scale)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input (N, C, L) or (C, L); inverted scaling as ``dropout``."""
    if input.ndim not in (2, 3):
        raise ValueError(f"dropout1d: expected a 2D or 3D input, got shape "
                         f"{tuple(input.shape)}")
    if input.ndim == 2:
        return _feature_dropout(input.unsqueeze(0), p, training, "dropout1d").squeeze(0)
    return _feature_dropout(input, p, training, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W). A 3-D input is treated as (N, C, L), as PyTorch
    does today (with its warning)."""
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      "deprecated; use dropout instead.", stacklevel=2)
    elif input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L)", stacklevel=2)
    return _feature_dropout(input, p, training, "dropout2d")
