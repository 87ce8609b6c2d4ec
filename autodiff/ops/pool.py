"""Pooling: max_pool1d, max_pool2d, avg_pool1d, avg_pool2d.

Max pooling is a gather at the window maxima, which are fixed once the forward has found
them, so its derivatives of every order are a pair of linear ops that are each other's
adjoint: ``MaxPoolScatter`` (dx = g put back at the maxima) and ``MaxPoolGather``.
Average pooling likewise pairs ``AvgPool2d`` with its adjoint ``AvgPoolBackward``.
Kernels: ``autodiff.kernels.pool``.
"""
from __future__ import annotations

from collections import namedtuple

from .. import function as _f
from ..function import Op
from ..kernels import pool as K
from . import _common as C
from .shape import views as S

__all__ = ["MaxPool2d", "MaxPoolScatter", "MaxPoolGather", "AvgPool2d", "AvgPoolBackward",
           "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d"]

MaxGeometry = namedtuple("MaxGeometry", "kernel stride padding dilation ceil_mode")
AvgGeometry = namedtuple("AvgGeometry",
                         "kernel stride padding ceil_mode count_include_pad divisor_override")


class MaxPool2d(Op):
    """out = max of x (N, C, H, W) over each window;  dx = MaxPoolScatter(g) at the argmax"""

    @staticmethod
    def forward(ctx, x, geom, box=None):
        k, s, p, d, ceil_mode = geom
        out, loc = K.max_pool2d_forward(x, k, s, p, d, ceil_mode)
        ctx.geom, ctx.loc, ctx.x_shape = geom, loc, x.shape
        if box is not None:
            box.append(loc)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        return MaxPoolScatter.apply(grad_out, ctx.loc, ctx.geom, ctx.x_shape), None, None


class _Linear(Op):
    """An op linear in its first argument, its other arguments fixed data (``ctx.fixed``:
    geometry, argmax positions, input shape).  Its derivative is its adjoint (the class
    attribute ``adjoint``, the transposed map) applied to the incoming gradient with the same
    fixed arguments: each pair below is the other's adjoint, so it closes under
    differentiation."""

    adjoint = None

    @staticmethod
    def backward(ctx, grad_out):
        return (ctx.fn.adjoint.apply(grad_out, *ctx.fixed),) + (None,) * len(ctx.fixed)


class MaxPoolScatter(_Linear):
    """dx (x_shape) = g (N, C, Ho, Wo) added at the stored window maxima;
    d/dg = MaxPoolGather(gg)"""

    @staticmethod
    def forward(ctx, g, loc, geom, x_shape):
        ctx.fixed = loc, geom, x_shape
        return K.max_pool2d_backward(g, loc, x_shape, *geom[:4])


class MaxPoolGather(_Linear):
    """out (N, C, Ho, Wo) = x at the stored window maxima;  dx = MaxPoolScatter(g)"""

    @staticmethod
    def forward(ctx, x, loc, geom, x_shape):
        ctx.fixed = loc, geom, x_shape
        return K.max_pool2d_gather(x, loc, *geom[:4])


class AvgPool2d(_Linear):
    """out = mean of x (N, C, H, W) over each window;  dx = AvgPoolBackward(g)"""

    @staticmethod
    def forward(ctx, x, geom, x_shape):
        ctx.fixed = geom, x_shape
        return K.avg_pool2d_forward(x, *geom)


class AvgPoolBackward(_Linear):
    """dx (x_shape) = g (N, C, Ho, Wo) spread evenly over each window;  d/dg = AvgPool2d(gg)"""

    @staticmethod
    def forward(ctx, g, geom, x_shape):
        ctx.fixed = geom, x_shape
        return K.avg_pool2d_backward(g, x_shape, *geom)


MaxPoolScatter.adjoint, MaxPoolGather.adjoint = MaxPoolGather, MaxPoolScatter
AvgPool2d.adjoint, AvgPoolBackward.adjoint = AvgPoolBackward, AvgPool2d


# --------------------------------------------------------------------------- functional forms


def _input(x, name, dims):
    x = C.tensor_arg(x, "input", name)
    if x.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{name}: expected a {dims + 1}-D or {dims + 2}-D input, got shape "
                         f"{tuple(x.shape)}")
    if 0 in x.shape[-dims - 1:]:
        raise ValueError(f"{name}: expected an input with non-zero sizes in all but the batch "
                         f"dimension, got shape {tuple(x.shape)}")
    return C.float_input(x, name, ints=True)


def _window_args(name, n, kernel_size, stride, padding, dilation=1):
    """Checked (kernel, stride, padding, dilation) tuples of an n-D pool; stride defaults to
    the kernel size."""
    k = C.positive(C.int_tuple(kernel_size, n, "kernel_size", name, True), "kernel_size", name)
    if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0):
        s = k
    else:
        s = C.positive(C.int_tuple(stride, n, "stride", name, True), "stride", name)
    p = C.nonnegative(C.int_tuple(padding, n, "padding", name, True), "padding", name)
    d = C.positive(C.int_tuple(dilation, n, "dilation", name, True), "dilation", name)
    for pi, ki, di in zip(p, k, d):
        if 2 * pi > di * (ki - 1) + 1:
            raise ValueError(f"{name}: pad should be at most half the kernel size (dilated), but "
                             f"got padding={p}, kernel_size={k} and dilation={d}")
    return k, s, p, d


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling, PyTorch's ``max_pool2d``: input (N, C, H, W) or (C, H, W).

    ``stride`` defaults to ``kernel_size``; implicit padding is -inf.  With
    ``return_indices`` also returns the int64 flat index of each maximum in its H*W plane.
    """
    x = _input(input, "max_pool2d", 2)
    k, s, p, d = _window_args("max_pool2d", 2, kernel_size, stride, padding, dilation)
    if C.is_half(x):  # computed in float32
        res = max_pool2d(*C.to_float32(x), k, s, p, d, ceil_mode, return_indices)
        return (C.back_to_half(res[0]), res[1]) if return_indices else C.back_to_half(res)
    unbatched = x.ndim == 3
    if unbatched:
        x = S.unsqueeze(x, 0)
    geom = MaxGeometry(k, s, p, d, bool(ceil_mode))
    box = []
    out = MaxPool2d.apply(x, geom, box)
    if unbatched:
        out = S.squeeze(out, 0)
    if not return_indices:
        return out
    idx = K.max_pool2d_indices(box[0], x.shape, k, s, geom.padding, geom.dilation)
    if unbatched:
        idx = idx[0]
    return out, _f.Tensor._make(idx)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling, PyTorch's ``max_pool1d``: input (N, C, L) or (C, L)."""
    x = _input(input, "max_pool1d", 1)
    (k,), (s,), (p,), (d,) = _window_args("max_pool1d", 1, kernel_size, stride, padding,
                                          dilation)
    res = max_pool2d(S.unsqueeze(x, -2), (1, k), (1, s), (0, p), (1, d), ceil_mode,
                     return_indices)
    if return_indices:
        out, idx = res
        return S.squeeze(out, -2), _f.Tensor._make(idx._data[..., 0, :])
    return S.squeeze(res, -2)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling, PyTorch's ``avg_pool2d``: input (N, C, H, W) or (C, H, W)."""
    x = _input(input, "avg_pool2d", 2)
    k, s, p, _ = _window_args("avg_pool2d", 2, kernel_size, stride, padding)
    if divisor_override is not None:
        divisor_override = C.int_arg(divisor_override, "divisor_override", "avg_pool2d")
        if divisor_override == 0:
            raise ValueError("avg_pool2d: divisor must be not zero")
    if C.is_half(x):  # computed in float32
        return C.back_to_half(avg_pool2d(*C.to_float32(x), k, s, p, ceil_mode,
                                         count_include_pad, divisor_override))
    unbatched = x.ndim == 3
    if unbatched:
        x = S.unsqueeze(x, 0)
    geom = AvgGeometry(k, s, p, bool(ceil_mode), bool(count_include_pad), divisor_override)
    out = AvgPool2d.apply(x, geom, x.shape)
    return S.squeeze(out, 0) if unbatched else out


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling, PyTorch's ``avg_pool1d``: input (N, C, L) or (C, L)."""
    x = _input(input, "avg_pool1d", 1)
    (k,), (s,), (p,), _ = _window_args("avg_pool1d", 1, kernel_size, stride, padding)
    out = avg_pool2d(S.unsqueeze(x, -2), (1, k), (1, s), (0, p), ceil_mode, count_include_pad)
    return S.squeeze(out, -2)
