"""Elementwise ops: arithmetic, unary math, comparisons, and the in-place machinery.

Each differentiable op is one ``Op`` class, forward beside backward; backward is written with
differentiable ops so second derivatives come for free. Broadcasting is not reduced here: the
engine sums every returned gradient back to its input's shape.
"""
from __future__ import annotations

import numpy as np

from ..function import Op
from .. import function as _f
from ..kernels import elementwise as _KE


def _data(x):
    return x._data if isinstance(x, _f.Tensor) else x


_F64 = np.dtype(np.float64)
_F32 = np.dtype(np.float32)
_ndarray = np.ndarray


def _shape_of(x):
    return tuple(np.shape(x)) if isinstance(x, (np.ndarray, np.generic, list, tuple)) else ()


def _type_name(x):
    return "Tensor" if isinstance(x, np.ndarray) else type(x).__name__


def _binary_error(op, a, b, err):
    """The error of a binary op whose NumPy call failed: names the op and both operands."""
    if isinstance(err, TypeError):
        return TypeError(f"{op}: unsupported operand types {_type_name(a)} and {_type_name(b)} "
                         f"({err})")
    return ValueError(f"{op}: shapes {_shape_of(a)} and {_shape_of(b)} cannot be broadcast "
                      "together")


def _unary_error(op, a, err):
    if isinstance(err, TypeError):
        return TypeError(f"{op}: unsupported operand type {_type_name(a)} ({err})")
    return ValueError(f"{op}: {err} (shape {_shape_of(a)})")


def _promote(out, a, b):
    """PyTorch's promotion where NumPy differs: a float64 result stays float64 only when an
    operand is a float64 array; integers with Python floats (or true division of integers)
    give the default float32."""
    if (a.__class__ is _ndarray and a.dtype is _F64) or (b.__class__ is _ndarray and
                                                          b.dtype is _F64):
        return out
    return out.astype(_F32)


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _zero_dim(a, b):
    """PyTorch's promotion for a 0-d tensor against a dimensioned one (called when both are
    arrays of different dtypes): a 0-d operand of the same or a lower category takes the other's
    dtype (``float32_tensor * float64_scalar_tensor`` is float32, computed in float32)."""
    if (a.ndim == 0) == (b.ndim == 0):
        return a, b
    if a.ndim == 0:
        if _CATEGORY[a.dtype.kind] <= _CATEGORY[b.dtype.kind]:
            a = a.astype(b.dtype)
    elif _CATEGORY[b.dtype.kind] <= _CATEGORY[a.dtype.kind]:
        b = b.astype(a.dtype)
    return a, b


def _float_result(out, a):
    """Unary float math on an integer or bool tensor gives float32 (PyTorch), not NumPy's
    float64 / float16."""
    if isinstance(a, np.ndarray) and a.dtype.kind in "biu":
        return out.astype(_F32)
    return out


# ---------------------------------------------------------------------------------------------
# arithmetic


class Add(Op):
    """out = a + b"""

    @staticmethod
    def forward(ctx, a, b):
        if a.__class__ is _ndarray and b.__class__ is _ndarray and a.dtype is not b.dtype:
            a, b = _zero_dim(a, b)
        try:
            out = np.add(a, b)
        except (ValueError, TypeError) as e:
            raise _binary_error("add", a, b, e) from None
        return _promote(out, a, b) if out.dtype is _F64 else out

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, grad_out


class Sub(Op):
    """out = a - b"""

    @staticmethod
    def forward(ctx, a, b):
        if a.__class__ is _ndarray and b.__class__ is _ndarray and a.dtype is not b.dtype:
            a, b = _zero_dim(a, b)
        try:
            out = np.subtract(a, b)
        except (ValueError, TypeError) as e:
            raise _binary_error("sub", a, b, e) from None
        return _promote(out, a, b) if out.dtype is _F64 else out

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, (-grad_out if ctx.needs_input_grad[1] else None)


class Mul(Op):
    """out = a * b"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        if a.__class__ is _ndarray and b.__class__ is _ndarray and a.dtype is not b.dtype:
            a, b = _zero_dim(a, b)
        try:
            out = np.multiply(a, b)
        except (ValueError, TypeError) as e:
            raise _binary_error("mul", a, b, e) from None
        return _promote(out, a, b) if out.dtype is _F64 else out

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad_out * b if need_a else None), (grad_out * a if need_b else None)


class Div(Op):
    """out = a / b;  da = g / b,  db = -g ((a / b) / b)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        if a.__class__ is _ndarray and b.__class__ is _ndarray and a.dtype is not b.dtype:
            a, b = _zero_dim(a, b)
        try:
            out = np.true_divide(a, b)
        except (ValueError, TypeError) as e:
            raise _binary_error("div", a, b, e) from None
        return _promote(out, a, b) if out.dtype is _F64 else out

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = grad_out / b if need_a else None
        gb = -grad_out * (a / b / b) if need_b else None  # PyTorch's order of operations
        return ga, gb


class Neg(Op):
    """out = -a"""

    @staticmethod
    def forward(ctx, a):
        return np.negative(a)

    @staticmethod
    def backward(ctx, grad_out):
        return -grad_out


# PyTorch's exact forms of a float tensor to these scalar powers (x*x, not pow(x, 2)), so
# that x ** 2, x ** 3, x ** 0.5, x ** -1 ... and their gradients match it bit for bit
_POW_SPECIAL = {2.0: lambda a: a * a, 3.0: lambda a: a * a * a, 0.5: np.sqrt,
                -0.5: lambda a: 1 / np.sqrt(a), -1.0: lambda a: 1 / a,
                -2.0: lambda a: 1 / (a * a)}


class Pow(Op):
    """out = a ** b;  da = g b a^(b-1) (0 where b == 0),
    db = g out log(a) (0 where a == 0 and b >= 0)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, b):
        special = None
        if a.__class__ is _ndarray and a.dtype.kind == "f" and np.ndim(b) == 0:
            special = _POW_SPECIAL.get(float(b)) if np.isreal(b) else None
        try:
            out = special(a) if special is not None else np.power(a, b)
        except (ValueError, TypeError) as e:
            raise _binary_error("pow", a, b, e) from None
        if out.dtype is _F64:
            out = _promote(out, a, b)
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, b, out = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = gb = None
        if need_a:
            bd = b._data
            if bd.ndim == 0 and bd == 0:
                ga = grad_out * 0.0
            elif bd.ndim == 0 and bd == 0.5:
                # a^(-1/2) as PyTorch's rsqrt fast path: -inf at -0, NaN at -inf (pow gives
                # +inf and 0 there)
                ga = grad_out * b / sqrt(a)
            else:
                ga = grad_out * (b * a ** (b - 1))  # PyTorch's order of operations
                if np.any(bd == 0):
                    ga = where(_f.Tensor._make(bd == 0), 0.0, ga)
        if need_b:
            mask = (a._data == 0) & (b._data >= 0)
            safe_a = where(_f.Tensor._make(mask), 1.0, a) if mask.any() else a
            gb = grad_out * out * log(safe_a)
            if mask.any():
                gb = where(_f.Tensor._make(mask), 0.0, gb)
        return ga, gb


class Cast(Op):
    """out = a converted to ``dtype``; the gradient is cast back by the engine"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, dtype):
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out, None


class CopyFrom(Op):
    """out = b broadcast to a's shape (the value of ``a.copy_(b)``); a gets no gradient"""

    @staticmethod
    def forward(ctx, a, b):
        return np.array(np.broadcast_to(b, a.shape), dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return None, grad_out


class Fill(Op):
    """out = value everywhere (the value of ``a.fill_(v)``);  da = 0 (as PyTorch: zeros, not None)"""

    @staticmethod
    def forward(ctx, a, value):
        return np.full_like(a, _data(value))

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * 0.0, None


# ---------------------------------------------------------------------------------------------
# unary math


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


class Sin(Op):
    """out = sin(a);  da = g cos(a)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        try:
            out = np.sin(a)
        except TypeError as e:
            raise _unary_error("sin", a, e) from None
        return _float_result(out, a) if out.dtype is not a.dtype else out

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out * cos(a)


class Cos(Op):
    """out = cos(a);  da = -g sin(a)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        try:
            out = np.cos(a)
        except TypeError as e:
            raise _unary_error("cos", a, e) from None
        return _float_result(out, a) if out.dtype is not a.dtype else out

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return -grad_out * sin(a)


class Tanh(Op):
    """out = tanh(a);  da = g (1 - out^2)"""

    @staticmethod
    def forward(ctx, a):
        try:
            out = np.tanh(a)
        except TypeError as e:
            raise _unary_error("tanh", a, e) from None
        if out.dtype is not a.dtype:
            out = _float_result(out, a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        out, = ctx.saved_tensors
        return grad_out * (1 - out * out)


def sigmoid_array(a):
    """Stable logistic function: never exponentiates a positive number."""
    if a.dtype.kind not in "fc":
        a = a.astype(_F32)
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)


class Sigmoid(Op):
    """out = 1 / (1 + exp(-a));  da = g out (1 - out)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a):
        out = sigmoid_array(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        out, = ctx.saved_tensors
        return grad_out * out * (1 - out)


class Relu(Op):
    """out = max(a, 0);  da = 0 if out <= 0 else g (a select, as PyTorch's threshold_backward:
    a NaN input passes g; an inf or NaN g where out <= 0 still gives 0)"""

    @staticmethod
    def forward(ctx, a):
        out = _KE.relu_forward(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        out, = ctx.saved_tensors
        # differentiable: its own backward is the same select of the incoming gradient
        dt = np.result_type(grad_out._data, out._data)
        return where(out._data <= 0, _f.Tensor._make(np.zeros((), dt)), grad_out)

    @staticmethod
    def backward_arrays(ctx, grad_out):
        out, = ctx.saved(arrays=True)
        if grad_out.shape == out.shape:  # the select in one kernel pass (no mask array)
            return _KE.relu_backward(grad_out, out)
        return np.where(out <= 0, np.zeros((), np.result_type(grad_out, out)), grad_out)


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
        if a.dtype.kind == "f" and out.dtype is not a.dtype:
            out = out.astype(a.dtype)
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
        try:
            out = a if lo is None else np.maximum(a, lo)
            out = out if hi is None else np.minimum(out, hi)
        except (ValueError, TypeError) as e:
            bound = lo if hi is None else hi
            raise _binary_error("clamp", a, bound, e) from None
        if out.dtype is _F64 and not any(v.__class__ is _ndarray and v.dtype is _F64
                                         for v in (a, lo, hi)):
            out = out.astype(_F32)  # as _promote: float64 only from a float64 array
        return out

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


def _minmax_grads(ctx, grad_out, a_loses, b_loses):
    """PyTorch's maximum/minimum backward, selects rather than multiplies: each input gets g
    (g / 2 at a tie) except where it loses, 0 there even for an inf or NaN g.  A NaN on either
    side is neither a tie nor a loss, so both inputs get g there."""
    a, b = ctx.saved_tensors
    ad, bd = a._data, b._data
    need_a, need_b = ctx.needs_input_grad
    zero = grad_out._data.dtype.type(0)
    tie = ad == bd
    g = where(tie, grad_out * 0.5, grad_out) if tie.any() else grad_out
    return (where(a_loses(ad, bd), zero, g) if need_a else None,
            where(b_loses(ad, bd), zero, g) if need_b else None)


class Maximum(Op):
    """out = max(a, b);  da = 0 if a < b, g / 2 at a tie, else g (PyTorch's convention, a NaN
    passes g to both); db likewise"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            out = np.maximum(a, b)
        except (ValueError, TypeError) as e:
            raise _binary_error("maximum", a, b, e) from None
        return _promote(out, a, b) if out.dtype is _F64 else out

    @staticmethod
    def backward(ctx, grad_out):
        return _minmax_grads(ctx, grad_out, np.less, np.greater)


class Minimum(Op):
    """out = min(a, b);  da = 0 if a > b, g / 2 at a tie, else g (PyTorch's convention, a NaN
    passes g to both); db likewise"""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            out = np.minimum(a, b)
        except (ValueError, TypeError) as e:
            raise _binary_error("minimum", a, b, e) from None
        return _promote(out, a, b) if out.dtype is _F64 else out

    @staticmethod
    def backward(ctx, grad_out):
        return _minmax_grads(ctx, grad_out, np.greater, np.less)


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


# ---------------------------------------------------------------------------------------------
# functional forms


def add(a, b):
    return Add.apply(a, b)


def sub(a, b):
    return Sub.apply(a, b)


def mul(a, b):
    return Mul.apply(a, b)


def div(a, b, rounding_mode=None):
    if rounding_mode is None:
        return Div.apply(a, b)
    if rounding_mode in ("floor", "trunc"):
        return _MX.DivRounded.apply(a, b, rounding_mode)  # zero gradient, as PyTorch
    raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc' (got {rounding_mode!r})")


true_divide = div


def neg(a):
    return Neg.apply(a)


def pow(a, b):
    return Pow.apply(a, b)


def cast(a, dtype):
    return Cast.apply(a, np.dtype(dtype))


def copy_from(a, b):
    return CopyFrom.apply(a, b)


def exp(a):
    return Exp.apply(a)


def log(a):
    return Log.apply(a)


def log1p(a):
    return Log1p.apply(a)


def sqrt(a):
    return Sqrt.apply(a)


def sin(a):
    return Sin.apply(a)


def cos(a):
    return Cos.apply(a)


def tanh(a):
    return Tanh.apply(a)


def sigmoid(a):
    return Sigmoid.apply(a)


def relu(a):
    return Relu.apply(a)


def abs(a):
    return Abs.apply(a)


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


def maximum(a, b):
    return Maximum.apply(a, b)


def minimum(a, b):
    return Minimum.apply(a, b)


def where(condition, input=None, other=None):
    """``where(cond, a, b)``: elementwise select; ``where(cond)`` gives the nonzero indices."""
    if input is None and other is None:
        return tuple(_f.Tensor._make(i) for i in np.nonzero(_data(condition)))
    cond = np.asarray(_data(condition), dtype=bool)
    return Where.apply(cond, input, other)


# ---------------------------------------------------------------------------------------------
# non-differentiable elementwise results


def _nondiff(fn, *args):
    arrays = [_data(a) for a in args]
    try:
        out = np.asarray(fn(*arrays))
    except (ValueError, TypeError) as e:
        name = getattr(fn, "__name__", "op")
        if len(arrays) == 2:
            raise _binary_error(name, arrays[0], arrays[1], e) from None
        raise _unary_error(name, arrays[0], e) from None
    if out.dtype is _F64 and len(arrays) == 2:
        out = _promote(out, *arrays)
    return _f.Tensor._make(out)


def eq(a, b):
    return _nondiff(np.equal, a, b)


def ne(a, b):
    return _nondiff(np.not_equal, a, b)


def lt(a, b):
    return _nondiff(np.less, a, b)


def le(a, b):
    return _nondiff(np.less_equal, a, b)


def gt(a, b):
    return _nondiff(np.greater, a, b)


def ge(a, b):
    return _nondiff(np.greater_equal, a, b)


def floor_divide(a, b):
    """``a // b``; its backward raises, as PyTorch's (ops.mathx.FloorDivide)."""
    return _MX.floor_divide(a, b)


def remainder(a, b):
    """``a % b``, differentiable (ops.mathx.Remainder)."""
    return _MX.remainder(a, b)


def logical_and(a, b):
    return _nondiff(np.logical_and, a, b)


def logical_or(a, b):
    return _nondiff(np.logical_or, a, b)


def logical_xor(a, b):
    return _nondiff(np.logical_xor, a, b)


def logical_not(a):
    return _nondiff(np.logical_not, a)


def bitwise_and(a, b):
    return _nondiff(np.bitwise_and, a, b)


def bitwise_or(a, b):
    return _nondiff(np.bitwise_or, a, b)


def bitwise_not(a):
    return _nondiff(np.invert, a)


def clamp_min(input, min):
    """``clamp(input, min=min)``."""
    return clamp(input, min, None)


def clamp_max(input, max):
    """``clamp(input, max=max)``."""
    return clamp(input, None, max)


from . import mathx as _MX  # noqa: E402  (mathx imports this module)
