"""Porting names without gradients (indices, counts, tests, random fills) and the in-place
variants with the version counter."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad


def _t(torch, a):
    return torch.tensor(np.asarray(a))


def _same(a, b):
    b = b.numpy() if hasattr(b, "numpy") else np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    assert a.dtype == b.dtype, (a.dtype, b.dtype)
    np.testing.assert_array_equal(a._data, b)


TIES = np.array([[3.0, 1.0, 3.0, 2.0, 1.0], [0.0, np.nan, -1.0, 0.0, 5.0]])


def test_sort_family_indices_match_torch():
    torch = pytest.importorskip("torch")
    x, tx = ad.tensor(TIES), _t(torch, TIES)
    for desc in (False, True):
        v, i = x.sort(1, descending=desc, stable=True)
        tv, ti = tx.sort(stable=True, dim=1, descending=desc)
        _same(v, tv)
        _same(i, ti)
        _same(ad.argsort(x, 0, descending=desc),
              torch.argsort(tx, stable=True, dim=0, descending=desc))
    r = ad.sort(x)
    assert r.values is r[0] and r.indices is r[1]
    k = x.topk(3)
    _same(k.values, tx.topk(3).values)  # tie order is unspecified in PyTorch: check values
    np.testing.assert_array_equal(np.take_along_axis(TIES, k.indices._data, 1), k.values._data)
    _same(x.kthvalue(2).values, tx.kthvalue(2).values)
    m = x.median(1)
    tm = tx.median(1)
    _same(m.values, tm.values)
    _same(m.indices, tm.indices)
    assert np.isnan(x.median().item()) and np.isnan(tx.median().item())
    mn, mx = ad.aminmax(x[0])
    assert (mn.item(), mx.item()) == (1.0, 3.0)
    cm = ad.cummax(x, 1)
    tcm = torch.cummax(tx, 1)
    _same(cm.indices, tcm.indices)
    _same(ad.cummin(x, 1).indices, torch.cummin(tx, 1).indices)


def test_median_tie_gradient_is_shared_like_torch():
    torch = pytest.importorskip("torch")
    a = np.array([2.0, 1.0, 2.0, 3.0])
    x = ad.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    x.median().backward()
    t.median().backward()
    np.testing.assert_array_equal(x.grad._data, t.grad.numpy())


def test_counting_and_unique_match_torch():
    torch = pytest.importorskip("torch")
    a = np.array([1, 2, 2, 5, 0])
    w = np.array([0.5, 1.0, 2.0, 3.0, 4.0], dtype=np.float32)
    _same(ad.bincount(ad.tensor(a)), torch.bincount(_t(torch, a)))
    _same(ad.tensor(a).bincount(ad.tensor(w), minlength=8),
          _t(torch, a).bincount(_t(torch, w), minlength=8))
    m = np.array([[0, 1, 0], [2, 3, 0]])
    _same(ad.count_nonzero(ad.tensor(m)), torch.count_nonzero(_t(torch, m)))
    _same(ad.tensor(m).count_nonzero(dim=0), _t(torch, m).count_nonzero(dim=0))
    u, inv, cnt = ad.unique(ad.tensor(m), return_inverse=True, return_counts=True)
    tu, tinv, tcnt = torch.unique(_t(torch, m), return_inverse=True, return_counts=True)
    _same(u, tu)
    _same(inv, tinv)
    _same(cnt, tcnt)
    _same(ad.tensor(m).nonzero(), _t(torch, m).nonzero())


def test_boolean_tests_match_torch():
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, np.nan, np.inf], [-np.inf, 0.0, 2.0]])
    x, tx = ad.tensor(a), _t(torch, a)
    for name in ("isnan", "isinf", "isfinite", "isposinf", "isneginf", "logical_not"):
        _same(getattr(x, name)(), getattr(tx, name)())
    _same(x.nan_to_num(), tx.nan_to_num())
    _same(ad.nan_to_num(x, nan=1.0), torch.nan_to_num(tx, nan=1.0))
    b = np.array([[True, False, True], [False, False, True]])
    for fn in ("all", "any"):
        _same(getattr(ad, fn)(ad.tensor(b)), getattr(torch, fn)(_t(torch, b)))
        _same(getattr(ad.tensor(b), fn)(1), getattr(_t(torch, b), fn)(1))
        _same(getattr(ad.tensor(b), fn)(dim=0, keepdim=True),
              getattr(_t(torch, b), fn)(dim=0, keepdim=True))
    _same(x.logical_and(ad.tensor(b)), tx.logical_and(_t(torch, b)))
    _same(ad.logical_or(x, ad.tensor(b)), torch.logical_or(tx, _t(torch, b)))
    _same(ad.isclose(x, x + 1e-9), torch.isclose(tx, tx + 1e-9))
    y = ad.tensor([1.0, 2.0])
    assert ad.allclose(y, y + 1e-9) is True and y.allclose(y + 1e-3) is False
    assert ad.equal(y, ad.tensor([1.0, 2.0])) is True and y.equal(ad.tensor([1.0])) is False
    _same(y.eq(y), torch.tensor([1.0, 2.0]).eq(torch.tensor([1.0, 2.0])))
    assert ad.numel(x) == 6 and x.dim() == 2 and x.size(1) == 3 and x.numel() == 6


def test_rounding_matches_torch_on_halves():
    torch = pytest.importorskip("torch")
    a = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 1.2345, -7.77])
    for name in ("round", "floor", "ceil", "trunc", "frac", "sign"):
        _same(getattr(ad.tensor(a), name)(), getattr(_t(torch, a), name)())
    _same(ad.round(ad.tensor(a), decimals=2), torch.round(_t(torch, a), decimals=2))


def test_erf_matches_reference_and_torch():
    from autodiff.ops.elementwise.unary import erf_array_ref, erfc_array_ref
    a = np.linspace(-6, 6, 101)
    np.testing.assert_allclose(ad.erf(ad.tensor(a))._data, erf_array_ref(a), rtol=0, atol=0)
    np.testing.assert_allclose(ad.erfc(ad.tensor(a))._data, erfc_array_ref(a), rtol=0, atol=0)
    f = ad.erf(ad.tensor(a.astype(np.float32)))
    assert f.dtype == np.float32
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(ad.erf(ad.tensor(a))._data, torch.erf(_t(torch, a)).numpy(),
                               rtol=1e-15, atol=1e-16)


def test_new_factories_follow_self():
    x = ad.ones(2, dtype=ad.float64)
    for t in (x.new_zeros(3), x.new_ones((2, 3)), x.new_empty(4), x.new_full((2,), 5.0),
              x.new_tensor([1, 2])):
        assert t.dtype == np.float64 and not t.requires_grad
    assert x.new_zeros(2, dtype=ad.int64).dtype == np.int64
    assert x.new_ones(2, requires_grad=True).requires_grad
    np.testing.assert_array_equal(x.new_full((2,), 5.0)._data, [5.0, 5.0])
    np.testing.assert_array_equal(x.new_tensor([1, 2])._data, [1.0, 2.0])


def test_contiguity_and_strides_match_torch():
    torch = pytest.importorskip("torch")
    x = ad.arange(12.0).reshape(3, 4)
    tx = torch.arange(12.0).reshape(3, 4)
    assert x.is_contiguous() and not x.t().is_contiguous()
    assert x.t().contiguous().is_contiguous()
    assert x.contiguous() is x
    assert x.stride() == tx.stride() and x.t().stride() == tx.t().stride()
    assert x.clone()._data is not x._data


def test_random_fills_in_place():
    ad.manual_seed(1)
    w = ad.empty(3000, dtype=ad.float64)
    assert w.normal_(2.0, 0.5) is w
    assert abs(w._data.mean() - 2.0) < 0.05 and abs(w._data.std() - 0.5) < 0.05
    w.uniform_(-1, 3)
    assert w._data.min() >= -1 and w._data.max() < 3 and abs(w._data.mean() - 1) < 0.1
    w.uniform_(**{"from": 5, "to": 6})
    assert w._data.min() >= 5
    w.bernoulli_(0.2)
    assert set(np.unique(w._data)) <= {0.0, 1.0} and abs(w._data.mean() - 0.2) < 0.04
    w.exponential_(2.0)
    assert w._data.min() >= 0 and abs(w._data.mean() - 0.5) < 0.05
    p = ad.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        p.normal_()
    with ad.no_grad():
        p.uniform_(0, 1)
    assert p.requires_grad and p._data.max() > 0
    ad.manual_seed(5)
    a = ad.empty(4).normal_()
    ad.manual_seed(5)
    assert ad.equal(a, ad.empty(4).normal_())


INPLACE = [
    ("exp_", lambda x: x.exp_(), lambda x: x.exp()),
    ("log_", lambda x: x.abs_().log_(), lambda x: x.abs().log()),
    ("sqrt_", lambda x: x.abs_().sqrt_(), lambda x: x.abs().sqrt()),
    ("sigmoid_", lambda x: x.sigmoid_(), lambda x: x.sigmoid()),
    ("tanh_", lambda x: x.tanh_(), lambda x: x.tanh()),
    ("relu_", lambda x: x.relu_(), lambda x: x.relu()),
    ("neg_", lambda x: x.neg_(), lambda x: -x),
    ("reciprocal_", lambda x: x.reciprocal_(), lambda x: x.reciprocal()),
    ("square_", lambda x: x.square_(), lambda x: x * x),
    ("floor_", lambda x: x.floor_(), lambda x: x.floor()),
    ("round_", lambda x: x.round_(), lambda x: x.round()),
    ("lerp_", lambda x: x.lerp_(ad.ones(4, dtype=ad.float64), 0.25),
     lambda x: x.lerp(ad.ones(4, dtype=ad.float64), 0.25)),
    ("masked_fill_", lambda x: x.masked_fill_(ad.tensor([True, False, False, True]), 7.0),
     lambda x: x.masked_fill(ad.tensor([True, False, False, True]), 7.0)),
    ("index_fill_", lambda x: x.index_fill_(0, ad.tensor([1]), -1.0),
     lambda x: x.index_fill(0, ad.tensor([1]), -1.0)),
    ("nan_to_num_", lambda x: x.nan_to_num_(), lambda x: x.nan_to_num()),
]


@pytest.mark.parametrize("name,inplace,outplace", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_value_gradient_and_version(name, inplace, outplace):
    a = np.array([0.3, -1.2, 2.5, -0.7])
    leaf1 = ad.tensor(a, requires_grad=True)
    leaf2 = ad.tensor(a, requires_grad=True)
    y = leaf1 * 1.0
    v0 = y._version
    out = inplace(y)
    assert y._version > v0
    ref = outplace(leaf2 * 1.0)
    np.testing.assert_allclose(out._data.reshape(-1), ref._data.reshape(-1))
    w = np.arange(1.0, 5.0).reshape(out.shape)
    (out * ad.tensor(w)).sum().backward()
    (ref * ad.tensor(w)).sum().backward()
    np.testing.assert_allclose(leaf1.grad._data, leaf2.grad._data)


def test_inplace_scatter_family_and_saved_tensor_check():
    x = ad.zeros(3, 4, dtype=ad.float64)
    idx = ad.tensor([[0, 1, 2, 0]])
    assert x.scatter_(0, idx, ad.ones(1, 4, dtype=ad.float64)) is x
    x.scatter_add_(0, idx, ad.ones(1, 4, dtype=ad.float64))
    x.index_add_(1, ad.tensor([3, 3]), ad.ones(3, 2, dtype=ad.float64), alpha=0.5)
    x.index_copy_(0, ad.tensor([2]), ad.full((1, 4), 9.0, dtype=ad.float64))
    expect = np.zeros((3, 4))
    expect[[0, 1, 0], [0, 1, 3]] = 2.0
    expect[:, 3] += 1.0
    expect[2] = 9.0
    np.testing.assert_array_equal(x._data, expect)
    x.scatter_(1, ad.tensor([[0], [0], [0]]), 3.0, reduce="add")
    assert x._data[0, 0] == 5.0
    # a tensor saved for backward and then modified in place makes backward raise
    a = ad.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    c = b.sin()  # saves b
    b.exp_()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        c.sum().backward()
    y = a * 1
    z = y.sin()
    y.masked_fill_(ad.tensor([True, False]), 0.0)
    with pytest.raises(RuntimeError, match="inplace"):
        z.sum().backward()
    leaf = ad.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.exp_()
    m = ad.tensor(np.arange(1.0, 10.0).reshape(3, 3), requires_grad=True)
    u = m * 1
    assert u.triu_(1) is u and u._version == 1
    np.testing.assert_array_equal(u._data, np.triu(m._data, 1))
    u.sum().backward()
    np.testing.assert_array_equal(m.grad._data, np.triu(np.ones((3, 3)), 1))


def test_fill_diagonal_matches_torch():
    torch = pytest.importorskip("torch")
    for shape, wrap in [((3, 3), False), ((5, 2), False), ((7, 2), True), ((2, 2, 2), False)]:
        x = ad.zeros(*shape)
        t = torch.zeros(*shape)
        x.fill_diagonal_(4.0, wrap=wrap)
        t.fill_diagonal_(4.0, wrap=wrap)
        np.testing.assert_array_equal(x._data, t.numpy())


UNARY = ["exp2", "expm1", "log2", "log10", "tan", "sinh", "cosh", "asin", "acos", "atan",
         "asinh", "atanh", "erf", "erfc", "rsqrt", "reciprocal", "square", "sign", "floor",
         "ceil", "round", "trunc", "frac"]


@pytest.mark.parametrize("name", UNARY)
def test_unary_dtypes_follow_torch(name):
    torch = pytest.importorskip("torch")
    f32 = np.array([0.25, 0.5, 0.75], dtype=np.float32)
    ints = np.array([1, 2, 3])
    for a in (f32, ints):
        if name == "frac" and a is ints:
            continue
        ours = getattr(ad, name)(ad.tensor(a))
        theirs = getattr(torch, name)(torch.tensor(a))
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "autodiff."), (name, a.dtype)
        np.testing.assert_allclose(ours._data, theirs.numpy(), rtol=1e-6)


def test_tensor_to_cuda_string_raises():
    with pytest.raises(RuntimeError, match="CPU only"):
        ad.ones(2).to("cuda")


def test_scatter_reduce_ties_and_ints_match_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[1.0, 5.0, 3.0], [2.0, 2.0, 7.0]])
    s = np.array([[5.0, 0.0, 5.0, 1.0], [7.0, 2.0, 2.0, 0.0]])
    idx = np.array([[1, 0, 1, 2], [2, 1, 1, 0]])
    for reduce in ("amax", "amin", "mean", "sum"):
        for inc in (True, False):
            a, b = ad.tensor(x, requires_grad=True), ad.tensor(s, requires_grad=True)
            ta, tb = torch.tensor(x, requires_grad=True), torch.tensor(s, requires_grad=True)
            out = a.scatter_reduce(1, ad.tensor(idx), b, reduce, include_self=inc)
            tout = ta.scatter_reduce(1, torch.tensor(idx), tb, reduce, include_self=inc)
            np.testing.assert_allclose(out._data, tout.detach().numpy())
            (out * ad.tensor(x + 1)).sum().backward()
            (tout * torch.tensor(x + 1)).sum().backward()
            np.testing.assert_allclose(a.grad._data, ta.grad.numpy(), err_msg=f"{reduce} {inc}")
            np.testing.assert_allclose(b.grad._data, tb.grad.numpy(), err_msg=f"{reduce} {inc}")
    xi, si = np.array([[1, 2, 3]]), np.array([[2, 4]])
    _same(ad.tensor(xi).scatter_reduce(1, ad.tensor([[0, 0]]), ad.tensor(si), "mean"),
          torch.tensor(xi).scatter_reduce(1, torch.tensor([[0, 0]]), torch.tensor(si), "mean"))
    with pytest.raises(ValueError, match="prod"):
        ad.tensor(x).scatter_reduce(1, ad.tensor(idx), ad.tensor(s), "prod")
