"""prod's gradient with zeros, infs, NaN, huge values and denormals equals PyTorch 2.13's: two
zeros in a full product give zero gradients; one zero uses the products of the others taken
in torch's order (an inf times a 0 is NaN in one order and 0 in another); g (out / a)
otherwise."""
import warnings

import numpy as np
import pytest

import autodiff as ad

SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 5e-324, 1e300, -1e300, 1.5, -2.0])


def test_random_special_values_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for _ in range(300):
        v = rng.choice(SPECIAL, (2, int(rng.integers(1, 4))))
        for dim in (None, 0, 1):
            x = ad.tensor(v, requires_grad=True)
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                y = x.prod() if dim is None else x.prod(dim)
                (y * 1.25).sum().backward()
            xt = torch.tensor(v, requires_grad=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yt = xt.prod() if dim is None else xt.prod(dim)
                (yt * 1.25).sum().backward()
            np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-12,
                                       equal_nan=True, err_msg=f"{v} dim={dim}")
            np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12,
                                       equal_nan=True, err_msg=f"{v} dim={dim}")


def test_two_zeros_and_an_inf_give_zero_gradients():
    x = ad.tensor(np.array([[0.0, 0.0, 3.0], [-2.0, np.inf, -0.0]]), requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


def test_one_zero_gradient_and_double_backward():
    x = ad.tensor(np.array([2.0, 0.0, 3.0]), requires_grad=True)
    x.prod().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 6.0, 0.0])
    assert ad.gradgradcheck(lambda t: t.prod(), (ad.tensor(np.array([2.0, 0.0, 3.0]),
                                                           requires_grad=True),))
