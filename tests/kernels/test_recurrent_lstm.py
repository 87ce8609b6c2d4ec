"""The LSTM's step GEMM kernel (``kernels.recurrent_lstm.panel_gemm``, and each of its two
register blocks ``gemm_4x16`` and ``gemm_8x32`` whatever the CPU) and its weight packing
against their NumPy twins and a float64 reference, over row counts (rows past a multiple of 4
or 8 in an overlapping block, fewer rows than a block repeating the last), odd panel counts,
widths off the ``KL.PANEL``-column panels and empty second operands or outputs; the LSTM's
two packings as the step products; and the step loops run as plain Python (NUMBA_DISABLE_JIT)."""
import textwrap

import numpy as np
import pytest
from kernel_cases import run_without_jit

from autodiff.kernels import recurrent_lstm as KL

f32 = np.float32


@pytest.mark.parametrize("K,C", [(1, 1), (3, 32), (13, 40), (160, 512), (7, 65)])
@pytest.mark.parametrize("transposed", [False, True])
def test_packing_matches_twin(K, C, transposed):
    rng = np.random.default_rng(0)
    W = rng.standard_normal((C, K) if transposed else (K, C)).astype(f32)
    b = rng.standard_normal(C).astype(f32)
    for bias in (b, None):
        Wp, bp = KL.pack_panels(W, bias, transposed)
        P = KL.PANEL
        assert Wp.shape == (-(-C // P), K, P) and Wp.ctypes.data % 64 == 0
        ref = KL.pack_panels_ref(W, bias, transposed)
        np.testing.assert_array_equal(Wp, ref[0])
        np.testing.assert_array_equal(bp, ref[1])
    # column c of the (K, C) matrix is column c % PANEL of panel c // PANEL
    Wk = W.T if transposed else W
    P = KL.PANEL
    np.testing.assert_array_equal(Wp[(C - 1) // P, :, (C - 1) % P], Wk[:, C - 1])


def _gemm_case(rng, n, Ku, Kv, Cy, Cz):
    u, v = (rng.standard_normal((n, k)).astype(f32) for k in (Ku, Kv))
    W = (0.5 * rng.standard_normal((Ku + Kv, Cy + Cz))).astype(f32)
    b = rng.standard_normal(Cy + Cz).astype(f32)
    return u, v, W, b


@pytest.mark.parametrize("n,Ku,Kv,Cy,Cz", [(1, 1, 0, 1, 0), (2, 8, 3, 32, 0), (5, 7, 4, 28, 0),
                                           (16, 128, 32, 512, 0), (3, 40, 0, 40, 9),
                                           (4, 20, 0, 0, 7), (7, 33, 2, 64, 32),
                                           (9, 17, 5, 48, 0), (17, 12, 0, 16, 0),
                                           (8, 9, 3, 20, 60), (13, 30, 2, 0, 5)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kernel", ["panel_gemm", "gemm_4x16", "gemm_8x32"])
def test_panel_gemm_matches_twin_and_float64(n, Ku, Kv, Cy, Cz, bias, kernel):
    rng = np.random.default_rng(1)
    u, v, W, b = _gemm_case(rng, n, Ku, Kv, Cy, Cz)
    b = b if bias else None
    y, z = np.full((n, Cy), np.nan, f32), np.full((n, Cz), np.nan, f32)
    getattr(KL, kernel)(u, v, *KL.pack_panels(W, b), y, z)
    twin = np.empty_like(y), np.empty_like(z)
    KL.panel_gemm_ref(u, v, W, b, *twin)
    exact = np.empty((n, Cy)), np.empty((n, Cz))
    KL.panel_gemm_ref(*(a.astype(np.float64) for a in (u, v, W)),
                      None if b is None else b.astype(np.float64), *exact)
    for got, tw, ex in zip((y, z), twin, exact):
        np.testing.assert_allclose(got, tw, rtol=1e-5, atol=1e-5)
        # float32 sums of K products: error of the order of eps * K * |terms|
        assert np.abs(got - ex).max(initial=0) <= 1e-6 * (Ku + Kv + 1) * max(1, np.abs(ex).max(
            initial=0))


@pytest.mark.parametrize("n", [1, 5, 8, 16, 21])
def test_both_register_blocks_agree_bit_for_bit(n):
    # panel_gemm picks its block by the CPU's vector width: the result must not depend on it
    rng = np.random.default_rng(4)
    u, v, W, b = _gemm_case(rng, n, 128, 32, 512, 0)
    Wp = KL.pack_panels(W, b)
    got = [np.full((n, 512), np.nan, f32) for _ in range(2)]
    KL.gemm_4x16(u, v, *Wp, got[0], got[0][:, :0])
    KL.gemm_8x32(u, v, *Wp, got[1], got[1][:, :0])
    np.testing.assert_array_equal(got[0], got[1])


def test_lstm_packings_are_the_step_products():
    rng = np.random.default_rng(2)
    n, H, I = 3, 12, 5
    w_hh, w_ih = (rng.standard_normal((4 * H, k)).astype(f32) for k in (H, I))
    b = rng.standard_normal(4 * H).astype(f32)
    h, x = rng.standard_normal((n, H)).astype(f32), rng.standard_normal((n, I)).astype(f32)
    A = np.empty((n, 4 * H), f32)
    KL.panel_gemm(h, x, *KL.pack_gate_weights(w_hh, w_ih, b), A, A[:, :0])
    np.testing.assert_allclose(A, h @ w_hh.T + x @ w_ih.T + b, rtol=1e-5, atol=1e-5)
    dA = rng.standard_normal((n, 4 * H)).astype(f32)
    dh, dx = np.empty((n, H), f32), np.empty((n, I), f32)
    KL.panel_gemm(dA, dA[:, :0], *KL.pack_hidden_weights(w_hh, w_ih), dh, dx)
    np.testing.assert_allclose(dh, dA @ w_hh, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dx, dA @ w_ih, rtol=1e-5, atol=1e-5)
    KL.panel_gemm(dA, dA[:, :0], *KL.pack_hidden_weights(w_hh), dh, dx[:, :0])
    np.testing.assert_allclose(dh, dA @ w_hh, rtol=1e-5, atol=1e-5)


def test_panel_gemm_reads_and_writes_strided_views():
    """The backward writes dx[:, n0:n1][t] (rows strided) and a caller may pass views."""
    rng = np.random.default_rng(3)
    n = 5
    u, v, W, b = _gemm_case(rng, 2 * n, 16, 6, 40, 8)
    y, z = np.full((2 * n, 80), np.nan, f32), np.full((n, 3, 8), np.nan, f32)
    KL.panel_gemm(u[::2], v[1::2], *KL.pack_panels(W, b), y[::2, 40:], z[:, 1])
    ref = np.concatenate([u[::2], v[1::2]], axis=1) @ W + b
    np.testing.assert_allclose(y[::2, 40:], ref[:, :40], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(z[:, 1], ref[:, 40:], rtol=1e-5, atol=1e-5)
    assert np.isnan(y[1::2]).all() and np.isnan(y[:, :40]).all() and np.isnan(z[:, 0]).all()


SCRIPT = textwrap.dedent("""
    import numpy as np
    import numba
    assert numba.config.DISABLE_JIT
    from autodiff.kernels import recurrent_lstm as KL
    rng = np.random.default_rng(0)
    f32 = np.float32
    n, H, I, L = 3, 9, 4, 3
    w_hh = rng.standard_normal((4 * H, H)).astype(f32)
    w_ih = rng.standard_normal((4 * H, I)).astype(f32)
    b = rng.standard_normal(4 * H).astype(f32)
    x = rng.standard_normal((L, n, I)).astype(f32)
    h0, c0 = (rng.standard_normal((n, H)).astype(f32) for _ in range(2))
    res = []
    for fast in (True, False):
        out = np.empty((L, n, H), f32)
        gates, cs, tcs = (np.empty((L, n, k), f32) for k in (4 * H, H, H))
        state = (h0, c0, out, gates, cs, tcs, KL.lstm_gate_scale(H), False)
        if fast:
            KL.lstm_forward_steps(x, *KL.pack_gate_weights(w_hh, w_ih, b), *state)
        else:
            KL.lstm_forward_steps_py(KL.lstm_cell_forward_ref, x @ w_ih.T + b, w_hh, *state)
        dh, dc = np.ones((n, H), f32), np.ones((n, H), f32)
        dA, dx = np.empty_like(gates), np.empty((L, n, I), f32)
        grads = (dh, np.ones_like(out), dc, gates, cs, c0, tcs, dA, np.empty_like(dc))
        if fast:
            KL.lstm_backward_steps(*grads, *KL.pack_hidden_weights(w_hh, w_ih), dx, False, True)
        else:
            KL.lstm_backward_steps_py(KL.lstm_cell_backward_ref, *grads,
                                      np.concatenate([w_hh, w_ih], axis=1), dx, False, True)
        res.append((out, dh, dc, dx))
    for a, b in zip(*res):
        assert np.allclose(a, b, rtol=1e-4, atol=1e-5), np.abs(a - b).max()
    print("nojit ok")
""")


def test_lstm_kernels_run_without_jit():
    run_without_jit(SCRIPT)
