"""The LSTM forward without a graph (``ops.recurrent.lstm_inference``): the same values as the
recorded forward, bit for bit, and nothing kept for a backward."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import recurrent_arrays as RA
from autodiff.nn.recurrent import LSTM
from autodiff.ops import recurrent as RO


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("batch_first,bidirectional,bias", [(False, False, True),
                                                            (True, True, True),
                                                            (False, True, False)])
def test_no_grad_forward_equals_recorded_forward(dt, batch_first, bidirectional, bias):
    ad.manual_seed(0)
    m = LSTM(5, 7, num_layers=2, bias=bias, batch_first=batch_first, bidirectional=bidirectional)
    if dt == np.float64:
        m = m.double()
    rng = np.random.default_rng(1)
    x = ad.tensor(rng.standard_normal((3, 4, 5)).astype(dt), requires_grad=True)
    h0 = ad.tensor(rng.standard_normal((2 * (1 + bidirectional), 3 if batch_first else 4, 7))
                   .astype(dt))
    c0 = ad.tensor(rng.standard_normal(h0.shape).astype(dt))
    o1, (h1, c1) = m(x, (h0, c0))
    assert o1.grad_fn is not None
    with ad.no_grad():
        o2, (h2, c2) = m(x, (h0, c0))
    for a, b in ((o1, o2), (h1, h2), (c1, c2)):
        assert b.grad_fn is None and not b.requires_grad
        assert b.dtype == a.dtype
        np.testing.assert_array_equal(b.detach().numpy(), a.detach().numpy())


def test_inference_keeps_nothing_and_needs_no_requires_grad():
    rng = np.random.default_rng(2)
    f32 = np.float32
    L, N, I, H = 6, 3, 4, 5
    args = [rng.standard_normal(s).astype(f32) for s in
            ((L, N, I), (N, H), (N, H), (4 * H, I), (4 * H, H), (4 * H,), (4 * H,))]
    before = RA.WS.bytes
    out, h, c = RO.lstm_inference(*args)
    assert RA.WS.bytes <= before + args[0].shape[0] * N * 4 * H * 4  # at most the projection
    # with no argument requiring grad, lstm_layer takes this path even in grad mode
    T = [ad.tensor(a) for a in args]
    o2, h2, c2 = RO.lstm_layer(*T)
    assert o2.grad_fn is None
    np.testing.assert_array_equal(o2.detach().numpy(), out)
    # and the recorded path (one input requiring grad) gives the same values
    T[3] = ad.tensor(args[3], requires_grad=True)
    o3, h3, c3 = RO.lstm_layer(*T)
    assert o3.grad_fn is not None
    np.testing.assert_array_equal(o3.detach().numpy(), out)
    np.testing.assert_array_equal(h3.detach().numpy(), h)
    np.testing.assert_array_equal(c3.detach().numpy(), c)
    # reverse direction too
    out_r, _, _ = RO.lstm_inference(*args, reverse=True)
    o4, _, _ = RO.lstm_layer(*T, reverse=True)
    np.testing.assert_array_equal(o4.detach().numpy(), out_r)
