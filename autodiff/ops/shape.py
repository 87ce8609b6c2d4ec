"""Shape ops: reshape, view, flatten, squeeze, unsqueeze, transpose, permute, expand, cat, stack.

Forward results are NumPy views wherever NumPy can make one.
"""
from __future__ import annotations

import numpy as np

from ..function import Op
from .. import function as _f


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(s) for s in shape)


def _norm_dim(dim, ndim, op="dim"):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return dim % n


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
        return reshape(grad_out, ctx.in_shape), None


class Permute(Op):
    """out = a with dims reordered;  da = g with the inverse order"""

    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    @staticmethod
    def backward(ctx, grad_out):
        return permute(grad_out, tuple(np.argsort(ctx.dims))), None


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
        from .reduce import sum_to_shape
        return sum_to_shape(grad_out, ctx.in_shape), None


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


# ---------------------------------------------------------------------------------------------


def reshape(input, *shape):
    return Reshape.apply(input, _shape_arg(shape))


def view(input, *shape):
    """Like ``reshape`` (NumPy copies when strides forbid a view; PyTorch would raise)."""
    return Reshape.apply(input, _shape_arg(shape))


def flatten(input, start_dim=0, end_dim=-1):
    shp = input.data.shape
    if not shp:
        return reshape(input, (1,))
    s = _norm_dim(start_dim, len(shp), "flatten")
    e = _norm_dim(end_dim, len(shp), "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} cannot come after end_dim {end_dim}")
    new = shp[:s] + (int(np.prod(shp[s:e + 1])),) + shp[e + 1:]
    return Reshape.apply(input, new)


def squeeze(input, dim=None):
    shp = input.data.shape
    if dim is None:
        new = tuple(s for s in shp if s != 1)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = {_norm_dim(d, len(shp), "squeeze") for d in dims} if shp else set()
        new = tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1))
    return Reshape.apply(input, new)


def unsqueeze(input, dim):
    shp = input.data.shape
    d = _norm_dim(dim, len(shp) + 1, "unsqueeze")
    return Reshape.apply(input, shp[:d] + (1,) + shp[d:])


def permute(input, *dims):
    dims = _shape_arg(dims)
    n = input.data.ndim
    if len(dims) != n:
        raise ValueError(f"permute: number of dims {len(dims)} doesn't match the input's "
                         f"{n} dims (shape {tuple(input.shape)})")
    dims = tuple(_norm_dim(d, n, "permute") for d in dims)
    if sorted(dims) != list(range(n)):
        raise ValueError(f"permute: dims {dims} is not a permutation of {n} dims")
    return Permute.apply(input, dims)


def transpose(input, dim0, dim1):
    n = input.data.ndim
    if n < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return input
    d0, d1 = _norm_dim(dim0, n, "transpose"), _norm_dim(dim1, n, "transpose")
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, tuple(dims))


swapaxes = transpose


def expand(input, *sizes):
    sizes = _shape_arg(sizes)
    shp = input.data.shape
    if len(sizes) < len(shp):
        raise ValueError(f"expand: the number of sizes provided ({len(sizes)}) must be greater "
                         f"or equal to the number of dimensions in the tensor ({len(shp)})")
    lead = len(sizes) - len(shp)
    new = tuple(shp[i - lead] if (s == -1 and i >= lead) else s for i, s in enumerate(sizes))
    if new == shp:
        return input
    return Expand.apply(input, new)


def expand_as(input, other):
    return expand(input, other.shape)


def _as_tensors(tensors, op):
    T = _f.Tensor
    if isinstance(tensors, T) or not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{op}: expected a sequence of Tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    return [t if isinstance(t, T) else T._make(np.asarray(t)) for t in tensors]


def cat(tensors, dim=0):
    ts = _as_tensors(tensors, "cat")
    ref = ts[0].data
    d = _norm_dim(dim, ref.ndim, "cat")
    for t in ts[1:]:
        s = t.data.shape
        if len(s) != ref.ndim or any(a != b for i, (a, b) in enumerate(zip(s, ref.shape)) if i != d):
            raise ValueError(f"cat: sizes of tensors must match except in dimension {d}: got "
                             f"shapes {ref.shape} and {s}")
    return Cat.apply(d, *ts)


concatenate = cat
concat = cat


def stack(tensors, dim=0):
    ts = _as_tensors(tensors, "stack")
    shp = ts[0].data.shape
    for t in ts[1:]:
        if t.data.shape != shp:
            raise ValueError(f"stack: expects each tensor to be equal size, but got {shp} and "
                             f"{t.data.shape}")
    d = _norm_dim(dim, len(shp) + 1, "stack")
    return cat([unsqueeze(t, d) for t in ts], d)


def split(input, split_size_or_sections, dim=0):
    n = input.data.ndim
    d = _norm_dim(dim, n, "split")
    length = input.data.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        step = int(split_size_or_sections)
        if step <= 0:
            raise ValueError(f"split: split_size must be positive (got {step})")
        sizes = [step] * (length // step) + ([length % step] if length % step else [])
        if not sizes:
            sizes = [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != length:
            raise ValueError(f"split: split sizes {sizes} don't sum to the size {length} of "
                             f"dim {dim} (shape {tuple(input.shape)})")
    out = Split.apply(input, sizes, d)
    return out if isinstance(out, tuple) else (out,)


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive (got {chunks})")
    length = input.data.shape[_norm_dim(dim, input.data.ndim, "chunk")]
    step = -(-length // chunks) if length else 1
    return split(input, step, dim)
