"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``."""
from __future__ import annotations

import numbers

import numpy as np

from autodiff.tensor import Tensor

from . import functional as F
from . import init
from .linear import _float_dtype
from .module import Module
from .parameter import Parameter


class _AffineNorm(Module):
    """A normalisation layer with an optional elementwise affine map: ``weight`` (ones) and
    ``bias`` (zeros), either of which may be None."""

    def _init_affine(self, affine, shape, dtype, bias):
        """Register ``weight`` and ``bias`` of ``shape`` (or None: no ``affine``, no ``bias``)."""
        self.register_parameter("weight", Parameter(np.ones(shape, dtype=dtype))
                                if affine else None)
        self.register_parameter("bias", Parameter(np.zeros(shape, dtype=dtype))
                                if affine and bias else None)

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)


class _BatchNorm(_AffineNorm):
    """Batch normalisation over the channel dim 1.

    ``momentum`` None gives a cumulative moving average (factor 1/num_batches_tracked). Training
    normalises with the biased batch variance and feeds the unbiased one into ``running_var``;
    eval mode (or ``track_running_stats=False`` with no buffers) as PyTorch.
    """

    _expected = ()
    _optional_state = ("num_batches_tracked",)

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        dt = _float_dtype(dtype)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        self._init_affine(affine, (num_features,), dt, bias)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor._make(np.zeros(num_features, dtype=dt)))
            self.register_buffer("running_var", Tensor._make(np.ones(num_features, dtype=dt)))
            self.register_buffer("num_batches_tracked",
                                 Tensor._make(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        super().reset_parameters()

    def _check_input_dim(self, input):
        if input.ndim not in self._expected:
            dims = " or ".join(f"{d}D" for d in self._expected)
            raise ValueError(f"{type(self).__name__}: expected {dims} input (got "
                             f"{input.ndim}D input of shape {tuple(input.shape)})")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: input of shape {tuple(input.shape)} has "
                             f"{input.shape[1]} channels, expected {self.num_features}")

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data[...] += 1
            self.num_batches_tracked._version += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked._data)
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        use_running = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if use_running else None,
                            self.running_var if use_running else None, self.weight, self.bias,
                            bn_training, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """input (N, C) or (N, C, L)."""

    _expected = (2, 3)


class BatchNorm2d(_BatchNorm):
    """input (N, C, H, W)."""

    _expected = (4,)


class LayerNorm(_AffineNorm):
    """Normalises over the trailing ``normalized_shape`` dims; weight ones, bias zeros."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self._init_affine(elementwise_affine, self.normalized_shape, _float_dtype(dtype), bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(_AffineNorm):
    """Group normalisation of (N, C, *): weight ones, bias zeros, shape (C,)."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups != 0:
            raise ValueError(f"num_channels ({num_channels}) must be divisible by num_groups "
                             f"({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        self._init_affine(affine, (num_channels,), _float_dtype(dtype), bias)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
