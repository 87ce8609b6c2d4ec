"""The LSTM forward's batch parts reading their rows of ``x`` and writing their rows of ``out``
in place (``kernels.recurrent_lstm.lstm_forward_steps(..., n0)`` and its twin), the packed
weights carved from a reused buffer (``pack_gate_weights`` / ``pack_hidden_weights`` with
``buf``), and the layer built on them against torch (forward, backward, double backward) with
a strided (batch_first) input split into parts."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import _launch
from autodiff.kernels import recurrent_arrays as RA
from autodiff.kernels import recurrent_lstm as KL
from autodiff.nn.recurrent import LSTM
from autodiff.ops import recurrent as RO

f32 = np.float32


def _weights(rng, I, H):
    G = 4 * H
    return ((0.3 * rng.standard_normal((G, H))).astype(f32),
            (0.3 * rng.standard_normal((G, I))).astype(f32),
            rng.standard_normal(G).astype(f32))


def _scratch(L, n, H, keep):
    G = 4 * H
    return (np.full((L if keep else 1, n, G), np.nan, f32),
            np.full((L if keep else 2, n, H), np.nan, f32),
            np.full((L if keep else 1, n, H), np.nan, f32))


@pytest.mark.parametrize("keep", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("N,n0,n,I,H", [(7, 2, 3, 3, 6), (9, 5, 4, 2, 16), (5, 0, 5, 4, 5)])
def test_forward_rows_match_twin_and_part_copies(keep, reverse, N, n0, n, I, H):
    rng = np.random.default_rng(0)
    L = 6
    w_hh, w_ih, b = _weights(rng, I, H)
    x = rng.standard_normal((L, N, I)).astype(f32)
    h0, c0 = (rng.standard_normal((n, H)).astype(f32) for _ in range(2))
    P = KL.lstm_gate_scale(H)
    Wp, bp = KL.pack_gate_weights(w_hh, w_ih, b)
    # the kernel on the full arrays, rows n0 : n0 + n
    out = np.full((L, N, H), np.nan, f32)
    acts = _scratch(L, n, H, keep)
    c = KL.lstm_forward_steps(x, Wp, bp, h0, c0, out, *acts, P, reverse, n0)
    # the same kernel on the part's own contiguous copies (the layout before this change)
    out_p = np.full((L, n, H), np.nan, f32)
    acts_p = _scratch(L, n, H, keep)
    c_p = KL.lstm_forward_steps(np.ascontiguousarray(x[:, n0:n0 + n]), Wp, bp, h0, c0, out_p,
                                *acts_p, P, reverse)
    np.testing.assert_array_equal(out[:, n0:n0 + n], out_p)
    np.testing.assert_array_equal(c, c_p)
    for a, ap in zip(acts, acts_p):
        np.testing.assert_array_equal(a, ap)
    # rows outside the part are not written
    rest = np.ones(N, bool)
    rest[n0:n0 + n] = False
    assert np.isnan(out[:, rest]).all()
    # the twin (float64 cell, NumPy products) on the full arrays with the same rows
    out_t = np.full((L, N, H), np.nan, np.float64)
    acts_t = [a.astype(np.float64) for a in _scratch(L, n, H, keep)]
    xp = x.astype(np.float64) @ w_ih.T.astype(np.float64) + b
    c_t = KL.lstm_forward_steps_py(KL.lstm_cell_forward_ref, xp, w_hh.astype(np.float64),
                                   h0.astype(np.float64), c0.astype(np.float64), out_t,
                                   *acts_t, P, reverse, n0)
    np.testing.assert_allclose(out, out_t, rtol=1e-5, atol=2e-6)
    np.testing.assert_allclose(c, c_t, rtol=1e-5, atol=2e-6)
    assert np.isnan(out_t[:, rest]).all()


@pytest.mark.parametrize("H,I", [(5, 3), (16, 32), (20, 0)])
def test_packing_into_a_buffer_equals_a_fresh_pack(H, I):
    rng = np.random.default_rng(1)
    w_hh, w_ih, b = _weights(rng, max(I, 1), H)
    w_ih = w_ih[:, :I]
    G = 4 * H
    cases = [(lambda buf: KL.pack_gate_weights(w_hh, w_ih, b, buf), (H + I, G)),
             (lambda buf: KL.pack_hidden_weights(w_hh, w_ih if I else None, buf), (G, H + I))]
    for pack, (K, C) in cases:
        ref = pack(None)
        for skip in range(0, 16, 3):  # buffers starting at various alignments
            big = np.full(KL.aligned_size(KL.panels_shape(K, C)) + skip, np.nan, f32)
            buf = big[skip:]
            got = pack(buf)
            assert np.shares_memory(got[0], buf)
            assert got[0].ctypes.data % 64 == 0
            assert got[0].shape == KL.panels_shape(K, C)
            np.testing.assert_array_equal(got[0], ref[0])
            np.testing.assert_array_equal(got[1], ref[1])


needs_split = pytest.mark.skipif(_launch._set_blas_local is None,
                                 reason="no thread-local OpenBLAS thread count")


@pytest.fixture
def split_in(monkeypatch):
    def set_parts(S):
        monkeypatch.setattr(RO, "SPLIT_MIN_ROWS", 1)
        monkeypatch.setattr(RO, "split_count", lambda work: S)
    return set_parts


@pytest.mark.parametrize("S", [1, 2, 3])
def test_packed_buffers_go_back_to_the_workspace(split_in, S):
    split_in(S)
    rng = np.random.default_rng(2)
    L, N, I, H = 4, 7, 3, 6
    RA.clear_workspace()
    arrays = [rng.standard_normal(s).astype(f32) for s in
              ((L, N, I), (N, H), (N, H), (4 * H, I), (4 * H, H), (4 * H,), (4 * H,))]
    T = [ad.tensor(a, requires_grad=True) for a in arrays]
    fwd_key = ((KL.aligned_size(KL.panels_shape(H + I, 4 * H)),), np.dtype(f32))
    bwd_key = ((KL.aligned_size(KL.panels_shape(4 * H, H + I)),), np.dtype(f32))
    out, h, c = RO.lstm_layer(*T)
    assert len(RA.WS.free.get(fwd_key, [])) == 1  # given back after the forward's loops
    (out.sum() + h.sum() + c.sum()).backward()
    assert len(RA.WS.free.get(bwd_key, [])) == 1
    out, h, c = RO.lstm_layer(*T)  # taken again, and given back
    assert len(RA.WS.free.get(fwd_key, [])) == 1
    RA.clear_workspace()


@needs_split
@pytest.mark.parametrize("S", [2, 3])
def test_split_strided_input_matches_torch_with_double_backward(split_in, S):
    torch = pytest.importorskip("torch")
    split_in(S)
    rng = np.random.default_rng(3)
    L, N, I, H = 5, 8, 3, 6
    tm = torch.nn.LSTM(I, H, batch_first=True)
    m = LSTM(I, H, batch_first=True)
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    xs = rng.standard_normal((N, L, I)).astype(f32)  # batch_first: the layer sees a strided x
    g = rng.standard_normal((N, L, H)).astype(f32)
    x = ad.tensor(xs, requires_grad=True)
    tx = torch.tensor(xs, requires_grad=True)
    out, (h, c) = m(x)
    tout, (th, tc) = tm(tx)
    for a, b in ((out, tout), (h, th), (c, tc)):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
    with ad.no_grad():
        o2, (h2, c2) = m(x)
    np.testing.assert_allclose(o2.numpy(), tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c2.numpy(), tc.detach().numpy(), rtol=1e-5, atol=1e-6)
    # backward and double backward: d/dx of sum((d loss / dx)^2), loss = sum(out * g + c^2)
    loss = (out * ad.tensor(g)).sum() + (c * c).sum()
    tloss = (tout * torch.tensor(g)).sum() + (tc * tc).sum()
    (gx,) = ad.grad(loss, [x], create_graph=True)
    (tgx,) = torch.autograd.grad(tloss, [tx], create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), tgx.detach().numpy(), rtol=1e-4,
                               atol=1e-5)
    (ggx,) = ad.grad((gx * gx).sum(), [x])
    (tggx,) = torch.autograd.grad((tgx * tgx).sum(), [tx])
    np.testing.assert_allclose(ggx.numpy(), tggx.numpy(), rtol=1e-3, atol=1e-4)
    # the parameters' gradients, from a fresh forward of each
    out, (h, c) = m(x)
    tout, (th, tc) = tm(tx)
    ((out * ad.tensor(g)).sum() + (c * c).sum()).backward()
    ((tout * torch.tensor(g)).sum() + (tc * tc).sum()).backward()
    for (name, p), tp in zip(m.named_parameters(), tm.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-4, atol=1e-5,
                                   err_msg=name)
