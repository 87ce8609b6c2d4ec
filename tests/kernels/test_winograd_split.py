"""Winograd split over Python threads (kernels/_launch.py run_split): each image range on its
own thread gives the twins' values, through the kernels and through the ops (forward,
backward, double backward, torch parity), and an error in one thread reaches the caller."""
import numba
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import _launch
from autodiff.kernels import conv as K
from autodiff.kernels import conv_algo as A
from autodiff.kernels import winograd as Wn
from autodiff.ops.conv import conv2d
from tests.kernels.test_winograd import _case

CASES = [  # N, C, O, H, W, padding (top, bottom, left, right), groups
    (3, 4, 6, 6, 7, (1, 1, 1, 1), 1),
    (4, 4, 6, 5, 5, (0, 1, 2, 0), 2),
    (2, 2, 3, 4, 4, (0, 0, 0, 0), 1),
]


@pytest.fixture
def split(split, monkeypatch):
    """conftest's split, with every conv forced through Winograd."""
    monkeypatch.setattr(A, "FORCE", A.WINOGRAD)
    return split


@pytest.mark.parametrize("c", CASES)
def test_kernels_match_direct_twins(split, c):
    (x, w, b, gy), p, g = _case(c, np.float64)
    parts = Wn.chunks(x.shape, w.shape, gy.shape[2:])
    assert parts == (min(2, numba.config.NUMBA_NUM_THREADS) if split else 1)
    geo = ((1, 1), p, (1, 1), g)
    ref = K.conv2d_forward_ref(x, w, *geo) + b.reshape(1, -1, 1, 1)
    y, V = Wn.forward_and_input(x, w, p, g, b)
    assert len(V) == parts
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(Wn.forward(x, w, p, g, b, V=V), ref, rtol=1e-12, atol=1e-12)
    dM = Wn.grad_chunks(gy, parts)
    gx_ref = K.conv2d_backward_input_ref(gy, w, x.shape, *geo)
    gw_ref = K.conv2d_backward_weight_ref(x, gy, w.shape, *geo)
    for dm in (None, dM):
        np.testing.assert_allclose(Wn.backward_input(gy, w, x.shape, p, g, dM=dm), gx_ref,
                                   rtol=1e-12, atol=1e-12)
    whole = Wn.input_chunks(x, p, gy.shape[2:], 1)
    assert len(whole) == 1
    np.testing.assert_array_equal(whole[0], Wn.input_transform(x, p, gy.shape[2:]))
    # (V, dM split alike), either recomputed, or split differently (V is then recomputed)
    for v, dm in ((None, None), (V, dM), (V, None), (None, dM), (whole, dM),
                  (V, Wn.grad_chunks(gy, 1))):
        np.testing.assert_allclose(Wn.backward_weight(x, gy, w.shape, p, g, V=v, dM=dm), gw_ref,
                                   rtol=1e-12, atol=1e-12)


def test_split_float32_matches_unsplit(split):
    (x, w, b, gy), p, g = _case(CASES[0], np.float32)
    geo = ((1, 1), p, (1, 1), g)
    f64 = [a.astype(np.float64) for a in (x, w, gy)]
    scale = K.conv2d_backward_weight_ref(np.abs(f64[0]), np.abs(f64[2]), w.shape, *geo)
    got = Wn.backward_weight(x, gy, w.shape, p, g)
    assert got.dtype == np.float32
    ref = K.conv2d_backward_weight_ref(f64[0], f64[2], w.shape, *geo)
    assert np.all(np.abs(got - ref) <= 2e-6 * scale + 1e-6)


def test_ops_gradients_and_torch_parity(split):
    torch = pytest.importorskip("torch")
    (x, w, b, gy), p, g = _case(CASES[1], np.float64)
    kw = dict(padding=1, groups=g)
    X, Wt, B = (ad.tensor(a, requires_grad=True) for a in (x, w, b))
    ad.gradcheck(lambda x, w, b: conv2d(x, w, b, **kw), (X, Wt, B))
    ad.gradgradcheck(lambda x, w: conv2d(x, w, **kw), (X, Wt))
    out = conv2d(X, Wt, B, **kw)
    gout = np.random.default_rng(3).standard_normal(out.shape)
    gx, gw = ad.grad(out, (X, Wt), ad.tensor(gout), create_graph=True)
    (gx * gx).sum().backward()
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ot = torch.nn.functional.conv2d(xt, wt, bt, **kw)
    gxt, gwt = torch.autograd.grad(ot, (xt, wt), torch.tensor(gout), create_graph=True)
    (gxt * gxt).sum().backward()
    for ours, theirs in ((out, ot), (gx, gxt), (gw, gwt), (Wt.grad, wt.grad)):
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10,
                                   atol=1e-10)


def test_error_in_a_thread_reaches_the_caller_after_all_parts_ran(split):
    parts = 2 if split else 1
    done = []

    def task(k):
        done.append(k)
        if k == parts - 1:
            raise ValueError(f"part {k} failed")
        return k

    with pytest.raises(ValueError, match="failed"):
        _launch.run_split(task, parts)
    assert sorted(done) == list(range(parts))
    assert _launch.run_split(lambda k: 10 * k, parts) == [10 * k for k in range(parts)]
