"""Row-wise softmax, log-softmax and fused cross-entropy kernels over (M, C) arrays.

Stability: every row is shifted by its maximum before ``exp`` and the row sums and
log-sum-exp are accumulated in float64, so float32 logits of magnitude 1e4 give finite,
accurate results.  ``log_softmax`` is returned as ``(x - max) - log(sum)`` (never as
``x - lse`` of two large numbers).

Fused cross-entropy (class-index targets, PyTorch semantics incl. ``weight``,
``ignore_index`` and ``label_smoothing``): one pass over each row gives the per-row NLL
term, the label-smoothing term, the target weight and the row's log-sum-exp; the backward
kernel turns that into the gradient in one more pass,
``grad[i, c] = s_i * ((1 - eps) * w[t_i] * (p_ic - [c == t_i]) + eps / C * (sum(w) * p_ic - w[c]))``.

Serial kernels: the losses of the models here are (128, 10)-sized, where a parallel launch
(~100 us) would cost more than the work.  Each kernel has a NumPy twin ``*_ref``.
"""
import math

import numba
import numpy as np

__all__ = ["log_softmax_forward", "softmax_forward", "cross_entropy_forward",
           "cross_entropy_backward", "log_softmax_forward_ref", "softmax_forward_ref",
           "cross_entropy_forward_ref", "cross_entropy_backward_ref"]


@numba.njit(cache=True)
def _row_max_lse(x, i):
    C = x.shape[1]
    m = -np.inf
    for c in range(C):
        v = x[i, c]
        if v > m:
            m = v
    if m == -np.inf or m != m:  # all -inf (or empty): let the result be nan like PyTorch
        m = 0.0
    s = 0.0
    for c in range(C):
        s += math.exp(float(x[i, c]) - m)
    return m, math.log(s)


@numba.njit(cache=True)
def _log_softmax_kernel(x, out):
    M, C = x.shape
    for i in range(M):
        m, ls = _row_max_lse(x, i)
        for c in range(C):
            out[i, c] = (float(x[i, c]) - m) - ls


@numba.njit(cache=True)
def _softmax_kernel(x, out):
    M, C = x.shape
    for i in range(M):
        m, ls = _row_max_lse(x, i)
        for c in range(C):
            out[i, c] = math.exp((float(x[i, c]) - m) - ls)


@numba.njit(cache=True)
def _cross_entropy_fwd_kernel(x, target, weight, ignore_index, smoothing, nll, smooth, wt, lse):
    # returns -1, or the first row whose target is out of range (the caller raises)
    M, C = x.shape
    for i in range(M):
        t = target[i]
        if t != ignore_index and (t < 0 or t >= C):
            return i
    for i in range(M):
        m, ls = _row_max_lse(x, i)
        lse[i] = m + ls
        t = target[i]
        if t == ignore_index:
            nll[i] = 0.0
            smooth[i] = 0.0
            wt[i] = 0.0
            continue
        w = weight[t]
        wt[i] = w
        nll[i] = w * (ls - (float(x[i, t]) - m))
        if smoothing:
            s = 0.0
            for c in range(C):
                s += weight[c] * (ls - (float(x[i, c]) - m))
            smooth[i] = s
        else:
            smooth[i] = 0.0
    return -1


@numba.njit(cache=True)
def _cross_entropy_bwd_kernel(x, target, weight, ignore_index, smoothing, lse, scale, grad):
    M, C = x.shape
    wsum = 0.0
    for c in range(C):
        wsum += weight[c]
    eps_c = smoothing / C
    for i in range(M):
        t = target[i]
        if t == ignore_index:
            for c in range(C):
                grad[i, c] = 0
            continue
        s = scale[i]
        a = s * (1.0 - smoothing) * weight[t]
        b = s * eps_c
        pa = a + b * wsum
        li = lse[i]
        for c in range(C):
            grad[i, c] = pa * math.exp(float(x[i, c]) - li) - b * weight[c]
        grad[i, t] -= a


# --------------------------------------------------------------------------- array API


def _rows(x):
    x = np.ascontiguousarray(x)
    if x.ndim != 2:
        raise ValueError(f"expected a 2-D (rows, classes) array, got shape {x.shape}")
    return x


def log_softmax_forward(x):
    """log_softmax along the last axis of x (M, C)."""
    x = _rows(x)
    out = np.empty_like(x)
    _log_softmax_kernel(x, out)
    return out


def softmax_forward(x):
    """softmax along the last axis of x (M, C)."""
    x = _rows(x)
    out = np.empty_like(x)
    _softmax_kernel(x, out)
    return out


def _weight(weight, C):
    if weight is None:
        return np.ones(C, dtype=np.float64)
    return np.ascontiguousarray(weight, dtype=np.float64)


def check_target(target, C, ignore_index):
    """Raise IndexError for class indices outside [0, C) (other than ignore_index)."""
    bad = (target != ignore_index) & ((target < 0) | (target >= C))
    if bad.any():
        raise IndexError(f"cross_entropy: target {int(target[bad][0])} is out of bounds "
                         f"for {C} classes")


def cross_entropy_forward(x, target, weight=None, ignore_index=-100, label_smoothing=0.0):
    """x (M, C) logits, target (M,) class indices -> per-row float64 arrays
    ``(nll, smooth, wt, lse)``: ``w[t]*(lse - x[t])``, ``sum_c w[c]*(lse - x[c])`` (only when
    label_smoothing > 0, else zeros), ``w[t]`` and the log-sum-exp; ignored rows give zeros."""
    x = _rows(x)
    M, C = x.shape
    target = np.ascontiguousarray(target, dtype=np.int64).reshape(M)
    nll, smooth, wt, lse = np.empty((4, M))
    bad = _cross_entropy_fwd_kernel(x, target, _weight(weight, C), int(ignore_index),
                                    float(label_smoothing), nll, smooth, wt, lse)
    if bad >= 0:
        raise IndexError(f"cross_entropy: target {int(target[bad])} is out of bounds "
                         f"for {C} classes")
    return nll, smooth, wt, lse


def cross_entropy_backward(x, target, scale, lse, weight=None, ignore_index=-100,
                           label_smoothing=0.0):
    """Gradient (M, C) of ``sum_i scale_i * loss_i`` with respect to the logits x (M, C)."""
    x = _rows(x)
    M, C = x.shape
    target = np.ascontiguousarray(target, dtype=np.int64).reshape(M)
    if np.ndim(scale) == 0:  # a mean or sum: one scale for every row
        scale = np.full(M, scale, dtype=np.float64)
    else:
        scale = np.ascontiguousarray(np.broadcast_to(scale, (M,)), dtype=np.float64)
    grad = np.empty_like(x)
    _cross_entropy_bwd_kernel(x, target, _weight(weight, C), int(ignore_index),
                              float(label_smoothing), np.ascontiguousarray(lse), scale, grad)
    return grad


# --------------------------------------------------------------------------- NumPy twins


def log_softmax_forward_ref(x):
    x64 = x.astype(np.float64)
    m = x64.max(-1, keepdims=True)
    return ((x64 - m) - np.log(np.exp(x64 - m).sum(-1, keepdims=True))).astype(x.dtype)


def softmax_forward_ref(x):
    return np.exp(log_softmax_forward_ref(x).astype(np.float64)).astype(x.dtype)


def cross_entropy_forward_ref(x, target, weight=None, ignore_index=-100, label_smoothing=0.0):
    M, C = x.shape
    logp = log_softmax_forward_ref(x.astype(np.float64))
    w = np.ones(C) if weight is None else np.asarray(weight, dtype=np.float64)
    keep = target != ignore_index
    t = np.where(keep, target, 0)
    wt = np.where(keep, w[t], 0.0)
    nll = -wt * logp[np.arange(M), t]
    smooth = np.where(keep, -(logp * w).sum(-1), 0.0) if label_smoothing else np.zeros(M)
    lse = np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1)) + x.max(-1)
    return nll, smooth, wt, lse


def cross_entropy_backward_ref(x, target, scale, lse, weight=None, ignore_index=-100,
                               label_smoothing=0.0):
    M, C = x.shape
    p = softmax_forward_ref(x.astype(np.float64))
    w = np.ones(C) if weight is None else np.asarray(weight, dtype=np.float64)
    keep = target != ignore_index
    t = np.where(keep, target, 0)
    onehot = np.eye(C)[t]
    scale = np.broadcast_to(scale, (M,)) * keep
    eps = label_smoothing
    g = (1 - eps) * w[t][:, None] * (p - onehot) + eps / C * (w.sum() * p - w)
    return (scale[:, None] * g).astype(x.dtype)
