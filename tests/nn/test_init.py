"""nn.init: PyTorch's gain and fan conventions, the statistics of fresh layers (default
initialisation as PyTorch's formulas), repeatability under ad.manual_seed."""
import math

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import init


def test_calculate_gain_table():
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError):
        init.calculate_gain("swish")


def test_fans():
    assert init._calculate_fan_in_and_fan_out(ad.empty(7, 3)) == (3, 7)
    assert init._calculate_fan_in_and_fan_out(ad.empty(8, 4, 3, 2)) == (24, 48)
    with pytest.raises(ValueError):
        init._calculate_fan_in_and_fan_out(ad.empty(5))


def _stats(t):
    a = t._data.astype(np.float64)
    return a.min(), a.max(), a.mean(), a.std()


@pytest.mark.parametrize("fn,kw,lo,hi,std", [
    (init.uniform_, dict(a=-2.0, b=3.0), -2.0, 3.0, 5 / math.sqrt(12)),
    (init.xavier_uniform_, dict(gain=2.0), -2 * math.sqrt(6 / 500), 2 * math.sqrt(6 / 500),
     2 * math.sqrt(2 / 500)),
    (init.kaiming_uniform_, dict(a=math.sqrt(5)), -1 / math.sqrt(200), 1 / math.sqrt(200),
     1 / math.sqrt(600)),
    (init.kaiming_uniform_, dict(mode="fan_out", nonlinearity="relu"), -math.sqrt(6 / 300),
     math.sqrt(6 / 300), math.sqrt(2 / 300)),
])
def test_uniform_family_bounds_and_std(fn, kw, lo, hi, std):
    w = ad.empty(300, 200)
    fn(w, **kw)
    mn, mx, mean, sd = _stats(w)
    assert lo <= mn and mx <= hi
    assert mn < lo + 0.01 * (hi - lo) and mx > hi - 0.01 * (hi - lo)  # the bounds are reached
    assert sd == pytest.approx(std, rel=0.02)
    assert mean == pytest.approx((lo + hi) / 2, abs=0.02 * (hi - lo))


@pytest.mark.parametrize("fn,kw,mean,std", [
    (init.normal_, dict(mean=1.5, std=0.3), 1.5, 0.3),
    (init.xavier_normal_, dict(gain=0.5), 0.0, 0.5 * math.sqrt(2 / 500)),
    (init.kaiming_normal_, dict(nonlinearity="relu"), 0.0, math.sqrt(2 / 200)),
    (init.kaiming_normal_, dict(a=0.1, mode="fan_out"), 0.0,
     math.sqrt(2 / 1.01) / math.sqrt(300)),
])
def test_normal_family_std(fn, kw, mean, std):
    w = ad.empty(300, 200)
    fn(w, **kw)
    _, _, m, sd = _stats(w)
    assert sd == pytest.approx(std, rel=0.02)
    assert m == pytest.approx(mean, abs=0.02 * std + 1e-12)


def test_trunc_normal_orthogonal_constants():
    w = ad.empty(200, 300)
    init.trunc_normal_(w, mean=0.5, std=1.0, a=-1.0, b=2.0)
    assert w._data.min() >= -1.0 and w._data.max() <= 2.0
    # mean of N(0.5, 1) truncated to [-1.5, 1.5] standard units is 0.5 (symmetric)
    assert w._data.mean() == pytest.approx(0.5, abs=0.02)
    q = ad.empty(4, 6, dtype=ad.float64)
    init.orthogonal_(q, gain=2.0)
    np.testing.assert_allclose(q._data @ q._data.T, 4 * np.eye(4), atol=1e-10)
    init.constant_(q, 0.25)
    assert np.all(q._data == 0.25)
    init.zeros_(q)
    assert np.all(q._data == 0)
    init.ones_(q)
    assert np.all(q._data == 1)
    e = ad.empty(3, 3)
    init.eye_(e)
    np.testing.assert_array_equal(e._data, np.eye(3))


def test_in_place_on_parameter_without_graph_and_seeded():
    p = nn.Parameter(ad.zeros(50, 40))
    arr = p._data
    ad.manual_seed(7)
    init.kaiming_uniform_(p)
    assert p._data is arr and p.is_leaf and p.grad_fn is None
    first = p._data.copy()
    ad.manual_seed(7)
    init.kaiming_uniform_(p)
    np.testing.assert_array_equal(p._data, first)
    ad.manual_seed(8)
    init.kaiming_uniform_(p)
    assert not np.array_equal(p._data, first)


@pytest.mark.parametrize("make,fan_in", [
    (lambda: nn.Linear(400, 300), 400),
    (lambda: nn.Conv2d(16, 300, 5), 16 * 25),
    (lambda: nn.Conv2d(16, 300, 3, groups=4), 4 * 9),
    (lambda: nn.Conv1d(20, 300, 7), 140),
    (lambda: nn.ConvTranspose2d(300, 16, 5), 16 * 25),
])
def test_default_init_of_fresh_layers(make, fan_in):
    """kaiming_uniform_(a=sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias the same bound."""
    ad.manual_seed(0)
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    mn, mx, mean, sd = _stats(layer.weight)
    assert -bound <= mn and mx <= bound and mx > 0.97 * bound and mn < -0.97 * bound
    assert sd == pytest.approx(bound / math.sqrt(3), rel=0.03)
    b = layer.bias._data
    assert np.all(np.abs(b) <= bound) and np.abs(b).max() > 0.8 * bound
    assert layer.weight.dtype == np.float32


def test_default_init_norm_and_embedding():
    bn = nn.BatchNorm2d(5)
    np.testing.assert_array_equal(bn.weight._data, 1)
    np.testing.assert_array_equal(bn.bias._data, 0)
    np.testing.assert_array_equal(bn.running_mean._data, 0)
    np.testing.assert_array_equal(bn.running_var._data, 1)
    assert bn.num_batches_tracked._data == 0 and bn.num_batches_tracked.dtype == np.int64
    ln = nn.LayerNorm((2, 3))
    np.testing.assert_array_equal(ln.weight._data, np.ones((2, 3)))
    emb = nn.Embedding(1000, 50, padding_idx=3)
    assert emb.weight._data.std() == pytest.approx(1.0, rel=0.02)
    np.testing.assert_array_equal(emb.weight._data[3], 0)


def test_layers_repeatable_under_manual_seed():
    ad.manual_seed(3)
    a = nn.Sequential(nn.Linear(4, 5), nn.Conv1d(2, 3, 3), nn.Embedding(4, 2))
    ad.manual_seed(3)
    b = nn.Sequential(nn.Linear(4, 5), nn.Conv1d(2, 3, 3), nn.Embedding(4, 2))
    for (k, v), (_, w) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(v._data, w._data, err_msg=k)
