"""Normalisation functions: ``batch_norm``, ``group_norm``, ``layer_norm`` and ``normalize``,
composed from engine ops (so double backward works)."""
from __future__ import annotations

import numbers

import numpy as np

from autodiff.grad_mode import no_grad
from autodiff.ops._common import _tensor
from autodiff.ops.reduce import sums
from autodiff.tensor import Tensor


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise (N, C, *) over groups of C/num_groups channels and the spatial dims."""
    input = _tensor(input, "group_norm")
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise ValueError(f"group_norm: input of shape {tuple(input.shape)} does not split into "
                         f"{num_groups} groups of channels")
    N, C = input.shape[0], input.shape[1]
    x = input.reshape(N, num_groups, -1)
    mean = sums.mean(x, 2, keepdim=True)
    d = x - mean
    var = sums.mean(d * d, 2, keepdim=True)
    out = (d * (var + eps) ** -0.5).reshape(*input.shape)
    bshape = (1, C) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(bshape)
    if bias is not None:
        out = out + bias.reshape(bshape)
    return out


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise over every dim but 1 (channels): (N, C), (N, C, L), (N, C, H, W).

    Training uses the batch statistics (biased variance) and, when running buffers are given,
    updates them in place: ``running = (1 - momentum) running + momentum stat`` with the
    unbiased variance. Evaluation uses the running statistics.
    """
    input = _tensor(input, "batch_norm")
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input with at least 2 dims (N, C, ...), got "
                         f"shape {tuple(input.shape)}")
    C = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    bshape = (1, C) + (1,) * (input.ndim - 2)
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (C,):
            raise ValueError(f"batch_norm: {name} of shape {tuple(t.shape)} does not fit input "
                             f"of shape {tuple(input.shape)} (expected ({C},))")
    if training:
        n = input._data.size // C
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)}")
        mean = sums.mean(input, axes, keepdim=True)
        d = input - mean
        var = sums.mean(d * d, axes, keepdim=True)
        if running_mean is not None or running_var is not None:
            with no_grad():
                m = momentum
                if running_mean is not None:
                    rm = running_mean._data
                    rm[...] = (1 - m) * rm + m * mean._data.reshape(C)
                    running_mean._version += 1
                if running_var is not None:
                    rv = running_var._data
                    rv[...] = (1 - m) * rv + m * var._data.reshape(C) * (n / (n - 1))
                    running_var._version += 1
        out = d * (var + eps) ** -0.5
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are required when "
                             "training=False")
        rm = running_mean._data.reshape(bshape)
        inv = (1.0 / np.sqrt(running_var._data.reshape(bshape) + eps)).astype(input.dtype)
        out = (input - Tensor._make(rm.astype(input.dtype))) * Tensor._make(inv)
    if weight is not None:
        out = out * weight.reshape(bshape)
    if bias is not None:
        out = out + bias.reshape(bshape)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims (biased variance)."""
    input = _tensor(input, "layer_norm")
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k:]) != normalized_shape or input.ndim < k:
        raise ValueError(f"layer_norm: input of shape {tuple(input.shape)} does not end with "
                         f"normalized_shape {normalized_shape}")
    axes = tuple(range(input.ndim - k, input.ndim))
    mean = sums.mean(input, axes, keepdim=True)
    d = input - mean
    var = sums.mean(d * d, axes, keepdim=True)
    out = d * (var + eps) ** -0.5
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p over dim, eps)``, as PyTorch's (differentiable)."""
    denom = sums.norm(input, p, dim, True).clamp(min=eps).expand_as(input)
    res = input / denom
    if out is not None:
        from autodiff.compat import write_out
        return write_out(res, out, "normalize")
    return res
