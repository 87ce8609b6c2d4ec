"""Exponentials, logarithms, roots, abs and the error function: exp, exp2, expm1, log, log1p,
log2, log10, sqrt, rsqrt, abs, erf, erfc.

The ops with a one-line derivative are a table (``unary_op``): each row is the forward (a
NumPy function) beside its backward, ``da = grad(g, a)`` or ``grad(g, out)``, written with
differentiable ops so double backward works.
"""
from __future__ import annotations

import math

import numpy as np

from ... import function as _f
from ...function import Op
from .._common import _tensor, unary_op
from . import arithmetic

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_M = __name__

# (class, functional form) = unary_op(name, forward, backward: da given g and the saved value)
Exp, exp = unary_op("Exp", np.exp, lambda g, out: g * out, "out", module=_M)
Exp2, exp2 = unary_op("Exp2", np.exp2, lambda g, out: g * out * _LN2, "out", module=_M)
Expm1, expm1 = unary_op("Expm1", np.expm1, lambda g, out: g * (out + 1), "out", module=_M)
Log, log = unary_op("Log", np.log, lambda g, a: g / a, module=_M)
Log1p, log1p = unary_op("Log1p", np.log1p, lambda g, a: g / (a + 1), module=_M)
Log2, log2 = unary_op("Log2", np.log2, lambda g, a: g / (a * _LN2), module=_M)
Log10, log10 = unary_op("Log10", np.log10, lambda g, a: g / (a * _LN10), module=_M)
Sqrt, sqrt = unary_op("Sqrt", np.sqrt, lambda g, out: g / (out * 2), "out", module=_M)
# (PyTorch's order of operations: g * (exp(-a^2) * 2/sqrt(pi)))
Erf, erf = unary_op("Erf", lambda a: _special("erf", a),
                    lambda g, a: g * (exp(-(a * a)) * _TWO_OVER_SQRT_PI), quiet=False, module=_M)
Erfc, erfc = unary_op("Erfc", lambda a: _special("erfc", a),
                      lambda g, a: g * (exp(-(a * a)) * -_TWO_OVER_SQRT_PI), quiet=False,
                      module=_M)


class Abs(Op):
    """out = |a|;  da = g sign(a) (0 at 0, and 0 at a NaN a, as PyTorch's sgn)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.abs(a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        sign = np.sign(a._data)
        sign = np.where(sign == sign, sign, 0).astype(sign.dtype, copy=False)
        return grad_out * _f.Tensor._make(sign)


# ---------------------------------------------------------------------------------------------
# erf, erfc: a numba loop over math.erf / math.erfc, with NumPy twins for the tests


_kernels = {}


def erf_array_ref(a):
    """NumPy twin of the erf kernel: ``math.erf`` element by element (slow)."""
    return np.vectorize(math.erf, otypes=[np.float64])(a).astype(a.dtype, copy=False)


def erfc_array_ref(a):
    """NumPy twin of the erfc kernel: ``math.erfc`` element by element (slow)."""
    return np.vectorize(math.erfc, otypes=[np.float64])(a).astype(a.dtype, copy=False)


def _kernel(name):
    """A numba loop applying ``math.erf`` or ``math.erfc`` (compiled on first use, cached)."""
    k = _kernels.get(name)
    if k is None:
        import numba

        if name == "erf":
            @numba.njit(cache=True)
            def k(x, out):
                for i in range(x.size):
                    out[i] = math.erf(x[i])
        else:
            @numba.njit(cache=True)
            def k(x, out):
                for i in range(x.size):
                    out[i] = math.erfc(x[i])
        _kernels[name] = k
    return k


def _special(name, a):
    if a.dtype.kind != "f":
        a = a.astype(np.float32)
    flat = np.ascontiguousarray(a).reshape(-1)
    out = np.empty_like(flat)
    if flat.size:
        _kernel(name)(flat, out)
    return out.reshape(a.shape)


# ---------------------------------------------------------------------------------------------
# functional forms of the ops outside the table


def rsqrt(input):
    return arithmetic.div(1.0, sqrt(_tensor(input, "rsqrt")))


def abs(input):
    return Abs.apply(_tensor(input, "abs"))
