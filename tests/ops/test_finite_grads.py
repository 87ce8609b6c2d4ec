"""Finite gradients where PyTorch 2.13 gives finite ones: std/var of a constant slice (every
correction, dims, keepdim) and atan2 at (0, 0). Values and gradients equal torch's."""
import numpy as np
import pytest

import autodiff as ad

DIMS = [None, 0, 1, (0, 1), -1]


def _const(value=0.75):
    x = np.full((2, 3), value)
    x[1] = -1.25   # each row constant, the rows different
    return x


def _run(lib, fn, x, dim, correction, keepdim):
    kw = {"correction": correction}
    if dim is not None:
        kw["dim"] = dim
        kw["keepdim"] = keepdim
    out = getattr(x, fn)(**kw)
    return out


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("correction", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("fn", ["std", "var"])
def test_std_var_of_constant_slices_match_torch(fn, correction, dim, keepdim):
    torch = pytest.importorskip("torch")
    import warnings
    # dyadic values: torch's own mean is then exact too (with 0.7 over 6 elements its std is
    # 1.2e-16 and its gradient -0.18, round-off; autodiff gives exactly 0 there, see below)
    v = _const()
    if dim in (None, 0, (0, 1)):
        v = np.full((2, 3), 0.75)   # constant over every reduced slice
    x = ad.tensor(v, requires_grad=True)
    out = _run(ad, fn, x, dim, correction, keepdim)
    out.sum().backward()
    xt = torch.tensor(v, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # torch warns when correction >= n
        outt = _run(torch, fn, xt, dim, correction, keepdim)
        outt.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), outt.detach().numpy())
    np.testing.assert_array_equal(x.grad.detach().numpy(), xt.grad.numpy())


@pytest.mark.parametrize("fn", ["std", "var"])
@pytest.mark.parametrize("dim", [None, 1, (0, 1)])
def test_std_var_of_constant_slices_are_exactly_zero_with_zero_gradient(fn, dim):
    # 0.7 is not dyadic: a plain two-pass mean is an ulp off (variance 1e-32, std gradient
    # O(1)); the slices are computed about their first element, so this is exact
    v = np.full((2, 3), 0.7) if dim != 1 else _const(0.7)
    for dtype in (np.float64, np.float32):
        x = ad.tensor(v.astype(dtype), requires_grad=True)
        out = getattr(x, fn)(dim=dim)
        out.sum().backward()
        np.testing.assert_array_equal(out.detach().numpy(), 0.0)
        np.testing.assert_array_equal(x.grad.detach().numpy(), np.zeros((2, 3)))


def test_std_gradient_next_to_a_constant_row_is_still_right():
    v = _const(0.7)
    v[0] = [0.1, 0.5, -0.3]
    x = ad.tensor(v, requires_grad=True)
    x.std(dim=1).sum().backward()
    g = x.grad.detach().numpy()
    np.testing.assert_array_equal(g[1], 0.0)
    d = v[0] - v[0].mean()
    np.testing.assert_allclose(g[0], d / (2 * np.sqrt((d * d).sum() / 2)), rtol=1e-12, atol=1e-15)
    assert ad.gradcheck(lambda t: t[:1].std(dim=1), (ad.tensor(v, requires_grad=True),))
    assert ad.gradgradcheck(lambda t: t[:1].std(dim=1), (ad.tensor(v, requires_grad=True),))


def test_atan2_at_origin_matches_torch():
    torch = pytest.importorskip("torch")
    av = np.array([0.0, 0.0, 1.0, -2.0, 0.0])
    bv = np.array([0.0, -0.0, 0.0, 3.0, 2.0])
    a, b = ad.tensor(av, requires_grad=True), ad.tensor(bv, requires_grad=True)
    ad.atan2(a, b).sum().backward()
    at, bt = torch.tensor(av, requires_grad=True), torch.tensor(bv, requires_grad=True)
    torch.atan2(at, bt).sum().backward()
    np.testing.assert_array_equal(ad.atan2(a, b).detach().numpy(), torch.atan2(at, bt).detach())
    np.testing.assert_array_equal(a.grad.detach().numpy(), at.grad.numpy())
    np.testing.assert_array_equal(b.grad.detach().numpy(), bt.grad.numpy())


def test_atan2_at_origin_is_finite_and_elsewhere_right():
    a = ad.tensor(np.array([0.0, 1.0]), requires_grad=True)
    b = ad.tensor(np.array([0.0, 2.0]), requires_grad=True)
    ad.atan2(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.detach().numpy(), [0.0, 2.0 / 5.0], rtol=1e-15)
    np.testing.assert_allclose(b.grad.detach().numpy(), [0.0, -1.0 / 5.0], rtol=1e-15)
    assert ad.gradcheck(ad.atan2, (ad.tensor(np.array([0.3, -1.0]), requires_grad=True),
                                   ad.tensor(np.array([2.0, 0.5]), requires_grad=True)))
