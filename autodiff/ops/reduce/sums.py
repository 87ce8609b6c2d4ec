"""Sums and products: sum, mean, prod, logsumexp, norm, and ``sum_to_shape`` (the engine's
reduction of a broadcast gradient). ``dim`` is an int, a tuple of ints or None (all dims);
``keepdim`` keeps reduced dims as size 1."""
from __future__ import annotations

import numpy as np

from ... import function as _f
from ...compat import numpy_names
from ...function import Op
from .._common import _axes, _kept_shape, _reduced_shape
from ..elementwise import select, unary
from ..shape import joins, rearrange, views


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
    return g if keepdim else views.reshape(g, _kept_shape(in_shape, axes))


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
        return views.expand(grad_out, ctx.in_shape), None


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


@numpy_names
def sum(input, dim=None, keepdim=False, dtype=None):
    if input._data.dtype.kind in "bi" and dtype is None:
        dtype = np.int64  # like PyTorch: integer and bool sums are int64
    return _reduce(Sum, input, dim, keepdim, dtype)


@numpy_names
def mean(input, dim=None, keepdim=False, dtype=None):
    if input._data.dtype.kind not in "fc" and dtype is None:
        raise RuntimeError(f"mean(): could not infer output dtype. Input dtype must be either a "
                           f"floating point or complex dtype. Got: {input._data.dtype}")
    return _reduce(Mean, input, dim, keepdim, dtype)


# ---------------------------------------------------------------------------------------------
# prod, logsumexp, norm


class Prod(Op):
    """out = product of a over ``axes``;  da = g * (product of the other elements), which is
    out / a when a has no zeros, else built from exclusive cumulative products (exact with
    zeros, and itself differentiable)"""

    _quiet = True  # no NumPy floating-point warnings (function.py)

    @staticmethod
    def forward(ctx, a, axes, keepdim):
        # axes None: prod() of every element (torch's zero-gradient shortcut below is for
        # that call only, not for prod(dim) of a 1-d tensor)
        ctx.whole = axes is None
        axes = tuple(range(a.ndim)) if axes is None else axes
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
    if zeros > 1 and ctx.whole and plain:  # prod() without a dim only, as torch
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
    x = views.permute(a, perm)
    pshape = x._data.shape
    lead = pshape[:len(rest)]
    n = int(np.prod(pshape[len(rest):]))
    x = views.reshape(x, lead + (n,))
    left = _exclusive_cumprod(x, plain)
    right = rearrange.flip(_exclusive_cumprod(rearrange.flip(x, (-1,)), plain), (-1,))
    others = views.reshape(left * right, pshape)
    return views.permute(others, tuple(np.argsort(perm)))


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
    y = joins.cat([ones(1), x[..., :n - 1]], -1) if n > 1 else ones(1)
    k = 1
    while k < n:
        y = y * joins.cat([ones(k), y[..., :n - k]], -1)
        k *= 2
    return y


@numpy_names
def prod(input, dim=None, keepdim=False, dtype=None):
    """Product over ``dim`` (int, tuple or None: all elements)."""
    if dtype is not None:
        input = input.to(dtype)
    if input._data.dtype.kind in "bi" and dtype is None:
        input = input.to(np.int64)
    return Prod.apply(input, None if dim is None else _axes(dim, input._data.ndim, "prod"),
                      keepdim)


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
        return g * unary.exp(a - o), None, None


@numpy_names
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
        if not a.ndim or all(a.shape[i] == 1 for i in axes):
            # one element per output: |x| exactly, as torch (no |x|^p to overflow/underflow);
            # a 0-d input with an explicit dim too, where torch evaluates (|x|^p)^(1/p)
            out = x if p != 0 else (x != 0).astype(a.dtype)
            out = out.reshape(_reduced_or_kept(a, axes, keepdim))
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
        sd = np.sign(ad)
        if np.isnan(sd).any():  # torch.sign(nan) is 0 (p=1: g * sign; p=inf: 0 there)
            sd = np.where(np.isnan(sd), 0, sd).astype(dt, copy=False)
        sign = T._make(sd)
        if p == 1:
            return g * sign, None, None, None
        if p in (np.inf, -np.inf):
            mask = (np.abs(ad) == nd) | np.isnan(ad)
            count = np.sum(mask, axis=ctx.axes_, keepdims=True) if ad.ndim else 1
            return g * sign * T._make((mask / count).astype(dt, copy=False)), None, None, None
        zero_n = nd == 0
        safe_n = select.where(T._make(zero_n), 1.0, nrm) if zero_n.any() else nrm
        if p == 2:  # torch's order, a / norm first (a * (g / norm) overflowed at denormals)
            unit = a / safe_n
            if zero_n.any():
                unit = select.where(T._make(zero_n), 0.0, unit)
            return g * unit, None, None, None
        absa = unary.abs(a)
        if p < 1:
            zero_a = ad == 0
            safe_a = select.where(T._make(zero_a), 1.0, absa) if zero_a.any() else absa
            return sign * safe_a ** (p - 1) * g * safe_n ** (1 - p) * T._make(
                (~zero_n).astype(dt)), None, None, None
        scale = g / safe_n ** (p - 1)
        if zero_n.any():
            scale = select.where(T._make(zero_n), 0.0, scale)
        scaled = sign * absa ** (p - 1) if p < 2 else a * absa ** (p - 2)
        return scaled * scale, None, None, None


def _reduced_or_kept(a, axes, keepdim):
    return _kept_shape(a.shape, axes) if keepdim else _reduced_shape(a.shape, axes)


@numpy_names
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """Vector p-norm over ``dim`` (int, tuple or None: all elements). ``p``: a number, inf,
    -inf, or 'fro' (the 2-norm over the given dims). 'nuc' is not supported.

    As PyTorch's, the norm over one element per output is |x| exactly, and over more it is
    computed without scaling (the 2-norm of [1e300, 1e300] overflows to inf). Differs from
    PyTorch for a 0-d input with an explicit dim: |x| here, where torch evaluates
    (|x|^p)^(1/p) (inf for |1e300|^3, 0 for a denormal with p=1.5)."""
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
