"""Samplers as PyTorch's: RandomSampler draws lazily (32 at a time with replacement),
WeightedRandomSampler, SubsetRandomSampler and BatchSampler; ``generator=`` takes an
``ad.Generator``."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import autodiff as ad
from autodiff.utils.data import (
    BatchSampler,
    ChainDataset,
    DataLoader,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
)


def test_random_sampler_with_replacement_is_lazy():
    data = list(range(10))
    s = RandomSampler(data, replacement=True, num_samples=int(1e10))
    assert len(s) == int(1e10)
    first = list(itertools.islice(iter(s), 100))  # drawing 1e10 up front would never end
    assert len(first) == 100 and all(0 <= i < 10 for i in first)
    assert len(set(first)) > 5
    # a DataLoader over it (the GPT trainer's setup) yields batches at once
    loader = DataLoader(TensorDataset(ad.arange(10)), sampler=s, batch_size=4)
    (batch,) = next(iter(loader))
    assert tuple(batch.shape) == (4,)


def test_random_sampler_counts_and_permutations():
    data = list(range(7))
    s = RandomSampler(data)
    assert sorted(s) == data
    s = RandomSampler(data, num_samples=17)
    idx = list(s)
    assert len(idx) == 17 and sorted(idx[:7]) == data and sorted(idx[7:14]) == data
    g1 = ad.Generator().manual_seed(3)
    g2 = ad.Generator().manual_seed(3)
    assert list(RandomSampler(data, generator=g1)) == list(RandomSampler(data, generator=g2))
    ad.manual_seed(5)
    a = list(RandomSampler(data, replacement=True, num_samples=50))
    ad.manual_seed(5)
    b = list(RandomSampler(data, replacement=True, num_samples=50))
    assert a == b
    with pytest.raises(ValueError):
        RandomSampler(data, num_samples=0)
    with pytest.raises(TypeError):
        RandomSampler(data, replacement=1)


def test_weighted_random_sampler_as_torch():
    torch = pytest.importorskip("torch")
    w = [0.0, 1.0, 3.0, 0.0, 6.0]
    ours = WeightedRandomSampler(w, 20000, generator=ad.Generator().manual_seed(0))
    theirs = torch.utils.data.WeightedRandomSampler(w, 20000)
    assert len(ours) == len(theirs) == 20000
    counts = np.bincount(list(ours), minlength=5) / 20000
    tcounts = np.bincount(list(theirs), minlength=5) / 20000
    np.testing.assert_allclose(counts, [0, 0.1, 0.3, 0, 0.6], atol=0.02)
    np.testing.assert_allclose(counts, tcounts, atol=0.03)
    # without replacement: a permutation of the non-zero-weight indices
    s = WeightedRandomSampler([1.0, 2.0, 0.5], 3, replacement=False)
    assert sorted(s) == [0, 1, 2]
    for bad in [dict(num_samples=0), dict(num_samples=2.5), dict(replacement=1)]:
        kw = {"weights": [1.0, 2.0], "num_samples": 2, **bad}
        with pytest.raises(ValueError):
            WeightedRandomSampler(**kw)
        with pytest.raises(ValueError):
            torch.utils.data.WeightedRandomSampler(**kw)


def test_subset_random_and_batch_sampler_as_torch():
    torch = pytest.importorskip("torch")
    idx = [3, 8, 11, 20]
    assert sorted(SubsetRandomSampler(idx)) == idx
    for drop_last in (False, True):
        ours = list(BatchSampler(SequentialSampler(range(10)), 3, drop_last))
        theirs = list(torch.utils.data.BatchSampler(
            torch.utils.data.SequentialSampler(range(10)), 3, drop_last))
        assert ours == theirs
        assert len(BatchSampler(range(10), 3, drop_last)) == len(theirs)


def test_chain_dataset():
    class Stream(IterableDataset):
        def __init__(self, lo, hi):
            self.lo, self.hi = lo, hi

        def __iter__(self):
            return iter(range(self.lo, self.hi))

    assert list(ChainDataset([Stream(0, 3), Stream(10, 12)])) == [0, 1, 2, 10, 11]
