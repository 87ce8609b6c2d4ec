"""Cumulative ops along a dim: cumsum, cumprod, cummax, cummin, logcumsumexp, and diff. All
differentiable, double backward included."""
from __future__ import annotations

import numpy as np

from ... import function as _f
from ...compat import numpy_names
from ...function import Op
from .._common import _axes, _norm_dim, _result, _tensor
from ..elementwise import arithmetic, compare, unary
from ..index import gather_scatter
from ..shape import joins, rearrange, views

CummaxResult = _result("cummax")
CumminResult = _result("cummin")


class Cumsum(Op):
    """out[..., i, ...] = sum of a[..., :i+1, ...] along ``dim``;  da = reversed cumsum of g"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return np.cumsum(a, axis=dim, dtype=np.int64 if a.dtype.kind in "bi" else None)

    @staticmethod
    def backward(ctx, grad_out):
        d = ctx.dim
        return rearrange.flip(Cumsum.apply(rearrange.flip(grad_out, (d,)), d), (d,)), None


@numpy_names
def cumsum(input, dim):
    """Cumulative sum along ``dim``."""
    nd = input._data.ndim
    if nd == 0:
        return Cumsum.apply(views.reshape(input, (1,)), 0).reshape(())
    d, = _axes(dim, nd, "cumsum")
    return Cumsum.apply(input, d)


def _rev_cumsum(g, d):
    return rearrange.flip(cumsum(rearrange.flip(g, (d,)), d), (d,))


class Cumprod(Op):
    """out[i] = a[0] a[1] ... a[i] along ``dim`` (inputs without zeros);
    da = reversed-cumsum(g out) / a"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        out = np.cumprod(a, axis=dim)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, out = ctx.saved_tensors
        return _rev_cumsum(grad_out * out, ctx.dim) / a, None


def _scan_cumprod(x, d):
    """Inclusive cumulative product along ``d`` from multiplications only (Hillis-Steele
    scan): exact and differentiable when ``x`` holds zeros."""
    x = views.movedim(x, d, -1)
    n = x._data.shape[-1]
    lead = x._data.shape[:-1]
    y = x
    k = 1
    while k < n:
        ones = _f.Tensor._make(np.ones(lead + (k,), dtype=x._data.dtype))
        y = y * joins.cat([ones, views.narrow(y, -1, 0, n - k)], -1)
        k *= 2
    return views.movedim(y, -1, d)


@numpy_names
def cumprod(input, dim, *, dtype=None):
    """Cumulative product along ``dim``. Integer and bool inputs give int64."""
    x = _tensor(input, "cumprod")
    if dtype is not None:
        x = arithmetic.cast(x, dtype)
    elif x._data.dtype.kind in "bi":
        x = arithmetic.cast(x, np.int64)
    if x._data.ndim == 0:
        return views.reshape(cumprod(views.reshape(x, (1,)), 0), ())
    d = _norm_dim(dim, x._data.ndim, "cumprod")
    if x._data.dtype.kind == "f" and x._requires_grad and np.any(x._data == 0):
        return _scan_cumprod(x, d)
    return Cumprod.apply(x, d)


def _cum_extreme(input, dim, largest, cls, op):
    x = _tensor(input, op)
    if x._data.ndim == 0:
        return cls(x * 1, _f.Tensor._make(np.zeros((), np.int64)))
    d = _norm_dim(dim, x._data.ndim, op)
    a = np.moveaxis(x._data, d, -1)
    n = a.shape[-1]
    idx = np.empty(a.shape, dtype=np.int64)
    if n:
        best = a[..., 0].copy()
        cur = np.zeros(a.shape[:-1], dtype=np.int64)
        idx[..., 0] = 0
        for i in range(1, n):
            v = a[..., i]
            take = (v >= best) if largest else (v <= best)
            take |= np.isnan(v) if a.dtype.kind == "f" else False
            if a.dtype.kind == "f":
                take &= ~np.isnan(best) | np.isnan(v)
            best = np.where(take, v, best)
            cur = np.where(take, i, cur)
            idx[..., i] = cur
    idx = np.moveaxis(idx, -1, d)
    return cls(gather_scatter.gather(x, d, idx), _f.Tensor._make(np.ascontiguousarray(idx)))


@numpy_names
def cummax(input, dim):
    """Running maximum along ``dim`` as ``(values, indices)`` (a tie takes the later index,
    as PyTorch); the gradient goes to the selected elements."""
    return _cum_extreme(input, dim, True, CummaxResult, "cummax")


@numpy_names
def cummin(input, dim):
    return _cum_extreme(input, dim, False, CumminResult, "cummin")


@numpy_names
def logcumsumexp(input, dim):
    """``log(cumsum(exp(input)))`` along ``dim``, shifted by the maximum for stability."""
    x = _tensor(input, "logcumsumexp")
    if x._data.ndim == 0:
        return x * 1
    d = _norm_dim(dim, x._data.ndim, "logcumsumexp")
    m = np.max(x._data, axis=d, keepdims=True) if x._data.size else np.zeros(())
    m = np.where(np.isfinite(m), m, 0).astype(x._data.dtype)
    mt = _f.Tensor._make(m)
    return unary.log(cumsum(unary.exp(x - mt), d)) + mt


@numpy_names
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference ``out[i] = x[i + 1] - x[i]`` along ``dim``, after
    concatenating ``prepend`` and ``append`` along it."""
    x = _tensor(input, "diff")
    if x._data.ndim == 0:
        raise ValueError("diff: expects input to be at least one-dimensional")
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    d = _norm_dim(dim, x._data.ndim, "diff")
    parts = [p for p in (prepend, x, append) if p is not None]
    if len(parts) > 1:
        parts = [p if isinstance(p, _f.Tensor) else _f.Tensor._make(np.asarray(p)) for p in parts]
        x = joins.cat(parts, d)
    for _ in range(n):
        L = x._data.shape[d]
        if L == 0:
            break
        hi, lo = views.narrow(x, d, 1, L - 1), views.narrow(x, d, 0, L - 1)
        x = compare.logical_xor(hi, lo) if x._data.dtype == np.bool_ else hi - lo
    return x
