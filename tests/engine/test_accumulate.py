"""Leaf gradient accumulation: a gradient nobody else references becomes ``.grad`` without a
copy (as PyTorch's AccumulateGrad); a shared one is copied, so no two ``.grad`` arrays, hook
captures or user tensors alias each other."""
import numpy as np

import autodiff as ad
from autodiff import nn
from autodiff.tensor import Tensor


def _leaf(*shape, seed=0):
    return ad.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_shared_gradient_is_copied_for_each_leaf():
    a, b = _leaf(3), _leaf(3, seed=1)
    (a + b).sum().backward()            # Add passes the same gradient to both leaves
    assert not np.shares_memory(a.grad._data, b.grad._data)
    a.grad._data[0] = 42.0
    np.testing.assert_array_equal(b.grad._data, np.ones(3))


def test_gradient_kept_by_a_hook_is_copied():
    a = _leaf(2, 3)
    seen = []
    a.register_hook(lambda g: seen.append(g))
    (a * 2.0).sum().backward()
    assert not np.shares_memory(seen[0]._data, a.grad._data)
    a.grad._data[...] = 0.0
    np.testing.assert_array_equal(seen[0]._data, np.full((2, 3), 2.0))


def test_user_gradient_is_not_taken_over():
    a = _leaf(4)
    g = ad.tensor(np.arange(4.0))
    a.backward(g)                       # the root is the leaf itself
    assert not np.shares_memory(a.grad._data, g._data)
    a.grad._data[...] = -1.0
    np.testing.assert_array_equal(g._data, np.arange(4.0))


def test_retained_intermediate_and_leaf_do_not_alias():
    a = _leaf(3)
    y = a * 1.0
    y.retain_grad()
    y.sum().backward()
    assert not np.shares_memory(y.grad._data, a.grad._data)
    np.testing.assert_array_equal(a.grad._data, np.ones(3))


def test_second_backward_accumulates_into_a_taken_gradient():
    lin = nn.Linear(4, 3, dtype=np.float64)
    x = ad.tensor(np.random.default_rng(2).standard_normal((5, 4)))
    lin(x).sum().backward()
    first = lin.weight.grad._data.copy()
    lin(x).sum().backward()
    np.testing.assert_allclose(lin.weight.grad._data, 2 * first)


def test_fresh_linear_gradients_are_taken_without_copy(monkeypatch):
    copies = []
    orig = Tensor._accumulate_grad

    def spy(self, g, create_graph):
        copies.append(tuple(self.shape))
        return orig(self, g, create_graph)

    monkeypatch.setattr(Tensor, "_accumulate_grad", spy)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    x = ad.tensor(np.random.default_rng(3).standard_normal((5, 6)).astype(np.float32))
    t = ad.tensor(np.array([0, 1, 2, 1, 0]))
    nn.functional.cross_entropy(model(x), t).backward()
    assert copies == []
    for p in model.parameters():
        assert p.grad._data.dtype == np.float32 and p.grad._data.flags.writeable
