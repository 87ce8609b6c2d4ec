"""``DataLoader`` (PyTorch's ``torch.utils.data.dataloader``): batches of a dataset, in the
calling process."""

from __future__ import annotations

import math

import numpy as np

from ._collate import default_collate, default_convert
from .dataset import IterableDataset, _fetch_batch
from .sampler import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info"]


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

    def __init__(
        self,
        dataset,
        batch_size=1,
        shuffle=False,
        sampler=None,
        batch_sampler=None,
        num_workers=0,
        collate_fn=None,
        pin_memory=False,
        drop_last=False,
        timeout=0,
        worker_init_fn=None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor=None,
        persistent_workers=False,
        pin_memory_device="",
    ):
        if not isinstance(num_workers, (int, np.integer)) or num_workers < 0:
            raise ValueError(
                f"DataLoader: num_workers option should be non-negative (got {num_workers})"
            )
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout option should be non-negative (got {timeout})")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "DataLoader: prefetch_factor option could only be specified in "
                "multiprocessing. let num_workers > 0 to enable multiprocessing, "
                "otherwise set prefetch_factor to None."
            )
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
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle "
                    f"option, but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler "
                    f"option, but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified "
                    f"batch_sampler option, but got batch_sampler={batch_sampler}"
                )
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "DataLoader: batch_sampler option is mutually exclusive with "
                    "batch_size, shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "DataLoader: batch_size=None option disables auto-batching and is "
                "mutually exclusive with drop_last"
            )
        if batch_size is not None and (
            isinstance(batch_size, bool)
            or not isinstance(batch_size, (int, np.integer))
            or batch_size <= 0
        ):
            raise ValueError(
                f"DataLoader: batch_size should be a positive integer value, but "
                f"got batch_size={batch_size}"
            )

        if sampler is None and not self._iterable:
            sampler = (
                RandomSampler(dataset, generator=generator)
                if shuffle
                else SequentialSampler(dataset)
            )
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._auto_collation = batch_sampler is not None or (
            self._iterable and batch_size is not None
        )
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
