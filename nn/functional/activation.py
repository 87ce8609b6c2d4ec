"""Non-linear activation functions: ``relu`` ... ``hardswish``, ``softmax``, ``log_softmax``,
``softmin``. Most are engine ops (``autodiff.ops.elementwise.activation``); the rest are
composed, some recorded as one op (``_composed``)."""
from __future__ import annotations

import math
import warnings

import numpy as np

from autodiff.grad_mode import op_scope
from autodiff.ops._common import _tensor
from autodiff.ops.elementwise import activation, select, trig, unary
from autodiff.tensor import Tensor

from ._common import _composed


def relu(input, inplace=False):
    """max(x, 0). ``inplace`` is accepted and ignored (always out of place)."""
    return activation.relu(_tensor(input, "relu"))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    input = _tensor(input, "leaky_relu")
    if input._data.dtype.kind != "f":
        with op_scope("LeakyReLU"):
            return select.where(input._data > 0, input, input * negative_slope)
    return activation.leaky_relu(input, negative_slope)


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha * expm1(x); at 0 the slope is alpha (PyTorch's convention)."""
    return activation.elu(_tensor(input, "elu"), alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@_composed("SELU")
def selu(input, inplace=False):
    """scale * elu(x, alpha) with PyTorch's constants."""
    return elu(input, _SELU_ALPHA) * _SELU_SCALE


@_composed("GELU")
def gelu(input, approximate="none"):
    """x * Phi(x) (``approximate='none'``) or its tanh approximation (``'tanh'``)."""
    input = _tensor(input, "gelu")
    if approximate == "none":
        return input * (unary.erf(input * (1 / math.sqrt(2.0))) + 1) * 0.5
    if approximate == "tanh":
        inner = (input + input * input * input * 0.044715) * math.sqrt(2.0 / math.pi)
        return input * (trig.tanh(inner) + 1) * 0.5
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def sigmoid(input):
    return activation.sigmoid(_tensor(input, "sigmoid"))


def tanh(input):
    return trig.tanh(_tensor(input, "tanh"))


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, reverting to x where beta x > threshold."""
    return activation.softplus(_tensor(input, "softplus"), beta, threshold)


def silu(input, inplace=False):
    """x * sigmoid(x)."""
    input = _tensor(input, "silu")
    return input * activation.sigmoid(input)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return -activation.softplus(-_tensor(input, "logsigmoid"), 1.0, None)


def _const(value, like):
    return Tensor._make(np.asarray(value, dtype=like.dtype))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """clamp(x, min_val, max_val); the gradient passes strictly inside (as PyTorch)."""
    input = _tensor(input, "hardtanh")
    if min_val > max_val:
        raise ValueError("hardtanh: min_val cannot be greater than max_val")
    a = input._data
    inside = (a > min_val) & (a < max_val)
    return select.where(inside, input, _const(np.clip(a, min_val, max_val), input))


def relu6(input, inplace=False):
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0)


def threshold(input, threshold, value, inplace=False):
    """value where x <= threshold, else x (as PyTorch: a NaN stays NaN and passes its
    gradient)."""
    input = _tensor(input, "threshold")
    return select.where(input._data <= threshold, _const(value, input), input)


def prelu(input, weight):
    """x if x > 0 else weight * x; weight (1,) or (C,) along dim 1."""
    input = _tensor(input, "prelu")
    w = weight
    if weight.numel() > 1:
        if input.ndim < 2 or input.shape[1] != weight.numel():
            raise ValueError(f"prelu: weight of shape {tuple(weight.shape)} does not fit input "
                             f"of shape {tuple(input.shape)} (channels are dim 1)")
        w = weight.reshape((1, -1) + (1,) * (input.ndim - 2))
    return select.where(input._data > 0, input, input * w)


def softsign(input):
    """x / (1 + |x|)."""
    input = _tensor(input, "softsign")
    return input / (unary.abs(input) + 1)


def mish(input, inplace=False):
    """x * tanh(softplus(x))."""
    input = _tensor(input, "mish")
    return input * trig.tanh(activation.softplus(input, 1.0, None))


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6; gradient 1/6 strictly inside (-3, 3)."""
    return hardtanh(_tensor(input, "hardsigmoid") / 6 + 0.5, 0.0, 1.0)


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6, with PyTorch 2.13's gradient: 0 for x <= -3, (2x + 3)/6 for
    -3 < x < 3, 1 for x >= 3 and at a NaN x (a select, so an inf or NaN incoming gradient
    stays out of the flat part)."""
    input = _tensor(input, "hardswish")
    a = input._data
    inside = (a > -3) & (a < 3)
    xs = select.where(inside, input, _const(0.0, input))  # no NaN/inf reaches the product
    mid = xs * (xs + 3) * (1.0 / 6)
    # below -3 the value is x * 0 as in PyTorch (-0.0 for negative x, NaN at -inf), constant
    with np.errstate(invalid="ignore"):
        low = _const(a * 0, input)
    return select.where(a <= -3, low, select.where(inside, mid, input))


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim``."""
    return softmax(-_tensor(input, "softmin"), dim, _stacklevel + 1, dtype)


def _softmax_dim(ndim):
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_args(input, dim, dtype, name, stacklevel):
    """``input`` as a Tensor of ``dtype`` and ``dim``: when None, PyTorch's implicit choice,
    with its deprecation warning (``stacklevel`` counted from the caller)."""
    input = _tensor(input, name)
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the "
                      "call to include dim=X as an argument.", stacklevel=stacklevel + 1)
        dim = _softmax_dim(input.ndim)
    if dtype is not None:
        input = input.to(dtype)
    return input, dim


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim`` (stable: the max is subtracted first)."""
    from autodiff.ops.loss import softmax as _softmax
    return _softmax(*_softmax_args(input, dim, dtype, "softmax", _stacklevel))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - logsumexp(x) along ``dim``."""
    from autodiff.ops.loss import log_softmax as _log_softmax
    return _log_softmax(*_softmax_args(input, dim, dtype, "log_softmax", _stacklevel))
