"""``autodiff.data``: what the models learn from, and the ``torch.utils.data`` objects to feed
it. ``load_digits`` (scikit-learn's bundled 8x8 digits), ``ring_of_gaussians`` (the GAN's
task), ``read_idx`` (MNIST-format IDX files a user already has); ``Dataset``,
``TensorDataset``, ``DataLoader``, the samplers and ``random_split`` are those of
``autodiff.utils.data`` (PyTorch's ``torch.utils.data``), where they are written. Nothing here
touches the network.

    import autodiff as ad
    from autodiff.data import DataLoader, TensorDataset, load_digits

    X_train, y_train, X_test, y_test = load_digits()
    loader = DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True)
    for x, y in loader:          # x: (64, 1, 8, 8) float32, y: (64,) int64
        ...
"""

from __future__ import annotations

import gzip
import os

import numpy as np

from . import random as _random
from .tensor import Tensor
from .utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    Subset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)

__all__ = [
    "Dataset",
    "IterableDataset",
    "TensorDataset",
    "ConcatDataset",
    "ChainDataset",
    "Subset",
    "random_split",
    "Sampler",
    "SequentialSampler",
    "RandomSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
    "BatchSampler",
    "DataLoader",
    "get_worker_info",
    "default_collate",
    "default_convert",
    "load_digits",
    "ring_of_gaussians",
    "ring_centers",
    "read_idx",
]


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
    return (
        Tensor._make(np.ascontiguousarray(X[:n_train])),
        Tensor._make(y[:n_train].copy()),
        Tensor._make(np.ascontiguousarray(X[n_train:])),
        Tensor._make(y[n_train:].copy()),
    )


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
    gen = _random.resolve(generator)
    k = gen.integers(0, modes, size=n)
    pts = ring_centers(modes, radius)[k] + gen.normal(0.0, std, size=(n, 2))
    return Tensor._make(pts.astype(np.float32))


_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


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
        raise ValueError(
            f"read_idx: {path!r} is truncated: {len(raw)} bytes, the IDX header needs at least 4"
        )
    if raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(
            f"read_idx: {path!r} has a bad magic number 0x{raw[:4].hex()} (an IDX "
            f"file starts with 0x0000, a type code in "
            f"{{08,09,0b,0c,0d,0e}} and the number of dimensions)"
        )
    dtype = _IDX_DTYPES[raw[2]]
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"read_idx: {path!r} is truncated: header of {ndim} dimensions needs "
            f"{header} bytes, file has {len(raw)}"
        )
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    count = int(np.prod(shape, dtype=np.int64))
    need = header + count * dtype.itemsize
    if len(raw) < need:
        raise ValueError(
            f"read_idx: {path!r} is truncated: shape {shape} of {dtype.name} needs "
            f"{need} bytes, file has {len(raw)}"
        )
    if len(raw) > need:
        raise ValueError(
            f"read_idx: {path!r} has {len(raw) - need} trailing bytes after the "
            f"data of shape {shape}"
        )
    data = np.frombuffer(raw, dtype=dtype, count=count, offset=header)
    return data.astype(dtype.newbyteorder("="), copy=True).reshape(shape)
