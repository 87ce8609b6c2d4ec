"""The LSTM run as batch parts on run_split's threads (``ops.recurrent._batch_parts``) and its
numba step loops (``kernels.recurrent_lstm.lstm_forward_steps`` / ``lstm_backward_steps``,
with their packed-weight step GEMMs): the loops against their Python twins, the split layer
against the unsplit one, torch and float64 central differences."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import _launch
from autodiff.kernels import recurrent_arrays as RA
from autodiff.kernels import recurrent_lstm as KL
from autodiff.nn.recurrent import LSTM
from autodiff.ops import recurrent as RO

needs_split = pytest.mark.skipif(_launch._set_blas_local is None,
                                 reason="no thread-local OpenBLAS thread count")


@pytest.fixture
def parts(monkeypatch):
    """parts(S): every LSTM layer from now on runs as S batch parts (S = 1: unsplit), whatever
    its size."""
    def set_parts(S):
        monkeypatch.setattr(RO, "SPLIT_MIN_ROWS", 1)
        monkeypatch.setattr(RO, "split_count", lambda work: S)
    return set_parts


def _loop_arrays(rng, L, n, I, H, keep):
    f32 = np.float32
    G = 4 * H
    return dict(x=rng.standard_normal((L, n, I)).astype(f32),
                w_ih=(0.3 * rng.standard_normal((G, I))).astype(f32),
                b=rng.standard_normal(G).astype(f32),
                w_hh=(0.3 * rng.standard_normal((G, H))).astype(f32),
                h0=rng.standard_normal((n, H)).astype(f32),
                c0=rng.standard_normal((n, H)).astype(f32),
                out=np.full((L, n, H), np.nan, f32),
                gates=np.full((L if keep else 1, n, G), np.nan, f32),
                cs=np.full((L if keep else 2, n, H), np.nan, f32),
                tcs=np.full((L if keep else 1, n, H), np.nan, f32))


STATE = ("h0", "c0", "out", "gates", "cs", "tcs")


def _forward_twin(d, reverse):
    """lstm_forward_steps_py on the arrays ``d`` of ``_loop_arrays`` (float64 cell)."""
    xp = d["x"] @ d["w_ih"].T + d["b"]
    return KL.lstm_forward_steps_py(KL.lstm_cell_forward_ref, xp, d["w_hh"],
                                    *(d[k] for k in STATE), KL.lstm_gate_scale(len(d["c0"][0])),
                                    reverse)


def _layer_arrays(rng, L, N, I, H, dt):
    """x, h0, c0, w_ih, w_hh, b_ih, b_hh of an LSTM layer."""
    shapes = ((L, N, I), (N, H), (N, H), (4 * H, I), (4 * H, H), (4 * H,), (4 * H,))
    return [rng.standard_normal(s).astype(dt) for s in shapes]


def _copy(d):
    return {k: v.copy() for k, v in d.items()}


@pytest.mark.parametrize("keep", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("n,I,H", [(5, 3, 6), (4, 2, 16)])
def test_forward_steps_match_twin(keep, reverse, n, I, H):
    rng = np.random.default_rng(0)
    L = 7
    a = _loop_arrays(rng, L, n, I, H, keep)
    b = _copy(a)
    Wp, bp = KL.pack_gate_weights(a["w_hh"], a["w_ih"], a["b"])
    c1 = KL.lstm_forward_steps(a["x"], Wp, bp, *(a[k] for k in STATE), KL.lstm_gate_scale(H),
                               reverse)
    c2 = _forward_twin(b, reverse)
    for k in ("out", "gates", "cs", "tcs"):
        np.testing.assert_allclose(a[k], b[k], rtol=1e-5, atol=2e-6, err_msg=k)
    np.testing.assert_allclose(c1, c2, rtol=1e-5, atol=2e-6)
    # the returned cell state is that of the last processed step
    last = 0 if reverse else L - 1
    np.testing.assert_array_equal(c1, a["cs"][last] if keep else a["cs"][(L - 1) & 1])
    assert not np.isnan(a["out"]).any()


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("last", [True, False])
@pytest.mark.parametrize("n,I,H", [(4, 0, 5), (4, 3, 5), (3, 9, 40)])
def test_backward_steps_match_twin(reverse, last, n, I, H):
    rng = np.random.default_rng(1)
    f32 = np.float32
    L = 6
    fw = _loop_arrays(rng, L, n, 3, H, True)
    _forward_twin(fw, reverse)
    w_ih = (0.3 * rng.standard_normal((4 * H, I))).astype(f32)
    args = dict(dh=rng.standard_normal((n, H)).astype(f32),
                gout=rng.standard_normal((L, n, H)).astype(f32),
                dc=rng.standard_normal((n, H)).astype(f32),
                dx=np.full((L, n, I), np.nan, f32))
    got = []
    for run, w in ((KL.lstm_backward_steps, KL.pack_hidden_weights(fw["w_hh"], w_ih)),
                   (lambda *d: KL.lstm_backward_steps_py(KL.lstm_cell_backward_ref, *d),
                    (np.concatenate([fw["w_hh"], w_ih], axis=1),))):
        a = _copy(args)
        dA = np.full((L, n, 4 * H), np.nan, f32)
        run(a["dh"], a["gout"], a["dc"], fw["gates"], fw["cs"], fw["c0"], fw["tcs"], dA,
            np.empty((n, H), f32), *w, a["dx"], reverse, last)
        got.append((a["dh"], a["dc"], dA, a["dx"]))
    for x, y, name in zip(*got, ("dh", "dc", "dA", "dx")):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-5, err_msg=name)
    np.testing.assert_allclose(got[0][3], got[0][2] @ w_ih, rtol=1e-5, atol=1e-5)
    if not last:  # dh then holds the gradient reaching the first processed step, unmultiplied
        first = L - 1 if reverse else 0
        assert not np.allclose(got[0][0], got[0][2][first] @ fw["w_hh"])


@needs_split
@pytest.mark.parametrize("S", [2, 3])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_split_layer_equals_unsplit(parts, S, dt, bidirectional):
    rng = np.random.default_rng(4)
    L, N, I, H = 5, 7, 3, 6  # N = 7: parts of unequal size
    ad.manual_seed(0)
    m = LSTM(I, H, num_layers=2, bidirectional=bidirectional)
    if dt == np.float64:
        m = m.double()
    D = 2 if bidirectional else 1
    xs = rng.standard_normal((L, N, I)).astype(dt)
    h0s = rng.standard_normal((2 * D, N, H)).astype(dt)
    c0s = rng.standard_normal((2 * D, N, H)).astype(dt)
    gw = [rng.standard_normal(s).astype(dt) for s in ((L, N, D * H), (2 * D, N, H), (2 * D, N, H))]
    res = []
    for s in (1, S):
        parts(s)
        m.zero_grad(set_to_none=True)
        x, h0, c0 = (ad.tensor(a, requires_grad=True) for a in (xs, h0s, c0s))
        out, (h, c) = m(x, (h0, c0))
        loss = sum((t * ad.tensor(g)).sum() for t, g in zip((out, h, c), gw))
        loss.backward()
        with ad.no_grad():
            o2, (h2, c2) = m(x, (h0, c0))
        res.append([t.detach().numpy() for t in (out, h, c, o2, h2, c2, x.grad, h0.grad,
                                                  c0.grad)]
                   + [p.grad.numpy() for p in m.parameters()])
    tol = dict(rtol=1e-5, atol=1e-5) if dt == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for a, b in zip(*res):
        np.testing.assert_allclose(b, a, **tol)


@needs_split
@pytest.mark.parametrize("reverse", [False, True])
def test_split_gradcheck_float64(parts, reverse):
    parts(2)
    rng = np.random.default_rng(5)
    args = [ad.tensor(a, requires_grad=True) for a in _layer_arrays(rng, 3, 4, 2, 3, np.float64)]

    def f(*a):
        out, h, c = RO.lstm_layer(*a, reverse=reverse)
        return out.sum() + (h * h).sum() + (c * 2).sum()

    assert ad.gradcheck(f, args)


@needs_split
@pytest.mark.parametrize("need", ["x", "weights", "h0"])
def test_split_with_some_inputs_needing_grad(parts, need):
    rng = np.random.default_rng(6)
    arrays = _layer_arrays(rng, 4, 6, 3, 5, np.float32)
    which = {"x": [0], "weights": [3, 4, 5, 6], "h0": [1]}[need]
    grads = []
    for s in (1, 2):
        parts(s)
        T = [ad.tensor(a, requires_grad=i in which) for i, a in enumerate(arrays)]
        out, h, c = RO.lstm_layer(*T)
        (out.sum() + h.sum()).backward()
        grads.append([T[i].grad.numpy() for i in which])
        assert all(T[i].grad is None for i in range(7) if i not in which)
    for a, b in zip(*grads):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)


@needs_split
def test_split_matches_torch_and_double_backward(parts):
    torch = pytest.importorskip("torch")
    parts(2)
    rng = np.random.default_rng(7)
    L, N, I, H = 4, 6, 3, 5
    tm = torch.nn.LSTM(I, H).double()
    m = LSTM(I, H).double()
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    xs = rng.standard_normal((L, N, I))
    x = ad.tensor(xs, requires_grad=True)
    tx = torch.tensor(xs, requires_grad=True)
    out, (h, c) = m(x)
    tout, (th, tc) = tm(tx)
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(c.detach().numpy(), tc.detach().numpy(), rtol=1e-10)
    # first and second order: d/dx of sum((d loss/dx)^2), loss = sum(out^2)
    (gx,) = ad.grad((out * out).sum(), [x], create_graph=True)
    (tgx,) = torch.autograd.grad((tout * tout).sum(), [tx], create_graph=True)
    np.testing.assert_allclose(gx.detach().numpy(), tgx.detach().numpy(), rtol=1e-9)
    (ggx,) = ad.grad((gx * gx).sum(), [x])
    (tggx,) = torch.autograd.grad((tgx * tgx).sum(), [tx])
    np.testing.assert_allclose(ggx.numpy(), tggx.numpy(), rtol=1e-8, atol=1e-10)


@needs_split
def test_split_no_grad_keeps_nothing(parts):
    parts(2)
    rng = np.random.default_rng(8)
    L, N, I, H = 6, 6, 4, 5
    args = _layer_arrays(rng, L, N, I, H, np.float32)
    before = RA.WS.bytes
    out, h, c = RO.lstm_inference(*args)
    # at most the parts' projections and output copies went back to the workspace
    assert RA.WS.bytes <= before + L * N * (4 * H + H) * 4
    parts(1)
    ref = RO.lstm_inference(*args)
    for a, b in zip(ref, (out, h, c)):
        np.testing.assert_array_equal(b, a)
