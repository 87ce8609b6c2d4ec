"""Samplers (PyTorch's ``torch.utils.data.sampler``): which indices a ``DataLoader`` reads,
in which order and in which batches."""

from __future__ import annotations

import numpy as np

from ... import random as _random
from ...creation import multinomial
from ...tensor import Tensor

__all__ = [
    "BatchSampler",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "SubsetRandomSampler",
    "WeightedRandomSampler",
]


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
            raise TypeError(
                f"RandomSampler: replacement should be a boolean value "
                f"(got replacement={replacement})"
            )
        if (
            isinstance(self.num_samples, bool)
            or not isinstance(self.num_samples, int)
            or self.num_samples <= 0
        ):
            raise ValueError(
                f"RandomSampler: num_samples should be a positive integer value "
                f"(got num_samples={self.num_samples})"
            )

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n = len(self.data_source)
        if self.generator is None:
            gen = np.random.default_rng(int(_random.generator().integers(0, 2**63)))
        else:
            gen = _random.resolve(self.generator)
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from gen.integers(0, n, size=32).tolist()
            yield from gen.integers(0, n, size=self.num_samples % 32).tolist()
        else:
            for _ in range(self.num_samples // n):
                yield from gen.permutation(n).tolist()
            yield from gen.permutation(n).tolist()[: self.num_samples % n]

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order (a new one on every ``iter()``)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator

    def __iter__(self):
        perm = _random.resolve(self.generator).permutation(len(self.indices))
        return (self.indices[i] for i in perm.tolist())

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn from ``[0, len(weights))`` with probabilities proportional
    to ``weights`` (with or without replacement), as PyTorch's (one ``multinomial`` draw per
    ``iter()``)."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_args("WeightedRandomSampler", num_samples=num_samples, replacement=replacement)
        w = np.asarray(weights._data if isinstance(weights, Tensor) else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(
                f"WeightedRandomSampler: weights should be a 1d sequence but "
                f"given weights have shape {tuple(w.shape)}"
            )
        self.weights = Tensor._make(w)
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def __iter__(self):
        draw = multinomial(
            self.weights, self.num_samples, self.replacement, generator=self.generator
        )
        yield from draw._data.tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter
    unless ``drop_last``)."""

    def __init__(self, sampler, batch_size, drop_last):
        _check_args("BatchSampler", batch_size=batch_size, drop_last=drop_last)
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


def _check_args(owner, **args):
    """ValueError in PyTorch's words unless the first argument is a positive integer and the
    second a bool (``num_samples, replacement`` or ``batch_size, drop_last``)."""
    (count_name, count), (flag_name, flag) = args.items()
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count <= 0:
        raise ValueError(
            f"{owner}: {count_name} should be a positive integer value, but got "
            f"{count_name}={count}"
        )
    if not isinstance(flag, bool):
        raise ValueError(
            f"{owner}: {flag_name} should be a boolean value, but got {flag_name}={flag}"
        )
