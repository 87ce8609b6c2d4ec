"""Exponentials, logarithms, roots, abs and the error function: exp, exp2, expm1, log, log1p,
log2, log10, sqrt, rsqrt, abs, erf, erfc."""
from __future__ import annotations

import math

import numpy as np

from ... import function as _f
from ...function import Op
from . import arithmetic
from .._common import _float_result, _tensor, _unary_error


_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _float(out, a):
    """Integer/bool inputs of float math give float32 (PyTorch), not NumPy's float64."""
    if a.dtype.kind in "biu":
        return out.astype(np.float32)
    return out


class Exp(Op):
    """out = exp(a);  da = g out"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        try:
            out = np.exp(a)
        except TypeError as e:
            raise _unary_error("exp", a, e) from None
        if out.dtype is not a.dtype:
            out = _float_result(out, a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        out, = ctx.saved_tensors
        return grad_out * out


class Exp2(Op):
    """out = 2^a;  da = g out ln 2"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        out = _float(np.exp2(a), a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        out, = ctx.saved_tensors
        return grad_out * out * _LN2


class Expm1(Op):
    """out = exp(a) - 1;  da = g (out + 1)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        out = _float(np.expm1(a), a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        out, = ctx.saved_tensors
        return grad_out * (out + 1)


class Log(Op):
    """out = log(a);  da = g / a"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        try:
            out = np.log(a)
        except TypeError as e:
            raise _unary_error("log", a, e) from None
        return _float_result(out, a) if out.dtype is not a.dtype else out

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out / a


class Log1p(Op):
    """out = log(1 + a);  da = g / (1 + a)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        try:
            out = np.log1p(a)
        except TypeError as e:
            raise _unary_error("log1p", a, e) from None
        return _float_result(out, a) if out.dtype is not a.dtype else out

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out / (a + 1)


class Log2(Op):
    """out = log2(a);  da = g / (a ln 2)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _float(np.log2(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out / (a * _LN2)


class Log10(Op):
    """out = log10(a);  da = g / (a ln 10)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _float(np.log10(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out / (a * _LN10)


class Sqrt(Op):
    """out = sqrt(a);  da = g / (2 out)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        try:
            out = np.sqrt(a)
        except TypeError as e:
            raise _unary_error("sqrt", a, e) from None
        if out.dtype is not a.dtype:
            out = _float_result(out, a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        out, = ctx.saved_tensors
        return grad_out / (out * 2)


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


class Erf(Op):
    """out = erf(a);  da = g 2/sqrt(pi) exp(-a^2)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _special("erf", a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out * (exp(-(a * a)) * _TWO_OVER_SQRT_PI)


class Erfc(Op):
    """out = erfc(a) = 1 - erf(a) (accurate in the tail);  da = -g 2/sqrt(pi) exp(-a^2)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _special("erfc", a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out * (exp(-(a * a)) * -_TWO_OVER_SQRT_PI)


# ---------------------------------------------------------------------------------------------
# functional forms


def exp(a):
    return Exp.apply(a)


def exp2(input):
    return Exp2.apply(_tensor(input, "exp2"))


def expm1(input):
    return Expm1.apply(_tensor(input, "expm1"))


def log(a):
    return Log.apply(a)


def log1p(a):
    return Log1p.apply(a)


def log2(input):
    return Log2.apply(_tensor(input, "log2"))


def log10(input):
    return Log10.apply(_tensor(input, "log10"))


def sqrt(a):
    return Sqrt.apply(a)


def rsqrt(input):
    return arithmetic.div(1.0, sqrt(input))


def abs(a):
    return Abs.apply(a)


def erf(input):
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``."""
    return Erf.apply(_tensor(input, "erf"))


def erfc(input):
    """The complementary error function ``1 - erf(input)``, accurate for large inputs."""
    return Erfc.apply(_tensor(input, "erfc"))
