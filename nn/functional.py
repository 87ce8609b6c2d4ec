"""Functional forms of the layers, activations and losses (``import autodiff.nn.functional as F``).

Signatures, defaults and semantics follow ``torch.nn.functional``. Convolution, pooling,
softmax/log-softmax and the fused cross-entropy/NLL losses are the engine's ops
(``autodiff.ops.conv``, ``pool``, ``loss``); everything else here is composed from engine ops
(so double backward works); erf, elu, softplus and probability BCE are engine ops too
(``autodiff.ops.elementwise``, ``autodiff.ops.loss``).
"""
from __future__ import annotations

import functools
import math
import numbers
import warnings

import numpy as np

from autodiff import random as _random
from autodiff.grad_mode import no_grad, op_scope
from autodiff.ops import _common
from autodiff.ops import loss as loss_ops
from autodiff.ops._common import _legacy_reduction, _tensor
from autodiff.ops.elementwise import activation, compare, select, trig, unary
from autodiff.ops.linalg import products
from autodiff.ops.reduce import sums
from autodiff.ops.shape import joins
from autodiff.tensor import Tensor

__all__ = [
    "linear", "conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool2d",
    "dropout", "softmax", "log_softmax", "batch_norm", "layer_norm", "embedding", "one_hot",
    "pad", "relu", "leaky_relu", "elu", "selu", "gelu", "sigmoid", "tanh", "softplus", "silu",
    "logsigmoid", "hardtanh", "relu6", "threshold", "prelu", "softsign", "mish", "hardsigmoid",
    "hardswish", "softmin", "dropout1d", "dropout2d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "group_norm", "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss",
    "cross_entropy", "nll_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "multi_margin_loss",
]


# ---------------------------------------------------------------------------------------------
# linear, convolution, pooling


def linear(input, weight, bias=None):
    """``input @ weight.T + bias``: input (*, in_features), weight (out_features, in_features),
    bias (out_features,) -> (*, out_features)."""
    input = _tensor(input, "linear")
    ws = weight._data.shape if isinstance(weight, Tensor) else np.shape(weight)
    if input._data.shape[-1:] != ws[-1:]:
        raise ValueError(f"linear: input of shape {tuple(input.shape)} does not fit weight of "
                         f"shape {tuple(weight.shape)} (last dims must match)")
    bs = None if bias is None else np.shape(bias._data if isinstance(bias, Tensor) else bias)
    if len(ws) != 2 or (bias is not None and bs != ws[:1]):
        out = products.matmul(input, weight.T)
        return out if bias is None else out + bias
    return products.Linear.apply(input, weight, bias)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """input (N, C_in, L) or (C_in, L), weight (C_out, C_in/groups, k) -> (N, C_out, L_out).
    ``padding``: int, 1-tuple, 'valid' or 'same'."""
    from autodiff.ops.conv import conv1d as _conv1d
    return _conv1d(input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """input (N, C_in, H, W) or (C_in, H, W), weight (C_out, C_in/groups, kH, kW)
    -> (N, C_out, H_out, W_out). ``padding``: int, 2-tuple, 'valid' or 'same' ('same' is
    asymmetric when the total is odd: the extra on the right, as PyTorch)."""
    from autodiff.ops.conv import conv2d as _conv2d
    return _conv2d(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """input (N, C_in, H, W), weight (C_in, C_out/groups, kH, kW) -> (N, C_out, H_out, W_out)."""
    from autodiff.ops.conv import conv_transpose2d as _convt
    return _convt(input, weight, bias, stride, padding, output_padding, groups, dilation)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """input (N, C, L) or (C, L)."""
    from autodiff.ops.pool import max_pool1d as _mp1
    return _mp1(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """input (N, C, H, W) or (C, H, W)."""
    from autodiff.ops.pool import max_pool2d as _mp2
    return _mp2(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """input (N, C, H, W) or (C, H, W)."""
    from autodiff.ops.pool import avg_pool2d as _ap2
    return _ap2(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override)


# ---------------------------------------------------------------------------------------------
# activations


def _composed(name):
    """Record the decorated function's ops as one op ``name``: ``draw_graph`` draws one box
    named as the user wrote the call (``SELU``, not ``Elu`` and ``Mul``)."""
    def wrap(fn):
        @functools.wraps(fn)
        def composed(*args, **kwargs):
            with op_scope(name):
                return fn(*args, **kwargs)
        return composed
    return wrap


def relu(input, inplace=False):
    """max(x, 0). ``inplace`` is accepted and ignored (always out of place)."""
    return activation.relu(_tensor(input, "relu"))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x."""
    input = _tensor(input, "leaky_relu")
    if input.dtype.kind != "f":
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


# ---------------------------------------------------------------------------------------------
# dropout, normalisation, embedding, one_hot, pad


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by
    1/(1-p) while training; the identity otherwise. Draws from ``ad.manual_seed``'s stream."""
    if not isinstance(p, numbers.Number) or isinstance(p, bool) or p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    input = _tensor(input, "dropout")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * Tensor._make(np.zeros((), dtype=input.dtype))
    keep = _random.generator().random(input.shape) >= p
    scale = np.asarray(keep, dtype=input.dtype) * np.asarray(1.0 / (1.0 - p), dtype=input.dtype)
    return input * Tensor._make(scale)


def _feature_dropout(input, p, training, op):
    if not isinstance(p, numbers.Number) or isinstance(p, bool) or p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    input = _tensor(input, op)
    if not training or p == 0.0:
        return input
    mask_shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    keep = _random.generator().random(mask_shape) >= p
    scale = np.asarray(keep, dtype=input.dtype) * np.asarray(
        0.0 if p == 1.0 else 1.0 / (1.0 - p), dtype=input.dtype)
    return input * Tensor._make(scale)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input (N, C, L) or (C, L); inverted scaling as ``dropout``."""
    if input.ndim not in (2, 3):
        raise ValueError(f"dropout1d: expected a 2D or 3D input, got shape "
                         f"{tuple(input.shape)}")
    if input.ndim == 2:
        return _feature_dropout(input.unsqueeze(0), p, training, "dropout1d").squeeze(0)
    return _feature_dropout(input, p, training, "dropout1d")


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W). A 3-D input is treated as (N, C, L), as PyTorch
    does today (with its warning)."""
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      "deprecated; use dropout instead.", stacklevel=2)
    elif input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L)", stacklevel=2)
    return _feature_dropout(input, p, training, "dropout2d")


def _adaptive_avg_1d(x, dim, out_size):
    n = x.shape[dim]
    if out_size == n:
        return x
    if out_size == 0:  # an empty output, as PyTorch
        return x[(slice(None),) * dim + (slice(0, 0),)]
    if n % out_size == 0:
        shape = list(x.shape)
        k = n // out_size
        new = shape[:dim] + [out_size, k] + shape[dim + 1:]
        return sums.mean(x.reshape(*new), dim + 1)
    parts = []
    for i in range(out_size):
        start = (i * n) // out_size
        end = -((-(i + 1) * n) // out_size)  # ceil
        parts.append(sums.mean(x[(slice(None),) * dim + (slice(start, end),)], dim, keepdim=True))
    return joins.cat(parts, dim)


def _adaptive_nonempty(input, sizes, op):
    """torch's check: an empty dim after the first is an error (but for an output of all 1s,
    its mean fast path)."""
    if 0 in input.shape[1:] and any(s != 1 for s in sizes):
        raise ValueError(f"{op}: expected input to have non-zero size for non-batch "
                         f"dimensions, got shape {tuple(input.shape)}")


def _adaptive_sizes(output_size, in_sizes, op):
    n = len(in_sizes)
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != n:
            raise ValueError(f"{op}: output_size must have {n} elements, got {output_size}")
        sizes = tuple(in_sizes[i] if o is None else _common.int_arg(o, "output_size", op)
                      for i, o in enumerate(output_size))
    else:
        sizes = (_common.int_arg(output_size, "output_size", op),) * n
    if any(s < 0 for s in sizes):
        raise ValueError(f"{op}: output_size must be non-negative, got {output_size}")
    return sizes


def adaptive_avg_pool1d(input, output_size):
    """Average over PyTorch's adaptive windows [floor(i L/out), ceil((i+1) L/out)):
    input (N, C, L) or (C, L)."""
    input = _tensor(input, "adaptive_avg_pool1d")
    if input.ndim not in (2, 3):
        raise ValueError(f"adaptive_avg_pool1d: expected a 2D or 3D input, got shape "
                         f"{tuple(input.shape)}")
    (lo,) = _adaptive_sizes(output_size, input.shape[-1:], "adaptive_avg_pool1d")
    _adaptive_nonempty(input, (lo,), "adaptive_avg_pool1d")
    return _adaptive_avg_1d(input, input.ndim - 1, lo)


def adaptive_avg_pool2d(input, output_size):
    """Average over adaptive windows in H and W: input (N, C, H, W) or (C, H, W)."""
    input = _tensor(input, "adaptive_avg_pool2d")
    if input.ndim not in (3, 4):
        raise ValueError(f"adaptive_avg_pool2d: expected a 3D or 4D input, got shape "
                         f"{tuple(input.shape)}")
    ho, wo = _adaptive_sizes(output_size, input.shape[-2:], "adaptive_avg_pool2d")
    _adaptive_nonempty(input, (ho, wo), "adaptive_avg_pool2d")
    out = _adaptive_avg_1d(input, input.ndim - 2, ho)  # separable: rectangles
    return _adaptive_avg_1d(out, input.ndim - 1, wo)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise (N, C, *) over groups of C/num_groups channels and the spatial dims."""
    input = _tensor(input, "group_norm")
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise ValueError(f"group_norm: input of shape {tuple(input.shape)} does not split into "
                         f"{num_groups} groups of channels")
    N, C = input.shape[0], input.shape[1]
    x = input.reshape(N, num_groups, -1)
    mean = sums.mean(x, 2, keepdim=True)
    d = x - mean
    var = sums.mean(d * d, 2, keepdim=True)
    out = (d * (var + eps) ** -0.5).reshape(*input.shape)
    bshape = (1, C) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(bshape)
    if bias is not None:
        out = out + bias.reshape(bshape)
    return out


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalise over every dim but 1 (channels): (N, C), (N, C, L), (N, C, H, W).

    Training uses the batch statistics (biased variance) and, when running buffers are given,
    updates them in place: ``running = (1 - momentum) running + momentum stat`` with the
    unbiased variance. Evaluation uses the running statistics.
    """
    input = _tensor(input, "batch_norm")
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input with at least 2 dims (N, C, ...), got "
                         f"shape {tuple(input.shape)}")
    C = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    bshape = (1, C) + (1,) * (input.ndim - 2)
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (C,):
            raise ValueError(f"batch_norm: {name} of shape {tuple(t.shape)} does not fit input "
                             f"of shape {tuple(input.shape)} (expected ({C},))")
    if training:
        n = input._data.size // C
        if n <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)}")
        mean = sums.mean(input, axes, keepdim=True)
        d = input - mean
        var = sums.mean(d * d, axes, keepdim=True)
        if running_mean is not None or running_var is not None:
            with no_grad():
                m = momentum
                if running_mean is not None:
                    rm = running_mean._data
                    rm[...] = (1 - m) * rm + m * mean._data.reshape(C)
                    running_mean._version += 1
                if running_var is not None:
                    rv = running_var._data
                    rv[...] = (1 - m) * rv + m * var._data.reshape(C) * (n / (n - 1))
                    running_var._version += 1
        out = d * (var + eps) ** -0.5
    else:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: running_mean and running_var are required when "
                             "training=False")
        rm = running_mean._data.reshape(bshape)
        inv = (1.0 / np.sqrt(running_var._data.reshape(bshape) + eps)).astype(input.dtype)
        out = (input - Tensor._make(rm.astype(input.dtype))) * Tensor._make(inv)
    if weight is not None:
        out = out * weight.reshape(bshape)
    if bias is not None:
        out = out + bias.reshape(bshape)
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims (biased variance)."""
    input = _tensor(input, "layer_norm")
    if isinstance(normalized_shape, numbers.Integral):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if tuple(input.shape[input.ndim - k:]) != normalized_shape or input.ndim < k:
        raise ValueError(f"layer_norm: input of shape {tuple(input.shape)} does not end with "
                         f"normalized_shape {normalized_shape}")
    axes = tuple(range(input.ndim - k, input.ndim))
    mean = sums.mean(input, axes, keepdim=True)
    d = input - mean
    var = sums.mean(d * d, axes, keepdim=True)
    out = d * (var + eps) ** -0.5
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer ``input`` (*) -> (*, dim).

    The ``padding_idx`` row gets no gradient. ``max_norm`` renormalises, in place, the rows
    looked up whose ``norm_type``-norm exceeds it (as PyTorch).
    """
    idx = input._data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor, got {idx.dtype}")
    num = weight.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):  # no negatives, as PyTorch
        raise IndexError(f"embedding: index out of range (indices span [{idx.min()}, "
                         f"{idx.max()}], weight has {num} rows)")
    if scale_grad_by_freq or sparse:
        raise NotImplementedError("embedding: scale_grad_by_freq and sparse are not supported")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += num
    if max_norm is not None:
        with no_grad():
            w = weight._data
            rows = np.unique(idx)
            norms = np.linalg.norm(w[rows], ord=norm_type, axis=1)
            big = norms > max_norm
            if big.any():
                r = rows[big]
                w[r] = w[r] * (max_norm / (norms[big] + 1e-7))[:, None]
                weight._version += 1
    out = weight[idx]
    if padding_idx is not None and (idx == padding_idx).any():
        keep = (idx != padding_idx)[..., None]
        out = select.where(keep, out, out.detach())
    return out


def one_hot(tensor, num_classes=-1):
    """int64 tensor of shape (*, num_classes) with a one at each index of ``tensor``."""
    idx = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"one_hot is only applicable to index tensor (got dtype {idx.dtype})")
    if idx.size and idx.min() < 0:
        raise ValueError("one_hot: class values must be non-negative")
    if num_classes == -1:
        num_classes = int(idx.max()) + 1 if idx.size else 0
    elif idx.size and idx.max() >= num_classes:
        raise ValueError(f"one_hot: class values must be smaller than num_classes "
                         f"({num_classes}), got {int(idx.max())}")
    out = np.zeros(idx.shape + (num_classes,), dtype=np.int64)
    np.put_along_axis(out, idx[..., None].astype(np.int64), 1, axis=-1)
    return Tensor._make(out)


_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left_last, right_last, left_prev, ...)``.
    Negative amounts crop. Modes: 'constant' (``value``, default 0), 'reflect', 'replicate',
    'circular'."""
    input = _tensor(input, "pad")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: padding length {len(pad)} must be even and at most twice the "
                         f"number of dims of the input of shape {tuple(input.shape)}")
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    out = input
    for i in range(len(pad) // 2):
        dim = input.ndim - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        if left == 0 and right == 0:
            continue
        n = out.shape[dim]
        # negative amounts crop first
        lo, hi = max(-left, 0), n - max(-right, 0)
        if lo or hi != n:
            if hi <= lo:
                raise ValueError(f"pad: cropping {pad} leaves nothing of input shape "
                                 f"{tuple(input.shape)}")
            out = out[(slice(None),) * dim + (slice(lo, hi),)]
            n = hi - lo
        left, right = max(left, 0), max(right, 0)
        if not left and not right:
            continue
        if mode == "constant":
            parts = []
            shape = list(out.shape)
            fill = 0 if value is None else value
            if left:
                shape[dim] = left
                parts.append(Tensor._make(np.full(shape, fill, dtype=out.dtype)))
            parts.append(out)
            if right:
                shape[dim] = right
                parts.append(Tensor._make(np.full(shape, fill, dtype=out.dtype)))
            out = joins.cat(parts, dim)
        elif mode in _PAD_MODES:
            if mode == "reflect" and (left >= n or right >= n):
                raise ValueError(f"pad: padding size ({left}, {right}) should be less than the "
                                 f"corresponding input dimension {n} for mode 'reflect'")
            if mode == "circular" and (left > n or right > n):
                raise ValueError(f"pad: padding size ({left}, {right}) may not exceed the input "
                                 f"dimension {n} for mode 'circular'")
            index = np.pad(np.arange(n), (left, right), mode=_PAD_MODES[mode])
            out = out[(slice(None),) * dim + (index,)]  # gathers; repeats accumulate gradients
        else:
            raise NotImplementedError(f"pad: mode {mode!r} is not supported (use 'constant', "
                                      "'reflect', 'replicate' or 'circular')")
    return out


# ---------------------------------------------------------------------------------------------
# losses


def _reduce(loss, reduction, op):
    if reduction == "mean":
        return sums.mean(loss)
    if reduction == "sum":
        return sums.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{op}: {reduction} is not a valid value for reduction")


def _check_reduction(reduction, op):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{op}: {reduction} is not a valid value for reduction")


def _pair(input, target, op, same_shape=False):
    input = _tensor(input, op)
    target = _tensor(target, op)
    if tuple(target.shape) != tuple(input.shape):
        if same_shape:
            raise ValueError(f"{op}: Using a target size ({tuple(target.shape)}) that is "
                             f"different to the input size ({tuple(input.shape)}) is "
                             "deprecated. Please ensure they have the same size.")
        try:
            np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise ValueError(f"{op}: input of shape {tuple(input.shape)} and target of shape "
                             f"{tuple(target.shape)} cannot be broadcast together") from None
        warnings.warn(f"{op}: Using a target size ({tuple(target.shape)}) that is different "
                      f"to the input size ({tuple(input.shape)}). This will likely lead to "
                      "incorrect results due to broadcasting. Please ensure they have the same "
                      "size.", stacklevel=3)
    if target.dtype != input.dtype and target.dtype.kind in "fiub" and input.dtype.kind == "f":
        if target.requires_grad:
            target = target.to(input.dtype)
        else:
            target = Tensor._make(target._data.astype(input.dtype))
    return input, target


@_composed("MSELoss")
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """(input - target)^2, reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "mse_loss")
    input, target = _pair(input, target, "mse_loss")
    d = input - target
    return _reduce(d * d, reduction, "mse_loss")


@_composed("L1Loss")
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """|input - target|, reduced."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "l1_loss")
    input, target = _pair(input, target, "l1_loss")
    return _reduce(unary.abs(input - target), reduction, "l1_loss")


@_composed("HuberLoss")
def huber_loss(input, target, reduction="mean", delta=1.0):
    """0.5 d^2 where |d| < delta, delta (|d| - 0.5 delta) elsewhere (d = input - target)."""
    _check_reduction(reduction, "huber_loss")
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    input, target = _pair(input, target, "huber_loss")
    d = input - target
    small = np.abs(d._data) < delta
    loss = select.where(small, d * d * 0.5, (unary.abs(d) - 0.5 * delta) * delta)
    return _reduce(loss, reduction, "huber_loss")


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere; beta = 0 is the L1 loss."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    input, target = _pair(input, target, "smooth_l1_loss")
    d = input - target
    if beta == 0:
        return _reduce(unary.abs(d), reduction, "smooth_l1_loss")
    small = np.abs(d._data) < beta
    loss = select.where(small, d * d * (0.5 / beta), unary.abs(d) - 0.5 * beta)
    return _reduce(loss, reduction, "smooth_l1_loss")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits ``input`` (N, C) / (C,) / (N, C, d1, ...) against class indices
    (N,) / () / (N, d1, ...) or class probabilities (same shape as input)."""
    from autodiff.ops.loss import cross_entropy as _ce
    if size_average is None and reduce is None and reduction == "mean":  # the default
        return _ce(input, target, weight=weight, ignore_index=ignore_index,
                   label_smoothing=label_smoothing)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "cross_entropy")
    return _ce(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction,
               label_smoothing=label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` (N, C) / (C,) / (N, C, d1, ...)
    at the class indices ``target``."""
    from autodiff.ops.loss import nll_loss as _nll
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "nll_loss")
    return _nll(input, target, weight=weight, ignore_index=ignore_index, reduction=reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-w (t log x + (1 - t) log(1 - x)) with each log clamped at -100 (as PyTorch)."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy")
    input, target = _pair(input, target, "binary_cross_entropy", same_shape=True)
    x = input._data
    if x.size and (np.nanmin(x) < 0 or np.nanmax(x) > 1):
        raise ValueError("binary_cross_entropy: all elements of input should be between 0 and 1")
    loss = loss_ops.binary_cross_entropy(input, target)
    if weight is not None:
        loss = loss * _tensor(weight, "binary_cross_entropy")
    return _reduce(loss, reduction, "binary_cross_entropy")


@_composed("BCEWithLogits")
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """BCE of sigmoid(input), computed stably from the logits:
    (1 - t) x + (1 + (pos_weight - 1) t) softplus(-x), times ``weight``."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    input, target = _pair(input, target, "binary_cross_entropy_with_logits", same_shape=True)
    if weight is None and pos_weight is None and input.dtype.kind == "f":
        return loss_ops.binary_cross_entropy_with_logits(input, target, reduction)  # one node
    sp = activation.softplus(-input, 1.0, None)
    if pos_weight is not None:
        pos_weight = _tensor(pos_weight, "binary_cross_entropy_with_logits")
        log_weight = (pos_weight - 1) * target + 1
        loss = (1 - target) * input + log_weight * sp
    else:
        loss = (1 - target) * input + sp
    if weight is not None:
        loss = loss * _tensor(weight, "binary_cross_entropy_with_logits")
    return _reduce(loss, reduction, "binary_cross_entropy_with_logits")


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss: for each sample, sum over j != y of
    w[y] max(0, margin - x[y] + x[j])^p, divided by C. input (N, C) or (C,), target (N,) or ()."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError("multi_margin_loss: only p == 1 and p == 2 supported")
    input = _tensor(input, "multi_margin_loss")
    t = target._data if isinstance(target, Tensor) else np.asarray(target)
    t_shape = t.shape
    one_d = input.ndim <= 1
    x = input.reshape(1, -1) if one_d else input
    t = t.reshape(-1).astype(np.int64)
    if x.ndim != 2 or t.shape[0] != x.shape[0]:
        raise ValueError(f"multi_margin_loss: inconsistent input shape {tuple(input.shape)} and "
                         f"target shape {tuple(t_shape)}")
    N, C = x.shape
    if t.size and (t.min() < 0 or t.max() >= C):
        raise IndexError(f"multi_margin_loss: target out of range [0, {C})")
    rows = np.arange(N)
    x_y = x[rows, t].reshape(N, 1)
    z = activation.relu(x - x_y + margin)
    if p == 2:
        z = z * z
    if weight is not None:
        w = weight._data if isinstance(weight, Tensor) else np.asarray(weight)
        z = z * Tensor._make(w[t].reshape(N, 1).astype(x.dtype))
    not_y = np.ones((N, C), dtype=x.dtype)
    not_y[rows, t] = 0
    loss = sums.sum(z * Tensor._make(not_y), 1) / C
    if one_d:
        loss = loss.reshape(())
    return _reduce(loss, reduction, "multi_margin_loss")


# ---- attention and resizing (nn/attention.py, nn/upsample.py) -------------------------------
from .attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: E402
from .upsample import interpolate, upsample, upsample_bilinear, upsample_nearest  # noqa: E402

__all__ += ["scaled_dot_product_attention", "multi_head_attention_forward", "interpolate",
            "upsample", "upsample_nearest", "upsample_bilinear"]


# ---- distances and normalisation (issue 17) ------------------------------------------------
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(||input||_p over dim, eps)``, as PyTorch's (differentiable)."""
    denom = sums.norm(input, p, dim, True).clamp(min=eps).expand_as(input)
    res = input / denom
    if out is not None:
        from autodiff.compat import write_out
        return write_out(res, out, "normalize")
    return res


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (broadcast together), each
    norm clamped below at ``eps``: ``sum((x1 / ||x1||) * (x2 / ||x2||), dim)``, as PyTorch."""
    n1 = sums.norm(x1, 2, dim, True).clamp(min=eps)
    n2 = sums.norm(x2, 2, dim, True).clamp(min=eps)
    return sums.sum((x1 / n1) * (x2 / n2), dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` over the last dimension, as PyTorch."""
    return sums.norm(x1 - x2 + eps, p, -1, keepdim)


__all__ += ["normalize", "cosine_similarity", "pairwise_distance"]


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL divergence with ``input`` given as log-probabilities: ``target * (log(target) -
    input)`` elementwise (0 where ``target`` is 0), or ``exp(target) * (target - input)`` with
    ``log_target``; reduced by ``"mean"``, ``"sum"``, ``"none"`` or ``"batchmean"`` (the sum
    divided by the batch size, the mathematically correct KL), as PyTorch."""
    reduction = _legacy_reduction(size_average, reduce, reduction)
    if reduction not in ("mean", "sum", "none", "batchmean"):
        raise ValueError(f"kl_div: {reduction} is not a valid value for reduction")
    if reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns "
                      "with the KL div math definition.'mean' will be changed to behave the "
                      "same as 'batchmean' in the next major release.", stacklevel=2)
    if log_target:
        loss = unary.exp(target) * (target - input)
    else:
        pos = compare.gt(target, 0)
        safe = select.where(pos, target, 1.0)
        loss = select.where(pos, target * unary.log(safe), 0.0) - target * input
    if reduction == "batchmean":
        return sums.sum(loss) / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction, "kl_div")


__all__ += ["kl_div"]
