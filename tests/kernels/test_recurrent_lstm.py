"""The LSTM's step GEMM kernels (``kernels.recurrent_lstm``): the weight packing and the
register-blocked products against their NumPy twins and a float64 reference, over batch sizes
(odd rows pair with themselves), hidden sizes off the 8- and 32-column panels and inputs of
any width (0 included); and the same kernels run as plain Python (NUMBA_DISABLE_JIT)."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from autodiff.kernels import recurrent_lstm as KL

f32 = np.float32
SHAPES = [(1, 1, 0), (2, 8, 3), (5, 7, 4), (16, 33, 2), (3, 40, 9)]  # (n, H, I)


def _weights(rng, H, I):
    return ((0.5 * rng.standard_normal((4 * H, H))).astype(f32),
            (0.5 * rng.standard_normal((4 * H, I))).astype(f32),
            rng.standard_normal(4 * H).astype(f32))


@pytest.mark.parametrize("H,I", [(1, 0), (8, 3), (13, 5), (33, 0), (40, 9)])
def test_packing_matches_twins(H, I):
    rng = np.random.default_rng(0)
    w_hh, w_ih, b = _weights(rng, H, I)
    Wp, bp = KL.pack_gate_weights(w_hh, w_ih, b)
    assert Wp.shape == (-(-H // 8), H + I, 32) and Wp.ctypes.data % 64 == 0
    ref = np.full_like(Wp, np.nan), np.full_like(bp, np.nan)
    KL._pack_gates_ref(w_hh, w_ih, b, *ref)
    np.testing.assert_array_equal(Wp, ref[0])
    np.testing.assert_array_equal(bp, ref[1])
    # unit u of panel p, gate q: column 8q + u holds row qH + 8p + u of [W_hh | W_ih]
    q, p, u = 3, (H - 1) // 8, (H - 1) % 8
    np.testing.assert_array_equal(Wp[p, :, 8 * q + u],
                                  np.concatenate([w_hh, w_ih], axis=1)[q * H + H - 1])
    for w in (None, w_ih):
        Wb = KL.pack_hidden_weights(w_hh, w)
        W = w_hh if w is None else np.concatenate([w_hh, w], axis=1)
        assert Wb.shape == (-(-W.shape[1] // 32), 4 * H, 32) and Wb.ctypes.data % 64 == 0
        ref = np.full_like(Wb, np.nan)
        KL._pack_hidden_ref(W, ref)
        np.testing.assert_array_equal(Wb, ref)


@pytest.mark.parametrize("n,H,I", SHAPES)
def test_gates_match_twin_and_float64(n, H, I):
    rng = np.random.default_rng(1)
    w_hh, w_ih, b = _weights(rng, H, I)
    h, x = rng.standard_normal((n, H)).astype(f32), rng.standard_normal((n, I)).astype(f32)
    A = np.full((n, 4 * H), np.nan, f32)
    KL.lstm_gates(h, x, *KL.pack_gate_weights(w_hh, w_ih, b), A)
    twin = np.empty_like(A)
    KL.lstm_gates_ref(h, x, w_hh, w_ih, b, twin)
    exact = np.empty((n, 4 * H))
    KL.lstm_gates_ref(*(a.astype(np.float64) for a in (h, x, w_hh, w_ih, b)), exact)
    np.testing.assert_allclose(A, twin, rtol=1e-5, atol=1e-5)
    # float32 sums of H + I products: error of the order of eps * sqrt(K) * |terms|
    assert np.abs(A - exact).max() <= 1e-6 * (H + I + 1) * max(1.0, np.abs(exact).max())


@pytest.mark.parametrize("n,H,I", SHAPES)
@pytest.mark.parametrize("with_x", [True, False])
def test_hidden_grad_matches_twin(n, H, I, with_x):
    rng = np.random.default_rng(2)
    w_hh, w_ih, _ = _weights(rng, H, I)
    dA = rng.standard_normal((n, 4 * H)).astype(f32)
    I = I if with_x else 0
    w_ih = w_ih[:, :I]
    dh, dx = np.full((n, H), np.nan, f32), np.full((n, I), np.nan, f32)
    KL.lstm_hidden_grad(dA, KL.pack_hidden_weights(w_hh, w_ih if with_x else None), dh, dx)
    exact = dA.astype(np.float64) @ np.concatenate([w_hh, w_ih], axis=1)
    twin_h, twin_x = np.empty_like(dh), np.empty_like(dx)
    KL.lstm_hidden_grad_ref(dA, np.concatenate([w_hh, w_ih], axis=1), twin_h, twin_x)
    np.testing.assert_allclose(dh, twin_h, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dx, twin_x, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.concatenate([dh, dx], axis=1), exact, rtol=1e-5, atol=1e-5)


def test_gates_accept_strided_inputs():
    """The step loop passes x[t] of a contiguous part, but a kernel called on views (a batch
    slice of h, a column slice of x) must read them by their strides."""
    rng = np.random.default_rng(3)
    n, H, I = 5, 16, 6
    w_hh, w_ih, b = _weights(rng, H, I)
    hb = rng.standard_normal((2 * n, H)).astype(f32)
    xb = rng.standard_normal((n, 2 * I)).astype(f32)
    h, x = hb[::2], xb[:, ::2]
    A = np.empty((n, 4 * H), f32)
    KL.lstm_gates(h, x, *KL.pack_gate_weights(w_hh, w_ih, b), A)
    np.testing.assert_allclose(A, h @ w_hh.T + x @ w_ih.T + b, rtol=1e-5, atol=1e-5)


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
            KL.lstm_backward_steps(*grads, KL.pack_hidden_weights(w_hh, w_ih), dx, False, True)
        else:
            KL.lstm_backward_steps_py(KL.lstm_cell_backward_ref, *grads,
                                      np.concatenate([w_hh, w_ih], axis=1), dx, False, True)
        res.append((out, dh, dc, dx))
    for a, b in zip(*res):
        assert np.allclose(a, b, rtol=1e-4, atol=1e-5), np.abs(a - b).max()
    print("nojit ok")
""")


def test_lstm_kernels_run_without_jit():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, NUMBA_DISABLE_JIT="1",
               PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, timeout=300, cwd=root)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "nojit ok" in res.stdout
