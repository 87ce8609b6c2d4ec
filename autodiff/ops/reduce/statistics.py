"""Variance and standard deviation: var, std (``correction`` as PyTorch's)."""
from __future__ import annotations

import builtins

import numpy as np

from ...compat import numpy_names
from ...function import Op
from .._common import _axes
from ..elementwise import select
from . import sums


class Var(Op):
    """out = sum((a - mean)^2) / (n - correction) over ``axes``;
    da = g 2 (a - mean(a)) / (n - correction)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, axes, correction, keepdim):
        ctx.in_shape, ctx.axes_, ctx.keepdim_ = a.shape, axes, keepdim
        ctx.dof = _dof(a.shape, axes, correction)
        ctx.save_for_backward(a)
        return _var_array(a, axes, correction, keepdim, ctx.dof)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        d = _deviation(a, ctx.axes_)
        g = sums._kept(grad_out, ctx.in_shape, ctx.axes_, ctx.keepdim_)
        scale = np.float64(2.0) / ctx.dof  # (n == correction: inf, as PyTorch)
        return g * d * scale, None, None, None


class Std(Op):
    """out = sqrt(var(a));  da = g (a - mean(a)) / ((n - correction) out)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, axes, correction, keepdim):
        ctx.in_shape, ctx.axes_, ctx.keepdim_ = a.shape, axes, keepdim
        ctx.dof = _dof(a.shape, axes, correction)
        out = np.sqrt(_var_array(a, axes, correction, keepdim, ctx.dof))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, out = ctx.saved_tensors
        d = _deviation(a, ctx.axes_)
        g = sums._kept(grad_out, ctx.in_shape, ctx.axes_, ctx.keepdim_)
        o = sums._kept(out, ctx.in_shape, ctx.axes_, ctx.keepdim_)
        zero = o._data == 0
        if zero.any():
            # a constant slice: 0 where the std is 0 (PyTorch masks there), not 0 / 0
            o = select.where(zero, 1.0, o)
        return g * d / (o * ctx.dof), None, None, None


def _shifted(a, axes):
    """``a`` minus the first element of each slice over ``axes``: var and std are computed
    about it, so a constant slice gives exactly 0 (NumPy's two-pass mean can be an ulp off,
    leaving a variance of 1e-32 and an O(1) std gradient), as PyTorch's Welford does."""
    s = _shift(a, axes)
    return a if s is None else a - s


def _shift(a, axes):
    """The first element of each slice of ``a`` over ``axes`` (0 where it is not finite, so
    that an inf or NaN propagates as without the shift), or None for a 0-d or empty ``a``."""
    if a.ndim == 0 or not a.size:
        return None
    s = a[tuple(slice(0, 1) if i in axes else slice(None) for i in range(a.ndim))]
    return np.where(np.isfinite(s), s, 0).astype(a.dtype, copy=False)


def _var_array(a, axes, correction, keepdim, dof):
    """The variance of ``a`` over ``axes`` about each slice's first element; with no degrees
    of freedom left (``dof <= 0``) the value PyTorch gives (NaN, or inf), computed directly
    since np.var warns there."""
    if a.ndim == 0:
        axes = ()
    b = _shifted(a, axes)
    if dof > 0:
        return np.var(b, axis=axes, ddof=correction, keepdims=keepdim)
    n = dof + correction
    m = np.sum(b, axis=axes, keepdims=True) / n if n else np.full(b.shape, np.nan, b.dtype)
    ss = np.sum((b - m) ** 2, axis=axes, keepdims=keepdim)
    return np.asarray(ss / builtins.max(dof, 0), dtype=a.dtype)


def _deviation(a, axes):
    """a - mean(a) over ``axes`` (differentiable), computed about the first element of each
    slice (see _shifted): exactly 0 on a constant slice."""
    s = _shift(a._data, axes)
    if s is not None:
        a = a - s
    return a - sums.mean(a, axes, keepdim=True)


def _dof(shape, axes, correction):
    """n - correction, not clipped at 0 (the backward's divisor, as PyTorch's var_backward:
    a constant slice with correction > n gets gradient -0, not NaN)."""
    n = 1
    for ax in axes:
        n *= shape[ax]
    return np.float64(n - correction)


def _var_args(input, dim, unbiased, correction):
    if correction is None:
        correction = 0 if unbiased is False else 1
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"var/std: expected a floating point tensor (got {input._data.dtype})")
    return _axes(dim, input._data.ndim, "var/std"), correction


@numpy_names
def var(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """Variance over ``dim`` with ``correction`` (default 1, Bessel's); ``unbiased=False``
    means correction 0."""
    axes, correction = _var_args(input, dim, unbiased, correction)
    return Var.apply(input, axes, correction, keepdim)


@numpy_names
def std(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """Standard deviation: ``sqrt(var(...))`` with the same arguments."""
    axes, correction = _var_args(input, dim, unbiased, correction)
    return Std.apply(input, axes, correction, keepdim)
