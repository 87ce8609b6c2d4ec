"""In-place ops: the result is written into the tensor's own array, its version goes up, and
(when recording) the tensor is re-pointed at the node that computed the new value.

``Tensor.add_``, ``mul_``, ``clamp_``, ``index_put_``, ... all go through ``inplace(t, op, *args)``:
the op runs out of place on a copy of the old value (so the node that computed the new value
saw the old one), the result is copied into ``t``'s array, and ``t``'s version counter goes up
(a node that saved ``t`` then refuses to run: ``saved.Saved.check``). A write into a view is
recorded on its base (PyTorch's CopySlices) and every live view gets a fresh ``grad_fn``.
"""
from __future__ import annotations

import numpy as np

from . import function as _f
from .grad_mode import _state
from .grad_mode import no_grad as _no_grad
from .ops._common import _data
from .ops.elementwise import arithmetic
from .saved import note_inplace


def _check_leaf_inplace(t):
    if not _state.grad_enabled:
        return
    if t._requires_grad and t.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                           "operation (wrap it in `with ad.no_grad():` or use an out-of-place op)")
    base = t._base
    if base is not None and base._requires_grad and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                           "an in-place operation (wrap it in `with ad.no_grad():` or use an "
                           "out-of-place op)")
    if base is not None and base._requires_grad and t._view_chain is None:
        raise RuntimeError(
            f"in-place write into a view (shape {tuple(t._data.shape)}) that was created in "
            "no_grad mode (or from a view made there) while grad mode is enabled: not "
            "supported, because the base's graph would not see it. Make the view with grad "
            "mode enabled, or use an out-of-place op")


def inplace(t, fn, *args):
    """Run ``fn(t, *args)`` and store the result in ``t`` in place.

    When recording: ``t`` is re-pointed at the node that computed the new value, and every
    live view of ``t`` gets a new ``grad_fn`` (``t``'s new one followed by the view's steps),
    as PyTorch regenerates a view's grad_fn after its base is modified in place. A write into
    a view (``v = y[1:3]; v.mul_(2)``) makes the base's new value ``y`` with the view's elements
    replaced (PyTorch's CopySlices), then refreshes the views."""
    _check_leaf_inplace(t)
    T = _f.Tensor
    tracking = _state.grad_enabled and (
        t._requires_grad or any(isinstance(a, T) and a._requires_grad for a in args))
    if not tracking:
        out = fn(t, *args)
        np.copyto(t._data, out._data, casting="same_kind")
        t._version += 1
        note_inplace(t)
        return t
    # the node must see the value before the write: give it its own copy
    old = T._make(t._data.copy(), t._requires_grad, t.grad_fn, t._output_nr)
    out = fn(old, *[old if a is t else a for a in args])  # (y.mul_(y) reads the old y)
    if out._data.dtype != t._data.dtype:
        if np.can_cast(out._data.dtype, t._data.dtype, "same_kind"):
            out = arithmetic.cast(out, t._data.dtype)
        else:
            raise RuntimeError(f"result type {out._data.dtype} can't be cast to the desired "
                               f"output type {t._data.dtype}")
    if out._data.shape != t._data.shape:
        if np.broadcast_shapes(out._data.shape, t._data.shape) != t._data.shape:
            raise RuntimeError(f"in-place op: output with shape {tuple(t._data.shape)} doesn't "
                               f"match the broadcast shape {tuple(out._data.shape)}")
    if t._base is not None:
        return _write_view(t, out)
    np.copyto(t._data, np.broadcast_to(out._data, t._data.shape))
    if out._data.shape != t._data.shape:
        raise RuntimeError(f"in-place op: output with shape {tuple(t._data.shape)} doesn't match "
                           f"the broadcast shape {tuple(out._data.shape)}")
    t._version += 1
    note_inplace(t)
    t.grad_fn = out.grad_fn
    t._output_nr = out._output_nr
    t._requires_grad = out._requires_grad
    if t._vc is not None and len(t._vc) > 1:
        _refresh_views(t)
    return t


def _replay(t, chain):
    """Apply a view's steps (``ops.shape.views._view``) to ``t``."""
    for op, args, nr in chain:
        t = op.apply(t, *args)
        if nr is not None and isinstance(t, tuple):
            t = t[nr]
    return t


def _refresh_views(root):
    """After an in-place write recorded on ``root``: each live view of it gets the grad_fn of
    its steps replayed on ``root``'s new grad_fn (the values are already right: they share
    ``root``'s memory)."""
    vc = root._vc
    for ref in vc[1:]:
        v = ref()
        if v is None or v._base is not root:  # (a view of a detached alias shares the counter)
            continue
        new = _replay(root, v._view_chain)
        v.grad_fn = new.grad_fn
        v._output_nr = new._output_nr
        v._requires_grad = new._requires_grad


def _write_view(t, out):
    """``t`` (a view) takes the value ``out`` (a Tensor broadcastable to it) under grad: the
    root's new value is the old one with the view's elements replaced (a scatter into the
    flattened root at the positions the view's steps select), recorded; then all views of the
    root, ``t`` included, are refreshed."""
    root = t._base
    chain = t._view_chain
    if chain is None:
        raise RuntimeError(
            f"in-place write into a view (shape {tuple(t._data.shape)}) that was created in "
            "no_grad mode (or from a view made there) while grad mode is enabled: not "
            "supported, because the base's graph would not see it. Make the view with grad "
            "mode enabled, or use an out-of-place op")
    T = _f.Tensor
    rd = root._data
    with _no_grad():
        pos = _replay(T._make(np.arange(rd.size).reshape(rd.shape)), chain)._data.reshape(-1)
    if np.unique(pos).size != pos.size:
        raise RuntimeError(
            f"unsupported operation: more than one element of the written-to tensor (shape "
            f"{tuple(t._data.shape)}, an expanded view) refers to a single memory location. "
            "Please clone() the tensor before performing the operation.")
    from .ops.index import subscript as _I  # (subscript imports this module)
    from .ops.shape import views as _S
    base = T._make(rd, root._requires_grad, root.grad_fn, root._output_nr)
    value = out if out._data.shape == t._data.shape else _S.expand(out, t._data.shape)
    flat = _S.Reshape.apply(base, (rd.size,))
    new = _S.Reshape.apply(_I.IndexPut.apply(flat, pos, _S.Reshape.apply(value, (pos.size,))),
                           rd.shape)
    np.copyto(t._data, value._data)
    root._version += 1
    root.grad_fn = new.grad_fn
    root._output_nr = new._output_nr
    root._requires_grad = new._requires_grad
    _refresh_views(root)
    return t


def inplace_fill(t, value):
    _check_leaf_inplace(t)
    if _state.grad_enabled and (t.grad_fn is not None or (
            isinstance(value, _f.Tensor) and value._requires_grad)):
        return inplace(t, arithmetic.Fill.apply, value)
    t._data[...] = _data(value)
    t._version += 1
    note_inplace(t)
    return t
