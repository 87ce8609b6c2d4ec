"""Data utilities in the style of ``torch.utils.data``: datasets, samplers, ``DataLoader``,
``random_split``, plus two loaders: ``load_digits`` (scikit-learn's bundled 8x8 digits) and
``read_idx`` (MNIST-format IDX files a user already has). Nothing here touches the network.

    import autodiff as ad
    from autodiff.data import DataLoader, TensorDataset, load_digits

    X_train, y_train, X_test, y_test = load_digits()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)
    for x, y in loader:          # x: (64, 1, 8, 8) float32, y: (64,) int64
        ...

Shuffling and ``random_split`` draw from ``autodiff.random.generator()`` unless an
``ad.Generator`` is passed as ``generator=``, so ``ad.manual_seed(n)`` repeats them.
The same objects are importable as PyTorch spells them: ``autodiff.utils.data`` and its
``dataset``, ``sampler`` and ``dataloader`` submodules.
Deliberate difference from PyTorch: ``num_workers > 0`` is accepted but loading always runs in
the calling process (no worker processes are started), so it can never hang; batches are the
same as with ``num_workers=0``. ``pin_memory`` is accepted and ignored (CPU only).
"""
from __future__ import annotations

import bisect
import collections.abc as cabc
import gzip
import itertools
import math
import os
import warnings

import numpy as np

from . import random as _random
from .tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset",
           "Subset", "random_split", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "DataLoader",
           "get_worker_info", "default_collate", "default_convert", "load_digits", "ring_of_gaussians", "ring_centers", "read_idx"]


# ---- datasets -----------------------------------------------------------------------------------
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
                raise TypeError(f"TensorDataset: expected Tensors or ndarrays "
                                f"(got {type(t).__name__})")
            if t.ndim == 0:
                raise ValueError("TensorDataset: tensors must have at least one dimension")
            ts.append(t)
        n = ts[0].shape[0]
        for t in ts[1:]:
            if t.shape[0] != n:
                raise ValueError(f"TensorDataset: size mismatch between tensors: first dimension "
                                 f"{n} (shape {tuple(ts[0].shape)}) vs {t.shape[0]} "
                                 f"(shape {tuple(t.shape)})")
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
                raise ValueError(f"ConcatDataset: absolute value of index {idx} should not "
                                 f"exceed dataset length {n}")
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
    if hasattr(dataset, "_batch") and (not isinstance(dataset, Subset)
                                       or hasattr(dataset.dataset, "_batch")):
        return dataset._batch(indices)
    return default_collate([dataset[i] for i in indices])


def _get_generator(generator):
    return _random.resolve(generator)


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
                warnings.warn(f"random_split: length of split at index {i} is 0. This might "
                              f"result in an empty dataset.", stacklevel=2)
        lengths = counts
    for length in lengths:
        if int(length) != length or length < 0:
            raise ValueError(f"random_split: lengths must be non-negative integers or fractions "
                             f"summing to 1 (got {lengths})")
    lengths = [int(x) for x in lengths]
    if sum(lengths) != n:
        raise ValueError(f"random_split: sum of input lengths {sum(lengths)} does not equal the "
                         f"length of the input dataset ({n})")
    perm = _get_generator(generator).permutation(n).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, perm[offset:offset + length]))
        offset += length
    return out


# ---- samplers -----------------------------------------------------------------------------------
class Sampler:
    """Iterates over dataset indices."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A fresh random permutation on every ``iter()`` (or ``num_samples`` draws with
    replacement), drawn lazily as PyTorch does: permutations one at a time, draws with
    replacement 32 at a time, so ``RandomSampler(data, replacement=True,
    num_samples=int(1e10))`` starts at once. With ``generator=None`` each ``iter()`` takes one
    seed from the default generator (``ad.manual_seed`` repeats it) and draws from a private
    stream seeded with it, as PyTorch; otherwise it draws from ``generator``."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value "
                            f"(got replacement={replacement})")
        if (isinstance(self.num_samples, bool) or not isinstance(self.num_samples, int)
                or self.num_samples <= 0):
            raise ValueError(f"RandomSampler: num_samples should be a positive integer value "
                             f"(got num_samples={self.num_samples})")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        if self.generator is None:
            gen = np.random.default_rng(int(_random.generator().integers(0, 2 ** 63)))
        else:
            gen = _get_generator(self.generator)
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from gen.integers(0, n, size=32).tolist()
            yield from gen.integers(0, n, size=self.num_samples % 32).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from gen.permutation(n).tolist()
            yield from gen.permutation(n).tolist()[:self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (a new one on every ``iter()``)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        perm = _get_generator(self.generator).permutation(len(self.indices))
        return (self.indices[i] for i in perm.tolist())

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn from ``[0, len(weights))`` with probabilities proportional
    to ``weights`` (with or without replacement), as PyTorch's (one ``multinomial`` draw per
    ``iter()``)."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if (isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer))
                or num_samples <= 0):
            raise ValueError(f"WeightedRandomSampler: num_samples should be a positive integer "
                             f"value, but got num_samples={num_samples}")
        if not isinstance(replacement, bool):
            raise ValueError(f"WeightedRandomSampler: replacement should be a boolean value, "
                             f"but got replacement={replacement}")
        w = np.asarray(weights._data if isinstance(weights, Tensor) else weights,
                       dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1d sequence but "
                             f"given weights have shape {tuple(w.shape)}")
        self.weights = Tensor._make(w)
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        from .creation import multinomial
        draw = multinomial(self.weights, self.num_samples, self.replacement,
                           generator=self.generator)
        yield from draw._data.tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``)."""

    def __init__(self, sampler, batch_size, drop_last):
        if (isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer))
                or batch_size <= 0):
            raise ValueError(f"BatchSampler: batch_size should be a positive integer value, "
                             f"but got batch_size={batch_size}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean value, but got "
                             f"drop_last={drop_last}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


# ---- collation ----------------------------------------------------------------------------------
_COLLATE_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                "lists; found {}")


def _stack(tensors):
    shp = tensors[0].shape
    for t in tensors[1:]:
        if t.shape != shp:
            raise ValueError(f"default_collate: stack expects each tensor to be equal size, but "
                             f"got {tuple(shp)} and {tuple(t.shape)}")
    if any(t.requires_grad for t in tensors):
        from .ops.shape.joins import stack
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
    if isinstance(elem, np.ndarray) or isinstance(elem, np.generic) and not isinstance(
            elem, (np.str_, np.bytes_)):
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
            raise RuntimeError("default_collate: each element in list of batch should be of "
                               "equal size")
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


# ---- DataLoader ---------------------------------------------------------------------------------
class DataLoader:
    """Iterate over ``dataset`` in batches (PyTorch's ``DataLoader`` signature).

    ``batch_size=None`` disables batching (samples pass through ``default_convert``).
    ``shuffle=True`` draws a new permutation on every ``iter()`` from ``generator`` (an
    ``ad.Generator``) or ``autodiff.random.generator()``, so ``ad.manual_seed`` repeats it.
    ``sampler`` / ``batch_sampler`` replace the index order, with PyTorch's exclusivity rules.
    ``len(loader)`` is the number of batches.

    Note: ``num_workers > 0`` does not start worker processes; batches are produced in the
    calling process exactly as with ``num_workers=0`` (this never hangs and gives the same
    batches); ``worker_init_fn(0)`` is then called once at the start of each iteration and
    ``get_worker_info()`` stays None. ``pin_memory``, ``timeout``, ``prefetch_factor`` and
    ``persistent_workers`` are accepted for PyTorch compatibility (validated as PyTorch does)
    and otherwise ignored (CPU only, no workers).
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                 timeout=0, worker_init_fn=None, multiprocessing_context=None, generator=None,
                 *, prefetch_factor=None, persistent_workers=False, pin_memory_device=""):
        if not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers option should be non-negative "
                             f"(got {num_workers})")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative (got {timeout})")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified in "
                             "multiprocessing. let num_workers > 0 to enable multiprocessing, "
                             "otherwise set prefetch_factor to None.")
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.dataset = dataset
        self.num_workers = int(num_workers)
        self.pin_memory = bool(pin_memory)
        self.generator = generator
        shuffle = bool(shuffle) if shuffle is not None else False
        self._iterable = isinstance(dataset, IterableDataset)

        if self._iterable:
            if shuffle:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle "
                                 f"option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler "
                                 f"option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"batch_sampler option, but got batch_sampler={batch_sampler}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
                batch_size, (int, np.integer)) or batch_size <= 0):
            raise ValueError(f"DataLoader: batch_size should be a positive integer value, but "
                             f"got batch_size={batch_size}")

        if sampler is None and not self._iterable:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._auto_collation = batch_sampler is not None or (self._iterable
                                                             and batch_size is not None)
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    def __iter__(self):
        if self.num_workers > 0 and self.worker_init_fn is not None:
            self.worker_init_fn(0)
        if self._iterable:
            return self._iter_stream()
        if not self._auto_collation:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        return self._iter_batches()

    def _iter_batches(self):
        fast = self.collate_fn is default_collate
        for indices in self.batch_sampler:
            if fast:
                yield _fetch_batch(self.dataset, indices)
            else:
                yield self.collate_fn([self.dataset[i] for i in indices])

    def _iter_stream(self):
        if self.batch_size is None:
            for sample in self.dataset:
                yield self.collate_fn(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        if self._auto_collation:
            return len(self.batch_sampler)
        return len(self.sampler)


def get_worker_info():
    """``None``: data loading always runs in the calling process (see ``DataLoader``)."""
    return None


# ---- bundled and on-disk data -------------------------------------------------------------------
def load_digits(test_fraction=0.2, flatten=False):
    """scikit-learn's bundled 8x8 handwritten digits (1797 images, 10 classes), no download.

    Pixels (0..16 in the source) are divided by 16, so they lie in [0, 1]. The split is
    deterministic and independent of ``ad.manual_seed``: the samples are shuffled once with a
    fixed permutation (NumPy ``default_rng(0)``) and the last ``round(1797 * test_fraction)``
    form the test set (1438 train / 359 test by default).

    Returns ``(X_train, y_train, X_test, y_test)``: four Tensors, ``X`` float32 of shape
    ``(N, 1, 8, 8)`` (``(N, 64)`` with ``flatten=True``), ``y`` int64 of shape ``(N,)``.
    Needs scikit-learn (the ``data`` extra).
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"load_digits: test_fraction must be in (0, 1) (got {test_fraction})")
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError as e:  # pragma: no cover - depends on the environment
        from ._extras import install_hint
        raise ImportError(f"load_digits needs scikit-learn: {install_hint('data')}") from e
    d = _sk_load_digits()
    X = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    perm = np.random.default_rng(0).permutation(len(y))
    X, y = X[perm], y[perm]
    n_test = int(round(len(y) * test_fraction))
    n_train = len(y) - n_test
    X = X if flatten else X.reshape(-1, 1, 8, 8)
    return (Tensor._make(np.ascontiguousarray(X[:n_train])), Tensor._make(y[:n_train].copy()),
            Tensor._make(np.ascontiguousarray(X[n_train:])), Tensor._make(y[n_train:].copy()))


def ring_centers(modes=8, radius=2.0):
    """The ``(modes, 2)`` float64 centers ``radius * (cos, sin)(2 pi k / modes)``."""
    angles = 2 * np.pi * np.arange(modes) / modes
    return radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)


def ring_of_gaussians(n, modes=8, radius=2.0, std=0.05, generator=None):
    """``n`` points from a mixture of ``modes`` equally weighted 2-D Gaussians (isotropic,
    standard deviation ``std``) centered on a circle of ``radius`` (the GAN benchmark of Metz et
    al. 2017). Returns a float32 Tensor ``(n, 2)``; draws from ``generator`` or
    ``autodiff.random.generator()``. The centers are ``ring_centers(modes, radius)``.
    """
    gen = _get_generator(generator)
    k = gen.integers(0, modes, size=n)
    pts = ring_centers(modes, radius)[k] + gen.normal(0.0, std, size=(n, 2))
    return Tensor._make(pts.astype(np.float32))


_IDX_DTYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
               0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path):
    """Read an IDX file (the MNIST format), gzip-compressed or raw, into a NumPy array.

    Layout: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions, then that many big-endian uint32
    sizes and the big-endian data. Gzip is recognised by its magic bytes, not the file name.
    Returns an ndarray of that shape in native byte order (MNIST images: uint8
    ``(N, 28, 28)``, labels: uint8 ``(N,)``); wrap it with ``ad.tensor`` as needed.
    Raises ``ValueError`` for a bad magic number, unknown type code, a truncated file or
    trailing bytes; ``FileNotFoundError`` if ``path`` does not exist.
    """
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, gzip.BadGzipFile) as e:
            raise ValueError(f"read_idx: {path!r} is not a valid gzip file ({e})") from None
    if len(raw) < 4:
        raise ValueError(f"read_idx: {path!r} is truncated: {len(raw)} bytes, the IDX header "
                         f"needs at least 4")
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"read_idx: {path!r} has a bad magic number 0x{raw[:4].hex()} (an IDX "
                         f"file starts with 0x0000, a type code in "
                         f"{{08,09,0b,0c,0d,0e}} and the number of dimensions)")
    dtype = _IDX_DTYPES[raw[2]]
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"read_idx: {path!r} is truncated: header of {ndim} dimensions needs "
                         f"{header} bytes, file has {len(raw)}")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    count = int(np.prod(shape, dtype=np.int64))
    need = header + count * dtype.itemsize
    if len(raw) < need:
        raise ValueError(f"read_idx: {path!r} is truncated: shape {shape} of {dtype.name} needs "
                         f"{need} bytes, file has {len(raw)}")
    if len(raw) > need:
        raise ValueError(f"read_idx: {path!r} has {len(raw) - need} trailing bytes after the "
                         f"data of shape {shape}")
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header)
    return data.astype(dtype.newbyteorder("="), copy=True).reshape(shape)
