"""The few differentiable ops that only ``nn.functional`` needs and that are not compositions of
engine ops: ``erf`` (exact GELU), ``elu`` (expm1 forward, PyTorch's exp backward), a stable
``softplus`` with PyTorch's threshold, and binary cross-entropy on probabilities (PyTorch's clamped logs and epsilon-guarded gradient).

Written like the engine's ops (``autodiff.function.Op``: arrays in forward, Tensors in
backward, backward built from differentiable ops so double backward works).
"""
from __future__ import annotations

import math

import numpy as np

from autodiff.function import Op
from autodiff.kernels import elementwise as _KE
from autodiff.ops import elementwise as E
from autodiff.ops import linalg as L
from autodiff.ops import reduce as R
from autodiff.tensor import Tensor

try:  # scipy is optional: exact erf in C when present, math.erf elementwise otherwise
    from scipy.special import erf as _erf_array
except ImportError:  # pragma: no cover - depends on the environment
    _erf_py = np.frompyfunc(math.erf, 1, 1)

    def _erf_array(a):
        return _erf_py(a).astype(a.dtype)


_F64 = np.dtype(np.float64)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Erf(Op):
    """out = erf(a);  da = g 2/sqrt(pi) exp(-a^2)"""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return np.asarray(_erf_array(a), dtype=a.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        return grad_out * (E.exp(-(a * a)) * _TWO_OVER_SQRT_PI)


def erf(a):
    return Erf.apply(a)


class Softplus(Op):
    """out = log(1 + exp(beta a)) / beta, or a where beta a > threshold;
    da = g sigmoid(beta a) (g where beta a > threshold)"""

    @staticmethod
    def forward(ctx, a, beta, threshold):
        ctx.save_for_backward(a)
        ctx.beta, ctx.threshold = beta, threshold
        z = a * beta
        # log1p(exp(z)) = max(z, 0) + log1p(exp(-|z|)): never overflows
        out = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
        if threshold is not None:
            out = np.where(z > threshold, a, out)
        return out.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        s = E.sigmoid(a * ctx.beta)
        if ctx.threshold is not None:
            above = Tensor._make(a._data * ctx.beta > ctx.threshold)
            return E.where(above, grad_out, grad_out * s), None, None
        return grad_out * s, None, None


def softplus(a, beta=1.0, threshold=20.0):
    return Softplus.apply(a, beta, threshold)


class Elu(Op):
    """out = a if a > 0 else alpha expm1(a);  da = g alpha exp(a) where a <= 0, else g (a
    select on a <= 0, as PyTorch's elu_backward: exp(a), not out + alpha, so the slope stays
    exact far below 0; a NaN a passes g)"""

    @staticmethod
    def forward(ctx, a, alpha):
        ctx.save_for_backward(a)
        ctx.alpha = alpha
        return np.where(a <= 0, np.expm1(np.minimum(a, 0)) * alpha, a).astype(a.dtype,
                                                                            copy=False)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        neg = a._data <= 0
        # exp never overflows; exp(0) = 1 with no slope at 0 (PyTorch's double backward is 0)
        a_neg = E.where(a._data < 0, a, Tensor._make(np.zeros((), dtype=a.dtype)))
        return E.where(neg, grad_out * (E.exp(a_neg) * ctx.alpha), grad_out), None


def elu(a, alpha=1.0):
    return Elu.apply(a, alpha)


class BinaryCrossEntropy(Op):
    """out = -w (t max(log x, -100) + (1 - t) max(log(1 - x), -100));
    dx = g w (x - t) / max(x (1 - x), 1e-12);  dt = -g w logit(x) (unclamped, as PyTorch)"""

    @staticmethod
    def forward(ctx, x, t):
        ctx.save_for_backward(x, t)
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x), -100)
            log_1mx = np.maximum(np.log1p(-x), -100)
        return (-(t * log_x + (1 - t) * log_1mx)).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, grad_out):
        x, t = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad
        gx = gt = None
        if need_x:
            gx = grad_out * (x - t) / E.clamp(x * (1 - x), min=1e-12)
        if need_t:
            gt = grad_out * (E.log1p(-x) - E.log(x))
        return gx, gt


def binary_cross_entropy(x, t):
    return BinaryCrossEntropy.apply(x, t)


class Linear(Op):
    """out = x @ W^T + b;  dx = g @ W,  dW = g^T x (summed over leading dims),  db = sum g

    One node instead of three (transpose, matmul, add): a measured ~25% off a small MLP's
    training step."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        out = np.matmul(x, w.T)
        if b is not None:
            _KE.add_rows_(out, b)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = gw = gb = None
        n_out = w.shape[0]
        if need_x:
            gx = L.matmul(grad_out, w)
        if need_w or need_b:
            g2 = grad_out.reshape(_rows(grad_out.shape), n_out)
            if need_w:
                gw = L.matmul(g2.T, x.reshape(_rows(x.shape), w.shape[1]))
            if need_b:
                gb = R.sum(g2, 0)
        return gx, gw, gb

    @staticmethod
    def backward_arrays(ctx, g):
        """The same BLAS products and float sums on the arrays: ``g @ W``, ``g2^T x2``,
        ``sum g2`` (no graph bookkeeping for the transpose, reshapes, matmuls and sum)."""
        x, w = ctx.saved(arrays=True)
        need_x, need_w, need_b = ctx.needs_input_grad
        gx = gw = gb = None
        if need_x:
            gx = _matmul_result(np.matmul(g, w), g, w)
        if need_w or need_b:
            g2 = g.reshape(_rows(g.shape), w.shape[0])
            if need_w:
                x2 = x.reshape(_rows(x.shape), w.shape[1])
                gw = _matmul_result(np.matmul(g2.T, x2), g2, x2)
            if need_b:
                gb = _KE.sum_rows(g2)  # np.sum(g2, 0), bit-identical
        return gx, gw, gb


def _rows(shape):
    """The number of rows of ``shape`` viewed as (rows, last dim); unlike ``reshape(-1, n)``
    it is defined when the last dim is 0 (``nn.Linear(0, n)``)."""
    n = 1
    for s in shape[:-1]:
        n *= s
    return n


def _matmul_result(out, a, b):
    # as MatMul.forward: NumPy promotes float32 @ int to float64, autodiff keeps float32
    if out.dtype is _F64 and not (a.dtype is _F64 or b.dtype is _F64):
        out = out.astype(np.float32)
    return out


def linear(x, w, b=None):
    return Linear.apply(x, w, b)
