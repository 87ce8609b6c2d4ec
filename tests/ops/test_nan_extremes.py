"""amax/amin and max()/min() at NaN and inf, as PyTorch 2.13's two backward formulas: a NaN
result sends NaN to its whole slice for amax/amin, the gradient to the NaN elements for the
full max()/min(); ties (inf included) share it evenly."""
import warnings

import numpy as np
import pytest

import autodiff as ad

CASES = [[1.0, np.nan, 2.0], [np.nan, np.nan, 2.0], [1.0, np.inf, np.inf], [3.0, 1.0, 3.0],
         [-np.inf, -np.inf, 0.0], np.nan, 2.5]


@pytest.mark.parametrize("fn", ["amax", "amin", "max", "min"])
@pytest.mark.parametrize("k", range(len(CASES)))
def test_matches_torch(fn, k):
    torch = pytest.importorskip("torch")
    v = np.array(CASES[k])
    x = ad.tensor(v, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (getattr(x, fn)() * 1.5).backward()
    xt = torch.tensor(v, requires_grad=True)
    (getattr(xt, fn)() * 1.5).backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())


def test_amax_over_a_dim_with_a_nan_row():
    x = ad.tensor(np.array([[1.0, np.nan], [3.0, 2.0]]), requires_grad=True)
    x.amax(dim=1).sum().backward()
    g = x.grad.numpy()
    assert np.isnan(g[0]).all()
    np.testing.assert_array_equal(g[1], [1.0, 0.0])
    y = ad.tensor(np.array([1.0, np.nan]), requires_grad=True)
    y.max().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [0.0, 1.0])
