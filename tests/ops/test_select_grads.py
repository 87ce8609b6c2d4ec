"""Backward rules that PyTorch writes as a select, not a multiply by a 0/1 mask: relu
(threshold_backward), clamp with constant bounds, maximum/minimum, F.threshold and the RNN
relu step.  So a masked position gets exactly +0.0 even for an inf or NaN incoming gradient,
and a NaN input is not "masked" by a comparison that is false for NaN (relu, threshold and
maximum/minimum pass its gradient; clamp gives 0 there).

The expected arrays are written out (no torch needed); with torch installed the same cases
are also compared with it, values and signs of zero exactly."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

NAN, INF = float("nan"), float("inf")
X = [NAN, -1.0, 0.0, -0.0, 2.0, -2.0, 1.0, 7.0]
G = [1.0, INF, NAN, -INF, 5.0, -1.0, 3.0, INF]

# (name, autodiff function, expected forward, expected gradient of X for G)
CASES = [
    ("relu", lambda t: t.relu(),
     [NAN, 0, 0, 0, 2, 0, 1, 7], [1, 0, 0, 0, 5, 0, 3, INF]),
    ("F.relu", F.relu,
     [NAN, 0, 0, 0, 2, 0, 1, 7], [1, 0, 0, 0, 5, 0, 3, INF]),
    ("nn.ReLU", nn.ReLU(),
     [NAN, 0, 0, 0, 2, 0, 1, 7], [1, 0, 0, 0, 5, 0, 3, INF]),
    ("clamp(-1,6)", lambda t: t.clamp(-1.0, 6.0),
     [NAN, -1, 0, 0, 2, -1, 1, 6], [0, INF, NAN, -INF, 5, 0, 3, 0]),
    ("clamp(min=0)", lambda t: t.clamp(min=0.0),
     [NAN, 0, 0, 0, 2, 0, 1, 7], [0, 0, NAN, -INF, 5, 0, 3, INF]),
    ("clamp(max=0)", lambda t: t.clamp(max=0.0),
     [NAN, -1, 0, 0, 0, -2, 0, 0], [0, INF, NAN, -INF, 0, -1, 0, 0]),
    ("threshold(0.5,-7)", lambda t: F.threshold(t, 0.5, -7.0),
     [NAN, -7, -7, -7, 2, -7, 1, 7], [1, 0, 0, 0, 5, 0, 3, INF]),
    ("maximum(x,0)", lambda t: ad.maximum(t, ad.zeros(t.shape, dtype=t.dtype)),
     [NAN, 0, 0, 0, 2, 0, 1, 7], [1, 0, NAN, -INF, 5, 0, 3, INF]),
    ("minimum(x,0)", lambda t: ad.minimum(t, ad.zeros(t.shape, dtype=t.dtype)),
     [NAN, -1, 0, 0, 0, -2, 0, 0], [1, INF, NAN, -INF, 0, -1, 0, 0]),
]
IDS = [c[0] for c in CASES]


def _same(got, want):
    """Equal values and NaN positions, and +0.0 where +0.0 is expected."""
    want = np.asarray(want, dtype=got.dtype)
    np.testing.assert_array_equal(got, want)
    zeros = want == 0
    np.testing.assert_array_equal(np.signbit(got[zeros]), np.signbit(want[zeros]))


def _run(fn, x, g, create_graph):
    a = ad.tensor(x, requires_grad=True)
    out = fn(a)
    ga, = ad.grad(out, a, ad.tensor(g), create_graph=create_graph)
    return out._data, ga._data


def _inputs(dtype, reps):
    return np.array(X * reps, dtype), np.array(G * reps, dtype)


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("reps", [1, 16])             # 8 elements: NumPy path; 128: kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,fn,want_out,want_grad", CASES, ids=IDS)
def test_select_gradients_exact(name, fn, want_out, want_grad, dtype, reps, create_graph):
    x, g = _inputs(dtype, reps)
    out, grad = _run(fn, x, g, create_graph)
    assert grad.dtype == dtype
    np.testing.assert_array_equal(out, np.array(want_out * reps, dtype))
    _same(grad, want_grad * reps)
    assert not np.any(np.isnan(grad[np.array(want_grad * reps) == 0]))


def test_maximum_minimum_other_side_and_ties():
    x, g = _inputs(np.float64, 1)
    for fn, want in ((ad.maximum, [1, INF, NAN, -INF, 0, -1, 0, 0]),
                     (ad.minimum, [1, 0, NAN, -INF, 5, 0, 3, INF])):
        a = ad.tensor(x, requires_grad=True)
        b = ad.zeros(8, dtype=ad.float64, requires_grad=True)
        fn(a, b).backward(ad.tensor(g))
        _same(b.grad._data, want)
    a = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = ad.tensor([1.0, 1.0, 4.0], requires_grad=True)
    ad.maximum(a, b).backward(ad.tensor([2.0, 4.0, INF]))
    _same(a.grad._data, [1, 4, 0])
    _same(b.grad._data, [1, 0, INF])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_double_backward_is_a_select(dtype):
    """d(grad)/d(g) of relu is the same select applied to the outer gradient (torch's
    ThresholdBackwardBackward): W where out > 0 or NaN, else +0.0 even for W inf/NaN."""
    x = ad.tensor(np.array(X, dtype), requires_grad=True)
    g = ad.tensor(np.array(G, dtype), requires_grad=True)
    gx, = ad.grad(x.relu(), x, g, create_graph=True)
    _same(gx._data, [1, 0, 0, 0, 5, 0, 3, INF])
    w = np.array([1.0, 2.0, INF, 3.0, 4.0, NAN, 5.0, 6.0], dtype)
    dg, = ad.grad(gx, g, ad.tensor(w))
    _same(dg._data, [1, 0, 0, 0, 4, 0, 5, 6])


def test_relu_gradients_still_pass_gradcheck():
    rng = np.random.default_rng(0)
    x = ad.tensor(rng.standard_normal((4, 5)) + 0.05, requires_grad=True)
    assert ad.gradcheck(lambda t: t.relu() * t, (x,))
    assert ad.gradgradcheck(lambda t: t.relu() * t, (x,))
    assert ad.gradgradcheck(lambda t: ad.maximum(t, t.flip(1)) * t, (x,))


def _rnn_case(seed=0):
    rng = np.random.default_rng(seed)
    L, N, I, H = 3, 2, 4, 5
    arrays = dict(x=rng.standard_normal((L, N, I)), h0=rng.standard_normal((N, H)),
                  wi=rng.standard_normal((H, I)), wh=rng.standard_normal((H, H)) * 0.5,
                  bi=rng.standard_normal(H), bh=rng.standard_normal(H))
    return arrays, rng


def _rnn_ad(arrays, create_graph, gout=None):
    from autodiff.ops.recurrent import rnn_layer
    x = ad.tensor(arrays["x"], requires_grad=True)
    out, _ = rnn_layer(x, *(ad.tensor(arrays[k]) for k in ("h0", "wi", "wh", "bi", "bh")),
                       False, "relu")
    if gout is None:
        return out._data
    gx, = ad.grad(out, x, ad.tensor(gout), create_graph=create_graph)
    return gx._data


@pytest.mark.parametrize("create_graph", [False, True])
def test_rnn_relu_masks_inf_gradient_by_select(create_graph):
    """An inf/NaN output gradient where the relu output is <= 0 does not reach the input."""
    arrays, rng = _rnn_case()
    out = _rnn_ad(arrays, False)
    masked = out <= 0
    assert masked.any() and not masked.all()
    gout = rng.standard_normal(out.shape)
    finite = _rnn_ad(arrays, create_graph, gout)
    gout[masked] = INF
    gout[masked & (rng.random(out.shape) < 0.5)] = NAN
    got = _rnn_ad(arrays, create_graph, gout)
    np.testing.assert_allclose(got, finite, rtol=1e-12, atol=0)


# ---------------------------------------------------------------------------------------------
# the same cases against PyTorch


def _torch_fns(torch):
    TF = torch.nn.functional
    return {
        "relu": torch.relu, "F.relu": TF.relu, "nn.ReLU": torch.nn.ReLU(),
        "clamp(-1,6)": lambda t: t.clamp(-1.0, 6.0),
        "clamp(min=0)": lambda t: t.clamp(min=0.0),
        "clamp(max=0)": lambda t: t.clamp(max=0.0),
        "threshold(0.5,-7)": lambda t: TF.threshold(t, 0.5, -7.0),
        "maximum(x,0)": lambda t: torch.maximum(t, torch.zeros_like(t)),
        "minimum(x,0)": lambda t: torch.minimum(t, torch.zeros_like(t)),
    }


@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("reps", [1, 16])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", IDS)
def test_select_gradients_match_torch(name, dtype, reps, create_graph):
    torch = pytest.importorskip("torch")
    fn = dict((c[0], c[1]) for c in CASES)[name]
    tfn = _torch_fns(torch)[name]
    x, g = _inputs(dtype, reps)
    out, grad = _run(fn, x, g, create_graph)
    t = torch.tensor(x, requires_grad=True)
    tg, = torch.autograd.grad(tfn(t), t, torch.from_numpy(g))
    np.testing.assert_array_equal(out, tfn(torch.from_numpy(x)).numpy())
    _same(grad, tg.numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_double_backward_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    w = np.array([1.0, 2.0, INF, 3.0, 4.0, NAN, 5.0, 6.0], dtype)
    x = ad.tensor(np.array(X, dtype), requires_grad=True)
    g = ad.tensor(np.array(G, dtype), requires_grad=True)
    gx, = ad.grad(x.relu(), x, g, create_graph=True)
    dg, = ad.grad(gx, g, ad.tensor(w))
    tx = torch.tensor(np.array(X, dtype), requires_grad=True)
    tg = torch.tensor(np.array(G, dtype), requires_grad=True)
    tgx, = torch.autograd.grad(torch.relu(tx), tx, tg, create_graph=True)
    tdg, = torch.autograd.grad(tgx, tg, torch.from_numpy(w))
    _same(gx._data, tgx.detach().numpy())
    _same(dg._data, tdg.numpy())


@pytest.mark.parametrize("create_graph", [False, True])
def test_rnn_relu_inf_gradient_matches_torch(create_graph):
    torch = pytest.importorskip("torch")
    arrays, rng = _rnn_case()
    out = _rnn_ad(arrays, False)
    gout = rng.standard_normal(out.shape)
    gout[out <= 0] = INF
    rnn = torch.nn.RNN(4, 5, nonlinearity="relu", dtype=torch.float64)
    with torch.no_grad():
        for name, key in (("weight_ih_l0", "wi"), ("weight_hh_l0", "wh"),
                          ("bias_ih_l0", "bi"), ("bias_hh_l0", "bh")):
            getattr(rnn, name).copy_(torch.from_numpy(arrays[key]))
    tx = torch.tensor(arrays["x"], requires_grad=True)
    tout, _ = rnn(tx, torch.from_numpy(arrays["h0"][None]))
    np.testing.assert_allclose(out, tout.detach().numpy(), rtol=1e-12, atol=1e-15)
    tgx, = torch.autograd.grad(tout, tx, torch.from_numpy(gout))
    np.testing.assert_allclose(_rnn_ad(arrays, create_graph, gout), tgx.numpy(),
                               rtol=1e-10, atol=1e-14)


# ------------------------------------------------------------ clamp with tensor bounds
# PyTorch: value min(max(x, lo), hi) with NaN from any side; gradient masks of
# clamp_backward_min_max: x where lo <= x <= hi, lo where x < lo < hi, hi where x > hi or
# hi < lo (also where the value is NaN)
CX = [0.5, 0.5, 0.5, 5.0, -5.0, 0.5, NAN, 0.5, 2.0, 0.5, 1.0, 0.0, NAN]
CLO = [2.0, 2.0, NAN, 0.0, 0.0, 0.5, 0.0, 0.0, 3.0, 1.0, 1.0, 0.0, -1.0]
CHI = [1.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, NAN, 1.0, 1.0, 0.5, 0.0, -2.0]


def _clamp_tensor_case(lib_tensor, clamp, x, lo, hi, dtype):
    t = [None if v is None else lib_tensor(np.array(v, dtype), requires_grad=True)
         for v in (x, lo, hi)]
    y = clamp(*t)
    y.backward(lib_tensor(np.arange(1.0, len(x) + 1, dtype=dtype)))
    return y, [None if v is None else v.grad for v in t]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clamp_tensor_bounds_values_and_masks(dtype):
    y, (gx, glo, ghi) = _clamp_tensor_case(ad.tensor, ad.clamp, CX, CLO, CHI, dtype)
    np.testing.assert_array_equal(y._data, [1, 0, NAN, 1, 0, 0.5, NAN, NAN, 1, 1, 0.5, 0, NAN])
    assert y.dtype == dtype
    g = np.arange(1.0, 14)
    np.testing.assert_array_equal(gx._data, np.where([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0], g, 0))
    np.testing.assert_array_equal(glo._data, np.where([0, 0, 0, 0, 1] + [0] * 8, g, 0))
    np.testing.assert_array_equal(ghi._data,
                                  np.where([1, 1, 0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 1], g, 0))
    # one bound: x where x >= lo (x <= hi), the bound where it wins strictly
    y, (gx, glo, _) = _clamp_tensor_case(ad.tensor, lambda x, lo, hi: ad.clamp(x, min=lo),
                                         CX, CLO, None, dtype)
    np.testing.assert_array_equal(gx._data, np.where(np.array(CX) >= np.array(CLO), g, 0))
    np.testing.assert_array_equal(glo._data, np.where(np.array(CX) < np.array(CLO), g, 0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clamp_tensor_bounds_match_torch(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for _ in range(100):
        x, lo, hi = (rng.integers(-2, 3, 30).astype(dtype) for _ in range(3))
        for v in (x, lo, hi):
            v[rng.random(30) < 0.1] = np.nan
        for kind in ("both", "min", "max"):
            lo_k = None if kind == "max" else lo
            hi_k = None if kind == "min" else hi
            ours = _clamp_tensor_case(ad.tensor, ad.clamp, x, lo_k, hi_k, dtype)
            theirs = _clamp_tensor_case(lambda a, requires_grad=False: torch.tensor(
                a, requires_grad=requires_grad), torch.clamp, x, lo_k, hi_k, dtype)
            np.testing.assert_array_equal(ours[0]._data, theirs[0].detach().numpy())
            for a, b in zip(ours[1], theirs[1]):
                if a is not None:
                    np.testing.assert_array_equal(a._data, b.numpy())
