import numpy as np

import autodiff as ad
from autodiff import nn


def test_linear_forward_backward_matches_numpy():
    ad.manual_seed(0)
    lin = nn.Linear(3, 2).double()
    x = ad.randn(4, 3, dtype=ad.float64)
    y = lin(x)
    W, b = lin.weight._data, lin.bias._data
    np.testing.assert_allclose(y._data, x._data @ W.T + b, rtol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(lin.weight.grad._data, np.ones((4, 2)).T @ x._data, rtol=1e-12)
    np.testing.assert_allclose(lin.bias.grad._data, np.full(2, 4.0))


def test_sequential_names_and_state_dict():
    m = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    assert list(m.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert [n for n, _ in m.named_parameters()] == list(m.state_dict())
    assert len(m) == 2 and isinstance(m[1], nn.Linear)
