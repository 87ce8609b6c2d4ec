"""Shape ops: reshape, view, flatten, squeeze, unsqueeze, transpose, permute, expand, repeat,
cat, stack, split, chunk, unbind, flip, pad.

Forward results are NumPy views wherever NumPy can make one.
"""
from __future__ import annotations

import numpy as np

import weakref

from ..grad_mode import _state
from ..function import Op
from .. import function as _f

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
        return _R.sum_to_shape(grad_out, ctx.in_shape), None


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
    new = shp[:s] + (int(np.prod(shp[s:e + 1])),) + shp[e + 1:]
    return _view(Reshape.apply(input, new), input, Reshape, (new,))


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
    return cat([unsqueeze(t, d) for t in ts], d)


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
        return (_view(out, input, Split, (sizes, d), 0),)
    return tuple(_view(o, input, Split, (sizes, d), i) for i, o in enumerate(out))


def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive (got {chunks})")
    length = input._data.shape[_norm_dim(dim, input._data.ndim, "chunk")]
    if not length:  # an empty dim gives ``chunks`` empty pieces (as PyTorch)
        return split(input, [0] * int(chunks), dim)
    step = -(-length // chunks)
    return split(input, step, dim)


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
        g = reshape(grad_out, tuple(split_shape))
        g = _R.sum(g, tuple(range(0, 2 * len(reps), 2)))
        return reshape(g, in_shape), None


def repeat(input, *sizes):
    """Tile ``input``: ``sizes`` (at least ``input.ndim`` of them) counts copies per dim."""
    reps = _shape_arg(sizes)
    if len(reps) < input._data.ndim:
        raise ValueError(f"repeat: number of repeat dims ({len(reps)}) can not be smaller than "
                         f"the number of dimensions of the tensor (shape {tuple(input.shape)})")
    if any(r < 0 for r in reps):
        raise ValueError(f"repeat: repeats must be non-negative (got {reps})")
    return Repeat.apply(input, reps)


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
    for d, ((b, e), s) in enumerate(zip(widths, shp)):
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
            out = _I.getitem(out, (slice(None),) * d + (ix,))
    return out


def unbind(input, dim=0):
    """The slices of ``input`` along ``dim``, as a tuple."""
    d = _norm_dim(dim, input._data.ndim, "unbind")
    n = input._data.shape[d]
    if n == 0:
        return ()
    return tuple(squeeze(p, d) for p in split(input, 1, d))


def narrow(input, dim, start, length):
    d = _norm_dim(dim, input._data.ndim, "narrow")
    size = input._data.shape[d]
    start = start + size if start < 0 else start
    if not (0 <= start and length >= 0 and start + length <= size):
        raise ValueError(f"narrow: start {start} + length {length} exceeds dim {dim} of size "
                         f"{size} (shape {tuple(input.shape)})")
    return _I.getitem(input, (slice(None),) * d + (slice(start, start + length),))


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


# reduce and index import this module: bind them once it is complete (no per-call imports)
from . import index as _I  # noqa: E402
from . import reduce as _R  # noqa: E402
