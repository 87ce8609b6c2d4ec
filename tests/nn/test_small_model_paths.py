"""The fast paths of the small models' steps (issue 19: GAN, autoencoder, MLP epochs) against
torch: LeakyReLU's kernel forward and array backward on arrays big enough to take them,
special values included, and gradients of gradients through the same layers."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.nn import functional as F


def _specials(shape, dtype, seed):
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    a.reshape(-1)[:6] = [np.nan, np.inf, -np.inf, 0.0, -0.0, -2.0]
    return a


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("slope", [0.2, 0.01, -0.5])
def test_leaky_relu_kernel_path_matches_torch(dtype, slope):
    torch = pytest.importorskip("torch")
    a, g = _specials((128, 64), dtype, 0), _specials((128, 64), dtype, 1)
    x, xt = ad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, yt = F.leaky_relu(x, slope), torch.nn.functional.leaky_relu(xt, slope)
    assert y.dtype == dtype
    np.testing.assert_array_equal(y._data, yt.detach().numpy())
    np.testing.assert_array_equal(np.signbit(y._data), np.signbit(yt.detach().numpy()))
    y.backward(ad.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(x.grad._data, xt.grad.numpy())


def test_leaky_relu_double_backward_matches_torch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(2).standard_normal((16, 8))
    x, xt = ad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (gx,) = ad.grad((F.leaky_relu(x, 0.2) ** 2).sum(), x, create_graph=True)
    (gxt,) = torch.autograd.grad((torch.nn.functional.leaky_relu(xt, 0.2) ** 2).sum(), xt,
                                 create_graph=True)
    np.testing.assert_allclose(gx._data, gxt.detach().numpy(), rtol=1e-12)
    gx.sum().backward()
    gxt.sum().backward()
    np.testing.assert_allclose(x.grad._data, xt.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_kernel_path_and_array_backward_match_torch(dtype):
    torch = pytest.importorskip("torch")
    a, g = _specials((64, 32), dtype, 3) * 10, _specials((64, 32), dtype, 4)
    g[~np.isfinite(g)] = 1.0  # (inf * 0 where the sigmoid saturates: NaN in both)
    x, xt = ad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, yt = ad.sigmoid(x), torch.sigmoid(xt)
    assert y.dtype == dtype
    rtol = 1e-6 if dtype == np.float32 else 1e-15
    np.testing.assert_allclose(y._data, yt.detach().numpy(), rtol=rtol, atol=0)
    y.backward(ad.tensor(g))
    yt.backward(torch.tensor(g))
    # (1 - out) cancels near out = 1: there both round to within an ulp of 1, not of the result
    np.testing.assert_allclose(x.grad._data, xt.grad.numpy(), rtol=4 * rtol, atol=rtol / 8)


def test_sigmoid_array_backward_equals_the_graph_backward_bit_for_bit():
    """backward_arrays (create_graph=False) and backward (create_graph=True) round alike."""
    a = np.random.default_rng(5).standard_normal((64, 32)).astype(np.float32) * 4
    g = np.random.default_rng(6).standard_normal((64, 32)).astype(np.float32)
    x = ad.tensor(a, requires_grad=True)
    (plain,) = ad.grad(ad.sigmoid(x), x, ad.tensor(g))
    (graph,) = ad.grad(ad.sigmoid(x), x, ad.tensor(g), create_graph=True)
    np.testing.assert_array_equal(plain._data, graph._data)


def test_sigmoid_double_backward_matches_torch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(7).standard_normal((16, 8)) * 3
    x, xt = ad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (gx,) = ad.grad(ad.sigmoid(x).sum(), x, create_graph=True)
    (gxt,) = torch.autograd.grad(torch.sigmoid(xt).sum(), xt, create_graph=True)
    np.testing.assert_allclose(gx._data, gxt.detach().numpy(), rtol=1e-12)
    gx.sum().backward()
    gxt.sum().backward()
    np.testing.assert_allclose(x.grad._data, xt.grad.numpy(), rtol=1e-11, atol=1e-15)
