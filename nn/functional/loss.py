"""Loss functions: the regression losses (composed, each recorded as one op), cross-entropy
and NLL (the engine's fused ops, ``autodiff.ops.loss``), binary cross-entropy,
``multi_margin_loss`` and ``kl_div``."""
from __future__ import annotations

import warnings

import numpy as np

from autodiff.ops import loss as loss_ops
from autodiff.ops._common import _legacy_reduction, _tensor
from autodiff.ops.elementwise import activation, compare, select, unary
from autodiff.ops.reduce import sums
from autodiff.tensor import Tensor

from ._common import _composed


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
    if target._data.shape != input._data.shape:
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
    tdt, xdt = target._data.dtype, input._data.dtype  # (the arrays': no dtype wrappers made)
    if tdt != xdt and tdt.kind in "fiub" and xdt.kind == "f":
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
    if weight is None and pos_weight is None and input._data.dtype.kind == "f":
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
