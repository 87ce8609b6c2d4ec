"""A view read after an in-place write on its base (or through another view) gets the gradient
of the value it now holds: its grad_fn is remade from the base's new grad_fn, as PyTorch does.
Each case runs the same code on autodiff and torch 2.13 (float64) and, without torch, against
central differences."""
import numpy as np
import pytest

import autodiff as ad


def _sum(t):
    return t.sum()


# each case: f(x) -> scalar, written with methods both libraries share
CASES = {
    "slice_read_after_base_mul_": lambda x: _slice_after_mul(x),
    "reshape_read_after_base_add_": lambda x: _reshape_after_add(x),
    "view_read_after_base_setitem": lambda x: _view_after_setitem(x),
    "transpose_read_after_base_mul_": lambda x: _transpose_after_mul(x),
    "permute_of_slice_after_base_pow_": lambda x: _permute_of_slice(x),
    "write_into_slice_then_read_base": lambda x: _write_slice_read_base(x),
    "write_into_slice_then_read_sibling_view": lambda x: _write_slice_read_sibling(x),
    "setitem_on_transposed_view": lambda x: _setitem_on_transposed(x),
    "write_into_view_then_read_it": lambda x: _write_view_read_it(x),
    "two_writes_base_then_view": lambda x: _two_writes(x),
}


def _slice_after_mul(x):
    y = x * 2
    v = y[1:3]
    y.mul_(3)
    return (v * v).sum()


def _reshape_after_add(x):
    y = x * x
    v = y.reshape(3, 2)
    y.add_(x)
    return (v * v[:, :1]).sum()


def _view_after_setitem(x):
    y = x + 0
    v = y.view(2, 3)[1]
    y[4] = x[0] * x[1]
    return (v * v).sum()


def _transpose_after_mul(x):
    y = x.reshape(2, 3) * 1.5
    v = y.transpose(0, 1)
    y.mul_(x.reshape(2, 3))
    return (v[0] * v[2]).sum()


def _self_mul_(x):
    y = x.reshape(2, 3) * 1.5
    v = y.transpose(0, 1)
    y.mul_(y)
    return (v[0] * v[2]).sum()


def _permute_of_slice(x):
    y = x.reshape(1, 2, 3) + 1
    v = y[:, :, 1:].permute(2, 1, 0)
    y.pow_(2)
    return (v * v).sum()


def _split_after_mul(x):
    y = x * 3
    a, b = y.split(3)
    y.mul_(x)
    return (a * b).sum()


def _write_slice_read_base(x):
    y = x * 2
    v = y[1:4]
    v.mul_(x[:3])
    return (y * y).sum()


def _write_slice_read_sibling(x):
    y = x.reshape(2, 3) * 1
    v = y[:, 1]
    w = y[1]
    v.mul_(5)
    return (w * w).sum() + v.sum()


def _setitem_on_transposed(x):
    y = x.reshape(2, 3) - 1
    v = y.transpose(0, 1)
    v[1] = x[:2] * x[2:4]
    return (y * y).sum()


def _write_view_read_it(x):
    y = x + 1
    v = y[2:]
    v.add_(x[:4] * 3)
    return (v * v).sum() + y[0]


def _two_writes(x):
    y = x * 1
    v = y[::2]
    y.mul_(x)
    v.mul_(2)
    return (y * v.sum()).sum()


# PyTorch refuses to use a piece of split/chunk/unbind after its base changed in place ("a
# function that returns multiple views"); autodiff gives the piece its right gradient. For
# ``y.mul_(y)`` PyTorch's backward raises (it saved y, then wrote it); autodiff reads the old y.
NOT_IN_TORCH = {"split_piece_after_base_mul_": _split_after_mul, "self_mul_": _self_mul_}


def _values():
    return np.random.RandomState(1).uniform(0.5, 2.0, 6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    f = CASES[name]
    v = _values()
    x = ad.tensor(v, requires_grad=True)
    out = f(x)
    out.backward()
    xt = torch.tensor(v, requires_grad=True)
    outt = f(xt)
    outt.backward()
    np.testing.assert_allclose(out.item(), outt.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.detach().numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES) + sorted(NOT_IN_TORCH))
def test_matches_central_differences(name):
    f = CASES.get(name) or NOT_IN_TORCH[name]
    x = ad.tensor(_values(), requires_grad=True)
    assert ad.gradcheck(f, (x,))


def test_issue_reproducer_gives_six():
    x = ad.randn(4, requires_grad=True)
    y = x * 2
    v = y[1:3]
    y.mul_(3)
    v.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [0.0, 6.0, 6.0, 0.0])


def test_view_of_a_base_without_grad_gets_grad_after_the_base_takes_a_grad_value():
    x = ad.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = ad.zeros(3, dtype=ad.float64)
    v = y[1:]
    assert not v.requires_grad
    y.add_(x * x)
    assert v.requires_grad          # as PyTorch
    v.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [0.0, 4.0, 6.0])


def test_write_into_an_expanded_view_raises():
    x = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = (x * 1).reshape(2, 1).expand(2, 3)
    with pytest.raises(RuntimeError, match="more than one element"):
        y.mul_(2)


def test_write_into_a_view_made_under_no_grad_raises():
    x = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 1
    with ad.no_grad():
        v = y[:1]
    with pytest.raises(RuntimeError, match="no_grad"):
        v.mul_(2)


def test_write_into_a_view_of_a_leaf_that_requires_grad_still_raises():
    x = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        x[:1].mul_(2)


def test_views_that_were_dropped_are_not_kept_alive():
    x = ad.tensor(np.ones(4), requires_grad=True)
    y = x * 2
    for _ in range(500):
        y[1:3]
    assert len(y._vc) < 70          # dead references are pruned
    y.mul_(2)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [4.0] * 4)


def test_many_live_views_register_in_amortised_time(monkeypatch):
    """Each view registered on its root's counter is kept as a weak reference; the dead ones
    are dropped when the list reaches 64, 128, 256... entries, so registering n live views
    looks at O(n) references in all (pruning at every registration was quadratic)."""
    import weakref

    from autodiff.ops.shape import views
    looked = [0]

    class CountingRef:
        def __init__(self, obj):
            self._ref = weakref.ref(obj)

        def __call__(self):
            looked[0] += 1
            return self._ref()

    monkeypatch.setattr(views, "_ref", CountingRef)
    n = 2000
    x = ad.tensor(np.ones((n, 2)), requires_grad=True)
    y = x * 2
    parts = y.unbind(0)
    registered = len(y._vc) - 1                   # after the counter: a reference per view
    assert registered >= n
    # the prunes looked at 64 + 128 + ... references: fewer than twice the registrations
    # (pruning at each registration looks at ~registered^2 / 2)
    assert 0 < looked[0] < 2 * registered
    before = looked[0]
    live = [ref() for ref in y._vc[1:]]
    assert sum(v is not None for v in live) == n  # every piece registered, none pruned alive
    del live
    looked[0] = before
    y.mul_(3)                                     # every live piece gets y's new grad_fn
    assert looked[0] - before == len(y._vc) - 1   # one look per registered reference
    parts[5].sum().backward()
    g = x.grad.numpy()
    np.testing.assert_array_equal(g[5], [6.0, 6.0])
    assert g.sum() == 12.0
