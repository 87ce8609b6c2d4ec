"""Datasets (PyTorch's ``torch.utils.data.dataset``): ``Dataset``, ``IterableDataset``,
``TensorDataset``, ``ConcatDataset``, ``ChainDataset``, ``Subset`` and ``random_split``."""

from __future__ import annotations

import bisect
import itertools
import math
import warnings

import numpy as np

from ... import random as _random
from ...tensor import Tensor
from ._collate import default_collate

__all__ = [
    "ChainDataset",
    "ConcatDataset",
    "Dataset",
    "IterableDataset",
    "Subset",
    "TensorDataset",
    "random_split",
]


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset defined by ``__iter__`` (a stream); the DataLoader batches it in order."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __add__(self, other):
        raise TypeError("IterableDataset: concatenation is not supported")


class ChainDataset(IterableDataset):
    """Chains several ``IterableDataset``s: iterates over each in turn."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError("ChainDataset only supports IterableDataset")
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


class TensorDataset(Dataset):
    """Samples are ``tuple(t[i] for t in tensors)``; every tensor has the same first dimension.

    ``tensors`` may be Tensors or ndarrays (ndarrays are wrapped without copying).
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        ts = []
        for t in tensors:
            if isinstance(t, np.ndarray):
                t = Tensor._make(t)
            elif not isinstance(t, Tensor):
                raise TypeError(
                    f"TensorDataset: expected Tensors or ndarrays (got {type(t).__name__})"
                )
            if t.ndim == 0:
                raise ValueError("TensorDataset: tensors must have at least one dimension")
            ts.append(t)
        n = ts[0].shape[0]
        for t in ts[1:]:
            if t.shape[0] != n:
                raise ValueError(
                    f"TensorDataset: size mismatch between tensors: first dimension "
                    f"{n} (shape {tuple(ts[0].shape)}) vs {t.shape[0]} "
                    f"(shape {tuple(t.shape)})"
                )
        self.tensors = tuple(ts)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def _batch(self, indices):
        """The default-collated batch of ``indices`` in one fancy-indexing step per tensor."""
        idx = np.asarray(indices, dtype=np.int64)
        out = []
        for t in self.tensors:
            if t.requires_grad:
                out.append(t[idx])
            else:
                out.append(Tensor._make(t._data[idx]))
        return out


class ConcatDataset(Dataset):
    """The concatenation of several map-style datasets."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError("ConcatDataset: does not support IterableDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError(
                    f"ConcatDataset: absolute value of index {idx} should not "
                    f"exceed dataset length {n}"
                )
            idx = n + idx
        if idx >= n:
            raise IndexError(f"ConcatDataset: index {idx} out of range for length {n}")
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        start = self.cumulative_sizes[d - 1] if d > 0 else 0
        return self.datasets[d][idx - start]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (in that order)."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __len__(self):
        return len(self.indices)

    def _batch(self, indices):
        return _fetch_batch(self.dataset, [self.indices[i] for i in indices])


def _fetch_batch(dataset, indices):
    """A default-collated batch: the fast path when the dataset offers one."""
    if hasattr(dataset, "_batch") and (
        not isinstance(dataset, Subset) or hasattr(dataset.dataset, "_batch")
    ):
        return dataset._batch(indices)
    return default_collate([dataset[i] for i in indices])


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping ``Subset``s of the given ``lengths``.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1 (each
    ``floor(n * frac)``, the remainder handed out one by one from the first split on, as in
    PyTorch). The permutation comes from ``generator`` (an ``ad.Generator``) or, by default,
    ``autodiff.random.generator()``.
    """
    n = len(dataset)
    lengths = list(lengths)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1")
            counts.append(int(math.floor(n * frac)))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, c in enumerate(counts):
            if c == 0:
                warnings.warn(
                    f"random_split: length of split at index {i} is 0. This might "
                    f"result in an empty dataset.",
                    stacklevel=2,
                )
        lengths = counts
    for length in lengths:
        if int(length) != length or length < 0:
            raise ValueError(
                f"random_split: lengths must be non-negative integers or fractions "
                f"summing to 1 (got {lengths})"
            )
    lengths = [int(x) for x in lengths]
    if sum(lengths) != n:
        raise ValueError(
            f"random_split: sum of input lengths {sum(lengths)} does not equal the "
            f"length of the input dataset ({n})"
        )
    perm = _random.resolve(generator).permutation(n).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset : offset + length]))
        offset += length
    return out
