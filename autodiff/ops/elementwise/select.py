"""Selections: clamp (clip, clamp_min, clamp_max), maximum, minimum, where, nan_to_num.
Their gradients are selects of the incoming gradient, as PyTorch's."""
from __future__ import annotations

import numpy as np

from ... import function as _f
from ...function import Op
from .._common import (
    _F64,
    BinaryOp,
    _binary_error,
    _data,
    _promote,
    _shape_of,
    _tensor,
    _zero_dim,
)


class Clamp(Op):
    """out = min(max(a, lo), hi);  da = g if lo <= a <= hi else 0 (a select, as PyTorch: 0 at a
    NaN input and outside the bounds even for an inf or NaN g; bounds are constants)"""

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a)
        ctx.lo, ctx.hi = lo, hi
        out = a
        if lo is not None:
            out = np.maximum(out, lo)
        if hi is not None:
            out = np.minimum(out, hi)
        if out is a:
            return a.copy()
        out = np.asarray(out)
        if out.dtype is not a.dtype:  # a number bound does not promote a float tensor; an
            # integer tensor with a float bound gives float32 (PyTorch), not NumPy's float64
            out = out.astype(a.dtype) if a.dtype.kind == "f" else _promote(out, a)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        mask = np.ones(a.shape, dtype=bool)
        if ctx.lo is not None:
            mask &= a._data >= ctx.lo
        if ctx.hi is not None:
            mask &= a._data <= ctx.hi
        return where(mask, grad_out, grad_out._data.dtype.type(0)), None, None


class ClampTensor(Op):
    """clamp with tensor bounds, as PyTorch: out = min(max(a, lo), hi), NaN from any side;
    the gradient masks of PyTorch's clamp_backward_min_max: da = g where lo <= a <= hi,
    dlo = g where a < lo < hi, dhi = g where a > hi or hi < lo (even where out is NaN);
    with one bound, da = g where a >= lo (a <= hi), dlo = g where a < lo (dhi: a > hi)"""

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a, lo, hi)
        a, lo, hi = _zero_dim(a, lo, hi)  # a 0-d bound does not promote (nor a 0-d input)
        try:
            out = a if lo is None else np.maximum(a, lo)
            out = out if hi is None else np.minimum(out, hi)
        except (ValueError, TypeError) as e:
            bound = lo if hi is None else hi
            raise _binary_error("clamp", a, bound, e) from None
        return _promote(out, a, lo, hi) if out.dtype is _F64 else out

    @staticmethod
    def backward(ctx, grad_out):
        a, lo, hi = (None if t is None else t._data for t in ctx.saved_tensors)
        with np.errstate(invalid="ignore"):
            if lo is None:
                masks = (a <= hi, None, a > hi)
            elif hi is None:
                masks = (a >= lo, a < lo, None)
            else:
                masks = ((a >= lo) & (a <= hi), (a < lo) & (lo < hi), (a > hi) | (hi < lo))
        zero = grad_out._data.dtype.type(0)
        return tuple(None if m is None or not need else where(m, grad_out, zero)
                     for m, need in zip(masks, ctx.needs_input_grad))


class _Extremum(BinaryOp):
    """``maximum`` / ``minimum``. Their backward (PyTorch's) selects rather than multiplies:
    each input gets g (g / 2 at a tie) except where it loses, 0 there even for an inf or NaN
    g.  A NaN on either side is neither a tie nor a loss, so both inputs get g there.
    Subclasses set ``f``, ``name`` and ``a_loses``, ``b_loses`` (ufuncs of (a, b))."""

    a_loses = b_loses = None

    @classmethod
    def backward(cls, ctx, grad_out):
        a, b = ctx.saved_tensors
        ad, bd = a._data, b._data
        need_a, need_b = ctx.needs_input_grad
        zero = grad_out._data.dtype.type(0)
        tie = ad == bd
        g = where(tie, grad_out * 0.5, grad_out) if tie.any() else grad_out
        return (where(cls.a_loses(ad, bd), zero, g) if need_a else None,
                where(cls.b_loses(ad, bd), zero, g) if need_b else None)


class Maximum(_Extremum):
    """out = max(a, b);  da = 0 if a < b, g / 2 at a tie, else g (a NaN passes g to both);
    db likewise"""

    f, name = np.maximum, "maximum"
    a_loses, b_loses = np.less, np.greater


class Minimum(_Extremum):
    """out = min(a, b);  da = 0 if a > b, g / 2 at a tie, else g (a NaN passes g to both);
    db likewise"""

    f, name = np.minimum, "minimum"
    a_loses, b_loses = np.greater, np.less


class Where(Op):
    """out = cond ? a : b"""

    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        try:
            out = np.where(cond, a, b)
        except (ValueError, TypeError) as e:
            if isinstance(e, ValueError):
                raise ValueError(f"where: shapes {_shape_of(cond)}, {_shape_of(a)} and "
                                 f"{_shape_of(b)} cannot be broadcast together") from None
            raise _binary_error("where", a, b, e) from None
        return _promote(out, a, b) if out.dtype is _F64 else out

    @staticmethod
    def backward(ctx, grad_out):
        c = _f.Tensor._make(np.asarray(ctx.cond, dtype=bool))
        _, need_a, need_b = ctx.needs_input_grad
        zero = grad_out._data.dtype.type(0)
        ga = where(c, grad_out, zero) if need_a else None
        gb = where(c, zero, grad_out) if need_b else None
        return None, ga, gb


class NanToNum(Op):
    """out = a with nan, +inf, -inf replaced;  da = g where a is finite, 0 elsewhere"""

    @staticmethod
    def forward(ctx, a, nan, posinf, neginf):
        ctx.finite = np.isfinite(a)
        if a.dtype.kind != "f":
            return a.copy()
        return np.nan_to_num(a, nan=nan, posinf=posinf, neginf=neginf)

    @staticmethod
    def backward(ctx, grad_out):
        return where(_f.Tensor._make(ctx.finite), grad_out, 0.0), None, None, None


# ---------------------------------------------------------------------------------------------
# functional forms


def clamp(a, min=None, max=None):
    """``min(max(a, min), max)``; the gradient reaches ``a`` where ``min <= a <= max``
    (inclusive, as PyTorch). Tensor bounds broadcast and get the gradient where they win."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' or 'max' must not be None")
    T = _f.Tensor
    if isinstance(min, T) or isinstance(max, T):
        return ClampTensor.apply(a, min, max)
    return Clamp.apply(a, min, max)


clip = clamp


def clamp_min(input, min):
    """``clamp(input, min=min)``."""
    return clamp(input, min, None)


def clamp_max(input, max):
    """``clamp(input, max=max)``."""
    return clamp(input, None, max)


def maximum(input, other):
    return Maximum.apply(input, other)


def minimum(input, other):
    return Minimum.apply(input, other)


def where(condition, input=None, other=None):
    """``where(cond, a, b)``: elementwise select; ``where(cond)`` gives the nonzero indices."""
    if input is None and other is None:
        return tuple(_f.Tensor._make(i) for i in np.nonzero(_data(condition)))
    cond = np.asarray(_data(condition), dtype=bool)
    return Where.apply(cond, input, other)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """nan -> ``nan``, +inf -> ``posinf`` (default: the dtype's largest finite value),
    -inf -> ``neginf`` (default: the most negative finite value)."""
    x = _tensor(input, "nan_to_num")
    return NanToNum.apply(x, nan, posinf, neginf)
