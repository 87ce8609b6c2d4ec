"""Activation functions with a fused op: sigmoid, relu, elu, softplus (the others are
composed in ``nn.functional``)."""
from __future__ import annotations

import numpy as np

from ... import function as _f
from ...function import Op
from ...kernels import elementwise as _KE
from .._common import _F32
from . import select, unary


def sigmoid_array(a):
    """Stable logistic function: never exponentiates a positive number."""
    if a.dtype.kind not in "fc":
        a = a.astype(_F32)
    e = np.abs(a)
    if e.__class__ is np.ndarray and e.dtype is a.dtype:  # e = exp(-|a|) in one buffer
        # (not for a 0-d a, whose |a| is a NumPy scalar; nor complex, whose |a| is real)
        np.negative(e, out=e)
        np.exp(e, out=e)
    else:
        e = np.exp(-e)
    return _KE.sigmoid_select(a, e)


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

    @staticmethod
    def backward_arrays(ctx, grad_out):
        out, = ctx.saved(arrays=True)
        g = np.multiply(grad_out, out)  # backward's products in its order, on the arrays
        g *= 1 - out
        return g


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
        return select.where(out._data <= 0, _f.Tensor._make(np.zeros((), dt)), grad_out)

    @staticmethod
    def backward_arrays(ctx, grad_out):
        out, = ctx.saved(arrays=True)
        if grad_out.shape == out.shape:  # the select in one kernel pass (no mask array)
            return _KE.relu_backward(grad_out, out)
        return np.where(out <= 0, np.zeros((), np.result_type(grad_out, out)), grad_out)


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
        a_neg = select.where(a._data < 0, a, _f.Tensor._make(np.zeros((), dtype=a.dtype)))
        return select.where(neg, grad_out * (unary.exp(a_neg) * ctx.alpha), grad_out), None


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
        s = sigmoid(a * ctx.beta)
        if ctx.threshold is not None:
            above = _f.Tensor._make(a._data * ctx.beta > ctx.threshold)
            return select.where(above, grad_out, grad_out * s), None, None
        return grad_out * s, None, None


class LeakyReLU(Op):
    """out = a if a > 0 else slope a;  da = g if a > 0 else slope g (PyTorch's
    leaky_relu_backward; the local slope is a constant array, so the backward is one Mul and
    differentiable)"""

    @staticmethod
    def forward(ctx, a, slope):
        # a * scale is exactly where(a > 0, a, slope a), NaN, inf and -0.0 included
        out, ctx.scale = _KE.leaky_relu_forward(a, slope)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * _f.Tensor._make(ctx.scale), None

    @staticmethod
    def backward_arrays(ctx, grad_out):
        return np.multiply(grad_out, ctx.scale), None  # backward's Mul, on the arrays


def sigmoid(a):
    return Sigmoid.apply(a)


def relu(a):
    return Relu.apply(a)


def leaky_relu(a, negative_slope=0.01):
    return LeakyReLU.apply(a, negative_slope)


def elu(a, alpha=1.0):
    return Elu.apply(a, alpha)


def softplus(a, beta=1.0, threshold=20.0):
    return Softplus.apply(a, beta, threshold)
