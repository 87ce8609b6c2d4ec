"""The fused LeakyReLU and BCE-with-logits ops (one graph node each): values, gradients and
double backward in float64 against central differences, torch parity at the edges."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.nn import functional as F

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("slope", [0.01, 0.2, 0.0, 1.5, -0.3])
def test_leaky_relu_grad_and_gradgrad(slope):
    # keep away from the kink at 0, where central differences are meaningless
    a = RNG.standard_normal((4, 5))
    a[np.abs(a) < 0.05] = 0.5
    x = ad.tensor(a, requires_grad=True)
    f = lambda t: F.leaky_relu(t, slope)  # noqa: E731
    np.testing.assert_array_equal(f(x)._data, np.where(a > 0, a, slope * a))
    assert ad.gradcheck(f, (x,))
    assert ad.gradgradcheck(f, (x,))


def test_leaky_relu_is_one_node_keeping_dtype():
    x = ad.tensor(RNG.standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    y = F.leaky_relu(x, 0.2)
    assert y.dtype == np.float32 and type(y.grad_fn).__name__.startswith("LeakyReLU")
    assert y.grad_fn.next_functions[0][0] is not None


def test_leaky_relu_matches_torch_at_zero_and_infinities():
    torch = pytest.importorskip("torch")
    a = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, -2.0, 3.0])
    g = np.array([1.0, 2.0, 3.0, 4.0, 5.0, np.inf, -1.0])
    x, xt = ad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, yt = F.leaky_relu(x, 0.1), torch.nn.functional.leaky_relu(xt, 0.1)
    np.testing.assert_array_equal(y._data, yt.detach().numpy())
    y.backward(ad.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_array_equal(x.grad._data, xt.grad.numpy())


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_grad_and_gradgrad(reduction):
    x = ad.tensor(RNG.standard_normal((3, 4)) * 3, requires_grad=True)
    t = ad.tensor(RNG.uniform(0, 1, (3, 4)), requires_grad=True)
    f = lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction=reduction)  # noqa: E731
    xs, ts = x._data, t._data
    per = (1 - ts) * xs + np.logaddexp(0, -xs)
    want = {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]
    np.testing.assert_allclose(f(x, t)._data, want, rtol=1e-12)
    assert ad.gradcheck(f, (x, t))
    assert ad.gradgradcheck(f, (x, t))


def test_bce_with_logits_is_stable_and_one_node():
    torch = pytest.importorskip("torch")
    a = np.array([[-1e4, -50.0, 0.0, 30.0, 1e4]], dtype=np.float32)
    t = np.array([[1.0, 0.0, 0.5, 1.0, 0.0]], dtype=np.float32)
    x = ad.tensor(a, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, ad.tensor(t))
    assert loss.dtype == np.float32 and type(loss.grad_fn).__name__.startswith("BCEWithLogits")
    xt = torch.tensor(a, requires_grad=True)
    lt = torch.nn.functional.binary_cross_entropy_with_logits(xt, torch.tensor(t))
    np.testing.assert_allclose(loss._data, lt.detach().numpy(), rtol=1e-6)
    loss.backward()
    lt.backward()
    np.testing.assert_allclose(x.grad._data, xt.grad.numpy(), rtol=1e-6, atol=1e-8)


def test_bce_with_logits_empty_mean_is_nan():
    out = F.binary_cross_entropy_with_logits(ad.zeros(0), ad.zeros(0))
    assert np.isnan(out._data)
