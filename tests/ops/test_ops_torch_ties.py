"""Gradients at kinks and ties (relu/abs/clamp at their corners, max/min/maximum ties, norms at
the zero vector, prod with zeros) compared with PyTorch 2.13 in float64. Without torch the
module is skipped; the expected values are also written out where they are simple."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad

torch = pytest.importorskip("torch")

INF = float("inf")


def both(values):
    a = np.asarray(values, dtype=np.float64)
    x = ad.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    return x, t


def grads(fn, values, weights=None):
    """fn(x) for autodiff and torch on the same values: (ad value, torch value, ad grad,
    torch grad), the output weighted by ``weights`` before summing."""
    x, t = both(values)
    out, tout = fn(x), fn(t)
    w = np.random.default_rng(0).uniform(0.5, 1.5, np.shape(out._data)) if weights is None \
        else np.asarray(weights, dtype=np.float64)
    (out * ad.tensor(w)).sum().backward()
    (tout * torch.from_numpy(w)).sum().backward()
    return out._data, tout.detach().numpy(), x.grad._data, t.grad.numpy()


def check(fn, values, weights=None):
    v, tv, g, tg = grads(fn, values, weights)
    np.testing.assert_allclose(v, tv, rtol=1e-12, atol=0)
    np.testing.assert_allclose(g, tg, rtol=1e-12, atol=0)
    return g


KINKS = [-1.0, 0.0, 0.0, 1.0, 2.0, -2.0]


@pytest.mark.parametrize("name,fn", [
    ("relu", lambda x: x.relu()),
    ("abs", lambda x: x.abs()),
    ("clamp", lambda x: x.clamp(-1.0, 1.0)),
    ("clamp_min", lambda x: x.clamp(min=0.0)),
    ("clamp_max", lambda x: x.clamp(max=0.0)),
    ("pow0", lambda x: x ** 2),
    ("sqrt_pos", lambda x: (x * x + 1).sqrt()),
])
def test_kinks_match_torch(name, fn):
    check(fn, KINKS)


def test_relu_abs_clamp_kink_values():
    assert list(check(lambda x: x.relu(), [0.0, 1.0], [1.0, 1.0])) == [0.0, 1.0]
    assert list(check(lambda x: x.abs(), [0.0, -1.0], [1.0, 1.0])) == [0.0, -1.0]
    assert list(check(lambda x: x.clamp(0.0, 1.0), [0.0, 1.0, 2.0], [1.0] * 3)) == [1, 1, 0]


TIES = [[3.0, 1.0, 3.0, 3.0], [2.0, 2.0, -1.0, 0.5], [-1.0, -4.0, -4.0, -4.0]]


@pytest.mark.parametrize("name,fn", [
    ("max_all", lambda x: x.max()),
    ("min_all", lambda x: x.min()),
    ("max_dim1", lambda x: x.max(1)[0]),
    ("min_dim1", lambda x: x.min(1)[0]),
    ("max_dim0_keep", lambda x: x.max(0, keepdim=True)[0]),
    ("amax_all", lambda x: x.amax((0, 1))),
    ("amax_dim", lambda x: x.amax(1)),
    ("amin_dim", lambda x: x.amin(0)),
    ("maximum", lambda x: x.maximum(x.flip(1))),
    ("minimum", lambda x: x.minimum(x[:, :1])),
    ("norm_inf", lambda x: x.norm(INF, dim=1)),
    ("norm_neg_inf", lambda x: x.norm(-INF, dim=1)),
])
def test_ties_match_torch(name, fn):
    check(fn, TIES)


def test_max_dim_indices_match_torch_on_ties():
    x, t = both(TIES)
    for dim in (0, 1):
        np.testing.assert_array_equal(x.max(dim).indices._data, t.max(dim).indices.numpy())
        np.testing.assert_array_equal(x.min(dim).indices._data, t.min(dim).indices.numpy())


def test_max_all_splits_evenly():
    g = check(lambda x: x.max(), [3.0, 1.0, 3.0, 3.0], 1.0)
    np.testing.assert_allclose(g, [1 / 3, 0, 1 / 3, 1 / 3])


@pytest.mark.parametrize("p", [2, 1, 3, 1.5, 0.5, INF, "fro"])
def test_norm_at_zero_vector_has_zero_gradient(p):
    g = check(lambda x: x.norm(p), [0.0, 0.0, 0.0], 1.0)
    np.testing.assert_array_equal(g, 0.0)
    g = check(lambda x: x.norm(p, dim=1), [[0.0, 0.0], [3.0, -4.0]], [1.0, 1.0])
    np.testing.assert_array_equal(g[0], 0.0)


@pytest.mark.parametrize("p", [2, 1, 3, 1.5, 0.5])
def test_norm_with_zero_entries_matches_torch(p):
    check(lambda x: x.norm(p, dim=0), [[0.0, 1.0], [2.0, 0.0], [-1.0, 0.0]])


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.5, 2.0, 4.0]])
def test_prod_gradients_and_second_derivatives_match_torch(values):
    check(lambda x: x.prod(), values, 1.0)
    x, t = both(values)
    g, = ad.grad(x.prod(), x, create_graph=True)
    tg, = torch.autograd.grad(t.prod(), t, create_graph=True)
    w = np.array([1.0, -2.0, 0.5])
    h, = ad.grad((g * ad.tensor(w)).sum(), x)
    th, = torch.autograd.grad((tg * torch.from_numpy(w)).sum(), t)
    np.testing.assert_allclose(h._data, th.numpy(), rtol=1e-12)


def test_where_and_pow_at_zero_match_torch():
    check(lambda x: x ** 0.0, [0.0, 2.0])
    check(lambda x: x ** 1.0, [0.0, 2.0])
    check(lambda x: ad.where(x > 0, x, x * 2) if isinstance(x, ad.Tensor)
          else torch.where(x > 0, x, x * 2), [0.0, 1.0, -1.0])


NONDIFF = [
    ("eq", lambda a, b: a == b), ("ne", lambda a, b: a != b), ("lt", lambda a, b: a < b),
    ("le", lambda a, b: a <= b), ("gt", lambda a, b: a > b), ("ge", lambda a, b: a >= b),
    ("floordiv", lambda a, b: a // b), ("mod", lambda a, b: a % b),
    ("rfloordiv", lambda a, b: 7 // b), ("rmod", lambda a, b: 7.5 % b),
    ("argmax", lambda a, b: a.argmax()), ("argmin_dim", lambda a, b: a.argmin(1)),
    ("argmax_keep", lambda a, b: a.argmax(0, keepdim=True)),
]


@pytest.mark.parametrize("dtype", ["float64", "int64"])
@pytest.mark.parametrize("name,fn", NONDIFF)
def test_nondifferentiable_ops_match_torch(name, fn, dtype):
    rng = np.random.default_rng(3)
    a = rng.integers(-5, 6, (3, 4)).astype(dtype)
    b = rng.integers(1, 4, (4,)).astype(dtype) * rng.choice([-1, 1], 4).astype(dtype)
    a[0, :2] = b[:2]  # some equal pairs
    out = fn(ad.tensor(a), ad.tensor(b))
    want = fn(torch.from_numpy(a), torch.from_numpy(b))
    assert not out.requires_grad
    assert out.dtype == np.dtype(str(want.dtype).replace("torch.", ""))
    np.testing.assert_array_equal(out._data, want.numpy())
