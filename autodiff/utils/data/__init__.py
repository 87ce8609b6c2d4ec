"""``autodiff.utils.data``: PyTorch's ``torch.utils.data``, with its submodules ``dataset``,
``sampler`` and ``dataloader`` (``from autodiff.utils.data.sampler import Sampler``).

Shuffling and ``random_split`` draw from ``autodiff.random.generator()`` unless an
``ad.Generator`` is passed as ``generator=``, so ``ad.manual_seed(n)`` repeats them.
Deliberate difference from PyTorch: ``num_workers > 0`` is accepted but loading always runs in
the calling process (no worker processes are started), so it can never hang; batches are the
same as with ``num_workers=0``. ``pin_memory`` is accepted and ignored (CPU only).
"""

from . import dataloader, dataset, sampler
from ._collate import default_collate, default_convert
from .dataloader import DataLoader, get_worker_info
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
    "dataloader",
    "dataset",
    "sampler",
]
