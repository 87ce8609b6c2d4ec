"""Views and reshapes: reshape, view, flatten, unflatten, squeeze, unsqueeze, atleast_1d/2d/3d,
permute, transpose (swapaxes, swapdims), t, movedim (moveaxis), expand, expand_as, narrow,
and the tensor queries numel, is_tensor, is_floating_point.

Forward results are NumPy views wherever NumPy can make one."""
from __future__ import annotations

import math
import weakref

import numpy as np

from ... import function as _f
from ...function import Op
from ...grad_mode import _state
from .._common import _norm_dim, _tensor
from ..index import subscript
from ..reduce import sums

_ref = weakref.ref


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _new_shape(shape, op):
    """A target shape for reshape/view: sizes >= 0 and at most one -1 (PyTorch's rule; NumPy
    would take any negative size as the inferred one)."""
    shape = _shape_arg(shape)
    if shape and min(shape) < 0:
        for i, s in enumerate(shape):
            if s < -1:
                raise ValueError(f"{op}: invalid shape dimension {s} at index {i} of shape "
                                 f"{list(shape)}")
        if shape.count(-1) > 1:
            raise ValueError(f"{op}: only one dimension can be inferred (shape {list(shape)})")
    return shape


def _view(out, base, op=None, args=(), nr=None):
    """``out`` is a view of ``base`` when NumPy made one: it then shares ``base``'s version
    counter (an in-place write through either invalidates what backward saved of the other)
    and remembers its root base (the first non-view tensor) and how to remake it from that
    root: ``(op, args, nr)`` steps, ``op.apply(t, *args)[nr]`` (``nr`` None for one output).

    With grad mode on, a view of a tensor that may be written in place under grad (not a leaf
    that requires grad: those only change under ``no_grad``) is also registered on the shared
    counter, so an in-place write on the root can give the view a new ``grad_fn``: the root's
    new one followed by the view steps (``autodiff.inplace._refresh_views``, as PyTorch
    regenerates a view's grad_fn after its base changes)."""
    d = out._data
    if d.base is None or out is base or not np.may_share_memory(d, base._data):
        return out
    vc = base._vc
    if vc is None:
        vc = base._vc = [0]
    out._vc = vc
    root = base._base
    if root is None:
        root = base
        chain = ()
    else:
        chain = base._view_chain
    out._base = root
    if (op is not None and chain is not None and _state.grad_enabled
            and not (root._requires_grad and root.grad_fn is None)):
        out._view_chain = chain + ((op, args, nr),)
        n = len(vc)
        if n >= 64 and not n & (n - 1):  # at 64, 128, 256...: drop the views that are gone
            vc[1:] = [r for r in vc[1:] if r() is not None]
        vc.append(_ref(out))
    return out


class Reshape(Op):
    """out = a viewed with a new shape;  da = g reshaped back"""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: shape {tuple(shape)} is invalid for input of shape "
                             f"{a.shape} ({a.size} elements)") from None

    @staticmethod
    def backward(ctx, grad_out):
        return Reshape.apply(grad_out, ctx.in_shape), None


class Permute(Op):
    """out = a with dims reordered;  da = g with the inverse order"""

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, grad_out):
        dims = ctx.dims
        inv = [0] * len(dims)
        for i, d in enumerate(dims):
            inv[d] = i
        return Permute.apply(grad_out, tuple(inv)), None


class Expand(Op):
    """out = a broadcast to ``shape`` (a read-only view);  da = g summed back"""

    @staticmethod
    def forward(ctx, a, shape):
        ctx.in_shape = a.shape
        try:
            return np.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"expand: the shape {a.shape} cannot be expanded to "
                             f"{tuple(shape)}") from None

    @staticmethod
    def backward(ctx, grad_out):
        return sums.sum_to_shape(grad_out, ctx.in_shape), None


def reshape(input, *shape):
    shape = _new_shape(shape, "reshape")
    return _view(Reshape.apply(input, shape), input, Reshape, (shape,))


def view(input, *shape):
    """Like ``reshape`` (NumPy copies when strides forbid a view; PyTorch would raise)."""
    shape = _new_shape(shape, "view")
    return _view(Reshape.apply(input, shape), input, Reshape, (shape,))


def flatten(input, start_dim=0, end_dim=-1):
    shp = input._data.shape
    if not shp:
        return reshape(input, (1,))
    s = _norm_dim(start_dim, len(shp), "flatten")
    e = _norm_dim(end_dim, len(shp), "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} cannot come after end_dim {end_dim}")
    if s == e:  # nothing to flatten: the input itself, as PyTorch (no Reshape node recorded)
        return input
    new = shp[:s] + (math.prod(shp[s:e + 1]),) + shp[e + 1:]  # (np.prod: ~3 us more)
    return _view(Reshape.apply(input, new), input, Reshape, (new,))


def unflatten(input, dim, sizes):
    """Dim ``dim`` split into ``sizes`` (one entry may be -1)."""
    x = _tensor(input, "unflatten")
    d = _norm_dim(dim, x._data.ndim, "unflatten")
    sizes = tuple(int(s) for s in sizes)
    n = x._data.shape[d]
    known = int(np.prod([s for s in sizes if s != -1])) if sizes else 1
    if sizes.count(-1) > 1 or (sizes.count(-1) == 0 and known != n) or (
            sizes.count(-1) == 1 and (known == 0 or n % known)):
        raise ValueError(f"unflatten: provided sizes {list(sizes)} don't multiply up to the "
                         f"size of dim {dim} ({n}) in the input tensor (shape {tuple(x.shape)})")
    return reshape(x, x._data.shape[:d] + sizes + x._data.shape[d + 1:])


def squeeze(input, dim=None):
    shp = input._data.shape
    if dim is None:
        new = tuple(s for s in shp if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = {_norm_dim(d, len(shp), "squeeze") for d in dims} if shp else set()
        new = tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1))
    return _view(Reshape.apply(input, new), input, Reshape, (new,))


def unsqueeze(input, dim):
    shp = input._data.shape
    d = _norm_dim(dim, len(shp) + 1, "unsqueeze")
    new = shp[:d] + (1,) + shp[d:]
    return _view(Reshape.apply(input, new), input, Reshape, (new,))


def atleast_1d(input):
    x = _tensor(input, "atleast_1d")
    return reshape(x, (1,)) if x._data.ndim == 0 else x


def atleast_2d(input):
    x = _tensor(input, "atleast_2d")
    if x._data.ndim >= 2:
        return x
    return reshape(x, (1, -1) if x._data.ndim == 1 else (1, 1))


def atleast_3d(input):
    x = _tensor(input, "atleast_3d")
    nd = x._data.ndim
    if nd >= 3:
        return x
    if nd == 2:
        return unsqueeze(x, -1)
    return reshape(x, (1, -1, 1) if nd == 1 else (1, 1, 1))


def permute(input, *dims):
    dims = _shape_arg(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise ValueError(f"permute: number of dims {len(dims)} doesn't match the input's "
                         f"{n} dims (shape {tuple(input.shape)})")
    dims = tuple(_norm_dim(d, n, "permute") for d in dims)
    if sorted(dims) != list(range(n)):
        raise ValueError(f"permute: dims {dims} is not a permutation of {n} dims")
    return _view(Permute.apply(input, dims), input, Permute, (dims,))


def transpose(input, dim0, dim1):
    n = input._data.ndim
    if n < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return input
    d0, d1 = _norm_dim(dim0, n, "transpose"), _norm_dim(dim1, n, "transpose")
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    dims = tuple(dims)
    return _view(Permute.apply(input, dims), input, Permute, (dims,))


swapaxes = transpose


def swapdims(input, dim0, dim1):
    return transpose(_tensor(input, "swapdims"), dim0, dim1)


def t(input):
    """Transpose of a tensor of at most 2 dims (0-D and 1-D are returned as they are)."""
    x = _tensor(input, "t")
    if x._data.ndim > 2:
        raise ValueError(f"t: expects a tensor with <= 2 dimensions, but self is "
                         f"{x._data.ndim}D (shape {tuple(x.shape)})")
    return transpose(x, 0, 1) if x._data.ndim == 2 else x


def movedim(input, source, destination):
    n = input._data.ndim
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [_norm_dim(s, n, "movedim") for s in src]
    dst = [_norm_dim(s, n, "movedim") for s in dst]
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} must have "
                         "the same number of dims")
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"movedim: repeated dim in source {source} or destination "
                         f"{destination}")
    order = [i for i in range(n) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    order = tuple(order)
    return _view(Permute.apply(input, order), input, Permute, (order,))


def moveaxis(input, source, destination):
    return movedim(_tensor(input, "moveaxis"), source, destination)


def expand(input, *sizes):
    sizes = _shape_arg(sizes)
    shp = input._data.shape
    if len(sizes) < len(shp):
        raise ValueError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                         f"or equal to the number of dimensions in the tensor ({len(shp)})")
    lead = len(sizes) - len(shp)
    new = tuple(shp[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(sizes))
    if new == shp:
        return input
    return _view(Expand.apply(input, new), input, Expand, (new,))


def expand_as(input, other):
    return expand(input, other.shape)


def narrow(input, dim, start, length):
    d = _norm_dim(dim, input._data.ndim, "narrow")
    size = input._data.shape[d]
    start = start + size if start < 0 else start
    if not (0 <= start and length >= 0 and start + length <= size):
        raise ValueError(f"narrow: start {start} + length {length} exceeds dim {dim} of size "
                         f"{size} (shape {tuple(input.shape)})")
    return subscript.getitem(input, (slice(None),) * d + (slice(start, start + length),))


def numel(input):
    """The number of elements of ``input``."""
    return int(_tensor(input, "numel")._data.size)


def is_tensor(obj):
    return isinstance(obj, _f.Tensor)


def is_floating_point(input):
    return _tensor(input, "is_floating_point")._data.dtype.kind == "f"
