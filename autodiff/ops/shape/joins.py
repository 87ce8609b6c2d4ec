"""Joining and splitting: cat (concat, concatenate), stack, split, chunk, unbind, meshgrid."""
from __future__ import annotations

import numpy as np

from ... import function as _f
from ...function import Op
from .._common import _norm_dim, _tensor
from . import views


class Cat(Op):
    """out = the inputs joined along ``dim``;  d(input_i) = the matching slice of g"""

    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return np.concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, grad_out):
        parts = split(grad_out, [int(s) for s in ctx.sizes], ctx.dim)
        return (None,) + tuple(p if need else None
                               for p, need in zip(parts, ctx.needs_input_grad[1:]))


class Split(Op):
    """outs = a cut into pieces along ``dim``;  da = the pieces' gradients joined"""

    @staticmethod
    def forward(ctx, a, sizes, dim):
        ctx.dim = dim
        idx = np.cumsum(sizes)[:-1]
        return tuple(np.split(a, idx, axis=dim))

    @staticmethod
    def backward(ctx, *grads):
        return cat(grads, ctx.dim), None, None


def _as_tensors(tensors, op):
    T = _f.Tensor
    if isinstance(tensors, T) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a sequence of Tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, T):
            raise TypeError(f"{op}: expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return list(tensors)


def cat(tensors, dim=0):
    ts = _as_tensors(tensors, "cat")
    ref = ts[0]._data
    if any(t._data.ndim == 0 for t in ts):
        raise ValueError(f"cat: zero-dimensional tensor (at position "
                         f"{[t._data.ndim for t in ts].index(0)}) cannot be concatenated")
    d = _norm_dim(dim, ref.ndim, "cat")
    for t in ts[1:]:
        s = t._data.shape
        if len(s) != ref.ndim or any(a != b for i, (a, b) in enumerate(zip(s, ref.shape))
                                     if i != d):
            raise ValueError(f"cat: sizes of tensors must match except in dimension {d}: got "
                             f"shapes {ref.shape} and {s}")
    return Cat.apply(d, *ts)


concatenate = cat
concat = cat


def stack(tensors, dim=0):
    ts = _as_tensors(tensors, "stack")
    shp = ts[0]._data.shape
    for t in ts[1:]:
        if t._data.shape != shp:
            raise ValueError(f"stack: expects each tensor to be equal size, but got {shp} and "
                             f"{t._data.shape}")
    d = _norm_dim(dim, len(shp) + 1, "stack")
    return cat([views.unsqueeze(t, d) for t in ts], d)


def split(input, split_size_or_sections, dim=0):
    n = input._data.ndim
    d = _norm_dim(dim, n, "split")
    length = input._data.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0:
            raise ValueError(f"split: split_size must be positive (got {step})")
        sizes = [step] * (length // step) + ([length % step] if length % step else [])
        if not sizes:
            sizes = [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if any(s < 0 for s in sizes):
            raise ValueError(f"split: split sizes must be non-negative (got {sizes})")
        if sum(sizes) != length:
            raise ValueError(f"split: split sizes {sizes} don't sum to the size {length} of "
                             f"dim {dim} (shape {tuple(input.shape)})")
    out = Split.apply(input, sizes, d)
    if not isinstance(out, tuple):
        return (views._view(out, input, Split, (sizes, d), 0),)
    return tuple(views._view(o, input, Split, (sizes, d), i) for i, o in enumerate(out))


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive (got {chunks})")
    length = input._data.shape[_norm_dim(dim, input._data.ndim, "chunk")]
    if not length:  # an empty dim gives ``chunks`` empty pieces (as PyTorch)
        return split(input, [0] * int(chunks), dim)
    step = -(-length // chunks)
    return split(input, step, dim)


def unbind(input, dim=0):
    """The slices of ``input`` along ``dim``, as a tuple."""
    d = _norm_dim(dim, input._data.ndim, "unbind")
    n = input._data.shape[d]
    if n == 0:
        return ()
    return tuple(views.squeeze(p, d) for p in split(input, 1, d))


def meshgrid(*tensors, indexing=None):
    """Coordinate grids from 1-D tensors: with ``indexing='ij'`` (the default, as PyTorch)
    output ``i`` varies along dim ``i``; with ``'xy'`` the first two dims are swapped
    (Cartesian indexing, as NumPy's default)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy' (got {indexing!r})")
    ts = [_tensor(t, "meshgrid") for t in tensors]
    for t_ in ts:
        if t_._data.ndim > 1:
            raise ValueError(f"meshgrid: expects 0-D or 1-D tensors (got shape "
                             f"{tuple(t_.shape)})")
    ts = [views.reshape(t_, (-1,)) for t_ in ts]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t_._data.shape[0] for t_ in ts)
    out = []
    for i, t_ in enumerate(ts):
        view = [1] * len(ts)
        view[i] = shape[i]
        out.append(views.expand(views.reshape(t_, tuple(view)), shape))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)
