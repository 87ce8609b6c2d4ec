"""Copies and rearrangements: clone, contiguous, t, roll, tile, unflatten, meshgrid,
atleast_1d/2d/3d. Composed from the shape and index primitives (or one-line ops), so all are
differentiable to any order.
"""
from __future__ import annotations

import numpy as np

from ..function import Op
from .. import function as _f
from . import index as I
from . import shape as S


def _tensor(x, op):
    if not isinstance(x, _f.Tensor):
        raise TypeError(f"{op}: expected a Tensor (got {type(x).__name__})")
    return x


class Clone(Op):
    """out = a copy of a (C-contiguous);  da = g"""

    @staticmethod
    def forward(ctx, a):
        return np.array(a, copy=True, order="C")

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out


def clone(input, *, memory_format=None):
    """A copy of ``input`` that stays in the graph (the gradient passes through)."""
    return Clone.apply(_tensor(input, "clone"))


def contiguous(input, memory_format=None):
    """``input`` itself when its array is C-contiguous, else a contiguous copy (in the graph)."""
    x = _tensor(input, "contiguous")
    return x if x._data.flags.c_contiguous else Clone.apply(x)


def t(input):
    """Transpose of a tensor of at most 2 dims (0-D and 1-D are returned as they are)."""
    x = _tensor(input, "t")
    if x._data.ndim > 2:
        raise ValueError(f"t: expects a tensor with <= 2 dimensions, but self is "
                         f"{x._data.ndim}D (shape {tuple(x.shape)})")
    return S.transpose(x, 0, 1) if x._data.ndim == 2 else x


def roll(input, shifts, dims=None):
    """Elements shifted by ``shifts`` along ``dims`` (wrapping around); without ``dims`` the
    flattened tensor is rolled and the shape restored."""
    x = _tensor(input, "roll")
    if dims is None:
        if isinstance(shifts, (tuple, list)):
            if len(shifts) != 1:
                raise ValueError(f"roll: without dims, shifts must be one number (got "
                                 f"{shifts})")
            shifts = shifts[0]
        return S.reshape(roll(S.reshape(x, (-1,)), shifts, 0), x._data.shape)
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise ValueError(f"roll: shifts ({len(shifts)}) and dims ({len(dims)}) must have the "
                         "same length")
    out = x
    for s, d in zip(shifts, dims):
        d = S._norm_dim(d, x._data.ndim, "roll")
        n = x._data.shape[d]
        if n == 0 or int(s) % n == 0:
            continue
        perm = (np.arange(n) - int(s)) % n
        out = I.getitem(out, (slice(None),) * d + (perm,))
    return out if out is not x else Clone.apply(x)


def tile(input, dims):
    """``input`` repeated ``dims[i]`` times along each dim; a shorter ``dims`` is padded with
    ones on the left (unlike ``repeat``)."""
    x = _tensor(input, "tile")
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(dims) < x._data.ndim:
        dims = (1,) * (x._data.ndim - len(dims)) + dims
    return S.repeat(x, dims)


def unflatten(input, dim, sizes):
    """Dim ``dim`` split into ``sizes`` (one entry may be -1)."""
    x = _tensor(input, "unflatten")
    d = S._norm_dim(dim, x._data.ndim, "unflatten")
    sizes = tuple(int(s) for s in sizes)
    n = x._data.shape[d]
    known = int(np.prod([s for s in sizes if s != -1])) if sizes else 1
    if sizes.count(-1) > 1 or (sizes.count(-1) == 0 and known != n) or (
            sizes.count(-1) == 1 and (known == 0 or n % known)):
        raise ValueError(f"unflatten: provided sizes {list(sizes)} don't multiply up to the "
                         f"size of dim {dim} ({n}) in the input tensor (shape {tuple(x.shape)})")
    return S.reshape(x, x._data.shape[:d] + sizes + x._data.shape[d + 1:])


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
    ts = [S.reshape(t_, (-1,)) for t_ in ts]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t_._data.shape[0] for t_ in ts)
    out = []
    for i, t_ in enumerate(ts):
        view = [1] * len(ts)
        view[i] = shape[i]
        out.append(S.expand(S.reshape(t_, tuple(view)), shape))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def atleast_1d(input):
    x = _tensor(input, "atleast_1d")
    return S.reshape(x, (1,)) if x._data.ndim == 0 else x


def atleast_2d(input):
    x = _tensor(input, "atleast_2d")
    if x._data.ndim >= 2:
        return x
    return S.reshape(x, (1, -1) if x._data.ndim == 1 else (1, 1))


def atleast_3d(input):
    x = _tensor(input, "atleast_3d")
    nd = x._data.ndim
    if nd >= 3:
        return x
    if nd == 2:
        return S.unsqueeze(x, -1)
    return S.reshape(x, (1, -1, 1) if nd == 1 else (1, 1, 1))


def repeat_interleave(input, repeats, dim=None, *, output_size=None):
    """Each element (each slice along ``dim``; None: of the flattened input) repeated
    ``repeats`` times in a row; ``repeats`` is an int or a 1-D tensor of counts."""
    x = _tensor(input, "repeat_interleave")
    reps = repeats._data if isinstance(repeats, _f.Tensor) else np.asarray(repeats)
    if reps.dtype.kind not in "iu":
        raise TypeError(f"repeat_interleave: repeats must be integers (got {reps.dtype})")
    if np.any(reps < 0):
        raise ValueError("repeat_interleave: repeats can not be negative")
    if dim is None:
        x, d = S.reshape(x, (-1,)), 0
    else:
        d = S._norm_dim(dim, x._data.ndim, "repeat_interleave")
    n = x._data.shape[d] if x._data.ndim else 1
    if reps.ndim and reps.size not in (1, n):
        raise ValueError(f"repeat_interleave: repeats must have the same size as input along "
                         f"dim {dim} ({reps.size} != {n})")
    idx = np.repeat(np.arange(n), reps.reshape(-1) if reps.ndim else int(reps))
    if x._data.ndim == 0:
        x = S.reshape(x, (1,))
    return I.getitem(x, (slice(None),) * d + (idx,))


def swapdims(input, dim0, dim1):
    return S.transpose(_tensor(input, "swapdims"), dim0, dim1)


def moveaxis(input, source, destination):
    return S.movedim(_tensor(input, "moveaxis"), source, destination)


def numel(input):
    """The number of elements of ``input``."""
    return int(_tensor(input, "numel")._data.size)


def is_tensor(obj):
    return isinstance(obj, _f.Tensor)


def is_floating_point(input):
    return _tensor(input, "is_floating_point")._data.dtype.kind == "f"
