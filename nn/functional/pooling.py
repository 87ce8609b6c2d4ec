"""Pooling functions: ``max_pool1d``, ``max_pool2d``, ``avg_pool2d`` (the engine's ops,
``autodiff.ops.pool``) and the adaptive average pools, composed from means."""
from __future__ import annotations

from autodiff.ops import _common
from autodiff.ops._common import _tensor
from autodiff.ops.reduce import sums
from autodiff.ops.shape import joins


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """input (N, C, L) or (C, L)."""
    from autodiff.ops.pool import max_pool1d as _mp1
    return _mp1(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """input (N, C, H, W) or (C, H, W)."""
    from autodiff.ops.pool import max_pool2d as _mp2
    return _mp2(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """input (N, C, H, W) or (C, H, W)."""
    from autodiff.ops.pool import avg_pool2d as _ap2
    return _ap2(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override)


def _adaptive_avg_1d(x, dim, out_size):
    n = x.shape[dim]
    if out_size == n:
        return x
    if out_size == 0:  # an empty output, as PyTorch
        return x[(slice(None),) * dim + (slice(0, 0),)]
    if n % out_size == 0:
        shape = list(x.shape)
        k = n // out_size
        new = shape[:dim] + [out_size, k] + shape[dim + 1:]
        return sums.mean(x.reshape(*new), dim + 1)
    parts = []
    for i in range(out_size):
        start = (i * n) // out_size
        end = -((-(i + 1) * n) // out_size)  # ceil
        parts.append(sums.mean(x[(slice(None),) * dim + (slice(start, end),)], dim, keepdim=True))
    return joins.cat(parts, dim)


def _adaptive_nonempty(input, sizes, op):
    """torch's check: an empty dim after the first is an error (but for an output of all 1s,
    its mean fast path)."""
    if 0 in input.shape[1:] and any(s != 1 for s in sizes):
        raise ValueError(f"{op}: expected input to have non-zero size for non-batch "
                         f"dimensions, got shape {tuple(input.shape)}")


def _adaptive_sizes(output_size, in_sizes, op):
    n = len(in_sizes)
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != n:
            raise ValueError(f"{op}: output_size must have {n} elements, got {output_size}")
        sizes = tuple(in_sizes[i] if o is None else _common.int_arg(o, "output_size", op)
                      for i, o in enumerate(output_size))
    else:
        sizes = (_common.int_arg(output_size, "output_size", op),) * n
    if any(s < 0 for s in sizes):
        raise ValueError(f"{op}: output_size must be non-negative, got {output_size}")
    return sizes


def adaptive_avg_pool1d(input, output_size):
    """Average over PyTorch's adaptive windows [floor(i L/out), ceil((i+1) L/out)):
    input (N, C, L) or (C, L)."""
    input = _tensor(input, "adaptive_avg_pool1d")
    if input.ndim not in (2, 3):
        raise ValueError(f"adaptive_avg_pool1d: expected a 2D or 3D input, got shape "
                         f"{tuple(input.shape)}")
    (lo,) = _adaptive_sizes(output_size, input.shape[-1:], "adaptive_avg_pool1d")
    _adaptive_nonempty(input, (lo,), "adaptive_avg_pool1d")
    return _adaptive_avg_1d(input, input.ndim - 1, lo)


def adaptive_avg_pool2d(input, output_size):
    """Average over adaptive windows in H and W: input (N, C, H, W) or (C, H, W)."""
    input = _tensor(input, "adaptive_avg_pool2d")
    if input.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d: expected a 3D or 4D input, got shape "
                         f"{tuple(input.shape)}")
    ho, wo = _adaptive_sizes(output_size, input.shape[-2:], "adaptive_avg_pool2d")
    _adaptive_nonempty(input, (ho, wo), "adaptive_avg_pool2d")
    out = _adaptive_avg_1d(input, input.ndim - 2, ho)  # separable: rectangles
    return _adaptive_avg_1d(out, input.ndim - 1, wo)
