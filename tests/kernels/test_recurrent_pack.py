"""The LSTM's one-pass weight packings (``kernels.recurrent_lstm.pack_gate_weights`` and
``pack_hidden_weights``) against ``pack_panels`` of the concatenated weights, over sizes off
the 32-column panels."""
import numpy as np
import pytest

from autodiff.kernels import recurrent_lstm as KL

f32 = np.float32


def _weights(rng, H, I):
    return ((rng.standard_normal((4 * H, H))).astype(f32),
            (rng.standard_normal((4 * H, I))).astype(f32),
            rng.standard_normal(4 * H).astype(f32))


@pytest.mark.parametrize("H,I", [(1, 1), (5, 3), (8, 8), (64, 8), (40, 0), (33, 17)])
def test_pack_gate_weights_equals_pack_panels(H, I):
    rng = np.random.default_rng(0)
    w_hh, w_ih, b = _weights(rng, H, I)
    Wp, bp = KL.pack_gate_weights(w_hh, w_ih, b)
    ref = KL.pack_panels(np.concatenate([w_hh, w_ih], axis=1), b, transposed=True)
    assert Wp.ctypes.data % 64 == 0 and Wp.shape == KL.panels_shape(H + I, 4 * H)
    np.testing.assert_array_equal(Wp, ref[0])
    np.testing.assert_array_equal(bp, ref[1])


@pytest.mark.parametrize("H,I", [(1, 1), (5, 3), (8, 8), (64, 8), (40, 0), (33, 17), (32, 32)])
@pytest.mark.parametrize("with_ih", [True, False])
def test_pack_hidden_weights_equals_pack_panels(H, I, with_ih):
    rng = np.random.default_rng(1)
    w_hh, w_ih, _ = _weights(rng, H, I)
    C = H + (I if with_ih else 0)
    Wp, bp = KL.pack_hidden_weights(w_hh, w_ih if with_ih else None)
    ref = KL.pack_panels(np.concatenate([w_hh, w_ih], axis=1) if with_ih else w_hh)
    assert Wp.ctypes.data % 64 == 0 and Wp.shape == KL.panels_shape(4 * H, C)
    np.testing.assert_array_equal(Wp, ref[0])
    np.testing.assert_array_equal(bp, ref[1])
    assert not bp.any()


def test_pack_gate_weights_reads_strided_weights():
    rng = np.random.default_rng(2)
    w_hh, w_ih, b = _weights(rng, 6, 4)
    big = np.zeros((4 * 6, 20), f32)
    big[:, 1:7], big[:, 10:14] = w_hh, w_ih
    got = KL.pack_gate_weights(big[:, 1:7], big[:, 10:14], b)
    ref = KL.pack_gate_weights(w_hh, w_ih, b)
    for g, r in zip(got, ref):
        np.testing.assert_array_equal(g, r)
