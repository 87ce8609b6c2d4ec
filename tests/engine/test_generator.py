"""``ad.Generator`` and ``generator=``: an independent random stream object, as PyTorch's
``torch.Generator`` (same seed, same numbers; independent of the global seed and of other
generators; the default stream untouched)."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


def _draws(g):
    out = [ad.randn(3, 4, generator=g), ad.rand(5, generator=g),
           ad.randint(0, 10, (6,), generator=g), ad.randperm(7, generator=g),
           ad.multinomial(ad.tensor([0.1, 0.5, 0.4]), 4, replacement=True, generator=g),
           ad.normal(0.0, 2.0, (3,), generator=g), ad.bernoulli(ad.full((4,), 0.5), generator=g),
           ad.empty(3).normal_(generator=g), ad.empty(3).uniform_(-1, 1, generator=g),
           ad.empty(3).exponential_(generator=g), ad.empty(3).random_(0, 5, generator=g),
           ad.empty(3).bernoulli_(0.3, generator=g), ad.empty(3).log_normal_(generator=g),
           ad.empty(3).cauchy_(generator=g), ad.empty(3).geometric_(0.3, generator=g),
           ad.randn_like(ad.zeros(2), generator=g), ad.rand_like(ad.zeros(2), generator=g),
           ad.randint_like(ad.zeros(2), 5, generator=g)]
    return [t.numpy().copy() for t in out]


def test_same_seed_same_stream_independent_of_global():
    ad.manual_seed(1)
    a = _draws(ad.Generator().manual_seed(2147483647))
    ad.manual_seed(999)
    ad.randn(100)  # consuming the default stream changes nothing for a generator
    b = _draws(ad.Generator().manual_seed(2147483647))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    c = _draws(ad.Generator().manual_seed(2147483646))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_generator_does_not_advance_the_default_stream():
    ad.manual_seed(7)
    expected = ad.randn(5).numpy().copy()
    ad.manual_seed(7)
    g = ad.Generator().manual_seed(3)
    ad.randn(1000, generator=g)
    ad.empty(10).uniform_(generator=g)
    np.testing.assert_array_equal(ad.randn(5).numpy(), expected)


def test_generator_api_as_torch():
    torch = pytest.importorskip("torch")
    g, tg = ad.Generator(), torch.Generator()
    assert g.initial_seed() == tg.initial_seed()  # PyTorch's default seed
    assert g.manual_seed(42) is g and tg.manual_seed(42) is tg
    assert g.initial_seed() == tg.initial_seed() == 42
    g.manual_seed(-1)
    tg.manual_seed(-1)
    assert g.initial_seed() == tg.initial_seed()
    assert g.device.type == tg.device.type == "cpu"
    s = g.seed()
    assert g.initial_seed() == s
    # state round trip
    state = g.get_state()
    assert state.dtype == ad.uint8
    x = ad.randn(4, generator=g).numpy().copy()
    g.set_state(state)
    np.testing.assert_array_equal(ad.randn(4, generator=g).numpy(), x)
    assert ad.manual_seed(3) is ad.default_generator
    assert ad.initial_seed() == 3
    st = ad.get_rng_state()
    y = ad.rand(3).numpy().copy()
    ad.set_rng_state(st)
    np.testing.assert_array_equal(ad.rand(3).numpy(), y)
    with pytest.raises(TypeError):
        ad.randn(2, generator=3)


def test_course_bigram_sampling_is_repeatable():
    """The makemore course's cell: a generator seeded once drives every draw."""
    def sample():
        g = ad.Generator().manual_seed(2147483647)
        W = ad.randn((27, 27), generator=g)
        out = []
        ix = 0
        for _ in range(20):
            p = (W[ix].exp() / W[ix].exp().sum())
            ix = ad.multinomial(p, num_samples=1, replacement=True, generator=g).item()
            out.append(ix)
        return out
    ad.manual_seed(0)
    a = sample()
    ad.manual_seed(1)
    assert sample() == a
