"""``torch.utils.data.sampler``'s names (the objects of ``autodiff.data``)."""
from ...data import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                     SubsetRandomSampler, WeightedRandomSampler)

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler",
           "SubsetRandomSampler", "WeightedRandomSampler"]
