"""More elementwise math: rounding, exp/log variants, hyperbolic and inverse trig functions,
erf, atan2, lerp, nan_to_num, and the float classification tests (isnan, isinf, isfinite).

Each op is one ``Op`` class with its backward written in differentiable ops (double backward
works). Rounding ops (floor, ceil, round, trunc, sign) have a zero gradient, as PyTorch's.
"""
from __future__ import annotations

import math

import numpy as np

from ..function import Op
from .. import function as _f
from . import elementwise as E

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _float(out, a):
    """Integer/bool inputs of float math give float32 (PyTorch), not NumPy's float64."""
    if a.dtype.kind in "biu":
        return out.astype(np.float32)
    return out


def _check_tensor(a, op):
    if not isinstance(a, _f.Tensor):
        raise TypeError(f"{op}: expected a Tensor (got {type(a).__name__})")
    return a


# ---- zero-gradient rounding ----------------------------------------------------------------
class _Rounding(Op):
    """out = f(a) piecewise constant;  da = 0"""

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 0.0


class Floor(_Rounding):
    """out = floor(a);  da = 0"""

    @staticmethod
    def forward(ctx, a):
        return np.floor(a) if a.dtype.kind == "f" else a.copy()


class Ceil(_Rounding):
    """out = ceil(a);  da = 0"""

    @staticmethod
    def forward(ctx, a):
        return np.ceil(a) if a.dtype.kind == "f" else a.copy()


class Trunc(_Rounding):
    """out = trunc(a);  da = 0"""

    @staticmethod
    def forward(ctx, a):
        return np.trunc(a) if a.dtype.kind == "f" else a.copy()


class Sign(_Rounding):
    """out = sign(a) in {-1, 0, 1};  da = 0"""

    @staticmethod
    def forward(ctx, a):
        if a.dtype == np.bool_:
            return a.copy()
        return np.sign(a)


class Round(Op):
    """out = a rounded half to even (to ``decimals`` places);  da = 0"""

    @staticmethod
    def forward(ctx, a, decimals):
        if a.dtype.kind != "f":
            return a.copy()
        return np.round(a, decimals)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 0.0, None


class Frac(Op):
    """out = a - trunc(a);  da = g"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        return a - np.trunc(a)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out


# ---- remainder, fmod, floor division --------------------------------------------------------
def _divmod_forward(fn, name, a, b):
    try:
        out = fn(a, b)  # (the ops are quiet: no NumPy warning for b == 0)
    except (ValueError, TypeError) as e:
        raise E._binary_error(name, a, b, e) from None
    if out.__class__ is not np.ndarray:
        out = np.asarray(out)
    if out.dtype == np.float64:
        out = E._promote(out, a, b)
    return out


def _not_implemented(ctx, name):
    raise RuntimeError(f"derivative for {name} is not implemented (as PyTorch: the result is "
                       "piecewise constant; use floor(a / b), trunc(a / b) or "
                       "div(a, b, rounding_mode=...) for a zero gradient)")


class Remainder(Op):
    """out = a - floor(a / b) b (the sign of b, Python's %);  da = g,  db = -g floor(a / b).
    With a Python-number dividend the result is not differentiable w.r.t. b (backward raises,
    as PyTorch's remainder(Scalar, Tensor))."""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, b, scalar_dividend):
        ctx.save_for_backward(a, b)
        ctx.scalar_dividend = scalar_dividend
        return _divmod_forward(np.remainder, "remainder", a, b)

    @staticmethod
    def backward(ctx, grad_out):
        if ctx.scalar_dividend:
            _not_implemented(ctx, "remainder")
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad[:2]
        gb = -grad_out * Floor.apply(a / b) if need_b else None
        return (grad_out if need_a else None), gb, None


class Fmod(Op):
    """out = a - trunc(a / b) b (the sign of a, C's fmod);  da = g,  db = -g trunc(a / b)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return _divmod_forward(np.fmod, "fmod", a, b)

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        gb = -grad_out * Trunc.apply(a / b) if need_b else None
        return (grad_out if need_a else None), gb


class FloorDivide(Op):
    """out = floor(a / b) (``a // b``); backward raises, as PyTorch's floor_divide (its result
    requires grad, its derivative is not implemented)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, b):
        return _divmod_forward(np.floor_divide, "floor_divide", a, b)

    @staticmethod
    def backward(ctx, grad_out):
        _not_implemented(ctx, "floor_divide")


class DivRounded(Op):
    """out = floor(a / b) or trunc(a / b) (``div(a, b, rounding_mode=...)``);  da = db = 0
    (as PyTorch)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, b, mode):
        fn = np.floor_divide if mode == "floor" else (lambda x, y: np.trunc(np.true_divide(x, y)))
        return _divmod_forward(fn, "div", a, b)

    @staticmethod
    def backward(ctx, grad_out):
        zero = grad_out * 0.0
        return zero, zero, None


def remainder(input, other):
    """Python's ``%``: the result has the sign of ``other``. Differentiable: ``da = g``,
    ``db = -g floor(a / b)``."""
    T = _f.Tensor
    scalar = not isinstance(input, (T, np.ndarray))
    return Remainder.apply(input, other, scalar)


def fmod(input, other):
    """C's ``fmod``: the result has the sign of ``input``. Differentiable: ``da = g``,
    ``db = -g trunc(a / b)``."""
    return Fmod.apply(input, other)


def floor_divide(input, other):
    """``floor(input / other)`` (``//``); as PyTorch its backward raises (not implemented)."""
    return FloorDivide.apply(input, other)


# ---- exp / log variants --------------------------------------------------------------------
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


class Reciprocal(Op):
    """out = 1 / a;  da = -g (out out) (PyTorch's ReciprocalBackward, bit for bit)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        out = np.reciprocal(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        (out,) = ctx.saved_tensors
        return -grad_out * (out * out)


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


# ---- trigonometric and hyperbolic ----------------------------------------------------------
class Tan(Op):
    """out = tan(a);  da = g (1 + out^2)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        out = _float(np.tan(a), a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        out, = ctx.saved_tensors
        return grad_out * (out * out + 1)


class Sinh(Op):
    """out = sinh(a);  da = g cosh(a)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _float(np.sinh(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out * Cosh.apply(a)


class Cosh(Op):
    """out = cosh(a);  da = g sinh(a)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _float(np.cosh(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out * Sinh.apply(a)


class Asin(Op):
    """out = asin(a);  da = g / sqrt(1 - a^2)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _float(np.arcsin(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out / E.sqrt(1 - a * a)


class Acos(Op):
    """out = acos(a);  da = -g / sqrt(1 - a^2)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _float(np.arccos(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return -grad_out / E.sqrt(1 - a * a)


class Atan(Op):
    """out = atan(a);  da = g / (1 + a^2)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _float(np.arctan(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out / (a * a + 1)


class Asinh(Op):
    """out = asinh(a);  da = g / sqrt(a^2 + 1)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _float(np.arcsinh(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out / E.sqrt(a * a + 1)


class Acosh(Op):
    """out = acosh(a);  da = g / sqrt(a^2 - 1)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _float(np.arccosh(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out / E.sqrt(a * a - 1)


class Atanh(Op):
    """out = atanh(a);  da = g / (1 - a^2)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _float(np.arctanh(a), a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out / (1 - a * a)


class Atan2(Op):
    """out = atan2(a, b) (angle of the point (b, a));  da = g b / (a^2 + b^2),
    db = -g a / (a^2 + b^2)"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            out = np.arctan2(a, b)
        except (ValueError, TypeError) as e:
            raise E._binary_error("atan2", a, b, e) from None
        if out.dtype == np.float64:
            out = E._promote(out, a, b)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        r2 = a * a + b * b
        # at (0, 0) PyTorch's gradient is 0 (1 / r2 masked there), not 0 / 0
        zero = r2._data == 0
        if zero.any():
            inv = E.where(zero, 0.0, 1.0 / E.where(zero, 1.0, r2))
            return (grad_out * b * inv if need_a else None), (grad_out * -a * inv if need_b
                                                                else None)
        return (grad_out * b / r2 if need_a else None), (-grad_out * a / r2 if need_b else None)


# ---- erf, erfc ------------------------------------------------------------------------------
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
        return grad_out * E.exp(-(a * a)) * _TWO_OVER_SQRT_PI


class Erfc(Op):
    """out = erfc(a) = 1 - erf(a) (accurate in the tail);  da = -g 2/sqrt(pi) exp(-a^2)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _special("erfc", a)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out * E.exp(-(a * a)) * -_TWO_OVER_SQRT_PI


# ---- masking -------------------------------------------------------------------------------
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
        return E.where(_f.Tensor._make(ctx.finite), grad_out, 0.0), None, None, None


# ---- functional forms ----------------------------------------------------------------------
def floor(input):
    return Floor.apply(_check_tensor(input, "floor"))


def ceil(input):
    return Ceil.apply(_check_tensor(input, "ceil"))


def trunc(input):
    return Trunc.apply(_check_tensor(input, "trunc"))


fix = trunc


def sign(input):
    return Sign.apply(_check_tensor(input, "sign"))


def round(input, *, decimals=0):
    """Round half to even (as PyTorch and NumPy), to ``decimals`` decimal places."""
    return Round.apply(_check_tensor(input, "round"), int(decimals))


def frac(input):
    return Frac.apply(_check_tensor(input, "frac"))


def exp2(input):
    return Exp2.apply(_check_tensor(input, "exp2"))


def expm1(input):
    return Expm1.apply(_check_tensor(input, "expm1"))


def log2(input):
    return Log2.apply(_check_tensor(input, "log2"))


def log10(input):
    return Log10.apply(_check_tensor(input, "log10"))


def tan(input):
    return Tan.apply(_check_tensor(input, "tan"))


def sinh(input):
    return Sinh.apply(_check_tensor(input, "sinh"))


def cosh(input):
    return Cosh.apply(_check_tensor(input, "cosh"))


def asin(input):
    return Asin.apply(_check_tensor(input, "asin"))


def acos(input):
    return Acos.apply(_check_tensor(input, "acos"))


def atan(input):
    return Atan.apply(_check_tensor(input, "atan"))


def asinh(input):
    return Asinh.apply(_check_tensor(input, "asinh"))


def acosh(input):
    return Acosh.apply(_check_tensor(input, "acosh"))


def atanh(input):
    return Atanh.apply(_check_tensor(input, "atanh"))


arcsin, arccos, arctan = asin, acos, atan
arcsinh, arccosh, arctanh = asinh, acosh, atanh


def atan2(input, other):
    """Elementwise angle of the point ``(other, input)``, in ``(-pi, pi]``."""
    return Atan2.apply(input, other)


arctan2 = atan2


def erf(input):
    """The error function ``2/sqrt(pi) * integral_0^x exp(-t^2) dt``."""
    return Erf.apply(_check_tensor(input, "erf"))


def erfc(input):
    """The complementary error function ``1 - erf(input)``, accurate for large inputs."""
    return Erfc.apply(_check_tensor(input, "erfc"))


def square(input):
    return E.mul(input, input)


def rsqrt(input):
    return E.div(1.0, E.sqrt(input))


def reciprocal(input):
    x = _check_tensor(input, "reciprocal")
    if x._data.dtype.kind in "biu":
        x = E.cast(x, np.float32)
    return Reciprocal.apply(x)


def lerp(input, end, weight):
    """``input + weight * (end - input)``; ``weight`` a number or a tensor (broadcasting)."""
    return input + weight * (end - input)


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """nan -> ``nan``, +inf -> ``posinf`` (default: the dtype's largest finite value),
    -inf -> ``neginf`` (default: the most negative finite value)."""
    x = _check_tensor(input, "nan_to_num")
    return NanToNum.apply(x, nan, posinf, neginf)


def isnan(input):
    return _f.Tensor._make(np.isnan(_check_tensor(input, "isnan")._data))


def isinf(input):
    return _f.Tensor._make(np.isinf(_check_tensor(input, "isinf")._data))


def isposinf(input):
    return _f.Tensor._make(np.isposinf(_check_tensor(input, "isposinf")._data))


def isneginf(input):
    return _f.Tensor._make(np.isneginf(_check_tensor(input, "isneginf")._data))


def isfinite(input):
    return _f.Tensor._make(np.isfinite(_check_tensor(input, "isfinite")._data))
