"""Reductions: sum, mean, var, std, max, min, prod, logsumexp, norm, argmax, argmin.

``dim`` is an int, a tuple of ints or None (all dims); ``keepdim`` keeps reduced dims as size 1.
"""
from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from ..function import Op
from .. import function as _f
from . import elementwise as E
from . import index as I
from . import shape as S


def _axes(dim, ndim, op="reduce"):
    """Normalise ``dim`` to a sorted tuple of non-negative axes; a dim given twice (``(0, 0)``,
    ``(1, -1)``) is a ValueError naming ``op``, as PyTorch refuses it."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        dims = dim
    else:
        dims = (dim,)
    out = []
    for d in dims:
        d = int(d)
        n = builtins.max(ndim, 1)
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[{-n}, {n - 1}], but got {d})")
        if ndim:
            d %= ndim
            if d in out:
                raise ValueError(f"{op}: dim {d} appears multiple times in the list of dims "
                                 f"{tuple(dims)}")
            out.append(d)
    return tuple(sorted(out))


def _kept_shape(shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class ExpandBack(Op):
    """out = g (a reduction's gradient) divided by ``divisor``, broadcast back over the reduced
    ``axes`` to ``in_shape`` (one node for reshape + expand);  dg = the sum of the gradient
    over ``axes`` / ``divisor``. Dividing (not multiplying by 1/n) gives PyTorch's
    ``MeanBackward`` bit for bit."""

    @staticmethod
    def forward(ctx, g, in_shape, axes, keepdim, divisor):
        ctx.axes_, ctx.keepdim_, ctx.divisor = axes, keepdim, divisor
        if not keepdim:
            g = g.reshape(_kept_shape(in_shape, axes))
        if divisor != 1:
            g = g / g.dtype.type(divisor) if divisor else g * g.dtype.type(np.nan)
        return np.broadcast_to(g, in_shape)

    @staticmethod
    def backward(ctx, grad_out):
        g = Sum.apply(grad_out, ctx.axes_, ctx.keepdim_, None)
        d = ctx.divisor
        return (g if d == 1 else g / d if d else g * float("nan")), None, None, None, None


def _expand_back(g, in_shape, axes, keepdim, divisor=1):
    """Broadcast a reduced gradient back over the reduced axes (differentiable)."""
    return ExpandBack.apply(g, in_shape, axes, keepdim, divisor)


def _kept(g, in_shape, axes, keepdim):
    """A reduced gradient with the reduced axes kept as size 1 (it broadcasts against the
    input in elementwise ops, so no expand node is needed)."""
    return g if keepdim else S.reshape(g, _kept_shape(in_shape, axes))


class Sum(Op):
    """out = sum of a over ``axes``;  da = g broadcast back"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, axes, keepdim, dtype):
        ctx.in_shape, ctx.axes_, ctx.keepdim_ = a.shape, axes, keepdim
        if a.ndim == 0:
            return np.array(a, dtype=dtype)
        return np.sum(a, axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return ExpandBack.apply(grad_out, ctx.in_shape, ctx.axes_, ctx.keepdim_, 1), None, \
            None, None


class Mean(Op):
    """out = mean of a over ``axes``;  da = g / n broadcast back"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, axes, keepdim, dtype):
        ctx.in_shape, ctx.axes_, ctx.keepdim_ = a.shape, axes, keepdim
        n = 1
        for ax in axes:
            n *= a.shape[ax]
        ctx.n = n
        if a.ndim == 0:
            return np.array(a, dtype=dtype)
        if n == 0:  # NaN, as PyTorch (np.mean would warn "Mean of empty slice")
            shape = (_kept_shape(a.shape, axes) if keepdim else
                     tuple(s for i, s in enumerate(a.shape) if i not in axes))
            return np.full(shape, np.nan, dtype=dtype or a.dtype)
        return np.mean(a, axis=axes, keepdims=keepdim, dtype=dtype)

    @staticmethod
    def backward(ctx, grad_out):
        return ExpandBack.apply(grad_out, ctx.in_shape, ctx.axes_, ctx.keepdim_, ctx.n), None, \
            None, None


class SumToShape(Op):
    """out = a summed down to ``shape`` (the reverse of broadcasting);  da = g expanded"""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        return sum_to_shape_array(a, shape)

    @staticmethod
    def backward(ctx, grad_out):
        return S.expand(grad_out, ctx.in_shape), None


def sum_to_shape_array(a, shape):
    shape = tuple(shape)
    if a.shape == shape:
        return a
    lead = a.ndim - len(shape)
    if lead < 0:
        raise ValueError(f"sum_to_shape: cannot reduce shape {a.shape} to {shape}")
    axes = list(range(lead))
    for i, s in enumerate(shape):
        if s == 1 and a.shape[lead + i] != 1:
            axes.append(lead + i)
        elif s != a.shape[lead + i]:
            raise ValueError(f"sum_to_shape: cannot reduce shape {a.shape} to {shape}")
    out = np.sum(a, axis=tuple(axes), keepdims=True) if axes else a
    return out.reshape(shape)


def sum_to_shape(a, shape):
    if tuple(a.shape) == tuple(shape):
        return a
    return SumToShape.apply(a, tuple(shape))


def _reduce(op, a, dim, keepdim, dtype=None):
    a = a if isinstance(a, _f.Tensor) else _f.Tensor._make(np.asarray(a))
    axes = _axes(dim, a._data.ndim, op.__name__.lower())
    return op.apply(a, axes, keepdim, dtype)


def sum(input, dim=None, keepdim=False, dtype=None):
    if input._data.dtype.kind in "bi" and dtype is None:
        dtype = np.int64  # like PyTorch: integer and bool sums are int64
    return _reduce(Sum, input, dim, keepdim, dtype)


def mean(input, dim=None, keepdim=False, dtype=None):
    if input._data.dtype.kind not in "fc" and dtype is None:
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {input._data.dtype}")
    return _reduce(Mean, input, dim, keepdim, dtype)


class Var(Op):
    """out = sum((a - mean)^2) / (n - correction) over ``axes``;
    da = g 2 (a - mean(a)) / (n - correction)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, axes, correction, keepdim):
        ctx.in_shape, ctx.axes_, ctx.keepdim_ = a.shape, axes, keepdim
        ctx.dof = _dof(a.shape, axes, correction)
        ctx.save_for_backward(a)
        return _var_array(a, axes, correction, keepdim, ctx.dof)

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        d = _deviation(a, ctx.axes_)
        g = _kept(grad_out, ctx.in_shape, ctx.axes_, ctx.keepdim_)
        scale = np.float64(2.0) / ctx.dof  # (n == correction: inf, as PyTorch)
        return g * d * scale, None, None, None


class Std(Op):
    """out = sqrt(var(a));  da = g (a - mean(a)) / ((n - correction) out)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, axes, correction, keepdim):
        ctx.in_shape, ctx.axes_, ctx.keepdim_ = a.shape, axes, keepdim
        ctx.dof = _dof(a.shape, axes, correction)
        out = np.sqrt(_var_array(a, axes, correction, keepdim, ctx.dof))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, out = ctx.saved_tensors
        d = _deviation(a, ctx.axes_)
        g = _kept(grad_out, ctx.in_shape, ctx.axes_, ctx.keepdim_)
        o = _kept(out, ctx.in_shape, ctx.axes_, ctx.keepdim_)
        zero = o._data == 0
        if zero.any():
            # a constant slice: 0 where the std is 0 (PyTorch masks there), not 0 / 0
            o = E.where(zero, 1.0, o)
        return g * d / (o * ctx.dof), None, None, None


def _shifted(a, axes):
    """``a`` minus the first element of each slice over ``axes``: var and std are computed
    about it, so a constant slice gives exactly 0 (NumPy's two-pass mean can be an ulp off,
    leaving a variance of 1e-32 and an O(1) std gradient), as PyTorch's Welford does."""
    s = _shift(a, axes)
    return a if s is None else a - s


def _shift(a, axes):
    """The first element of each slice of ``a`` over ``axes`` (0 where it is not finite, so
    that an inf or NaN propagates as without the shift), or None for a 0-d or empty ``a``."""
    if a.ndim == 0 or not a.size:
        return None
    s = a[tuple(slice(0, 1) if i in axes else slice(None) for i in range(a.ndim))]
    return np.where(np.isfinite(s), s, 0).astype(a.dtype, copy=False)


def _var_array(a, axes, correction, keepdim, dof):
    """The variance of ``a`` over ``axes`` about each slice's first element; with no degrees
    of freedom left (``dof <= 0``) the value PyTorch gives (NaN, or inf), computed directly
    since np.var warns there."""
    if a.ndim == 0:
        axes = ()
    b = _shifted(a, axes)
    if dof > 0:
        return np.var(b, axis=axes, ddof=correction, keepdims=keepdim)
    n = dof + correction
    m = np.sum(b, axis=axes, keepdims=True) / n if n else np.full(b.shape, np.nan, b.dtype)
    ss = np.sum((b - m) ** 2, axis=axes, keepdims=keepdim)
    return np.asarray(ss / builtins.max(dof, 0), dtype=a.dtype)


def _deviation(a, axes):
    """a - mean(a) over ``axes`` (differentiable), computed about the first element of each
    slice (see _shifted): exactly 0 on a constant slice."""
    s = _shift(a._data, axes)
    if s is not None:
        a = a - s
    return a - mean(a, axes, keepdim=True)


def _dof(shape, axes, correction):
    """n - correction, not clipped at 0 (the backward's divisor, as PyTorch's var_backward:
    a constant slice with correction > n gets gradient -0, not NaN)."""
    n = 1
    for ax in axes:
        n *= shape[ax]
    return np.float64(n - correction)


def _var_args(input, dim, unbiased, correction):
    if correction is None:
        correction = 0 if unbiased is False else 1
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"var/std: expected a floating point tensor (got {input._data.dtype})")
    return _axes(dim, input._data.ndim, "var/std"), correction


def var(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """Variance over ``dim`` with ``correction`` (default 1, Bessel's); ``unbiased=False``
    means correction 0."""
    axes, correction = _var_args(input, dim, unbiased, correction)
    return Var.apply(input, axes, correction, keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, correction=None):
    """Standard deviation: ``sqrt(var(...))`` with the same arguments."""
    axes, correction = _var_args(input, dim, unbiased, correction)
    return Std.apply(input, axes, correction, keepdim)


# ---------------------------------------------------------------------------------------------
# max / min


class Extreme(Op):
    """out = max (or min) of a over ``axes``; ties share the gradient evenly (PyTorch's
    amax/amin and full max()/min()):  da = g [a == out] / count. A NaN result: full max()/min()
    give the gradient to the NaN elements, amax/amin (``nan_mask=False``) give NaN to the whole
    slice (count 0), as PyTorch's two backward formulas do."""

    @staticmethod
    def forward(ctx, a, axes, keepdim, largest, nan_mask=True):
        ctx.nan_mask = nan_mask
        if a.size == 0 and (not a.ndim or any(a.shape[ax] == 0 for ax in axes)):
            raise ValueError(f"{'max' if largest else 'min'}: cannot reduce over an empty dim "
                             f"(shape {a.shape}, dims {axes})")
        fn = np.max if largest else np.min
        kept = fn(a, axis=axes, keepdims=True) if a.ndim else a.copy()
        ctx.save_for_backward(a)
        ctx.in_shape, ctx.axes_, ctx.keepdim_, ctx.kept = a.shape, axes, keepdim, kept
        return kept if keepdim else kept.reshape(_reduced_shape(a.shape, axes))

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        ad, kept = a._data, ctx.kept
        mask = (ad == kept) | (np.isnan(ad) & np.isnan(kept)) if ctx.nan_mask else ad == kept
        count = np.sum(mask, axis=ctx.axes_, keepdims=True) if ad.ndim else (
            1 if ctx.nan_mask else mask)
        w = _f.Tensor._make((mask / count).astype(ad.dtype, copy=False))
        g = _kept(grad_out, ctx.in_shape, ctx.axes_, ctx.keepdim_)
        return g * w, None, None, None, None


def _reduced_shape(shape, axes):
    return tuple(s for i, s in enumerate(shape) if i not in axes)


class _ValuesIndices(tuple):
    """PyTorch's ``torch.return_types.max``: a tuple ``(values, indices)`` with names."""

    __slots__ = ()
    _name = "max"

    def __new__(cls, values, indices):
        return tuple.__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        return f"{self._name}(values={self[0]!r}, indices={self[1]!r})"


class MaxResult(_ValuesIndices):
    __slots__ = ()
    _name = "max"


class MinResult(_ValuesIndices):
    __slots__ = ()
    _name = "min"


def _extreme(input, dim, keepdim, largest, other):
    T = _f.Tensor
    name = "max" if largest else "min"
    if isinstance(dim, T) or other is not None:  # max(a, b) is maximum(a, b)
        b = dim if other is None else other
        return E.maximum(input, b) if largest else E.minimum(input, b)
    if not isinstance(input, T):
        raise TypeError(f"{name}: expected a Tensor (got {type(input).__name__})")
    if dim is None:
        return Extreme.apply(input, tuple(range(input._data.ndim)), False, largest)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}: dim must be an int (use amax/amin to reduce several dims)")
    nd = input._data.ndim
    axes = _axes(dim, nd)  # validates dim (0 and -1 are allowed for a 0-d tensor)
    d = axes[0] if nd else 0
    x = input if nd else S.reshape(input, (1,))
    if x._data.shape[d] == 0:
        raise ValueError(f"{name}: cannot reduce over dim {dim} of size 0 (shape "
                         f"{tuple(input.shape)})")
    arg = np.argmax if largest else np.argmin
    idx = arg(x._data, axis=d, keepdims=True)
    values = I.gather(x, d, idx)
    if not nd:
        values, idx = S.reshape(values, ()), idx.reshape(())
    elif not keepdim:
        values, idx = S.squeeze(values, d), idx.squeeze(d)
    cls = MaxResult if largest else MinResult
    return cls(values, T._make(idx.astype(np.int64, copy=False)))


def max(input, dim=None, keepdim=False, *, other=None):
    """``max(a)``: the largest element (ties share the gradient evenly). ``max(a, dim,
    keepdim=False)``: ``(values, indices)`` along ``dim``; the gradient goes to the selected
    index. ``max(a, b)``: elementwise ``maximum``."""
    return _extreme(input, dim, keepdim, True, other)


def min(input, dim=None, keepdim=False, *, other=None):
    """Like ``max`` for the smallest elements."""
    return _extreme(input, dim, keepdim, False, other)


def amax(input, dim=(), keepdim=False):
    """Largest values over ``dim`` (int or tuple; ``()`` or None: all dims); ties share the
    gradient evenly."""
    dim = None if dim == () else dim
    return Extreme.apply(input, _nonempty(input, _axes(dim, input._data.ndim, "amax"), "amax"),
                         keepdim, True, False)


def amin(input, dim=(), keepdim=False):
    dim = None if dim == () else dim
    return Extreme.apply(input, _nonempty(input, _axes(dim, input._data.ndim, "amin"), "amin"),
                         keepdim, False, False)


def _nonempty(input, axes, name):
    a = input._data
    if a.size == 0 and (not a.ndim or any(a.shape[ax] == 0 for ax in axes)):
        raise ValueError(f"{name}: cannot reduce over an empty dim (shape {a.shape}, dims "
                         f"{axes})")
    return axes


# ---------------------------------------------------------------------------------------------
# prod, logsumexp, norm


class Prod(Op):
    """out = product of a over ``axes``;  da = g * (product of the other elements), which is
    out / a when a has no zeros, else built from exclusive cumulative products (exact with
    zeros, and itself differentiable)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.in_shape, ctx.axes_, ctx.keepdim_ = a.shape, axes, keepdim
        out = np.prod(a, axis=axes, keepdims=keepdim) if a.ndim else np.array(a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        return _prod_backward(ctx, grad_out, False), None, None

    @staticmethod
    def backward_arrays(ctx, grad_out):
        return _prod_backward(ctx, _f.Tensor._make(grad_out), True)._data, None, None


def _prod_backward(ctx, grad_out, plain):
    """Prod's gradient; ``plain``: for a backward that is not recorded (grad mode off)."""
    a, out = ctx.saved_tensors
    g = _kept(grad_out, ctx.in_shape, ctx.axes_, ctx.keepdim_)
    if not ctx.in_shape:  # 0-d: the product of no other elements is 1 (even at inf, NaN)
        return g
    zeros = np.count_nonzero(a._data == 0)
    if not zeros:
        return g * (_kept(out, ctx.in_shape, ctx.axes_, ctx.keepdim_) / a)
    full = len(ctx.axes_) == len(ctx.in_shape)
    if zeros > 1 and full and plain:
        # a plain backward of the product of all elements with two zeros: every gradient
        # is 0 (PyTorch's prod_backward, also where an inf would make the products of the
        # others NaN); with create_graph the products of the others keep it differentiable
        return g * _f.Tensor._make(np.zeros_like(a._data))
    return g * _prod_of_others(a, ctx.axes_, plain)


def _prod_of_others(a, axes, plain):
    """For every element, the product of the other elements in its reduction group, with
    differentiable ops only (no division)."""
    nd = a._data.ndim
    if not nd or not axes:
        return _f.Tensor._make(np.ones_like(a._data))
    rest = tuple(i for i in range(nd) if i not in axes)
    perm = rest + tuple(axes)
    x = S.permute(a, perm)
    pshape = x._data.shape
    lead = pshape[:len(rest)]
    n = int(np.prod(pshape[len(rest):]))
    x = S.reshape(x, lead + (n,))
    left = _exclusive_cumprod(x, plain)
    right = S.flip(_exclusive_cumprod(S.flip(x, (-1,)), plain), (-1,))
    others = S.reshape(left * right, pshape)
    return S.permute(others, tuple(np.argsort(perm)))


def _exclusive_cumprod(x, plain):
    """[1, x0, x0 x1, ...] along the last dim: a Hillis-Steele scan of multiplications
    (differentiable); in a plain backward NumPy's sequential cumprod, whose order of
    products is PyTorch's (it matters where an inf meets a 0)."""
    if plain:
        d = x._data
        out = np.ones_like(d)
        if d.shape[-1] > 1:
            np.cumprod(d[..., :-1], axis=-1, out=out[..., 1:])
        return _f.Tensor._make(out)
    n = x._data.shape[-1]
    lead = x._data.shape[:-1]
    ones = lambda k: _f.Tensor._make(np.ones(lead + (k,), dtype=x._data.dtype))  # noqa: E731
    y = S.cat([ones(1), x[..., :n - 1]], -1) if n > 1 else ones(1)
    k = 1
    while k < n:
        y = y * S.cat([ones(k), y[..., :n - k]], -1)
        k *= 2
    return y


def prod(input, dim=None, keepdim=False, dtype=None):
    """Product over ``dim`` (int, tuple or None: all elements)."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind in "bi" and dtype is None:
        input = input.to(np.int64)
    return Prod.apply(input, _axes(dim, input._data.ndim, "prod"), keepdim)


class LogSumExp(Op):
    """out = log(sum(exp(a))) over ``axes``, shifted by the max for stability;
    da = g exp(a - out)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        ctx.in_shape, ctx.axes_, ctx.keepdim_ = a.shape, axes, keepdim
        if a.ndim == 0:
            out = np.array(a)
        else:
            m = np.max(a, axis=axes, keepdims=True) if a.size else np.zeros(
                _kept_shape(a.shape, axes), a.dtype)
            m = np.where(np.isfinite(m), m, 0).astype(a.dtype, copy=False)
            out = np.log(np.sum(np.exp(a - m), axis=axes, keepdims=True)) + m
            if not keepdim:
                out = out.reshape(_reduced_shape(a.shape, axes))
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, out = ctx.saved_tensors
        g = _kept(grad_out, ctx.in_shape, ctx.axes_, ctx.keepdim_)
        o = _kept(out, ctx.in_shape, ctx.axes_, ctx.keepdim_)
        return g * E.exp(a - o), None, None


def logsumexp(input, dim=None, keepdim=False):
    """log(sum(exp(input))) over ``dim`` (int or tuple; None: all dims, an extension), stable
    for large magnitudes."""
    if input._data.dtype.kind not in "fc":
        input = input.to(np.float32)
    return LogSumExp.apply(input, _axes(dim, input._data.ndim, "logsumexp"), keepdim)


class Norm(Op):
    """out = (sum |a|^p)^(1/p) over ``axes`` (p = inf: max |a|, -inf: min |a|, 0: count of
    nonzeros); gradients as PyTorch's, 0 at the zero vector"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, p, axes, keepdim):
        ctx.p, ctx.in_shape, ctx.axes_, ctx.keepdim_ = p, a.shape, axes, keepdim
        x = np.abs(a)
        kw = dict(axis=axes, keepdims=keepdim)
        if a.ndim == 0:
            out = x.copy() if p != 0 else (x != 0).astype(a.dtype)
        elif p == 2:
            out = np.sqrt(np.sum(x * x, **kw))
        elif p == 1:
            out = np.sum(x, **kw)
        elif p == np.inf:
            out = np.max(x, **kw) if x.size else np.zeros(_reduced_or_kept(a, axes, keepdim),
                                                          a.dtype)
        elif p == -np.inf:
            out = np.min(x, **kw)
        elif p == 0:
            out = np.sum(x != 0, **kw).astype(a.dtype)
        else:
            out = np.power(np.sum(np.power(x, p), **kw), 1.0 / p)
        out = np.asarray(out, dtype=a.dtype)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        a, out = ctx.saved_tensors
        p = ctx.p
        T = _f.Tensor
        g = _kept(grad_out, ctx.in_shape, ctx.axes_, ctx.keepdim_)
        nrm = _kept(out, ctx.in_shape, ctx.axes_, ctx.keepdim_)
        ad, nd = a._data, nrm._data
        dt = ad.dtype
        if p == 0:
            return g * T._make(np.zeros_like(ad)), None, None, None
        sign = T._make(np.sign(ad))
        if p == 1:
            return g * sign, None, None, None
        if p in (np.inf, -np.inf):
            mask = (np.abs(ad) == nd) | np.isnan(ad)
            count = np.sum(mask, axis=ctx.axes_, keepdims=True) if ad.ndim else 1
            return g * sign * T._make((mask / count).astype(dt, copy=False)), None, None, None
        zero_n = nd == 0
        safe_n = E.where(T._make(zero_n), 1.0, nrm) if zero_n.any() else nrm
        if p == 2:
            scale = g / safe_n
            if zero_n.any():
                scale = E.where(T._make(zero_n), 0.0, scale)
            return a * scale, None, None, None
        absa = E.abs(a)
        if p < 1:
            zero_a = ad == 0
            safe_a = E.where(T._make(zero_a), 1.0, absa) if zero_a.any() else absa
            return sign * safe_a ** (p - 1) * g * safe_n ** (1 - p) * T._make(
                (~zero_n).astype(dt)), None, None, None
        scale = g / safe_n ** (p - 1)
        if zero_n.any():
            scale = E.where(T._make(zero_n), 0.0, scale)
        scaled = sign * absa ** (p - 1) if p < 2 else a * absa ** (p - 2)
        return scaled * scale, None, None, None


def _reduced_or_kept(a, axes, keepdim):
    return _kept_shape(a.shape, axes) if keepdim else _reduced_shape(a.shape, axes)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over ``dim`` (int, tuple or None: all elements). ``p``: a number, inf,
    -inf, or 'fro' (the 2-norm over the given dims). 'nuc' is not supported."""
    if dtype is not None:
        input = input.to(dtype)
    if p is None or p == "fro":
        if p == "fro" and isinstance(dim, (tuple, list)) and len(dim) > 2:
            raise ValueError(f"norm: p='fro' takes at most 2 dims (a matrix norm), got dim "
                             f"{tuple(dim)}; use p=2 for a vector norm over more dims")
        p = 2.0
    elif isinstance(p, str):
        raise ValueError(f"norm: p={p!r} is not supported (use a number, inf or 'fro')")
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"norm: expected a floating point tensor (got {input._data.dtype})")
    axes = _axes(dim, input._data.ndim, "norm")
    p = float(p)
    a = input._data
    if (p < 0 or p == np.inf) and a.size == 0 and (not a.ndim or any(a.shape[ax] == 0
                                                                   for ax in axes)):
        raise ValueError(f"norm: cannot compute the {p} norm over an empty dim (shape "
                         f"{a.shape}, dims {axes}): the operation has no identity")
    return Norm.apply(input, p, axes, keepdim)


def _arg_extreme(fn, name, input, dim, keepdim):
    d = input._data
    if dim is None:
        if not d.size:
            raise ValueError(f"{name}: expected a reduction dim for an empty input (shape "
                             f"{d.shape})")
        r = np.asarray(fn(d))
        return _f.Tensor._make(r.reshape((1,) * d.ndim) if keepdim else r)
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}: dim must be an int (got {type(dim).__name__})")
    axes = _axes(dim, d.ndim, name)
    if not d.ndim:
        return _f.Tensor._make(np.zeros((), dtype=np.int64))
    if d.shape[axes[0]] == 0:
        raise ValueError(f"{name}: cannot reduce over dim {dim} of size 0 (shape {d.shape})")
    return _f.Tensor._make(fn(d, axis=axes[0], keepdims=keepdim))


def argmax(input, dim=None, keepdim=False):
    """The index of the largest value (of the flattened input when ``dim`` is None)."""
    return _arg_extreme(np.argmax, "argmax", input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    """The index of the smallest value (of the flattened input when ``dim`` is None)."""
    return _arg_extreme(np.argmin, "argmin", input, dim, keepdim)


class Cumsum(Op):
    """out[..., i, ...] = sum of a[..., :i+1, ...] along ``dim``;  da = reversed cumsum of g"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, dim):
        ctx.dim = dim
        return np.cumsum(a, axis=dim, dtype=np.int64 if a.dtype.kind in "bi" else None)

    @staticmethod
    def backward(ctx, grad_out):
        d = ctx.dim
        return S.flip(Cumsum.apply(S.flip(grad_out, (d,)), d), (d,)), None


def cumsum(input, dim):
    """Cumulative sum along ``dim``."""
    nd = input._data.ndim
    if nd == 0:
        return Cumsum.apply(S.reshape(input, (1,)), 0).reshape(())
    d, = _axes(dim, nd, "cumsum")
    return Cumsum.apply(input, d)
