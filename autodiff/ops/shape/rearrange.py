"""Copies that rearrange elements: clone, contiguous, repeat, tile, repeat_interleave, flip,
roll, pad."""
from __future__ import annotations

import numpy as np

from ... import function as _f
from ...function import Op
from .._common import _norm_dim, _tensor
from ..index import subscript
from ..reduce import sums
from . import views


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


class Repeat(Op):
    """out = a tiled ``reps`` times along each dim (leading reps add dims);
    da = g summed over the copies"""

    @staticmethod
    def forward(ctx, a, reps):
        ctx.in_shape = a.shape
        return np.tile(a, reps)

    @staticmethod
    def backward(ctx, grad_out):
        reps = None
        in_shape = ctx.in_shape
        lead = grad_out._data.ndim - len(in_shape)
        full_in = (1,) * lead + tuple(in_shape)
        out_shape = grad_out._data.shape
        reps = tuple(o // i if i else 0 for o, i in zip(out_shape, full_in))
        split_shape = []
        for r, s in zip(reps, full_in):
            split_shape += [r, s]
        g = views.reshape(grad_out, tuple(split_shape))
        g = sums.sum(g, tuple(range(0, 2 * len(reps), 2)))
        return views.reshape(g, in_shape), None


def repeat(input, *sizes):
    """Tile ``input``: ``sizes`` (at least ``input.ndim`` of them) counts copies per dim."""
    reps = views._shape_arg(sizes)
    if len(reps) < input._data.ndim:
        raise ValueError(f"repeat: number of repeat dims ({len(reps)}) can not be smaller than "
                         f"the number of dimensions of the tensor (shape {tuple(input.shape)})")
    if any(r < 0 for r in reps):
        raise ValueError(f"repeat: repeats must be non-negative (got {reps})")
    return Repeat.apply(input, reps)


def tile(input, dims):
    """``input`` repeated ``dims[i]`` times along each dim; a shorter ``dims`` is padded with
    ones on the left (unlike ``repeat``)."""
    x = _tensor(input, "tile")
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(dims) < x._data.ndim:
        dims = (1,) * (x._data.ndim - len(dims)) + dims
    return repeat(x, dims)


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
        x, d = views.reshape(x, (-1,)), 0
    else:
        d = _norm_dim(dim, x._data.ndim, "repeat_interleave")
    n = x._data.shape[d] if x._data.ndim else 1
    if reps.ndim and reps.size not in (1, n):
        raise ValueError(f"repeat_interleave: repeats must have the same size as input along "
                         f"dim {dim} ({reps.size} != {n})")
    idx = np.repeat(np.arange(n), reps.reshape(-1) if reps.ndim else int(reps))
    if x._data.ndim == 0:
        x = views.reshape(x, (1,))
    return subscript.getitem(x, (slice(None),) * d + (idx,))


class Flip(Op):
    """out = a reversed along ``dims``;  da = g reversed along ``dims``"""

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return np.flip(a, dims).copy()  # a copy, as torch.flip (not a view)

    @staticmethod
    def backward(ctx, grad_out):
        return Flip.apply(grad_out, ctx.dims), None


def flip(input, dims):
    """Reverse the order of elements along ``dims`` (int or tuple)."""
    if isinstance(dims, (int, np.integer)):
        dims = (int(dims),)
    n = input._data.ndim
    axes = [_norm_dim(int(d), n, "flip") for d in dims]
    if len(set(axes)) != len(axes):
        raise ValueError(f"flip: a dim appears multiple times in the list of dims {tuple(dims)}")
    axes = tuple(sorted(axes))
    if n == 0:
        axes = ()
    return Flip.apply(input, axes)


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
        return views.reshape(roll(views.reshape(x, (-1,)), shifts, 0), x._data.shape)
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise ValueError(f"roll: shifts ({len(shifts)}) and dims ({len(dims)}) must have the "
                         "same length")
    out = x
    for s, d in zip(shifts, dims):
        d = _norm_dim(d, x._data.ndim, "roll")
        n = x._data.shape[d]
        if n == 0 or int(s) % n == 0:
            continue
        perm = (np.arange(n) - int(s)) % n
        out = subscript.getitem(out, (slice(None),) * d + (perm,))
    return out if out is not x else Clone.apply(x)


class ConstantPad(Op):
    """out = a with ``widths`` (before, after) per dim of ``value`` added (negative widths
    crop);  da = g padded with the opposite widths (zeros)"""

    @staticmethod
    def forward(ctx, a, widths, value):
        ctx.widths = widths
        crop = tuple(slice(-b if b < 0 else None, e if e < 0 else None) for b, e in widths)
        grow = tuple((b if b > 0 else 0, e if e > 0 else 0) for b, e in widths)
        src = a[crop]
        if not any(b or e for b, e in grow):
            return src.copy()
        return np.pad(src, grow, mode="constant", constant_values=value)

    @staticmethod
    def backward(ctx, grad_out):
        back = tuple((-b, -e) for b, e in ctx.widths)
        return ConstantPad.apply(grad_out, back, 0.0), None, None


def _pad_widths(input, pad, op="pad"):
    n = input._data.ndim
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > n:
        raise ValueError(f"{op}: padding length must be even and at most twice the number of "
                         f"dims: got pad {pad} for input of shape {tuple(input.shape)}")
    widths = [(0, 0)] * n
    for i in range(len(pad) // 2):
        widths[n - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    return tuple(widths)


def _pad_index(size, before, after, mode):
    """Source index of each output position along one dim for the non-constant modes."""
    j = np.arange(-before, size + after)
    if mode == "reflect":
        period = 2 * (size - 1)
        j = np.abs(j) % period if period else np.zeros_like(j)
        return np.where(j >= size, period - j, j)
    if mode == "replicate":
        return np.clip(j, 0, size - 1)
    return j % size  # circular


def pad(input, pad, mode="constant", value=None):
    """``torch.nn.functional.pad``: ``pad`` lists (before, after) widths from the last dim
    backwards. Modes: 'constant' (fill ``value``, default 0; negative widths crop), 'reflect',
    'replicate', 'circular' (these pad any dims given, a superset of PyTorch's 1-3 trailing
    spatial dims)."""
    widths = _pad_widths(input, pad)
    shp = input._data.shape
    if mode == "constant":
        for (b, e), s in zip(widths, shp):
            if s + b + e < 0 or (b < 0 and -b > s) or (e < 0 and -e > s):
                raise ValueError(f"pad: widths {pad} would give a negative size for input of "
                                 f"shape {tuple(shp)}")
        return ConstantPad.apply(input, widths, 0.0 if value is None else float(value))
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular' "
                         f"(got {mode!r})")
    if value not in (None, 0, 0.0):
        raise ValueError(f"pad: padding mode {mode!r} doesn't take a value")
    n_pad = len(pad) // 2
    if (mode != "circular" and len(shp) in (n_pad + 1, n_pad + 2)
            and 0 in shp[len(shp) - n_pad - 1:]):
        # PyTorch: (C, *spatial) or (N, C, *spatial), only N may be 0
        raise ValueError(f"pad: mode {mode!r} expects non-zero dims except a batch dim (got "
                         f"shape {tuple(shp)})")
    idx = []
    for (b, e), s in zip(widths, shp):
        if b < 0 or e < 0:
            raise ValueError(f"pad: negative padding {pad} is only supported in constant mode")
        if (b or e) and s == 0:
            raise ValueError(f"pad: cannot pad an empty dim (shape {tuple(shp)})")
        if mode == "reflect" and (b or e) and (b >= s or e >= s):
            raise ValueError(f"pad: padding size should be less than the corresponding input "
                             f"dimension for reflect mode: pad {pad}, input shape {tuple(shp)}")
        if mode == "circular" and (b > s or e > s):
            raise ValueError(f"pad: padding size should be at most the corresponding input "
                             f"dimension for circular mode: pad {pad}, input shape {tuple(shp)}")
        idx.append(None if not (b or e) else _pad_index(s, b, e, mode))
    out = input
    for d, ix in enumerate(idx):
        if ix is not None:
            out = subscript.getitem(out, (slice(None),) * d + (ix,))
    return out
