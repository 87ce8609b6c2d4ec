"""``autodiff.utils.data``: PyTorch's ``torch.utils.data``.

The objects are those of ``autodiff.data`` (``ad.utils.data.DataLoader is ad.data.DataLoader``);
this package gives them PyTorch's import paths, including the submodules ``dataset``,
``sampler`` and ``dataloader`` (``from autodiff.utils.data.sampler import Sampler``).
"""
from ...data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset,
                     IterableDataset, RandomSampler, Sampler, SequentialSampler, Subset,
                     SubsetRandomSampler, TensorDataset, WeightedRandomSampler, default_collate,
                     default_convert, get_worker_info, random_split)
from . import dataloader, dataset, sampler

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "IterableDataset", "RandomSampler", "Sampler", "SequentialSampler", "Subset",
           "SubsetRandomSampler", "TensorDataset", "WeightedRandomSampler", "default_collate",
           "default_convert", "get_worker_info", "random_split", "dataloader", "dataset",
           "sampler"]
