"""Collation: how ``DataLoader`` merges samples into a batch (``default_collate``) or converts
unbatched samples (``default_convert``), as PyTorch's."""

from __future__ import annotations

import collections.abc as cabc

import numpy as np

from ...ops.shape.joins import stack
from ...tensor import Tensor

__all__ = ["default_collate", "default_convert"]


_COLLATE_ERR = (
    "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"
)


def _stack(tensors):
    shp = tensors[0].shape
    for t in tensors[1:]:
        if t.shape != shp:
            raise ValueError(
                f"default_collate: stack expects each tensor to be equal size, but "
                f"got {tuple(shp)} and {tuple(t.shape)}"
            )
    if any(t.requires_grad for t in tensors):
        return stack(tensors, 0)
    return Tensor._make(np.stack([t._data for t in tensors]))


def default_collate(batch):
    """Merge a list of samples into a batch, as PyTorch's ``default_collate``:

    Tensors are stacked on a new first dimension; ndarrays and NumPy scalars become Tensors
    (dtype kept) and are stacked; Python floats give a float64 Tensor, ints int64, bools bool;
    strings stay a list; dicts collate per key; namedtuples per field; other sequences are
    transposed and collated per position (a tuple of samples gives a list, as in PyTorch).
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(batch)
    if (
        isinstance(elem, np.ndarray)
        or isinstance(elem, np.generic)
        and not isinstance(elem, (np.str_, np.bytes_))
    ):
        if elem.dtype.kind in "SaUO":
            raise TypeError(_COLLATE_ERR.format(elem.dtype))
        if elem.ndim == 0:
            return Tensor._make(np.asarray(batch))
        return _stack([Tensor._make(np.asarray(b)) for b in batch])
    if isinstance(elem, bool):
        return Tensor._make(np.asarray(batch, dtype=np.bool_))
    if isinstance(elem, float):
        return Tensor._make(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, int):
        return Tensor._make(np.asarray(batch, dtype=np.int64))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, cabc.Mapping):
        out = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(out)
        except TypeError:
            return out
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, cabc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError(
                "default_collate: each element in list of batch should be of equal size"
            )
        transposed = [default_collate(list(s)) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return transposed
        try:
            return type(elem)(transposed)
        except TypeError:
            return transposed
    raise TypeError(_COLLATE_ERR.format(type(elem)))


def default_convert(data):
    """Used when ``batch_size=None``: ndarrays become Tensors, containers are converted
    element by element, everything else is returned unchanged."""
    if isinstance(data, np.ndarray) and data.dtype.kind not in "SaUO":
        return Tensor._make(data)
    if isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_)):
        return Tensor._make(np.asarray(data))
    if isinstance(data, cabc.Mapping):
        return type(data)({k: default_convert(v) for k, v in data.items()})
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, list):
        return [default_convert(d) for d in data]
    return data
