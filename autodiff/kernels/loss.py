"""Row-wise softmax, log-softmax and fused cross-entropy kernels over (M, C) arrays.

Stability: every row is shifted by its maximum before ``exp`` and the row sums and
log-sum-exp are accumulated in float64, so float32 logits of magnitude 1e4 give finite,
accurate results.  ``log_softmax`` is returned as ``(x - max) - log(sum)`` (never as
``x - lse`` of two large numbers).

Fused cross-entropy (class-index targets, PyTorch semantics incl. ``weight``,
``ignore_index`` and ``label_smoothing``): one pass over each row gives the per-row NLL
term, the label-smoothing term, the target weight and the row's log-sum-exp; the backward
kernel turns that into the gradient in one more pass,
``grad[i, c] = s_i * ((1 - eps) * w[t_i] * (p_ic - [c == t_i])
+ eps / C * (sum(w) * p_ic - w[c]))``.

The cross-entropy kernels take their ``exp`` from ``exp_nonpos_``: numba compiles
``math.exp`` to one libm call per element (~5.5 ns here, no SVML), while this range reduction
(Cody-Waite), polynomial and exponent-bits scaling vectorises (AVX2: ~0.4 ns per float32,
~1.3 ns per float64 element).  float32 logits take the float32 version (max relative error
~1e-7, the float32 round-off; the shifted logits are rounded to float32 from an exact
float64 difference first), float64 logits the float64 version (~2e-16).  The sums, logs,
NLL terms and scale factors stay in float64 as before.

Serial kernels: the losses of the models here are (128, 10)-sized, where a parallel launch
(~100 us) would cost more than the work.  Each kernel has a NumPy twin ``*_ref``.
"""
import math

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic, overload

__all__ = ["log_softmax_forward", "softmax_forward", "cross_entropy_forward",
           "cross_entropy_backward", "log_softmax_forward_ref", "softmax_forward_ref",
           "cross_entropy_forward_ref", "cross_entropy_backward_ref", "exp_nonpos_"]


# ----------------------------------------------------------- vectorisable exp for x <= 0


_SAME_WIDTH = {types.int64: types.float64, types.float64: types.int64,
               types.int32: types.float32, types.float32: types.int32}


@intrinsic
def _bitcast(typingctx, x):
    """The same bits read as the other type of their width (int64 <-> float64, int32 <->
    float32)."""
    to = _SAME_WIDTH.get(x)
    if to is None:
        return None

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], context.get_value_type(sig.return_type))
    return to(x), codegen


def exp_nonpos_(a):
    """In place ``a = exp(a)`` for a contiguous float array of values <= 0 (NaN stays NaN,
    below -708 (float64) or -87 (float32) gives 0).  Plain Python (``NUMBA_DISABLE_JIT``) and
    the twin: NumPy's exp, with the same cut to 0; inside a numba kernel, the vectorisable
    versions below."""
    below = a < (-708.0 if a.dtype == np.float64 else -87.0)
    np.exp(a, out=a)
    a[below] = 0


@numba.njit(inline="always")
def _exp_poly64(r):
    # exp(r) for |r| <= ln2/2: Taylor to r^13, error < 2.3e-16
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    return p * r + 1.0


_F32 = np.float32


@numba.njit(inline="always")
def _exp_poly32(r):
    # expf(r) for |r| <= ln2/2: Cephes' polynomial, error ~1 ulp
    p = _F32(1.9875691500e-4)
    p = p * r + _F32(1.3981999507e-3)
    p = p * r + _F32(8.3334519073e-3)
    p = p * r + _F32(4.1665795894e-2)
    p = p * r + _F32(1.6666665459e-1)
    p = p * r + _F32(5.0000001201e-1)
    return p * (r * r) + r + _F32(1.0)


def _exp_nonpos(poly, log2e, ln2_hi, ln2_lo, shift, bias, mantissa, cut, itype):
    """exp_nonpos_ for one float type: ``poly`` its polynomial, the rest its constants.

    exp(x) = 2^n exp(r), n = round(x / ln 2), r = x - n ln 2 in [-ln2/2, ln2/2] (``ln2_hi``
    + ``ln2_lo``, a split in which n * ln2_hi is exact); t = x/ln2 + shift (1.5 * 2^mantissa)
    holds n in its low mantissa bits, so 2^n is (bits(t) + bias) << mantissa (valid for
    n >= 1 - bias, hence the cut to 0 below ``cut``).  A select, no branch."""
    zero = type(cut)(0)

    def impl(a):
        v = a.reshape(-1)
        for k in range(v.size):
            x = v[k]
            t = x * log2e + shift
            n = t - shift
            r = (x - n * ln2_hi) - n * ln2_lo
            scale = _bitcast(itype((_bitcast(t) + bias) << mantissa))  # numba widens to int64
            v[k] = zero if x < cut else poly(r) * scale
    return impl


_EXP_NONPOS = {   # fdlibm's split of ln 2 for float64, Cephes' for float32
    types.float64: (_exp_poly64, 1.4426950408889634, 6.93147180369123816490e-01,
                    1.90821492927058770002e-10, 6755399441055744.0, 1023, 52, -708.0, np.int64),
    types.float32: (_exp_poly32, _F32(1.44269504), _F32(0.693359375), _F32(-2.12194440e-4),
                    _F32(12582912.0), 127, 23, _F32(-87.0), np.int32),
}


@overload(exp_nonpos_, jit_options={"fastmath": {"contract"}, "error_model": "numpy"})
def _exp_nonpos_impl(a):
    consts = _EXP_NONPOS.get(a.dtype)
    return None if consts is None else _exp_nonpos(*consts)


# --------------------------------------------------------------------------- kernels


@numba.njit(cache=True)
def _row_max(x, i):
    m = -np.inf
    for c in range(x.shape[1]):
        v = x[i, c]
        if v > m:
            m = v
    if m == -np.inf or m != m:  # all -inf (or empty): let the result be nan like PyTorch
        m = 0.0
    return m


@numba.njit(cache=True)
def _row_max_lse(x, i):
    m = _row_max(x, i)
    s = 0.0
    for c in range(x.shape[1]):
        s += math.exp(float(x[i, c]) - m)
    return m, math.log(s)


@numba.njit(cache=True)
def _softmax_kernel(x, out, log):
    # out = log_softmax(x) (log True) or softmax(x), row by row
    M, C = x.shape
    for i in range(M):
        m, ls = _row_max_lse(x, i)
        for c in range(C):
            v = (float(x[i, c]) - m) - ls
            out[i, c] = v if log else math.exp(v)


@numba.njit(cache=True)
def _row_sum(e, i):
    # float64, four interleaved partial sums: a serial chain of adds would wait on the add
    # latency (~2 us of a (128, 10) forward)
    C = e.shape[1]
    s0 = s1 = s2 = s3 = 0.0
    c = 0
    while c + 4 <= C:
        s0 += e[i, c]
        s1 += e[i, c + 1]
        s2 += e[i, c + 2]
        s3 += e[i, c + 3]
        c += 4
    while c < C:
        s0 += e[i, c]
        c += 1
    return (s0 + s1) + (s2 + s3)


@numba.njit(cache=True)
def _cross_entropy_fwd_kernel(x, target, weight, ignore_index, smoothing, nll, smooth, wt, lse):
    # returns -1, or the first row whose target is out of range (the caller raises)
    M, C = x.shape
    for i in range(M):
        t = target[i]
        if t != ignore_index and (t < 0 or t >= C):
            return i
    # exp(x - max) of all rows in one vectorised pass over a buffer of x's dtype
    e = np.empty_like(x)
    for i in range(M):
        m = _row_max(x, i)
        lse[i] = m
        for c in range(C):
            e[i, c] = float(x[i, c]) - m
    exp_nonpos_(e)
    for i in range(M):
        m = lse[i]
        ls = math.log(_row_sum(e, i))
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
    # p = exp(x - lse) into grad, in one vectorised pass
    for i in range(M):
        li = lse[i]
        for c in range(C):
            grad[i, c] = float(x[i, c]) - li
    exp_nonpos_(grad)
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
        for c in range(C):
            grad[i, c] = pa * grad[i, c] - b * weight[c]
        grad[i, t] -= a


# --------------------------------------------------------------------------- array API


def _rows(x):
    x = np.ascontiguousarray(x)
    if x.ndim != 2:
        raise ValueError(f"expected a 2-D (rows, classes) array, got shape {x.shape}")
    return x


def softmax_forward(x, log=False):
    """softmax (``log``: log_softmax) along the last axis of x (M, C)."""
    x = _rows(x)
    out = np.empty_like(x)
    _softmax_kernel(x, out, log)
    return out


def log_softmax_forward(x):
    """log_softmax along the last axis of x (M, C)."""
    return softmax_forward(x, log=True)


_ONES = {}   # C -> np.ones(C): the unit class weights (private, never written)


def _weight(weight, C):
    if weight is None:
        w = _ONES.get(C)
        if w is None:
            w = _ONES[C] = np.ones(C, dtype=np.float64)
        return w
    return np.ascontiguousarray(weight, dtype=np.float64)


def check_target(target, C, ignore_index, name="cross_entropy"):
    """Raise IndexError for class indices outside [0, C) (other than ignore_index)."""
    bad = (target != ignore_index) & ((target < 0) | (target >= C))
    if bad.any():
        raise IndexError(f"{name}: target {int(target[bad][0])} is out of bounds "
                         f"for {C} classes")


def cross_entropy_forward(x, target, weight=None, ignore_index=-100, label_smoothing=0.0):
    """x (M, C) logits, target (M,) class indices -> per-row float64 arrays
    ``(nll, smooth, wt, lse)``: ``w[t]*(lse - x[t])``, ``sum_c w[c]*(lse - x[c])`` (only when
    label_smoothing > 0, else zeros), ``w[t]`` and the log-sum-exp; ignored rows give zeros."""
    x = _rows(x)
    M, C = x.shape
    target = np.ascontiguousarray(target, dtype=np.int64).reshape(M)
    nll, smooth, wt, lse = np.empty(M), np.empty(M), np.empty(M), np.empty(M)
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
    if getattr(scale, "ndim", 0) == 0:  # a mean or sum: one scale for every row
        s = np.empty(M)
        s.fill(scale)
        scale = s
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
