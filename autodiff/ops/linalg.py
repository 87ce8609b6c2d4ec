"""Matrix products. GEMMs go to NumPy's BLAS (never a hand-written loop: see PERF-NOTES)."""
from __future__ import annotations

import numpy as np

from ..function import Op
from .. import function as _f
from . import shape as S

_F64 = np.dtype(np.float64)


class MatMul(Op):
    """out = a @ b for operands of >= 2 dims (batch dims broadcast);
    da = g @ b^T,  db = a^T @ g (the engine sums broadcast batch dims back)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        try:
            out = np.matmul(a, b)
        except ValueError:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not fit (batch dims "
                             f"{a.shape[:-2]} and {b.shape[:-2]} cannot be broadcast)") from None
        if out.dtype is _F64 and not (a.dtype is _F64 or b.dtype is _F64):
            out = out.astype(np.float32)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        ga = matmul(grad_out, S.transpose(b, -1, -2)) if need_a else None
        gb = matmul(S.transpose(a, -1, -2), grad_out) if need_b else None
        return ga, gb


def matmul(input, other):
    """Matrix product with NumPy's rules: 1-D operands are promoted to a row (left) or a column
    (right) and that dim is removed from the result; batch dims broadcast."""
    T = _f.Tensor
    a = input if isinstance(input, T) else T._make(_operand(input))
    b = other if isinstance(other, T) else T._make(_operand(other))
    ad, bd = a._data, b._data
    if ad.ndim == 0 or bd.ndim == 0:
        raise ValueError(f"matmul: both arguments need at least 1 dimension (got shapes "
                         f"{ad.shape} and {bd.shape})")
    k_a = ad.shape[-1]
    k_b = bd.shape[0] if bd.ndim == 1 else bd.shape[-2]
    if k_a != k_b:
        raise ValueError(f"matmul: shapes {ad.shape} and {bd.shape} do not fit "
                         f"({k_a} != {k_b})")
    if ad.ndim == 1 and bd.ndim == 1:
        return Dot.apply(a, b)
    squeeze_a = ad.ndim == 1
    squeeze_b = bd.ndim == 1
    if squeeze_a:
        a = S.unsqueeze(a, 0)
    if squeeze_b:
        b = S.unsqueeze(b, -1)
    out = MatMul.apply(a, b)
    if squeeze_a:
        out = S.squeeze(out, -2)
    if squeeze_b:
        out = S.squeeze(out, -1)
    return out


def _operand(x):
    if isinstance(x, (np.ndarray, list, tuple)) or np.isscalar(x) and not isinstance(x, str):
        return np.asarray(x)
    raise TypeError(f"matmul: expected a Tensor or array operand (got {type(x).__name__})")


def outer(input, vec2):
    """Outer product of two 1-D tensors: ``out[i, j] = input[i] * vec2[j]``."""
    if input.ndim != 1 or vec2.ndim != 1:
        raise ValueError(f"outer: 1D tensors expected, but got shapes {tuple(input.shape)} and "
                         f"{tuple(vec2.shape)}")
    return S.unsqueeze(input, 1) * S.unsqueeze(vec2, 0)


class Dot(Op):
    """out = sum(a * b) for 1-D a, b;  da = g b,  db = g a"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return np.asarray(np.dot(a, b))

    @staticmethod
    def backward(ctx, grad_out):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        return (grad_out * b if need_a else None), (grad_out * a if need_b else None)


def dot(input, other):
    if input.ndim != 1 or other.ndim != 1:
        raise ValueError(f"dot: 1D tensors expected, but got shapes {tuple(input.shape)} and "
                         f"{tuple(other.shape)}")
    return matmul(input, other)


def mm(input, mat2):
    if input.ndim != 2 or mat2.ndim != 2:
        raise ValueError(f"mm: two 2-D matrices expected, got shapes {tuple(input.shape)} and "
                         f"{tuple(mat2.shape)}")
    return matmul(input, mat2)


def bmm(input, mat2):
    if input.ndim != 3 or mat2.ndim != 3 or input.shape[0] != mat2.shape[0]:
        raise ValueError(f"bmm: two 3-D tensors with the same batch size expected, got shapes "
                         f"{tuple(input.shape)} and {tuple(mat2.shape)}")
    return matmul(input, mat2)
