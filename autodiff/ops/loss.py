"""Softmax, log-softmax and the classification losses (cross-entropy, NLL).

``cross_entropy`` with class-index targets is one fused op: the forward kernel computes the
row log-sum-exp and the loss in one pass (stable for float32 logits of magnitude 1e4), and
its gradient is another op, ``CrossEntropyBackward``, whose forward is one more kernel pass
and whose own backward is written with differentiable ops (Hessian-vector products of
cross-entropy, i.e. double backward, work).  Kernels: ``autodiff.kernels.loss``.
"""
from __future__ import annotations

import numpy as np

from .. import function as _f
from ..compat import numpy_names
from ..function import Op
from ..kernels import loss as K
from . import _common as CK
from ._common import _legacy_reduction, _norm_dim, _tensor
from .elementwise import activation, select, unary
from .shape import views as S

__all__ = ["LogSoftmax", "Softmax", "CrossEntropy", "CrossEntropyBackward", "NLLLoss",
           "log_softmax", "softmax", "cross_entropy", "nll_loss"]


def _along_last(fn, x, dim):
    """Apply a row kernel ``fn`` along axis ``dim`` of x."""
    if x.ndim == 0:
        return fn(x.reshape(1, 1)).reshape(())
    if x.dtype.kind != "f":
        x = x.astype(np.float32)
    if x.size == 0:  # nothing to normalise (PyTorch returns the empty result)
        return np.empty(x.shape, x.dtype)
    xm = np.moveaxis(x, dim, -1)
    out = fn(xm.reshape(-1, xm.shape[-1])).reshape(xm.shape)
    return np.moveaxis(out, -1, dim)


class _Normalize(Op):
    """``out = kernel(x)`` row by row along ``dim`` (``_along_last``), the output saved for the
    backward; subclasses set ``kernel`` and write ``backward``."""

    kernel = None

    @classmethod
    def forward(cls, ctx, x, dim):
        out = _along_last(cls.kernel, x, dim)
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out


class LogSoftmax(_Normalize):
    """out = x - logsumexp(x, dim);  dx = g - exp(out) * sum(g, dim)"""

    kernel = staticmethod(K.log_softmax_forward)

    @staticmethod
    def backward(ctx, grad_out):
        out, = ctx.saved_tensors
        return grad_out - out.exp() * grad_out.sum(ctx.dim, keepdim=True), None


class Softmax(_Normalize):
    """out = exp(x) / sum(exp(x), dim);  dx = out * (g - sum(g * out, dim))"""

    kernel = staticmethod(K.softmax_forward)

    @staticmethod
    def backward(ctx, grad_out):
        out, = ctx.saved_tensors
        return out * (grad_out - (grad_out * out).sum(ctx.dim, keepdim=True)), None


def _normalized(op, name, input, dim, dtype):
    """``op`` (LogSoftmax or Softmax) of ``input`` cast to ``dtype``, along ``dim`` (None:
    PyTorch's legacy implicit choice); float16 is computed in float32."""
    x = _tensor(input, name)
    if dtype is not None:
        x = x.to(np.dtype(dtype))
    if dim is None:
        dim = 0 if x.ndim in (0, 1, 3) else 1
    dim = _norm_dim(dim, x.ndim, name)
    if CK.is_half(x):
        return CK.back_to_half(op.apply(*CK.to_float32(x), dim))
    return op.apply(x, dim)


@numpy_names
def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(input)) along ``dim``, computed stably (finite for float32 logits of 1e4)."""
    return _normalized(LogSoftmax, "log_softmax", input, dim, dtype)


@numpy_names
def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(input) / sum(exp(input)) along ``dim``, computed stably."""
    return _normalized(Softmax, "softmax", input, dim, dtype)


# --------------------------------------------------------------------------- cross-entropy


def _class_weights(weight, C, name):
    """The class weights as a float64 (C,) array, or None."""
    if weight is None:
        return None
    w = weight._data if isinstance(weight, _f.Tensor) else np.asarray(weight)
    if w.shape != (C,):
        raise ValueError(f"{name}: weight of shape {w.shape} does not fit {C} classes")
    return np.ascontiguousarray(w, dtype=np.float64)


def _divide(x, denom):
    """x / denom, NaN or inf for a zero or non-finite ``denom`` (as PyTorch) without NumPy's
    warnings (entering ``np.errstate`` costs about a microsecond: only where it can warn)."""
    if denom != 0 and denom - denom == 0:
        return x / denom
    with np.errstate(invalid="ignore", divide="ignore"):
        return x / denom


def _reduce_rows(per, wt, reduction):
    """(loss, denom): the per-row losses ``per`` reduced; 'mean' divides by ``denom``, the sum
    of the kept rows' class weights ``wt``."""
    if reduction == "none":
        return per, 1.0
    if reduction == "sum":
        return per.sum(), 1.0
    denom = wt.sum()
    return _divide(per.sum(), denom), denom


def _row_coefficients(target, weight, ignore_index, eps, C):
    """Per-row ((1 - eps) * w[t] + eps/C * sum(w)) for kept rows, 0 for ignored ones."""
    keep = target != ignore_index
    w = np.ones(C) if weight is None else weight
    wt = np.where(keep, w[np.where(keep, target, 0)], 0.0)
    return (1.0 - eps) * wt + (eps / C) * w.sum() * keep


class CrossEntropy(Op):
    """loss_i = (1 - eps) * w[t_i] * (lse_i - x[i, t_i]) + eps/C * sum_c w[c] (lse_i - x[i, c])
    for logits x (M, C), reduced (weighted mean by default);  dx = CrossEntropyBackward(x, g)"""

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction, label_smoothing):
        eps = float(label_smoothing)
        nll, smooth, wt, lse = K.cross_entropy_forward(x, target, weight, ignore_index, eps)
        C = x.shape[1]
        per = (1.0 - eps) * nll + (eps / C) * smooth if eps else nll
        out, denom = _reduce_rows(per, wt, reduction)
        # a copy of the targets (M int64s): an in-place write on the caller's target tensor
        # between forward and backward must not change the gradient (PyTorch raises there)
        ctx.args = (target.copy(), weight, ignore_index, reduction, eps, lse, denom)
        ctx.save_for_backward(x)
        return np.asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        x, = ctx.saved_tensors
        return (CrossEntropyBackward.apply(x, grad_out, *ctx.args),
                None, None, None, None, None)

    @staticmethod
    def backward_arrays(ctx, grad_out):
        x, = ctx.saved(arrays=True)  # the kernel, no CrossEntropyBackward node
        return (CrossEntropyBackward.forward(None, x, grad_out, *ctx.args),
                None, None, None, None, None)


class CrossEntropyBackward(Op):
    """dx = s_i * ((1 - eps) w[t_i] (p_i - onehot(t_i)) + eps/C (sum(w) p_i - w)), p = softmax(x),
    s = g / denom;  its backward: d/dx = s_i a_i (p * gg - p * sum(p * gg)),
    d/dg = sum(gg * dx/dg)"""

    @staticmethod
    def forward(ctx, x, g, target, weight, ignore_index, reduction, eps, lse, denom):
        scale = _divide(np.asarray(g, dtype=np.float64), denom)
        if ctx is not None:
            ctx.args = (target, weight, ignore_index, reduction, eps, lse, denom)
            ctx.save_for_backward(x, g)
        return K.cross_entropy_backward(x, target, scale, lse, weight, ignore_index, eps)

    @staticmethod
    def backward(ctx, gg):
        x, g = ctx.saved_tensors
        target, weight, ignore_index, reduction, eps, lse, denom = ctx.args
        needs = ctx.needs_input_grad
        T = _f.Tensor
        M, C = x.shape
        dx = dg = None
        if needs[0]:
            with np.errstate(invalid="ignore", divide="ignore"):
                coef = _row_coefficients(target, weight, ignore_index, eps, C) / denom
            p = Softmax.apply(x, 1)
            pg = p * gg
            h = pg - p * pg.sum(1, keepdim=True)
            gcol = S.reshape(g, (M, 1)) if reduction == "none" else g
            dx = h * T._make(coef.astype(x.dtype).reshape(M, 1)) * gcol
        if len(needs) > 1 and needs[1]:
            ones = np.ones(g.shape, dtype=x.dtype)
            unit = CrossEntropyBackward.apply(x, ones, *ctx.args)
            prod = unit * gg
            dg = prod.sum(1) if reduction == "none" else prod.sum()
        return dx, dg, None, None, None, None, None, None, None


class NLLLoss(Op):
    """loss_i = -w[t_i] * x[i, t_i] for log-probabilities x (M, C), reduced;
    dx = g * (-w[t_i] / denom at (i, t_i), 0 elsewhere)"""

    @staticmethod
    def forward(ctx, x, target, weight, ignore_index, reduction):
        M, C = x.shape
        K.check_target(target, C, ignore_index, "nll_loss")
        keep = target != ignore_index
        t0 = np.where(keep, target, 0)
        w = np.ones(C) if weight is None else weight
        wt = np.where(keep, w[t0], 0.0)
        if C == 0:  # only reachable with no rows
            per = np.zeros(M, x.dtype)
        else:
            # an ignored row is +0 even where its log-probability is NaN or inf (torch)
            per = np.where(keep, 0.0 - wt * x[np.arange(M), t0], 0.0)
        out, denom = _reduce_rows(per, wt, reduction)
        ctx.args = (t0, wt, denom, reduction, x.shape, x.dtype)
        return np.asarray(out, dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        t0, wt, denom, reduction, shape, dtype = ctx.args
        M = shape[0]
        const = np.zeros(shape, dtype=dtype)
        if shape[1]:
            with np.errstate(invalid="ignore", divide="ignore"):
                # ignored rows (weight 0) get 0 even when every row is ignored (denom 0), as
                # PyTorch
                const[np.arange(M), t0] = np.where(wt != 0, 0.0 - wt / denom, 0.0)
        g = S.reshape(grad_out, (M, 1)) if reduction == "none" else grad_out
        return _f.Tensor._make(const) * g, None, None, None, None


def _rows_and_targets(x, target, name):
    """(M, C) rows of logits and (M,) int64 targets for PyTorch's (N, C, d1, ...) layout."""
    t = target._data if isinstance(target, _f.Tensor) else np.asarray(target)
    if x.ndim == 0:
        raise ValueError(f"{name}: input must have at least 1 dimension")
    C = x.shape[0] if x.ndim == 1 else x.shape[1]
    expected = () if x.ndim == 1 else (x.shape[0],) + tuple(x.shape[2:])
    if tuple(t.shape) != expected:
        raise ValueError(f"{name}: expected target of shape {expected} for input of shape "
                         f"{tuple(x.shape)}, got {tuple(t.shape)}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name}: class-index target must be an integer tensor, got {t.dtype}")
    if x.ndim == 1:
        x2 = S.reshape(x, (1, C))
    elif x.ndim == 2:
        x2 = x
    else:
        x2 = S.reshape(S.permute(x, (0,) + tuple(range(2, x.ndim)) + (1,)), (-1, C))
    return x2, np.ascontiguousarray(t, dtype=np.int64).reshape(-1), expected


def _check_reduction(reduction, name):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{name}: {reduction!r} is not a valid value for reduction")


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy between logits and targets, PyTorch's ``cross_entropy``.

    input (N, C), (C,) or (N, C, d1, ...) logits; target class indices (N,), () or
    (N, d1, ...), or class probabilities shaped like input.  ``weight`` (C,) rescales
    classes; ``reduction='mean'`` divides by the summed weights of the non-ignored targets.
    An ignored row's gradient is 0 even where its logits are NaN or inf (torch 2.13 gives
    NaN there: the row's softmax times 0).
    """
    if ignore_index.__class__ is not int:
        ignore_index = CK.int_arg(ignore_index, "ignore_index", "cross_entropy")
    if (weight is None and not label_smoothing and reduction == "mean" and size_average is None
            and reduce is None and target.__class__ is _f.Tensor
            and isinstance(input, _f.Tensor)):
        # the common case (logits (N, C), int64 class targets (N,), plain mean): nothing to
        # check or reshape; the kernel checks the target bounds
        xd, td = input._data, target._data
        if (xd.__class__ is np.ndarray and xd.ndim == 2 and td.dtype == np.int64
                and td.shape == xd.shape[:1] and xd.dtype.char in "fd"):
            return CrossEntropy.apply(input, td, None, int(ignore_index), "mean", 0.0)
    x = CK.float_input(_tensor(input, "cross_entropy"), "cross_entropy")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "cross_entropy")
    eps = float(label_smoothing)
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {eps}")
    if CK.is_half(x):  # computed in float32 (a float16 probability target too)
        t = target
        if isinstance(t, _f.Tensor) and CK.is_half(t):
            (t,) = CK.to_float32(t)
        return CK.back_to_half(cross_entropy(*CK.to_float32(x), t, weight, None, ignore_index,
                                            None, reduction, label_smoothing))
    tdata = target._data if isinstance(target, _f.Tensor) else np.asarray(target)
    if tdata.dtype.kind == "f":
        if x.ndim > 0 and tuple(tdata.shape) != tuple(x.shape):
            raise RuntimeError(
                f"cross_entropy: expected target dtype to be Long (int64 class indices) for a "
                f"target of shape {tuple(tdata.shape)}, got {tdata.dtype}; a floating-point "
                f"target holds class probabilities and must have the input's shape "
                f"{tuple(x.shape)}")
        w = _class_weights(weight, x.shape[0 if x.ndim == 1 else 1], "cross_entropy")
        return _cross_entropy_probs(x, target, w, reduction, eps)
    x2, t, tshape = _rows_and_targets(x, target, "cross_entropy")
    w = _class_weights(weight, x2.shape[1], "cross_entropy")
    loss = CrossEntropy.apply(x2, t, w, int(ignore_index), reduction, eps)
    if reduction == "none":
        loss = S.reshape(loss, tshape)
    return loss


def _cross_entropy_probs(x, target, w, reduction, eps):
    """Cross-entropy against class probabilities (composed from differentiable ops)."""
    T = _f.Tensor
    q = target if isinstance(target, T) else T._make(np.asarray(target, dtype=x.dtype))
    if tuple(q.shape) != tuple(x.shape):
        raise ValueError(f"cross_entropy: probability target shape {tuple(q.shape)} does not "
                         f"match input shape {tuple(x.shape)}")
    cdim = 0 if x.ndim == 1 else 1
    C = x.shape[cdim]
    if eps:
        q = q * (1.0 - eps) + eps / C
    logp = log_softmax(x, cdim)
    if w is not None:
        shape = [1] * x.ndim
        shape[cdim] = C
        logp = logp * T._make(w.astype(x.dtype).reshape(shape))
    per = -(logp * q).sum(cdim)
    if reduction == "none":
        return per
    if reduction == "sum":
        return per.sum()
    n = 1 if x.ndim == 1 else per._data.size
    return per.sum() / n


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of log-probabilities, PyTorch's ``nll_loss``.

    input (N, C), (C,) or (N, C, d1, ...); target class indices (N,), () or (N, d1, ...).
    """
    x = CK.float_input(_tensor(input, "nll_loss"), "nll_loss")
    ignore_index = CK.int_arg(ignore_index, "ignore_index", "nll_loss")
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction, "nll_loss")
    if CK.is_half(x):  # computed in float32
        return CK.back_to_half(nll_loss(*CK.to_float32(x), target, weight, None, ignore_index,
                                       None, reduction))
    x2, t, tshape = _rows_and_targets(x, target, "nll_loss")
    w = _class_weights(weight, x2.shape[1], "nll_loss")
    loss = NLLLoss.apply(x2, t, w, int(ignore_index), reduction)
    if reduction == "none":
        loss = S.reshape(loss, tshape)
    return loss


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
            gx = grad_out * (x - t) / select.clamp(x * (1 - x), min=1e-12)
        if need_t:
            gt = grad_out * (unary.log1p(-x) - unary.log(x))
        return gx, gt


def binary_cross_entropy(x, t):
    return BinaryCrossEntropy.apply(x, t)


class BCEWithLogits(Op):
    """out = reduce((1 - t) x + softplus(-x)), softplus(-x) = max(-x, 0) + log1p(exp(-|x|));
    dx = g (sigmoid(x) - t) (/ n for 'mean'),  dt = -g x (/ n)

    One node for ``binary_cross_entropy_with_logits`` without weights (composed it is six
    nodes: neg, softplus, rsub, mul, add, mean). The backward is written with differentiable
    ops, so double backward works."""

    @staticmethod
    def forward(ctx, x, t, reduction):
        ctx.save_for_backward(x, t)
        ctx.reduction = reduction
        loss = (1 - t) * x + (np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x))))
        if reduction == "mean":
            ctx.scale = 1 / max(loss.size, 1)
            loss = np.sum(loss) / loss.size if loss.size else np.array(np.nan)  # = np.mean
        elif reduction == "sum":
            loss = np.sum(loss)
        return np.asarray(loss, x.dtype)

    @staticmethod
    def backward(ctx, grad_out):
        x, t = ctx.saved_tensors
        need_x, need_t = ctx.needs_input_grad[:2]
        if ctx.reduction == "mean":
            grad_out = grad_out * ctx.scale
        gx = grad_out * (activation.sigmoid(x) - t) if need_x else None
        gt = -(grad_out * x) if need_t else None
        return gx, gt, None

    @staticmethod
    def backward_arrays(ctx, grad_out):
        """``backward``'s ops in its order on the arrays, when x, t and the gradient share one
        dtype and x is not 0-d (otherwise ``backward`` itself, for its promotion rules and 0-d
        results): one node's work instead of four or five Tensor ops."""
        x, t = ctx.saved(arrays=True)
        dt = x.dtype
        if not (t.dtype is dt and grad_out.dtype is dt and x.ndim):
            grads = BCEWithLogits.backward(ctx, _f.Tensor._make(grad_out))
            return tuple([None if g is None else g._data for g in grads])
        need_x, need_t = ctx.needs_input_grad[:2]
        if ctx.reduction == "mean":
            grad_out = np.multiply(grad_out, ctx.scale)
        gx = np.multiply(grad_out, activation.sigmoid_array(x) - t) if need_x else None
        gt = np.negative(np.multiply(grad_out, x)) if need_t else None
        return gx, gt, None


def binary_cross_entropy_with_logits(x, t, reduction="mean"):
    """x, t Tensors of one shape and float dtype; reduction 'mean', 'sum' or 'none'."""
    return BCEWithLogits.apply(x, t, reduction)
