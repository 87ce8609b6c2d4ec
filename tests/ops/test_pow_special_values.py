"""``x ** e`` for a Python-number exponent at 0, -0, inf, -inf, NaN, negatives and denormals:
value and gradient equal PyTorch 2.13's, sign of zeros and infinities included (its sqrt and
rsqrt fast paths for 0.5 and -0.5 give -0 ** 0.5 = -0 and a gradient of -inf there)."""
import warnings

import numpy as np
import pytest

import autodiff as ad

VALUES = [0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, 1e-310, 2.0]
EXPONENTS = [0.0, 0.5, -0.5, 2.0, -1.5, 3, 1.0, 1.5]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("e", EXPONENTS)
def test_matches_torch(e, dtype):
    torch = pytest.importorskip("torch")
    v = np.array(VALUES, dtype=dtype)
    x = ad.tensor(v, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x ** e
        y.sum().backward()
    xt = torch.tensor(v, requires_grad=True)
    yt = xt ** e
    yt.sum().backward()
    assert y.dtype == dtype
    for ours, theirs in ((y.detach().numpy(), yt.detach().numpy()),
                         (x.grad.numpy(), xt.grad.numpy())):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, equal_nan=True)
        finite_or_inf = ~np.isnan(theirs)
        np.testing.assert_array_equal(np.signbit(ours[finite_or_inf]),
                                      np.signbit(theirs[finite_or_inf]))


def test_square_root_exponent_without_torch():
    x = ad.tensor(np.array([-0.0, 4.0, -np.inf]), requires_grad=True)
    y = x ** 0.5
    y.sum().backward()
    assert np.signbit(y.detach().numpy()[0]) and y.detach().numpy()[1] == 2.0
    g = x.grad.numpy()
    assert g[0] == -np.inf and g[1] == 0.25 and np.isnan(g[2])
    assert ad.gradcheck(lambda t: t ** 0.5, (ad.tensor(np.array([0.5, 3.0]), requires_grad=True),))
    assert ad.gradgradcheck(lambda t: t ** -0.5,
                            (ad.tensor(np.array([0.5, 3.0]), requires_grad=True),))
