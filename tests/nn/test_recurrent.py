"""RNN, LSTM, GRU and the cells without torch: values against a NumPy reference of the
equations, float64 gradcheck, double backward, kernels against their NumPy twins, graph size,
init, dropout, shapes and errors."""
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff.gradcheck import gradcheck, gradgradcheck
from autodiff.kernels import recurrent as K
from autodiff.kernels import recurrent_lstm as KL
from autodiff.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from autodiff.ops import recurrent as RO


def _t(a, dt=np.float64, grad=True):
    return ad.tensor(np.asarray(a, dtype=dt), requires_grad=grad)


def _sig(a):
    return 1 / (1 + np.exp(-a))


# ---------------------------------------------------------------------------------------------
# a NumPy reference of PyTorch's equations (one step)


def _ref_step(mode, x, h, c, w_ih, w_hh, b_ih, b_hh):
    H = h.shape[-1]
    gi = x @ w_ih.T + b_ih
    gh = h @ w_hh.T + b_hh
    if mode == "lstm":
        a = gi + gh
        i, f, o = _sig(a[:, :H]), _sig(a[:, H:2 * H]), _sig(a[:, 3 * H:])
        g = np.tanh(a[:, 2 * H:3 * H])
        c = f * c + i * g
        return o * np.tanh(c), c
    if mode == "gru":
        r = _sig(gi[:, :H] + gh[:, :H])
        z = _sig(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        return (1 - z) * n + z * h, None
    a = gi + gh
    return (np.tanh(a) if mode == "tanh" else np.maximum(a, 0)), None


def _ref_layers(mode, m, x, h0, c0):
    """x (L, N, I); h0, c0 (layers*D, N, H) -> output, h_n, c_n."""
    D = 2 if m.bidirectional else 1
    inp = x
    hn, cn = [], []
    for layer in range(m.num_layers):
        outs = []
        for d in range(D):
            sfx = "_reverse" if d else ""
            w = [getattr(m, f"{s}_l{layer}{sfx}")._data for s in ("weight_ih", "weight_hh")]
            b = [getattr(m, f"{s}_l{layer}{sfx}")._data for s in ("bias_ih", "bias_hh")]
            h, c = h0[layer * D + d], c0[layer * D + d]
            out = np.empty(inp.shape[:2] + (m.hidden_size,))
            steps = range(inp.shape[0] - 1, -1, -1) if d else range(inp.shape[0])
            for t in steps:
                h, c = _ref_step(mode, inp[t], h, c, *w, *b)
                out[t] = h
            outs.append(out)
            hn.append(h)
            cn.append(c)
        inp = np.concatenate(outs, -1)
    return inp, np.stack(hn), (np.stack(cn) if mode == "lstm" else None)


@pytest.mark.parametrize("mode", ["tanh", "relu", "lstm", "gru"])
def test_layer_values_match_numpy_reference(mode):
    cls = {"lstm": LSTM, "gru": GRU}.get(mode, RNN)
    kw = {"nonlinearity": mode} if cls is RNN else {}
    m = cls(3, 4, num_layers=2, bidirectional=True, dtype=np.float64, **kw)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 2, 3))
    h0 = rng.standard_normal((4, 2, 4))
    c0 = rng.standard_normal((4, 2, 4))
    ref_out, ref_h, ref_c = _ref_layers(mode, m, x, h0, c0)
    if cls is LSTM:
        out, (h, c) = m(_t(x), (_t(h0), _t(c0)))
        np.testing.assert_allclose(c._data, ref_c, rtol=1e-12, atol=1e-12)
    else:
        out, h = m(_t(x), _t(h0))
    np.testing.assert_allclose(out._data, ref_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(h._data, ref_h, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("mode", ["tanh", "lstm", "gru"])
def test_float32_layer_matches_float64_reference(mode):
    cls = {"lstm": LSTM, "gru": GRU}.get(mode, RNN)
    m = cls(6, 16, num_layers=2)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((30, 3, 6)).astype(np.float32)
    z = np.zeros((2, 3, 16))
    ref_out, _, _ = _ref_layers(mode, m, x.astype(np.float64), z, z)
    out = m(_t(x, np.float32))[0]
    assert out.dtype == np.float32
    np.testing.assert_allclose(out._data, ref_out, rtol=1e-4, atol=2e-6)


# ---------------------------------------------------------------------------------------------
# gradients: central differences, float64


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
def test_layer_gradcheck(cls, bidirectional):
    m = cls(3, 2, num_layers=2, bidirectional=bidirectional, dtype=np.float64)
    D = 2 if bidirectional else 1
    rng = np.random.default_rng(2)
    x = _t(rng.standard_normal((3, 2, 3)))
    h0 = _t(rng.standard_normal((2 * D, 2, 2)))
    c0 = _t(rng.standard_normal((2 * D, 2, 2)))
    # a few parameters of each kind (gradcheck perturbs the Parameter arrays in place; every
    # parameter's gradient is compared with torch in test_recurrent_torch.py)
    sfx = "_reverse" if bidirectional else ""
    params = [getattr(m, n) for n in ("weight_ih_l0", "bias_hh_l0", f"weight_hh_l1{sfx}",
                                      f"weight_ih_l1{sfx}", f"bias_ih_l1{sfx}")]

    def fn(x, h0, c0, *_):
        if cls is LSTM:
            out, (h, c) = m(x, (h0, c0))
            return out, h, c
        return m(x, h0)

    assert gradcheck(fn, (x, h0, c0, *params))


# gradgradcheck: the fused ops switch to a differentiable backward under create_graph
@pytest.mark.parametrize("check,sizes,seed", [(gradcheck, (3, 4), 3), (gradgradcheck, (2, 3), 4)],
                         ids=["gradcheck", "gradgradcheck"])
@pytest.mark.parametrize("cls", [RNNCell, LSTMCell, GRUCell])
def test_cell_gradients(cls, check, sizes, seed):
    n_in, n_hid = sizes
    m = cls(n_in, n_hid, dtype=np.float64)
    rng = np.random.default_rng(seed)
    x = _t(rng.standard_normal((2, n_in)))
    h = _t(rng.standard_normal((2, n_hid)))
    c = _t(rng.standard_normal((2, n_hid)))
    ps = list(m.parameters())

    def fn(x, h, c, *_):
        return m(x, (h, c)) if cls is LSTMCell else m(x, h)

    assert check(fn, (x, h, c, *ps))


# ---------------------------------------------------------------------------------------------
# double backward of whole sequences


@pytest.mark.parametrize("cls", [LSTM, GRU, RNN])
def test_sequence_gradgradcheck_bidirectional(cls):
    m = cls(2, 2, bidirectional=True, dtype=np.float64)
    rng = np.random.default_rng(5)
    x = _t(rng.standard_normal((3, 1, 2)))
    w = m.weight_hh_l0_reverse

    def fn(x, w):
        return m(x)[0]

    assert gradgradcheck(fn, (x, w))


def test_lstm_hessian_vector_product_matches_finite_differences():
    """d/dx of (grad_x loss . v) against central differences of the first derivative."""
    m = LSTM(2, 3, dtype=np.float64)
    rng = np.random.default_rng(6)
    x0 = rng.standard_normal((4, 2, 2))
    v = rng.standard_normal(x0.shape)

    def first(xa, create_graph):
        x = _t(xa)
        out, (h, c) = m(x)
        loss = (out ** 2).sum() + (c * h).sum()
        g, = ad.grad(loss, [x], create_graph=create_graph)
        return x, g

    x, g = first(x0, True)
    hv, = ad.grad((g * ad.tensor(v)).sum(), [x])
    eps = 1e-6
    num = (first(x0 + eps * v, False)[1]._data - first(x0 - eps * v, False)[1]._data) / (2 * eps)
    np.testing.assert_allclose(hv._data, num, rtol=1e-5, atol=1e-7)


def test_create_graph_gradients_equal_fast_gradients():
    m = GRU(3, 4, num_layers=2, bidirectional=True, dtype=np.float64)
    x0 = np.random.default_rng(7).standard_normal((5, 2, 3))
    grads = []
    for create_graph in (False, True):
        x = _t(x0)
        out, h = m(x)
        loss = (out ** 2).sum() + h.sum()
        grads.append(ad.grad(loss, [x] + list(m.parameters()), create_graph=create_graph))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a._data, b._data, rtol=1e-12, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# kernels against their NumPy twins


def _gate_data(rng, N, H, k, dt):
    return (rng.standard_normal((N, k * H)) * 3).astype(dt)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_lstm_backward_kernel_matches_twin(dt):
    rng = np.random.default_rng(8)
    N, H = 3, 7
    gates = _sig(_gate_data(rng, N, H, 4, np.float64))
    gates[:, 2 * H:3 * H] = np.tanh(rng.standard_normal((N, H)))
    gates = gates.astype(dt)
    dh, dout, dc, c_prev, tc = (rng.standard_normal((N, H)).astype(dt) for _ in range(5))
    outs = []
    for fn in (KL.lstm_cell_backward, KL.lstm_cell_backward_ref):
        dc_i = dc.copy()
        dG, dcc = np.empty((N, 4 * H), dt), np.empty((N, H), dt)
        fn(dh, dout, dc_i, gates, c_prev, tc, dG, dcc)
        outs.append((dG, dc_i, dcc))
    tol = 1e-6 if dt == np.float32 else 1e-14
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_lstm_forward_kernel_matches_twin():
    rng = np.random.default_rng(9)
    N, H = 4, 9
    G = _gate_data(rng, N, H, 4, np.float32)
    c_prev = rng.standard_normal((N, H)).astype(np.float32)
    res = []
    for fn, dt in ((KL.lstm_cell_forward, np.float32), (KL.lstm_cell_forward_ref, np.float64)):
        A = G.astype(dt)  # the gates' pre-activations in, the activated gates out
        c, tc, h = (np.empty((N, H), dt) for _ in range(3))
        fn(A, c_prev.astype(dt), c, tc, h, KL.lstm_gate_scale(H, dt))
        res.append((A, c, tc, h))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_gru_kernels_match_twins():
    rng = np.random.default_rng(10)
    N, H = 4, 6
    xp = _gate_data(rng, N, H, 3, np.float32)
    hp = _gate_data(rng, N, H, 3, np.float32)
    h_prev = rng.standard_normal((N, H)).astype(np.float32)
    res = []
    for fn, dt in ((K.gru_cell_forward, np.float32), (K.gru_cell_forward_ref, np.float64)):
        gates, h = np.empty((N, 3 * H), dt), np.empty((N, H), dt)
        fn(xp.astype(dt), hp.astype(dt), h_prev.astype(dt), gates, h)
        res.append((gates, h))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    gates = res[1][0]
    dh, dout = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    res = []
    for fn in (K.gru_cell_backward, K.gru_cell_backward_ref):
        o = (np.empty((N, 3 * H)), np.empty((N, 3 * H)), np.empty((N, H)))
        fn(dh, dout, gates, hp[:, 2 * H:].astype(np.float64), h_prev.astype(np.float64), *o)
        res.append(o)
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)


def test_tanh32_accuracy_and_specials():
    x = np.concatenate([np.linspace(-20, 20, 200001), [0.0, 1e-30, -1e-30, 7.9, 8.0, 50.0]])
    x = x.astype(np.float32)[None, :]
    out = np.empty_like(x)
    K.tanh32(x, out)
    np.testing.assert_allclose(out, np.tanh(x.astype(np.float64)), rtol=0, atol=5e-7)
    assert np.abs(out).max() <= 1.0
    special = np.array([[np.nan, np.inf, -np.inf]], np.float32)
    res = np.empty_like(special)
    K.tanh32(special, res)
    assert np.isnan(res[0, 0])  # NaN propagates
    np.testing.assert_allclose(res[0, 1:], [1.0, -1.0], rtol=0, atol=3e-7)


# ---------------------------------------------------------------------------------------------
# graph size, memory release, retain_graph


def _count_nodes(t):
    seen, stack = set(), [t.grad_fn]
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        stack.extend(e[0] for e in n.next_functions if e is not None)
    return len(seen)


def test_fifty_step_lstm_graph_is_a_handful_of_nodes():
    m = LSTM(4, 8)
    x = _t(np.ones((50, 2, 4)), np.float32)
    out, (h, c) = m(x)
    loss = out.sum() + h.sum() + c.sum()
    n = _count_nodes(loss)
    # projection + fused sequence + states + loss arithmetic, plus the 4 parameter and 1 input
    # leaves; thousands if every gate of every step were a node
    assert n <= 20, n
    m2 = LSTM(4, 8, num_layers=2, bidirectional=True)
    out2, _ = m2(x)
    assert _count_nodes(out2.sum()) <= 40


def test_backward_twice_needs_retain_graph():
    m = LSTM(2, 3, dtype=np.float64)
    x = _t(np.random.default_rng(11).standard_normal((4, 1, 2)))
    out, _ = m(x)
    loss = out.sum()
    loss.backward(retain_graph=True)
    g1 = x.grad._data.copy()
    loss.backward()
    np.testing.assert_allclose(x.grad._data, 2 * g1)
    with pytest.raises(RuntimeError):
        loss.backward()


def test_weight_modified_in_place_after_forward_is_detected():
    m = GRU(2, 3, dtype=np.float64)
    x = _t(np.ones((3, 1, 2)))
    out, _ = m(x)
    with ad.no_grad():
        m.weight_hh_l0.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_only_needed_gradients_and_frozen_parameters():
    m = LSTM(3, 4, dtype=np.float64)
    m.weight_hh_l0.requires_grad_(False)
    x = _t(np.random.default_rng(12).standard_normal((3, 2, 3)), grad=False)
    out, _ = m(x)
    out.sum().backward()
    assert m.weight_hh_l0.grad is None
    assert m.weight_ih_l0.grad is not None and np.abs(m.weight_ih_l0.grad._data).sum() > 0


# ---------------------------------------------------------------------------------------------
# init, names, shapes


def test_init_draws_uniform_in_parameter_order():
    ad.manual_seed(123)
    m = LSTM(3, 4, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(123)
    k = 1 / np.sqrt(4)
    names = [n for n, _ in m.named_parameters()]
    assert names[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                         "weight_ih_l0_reverse"]
    assert len(names) == 16
    for name, p in m.named_parameters():
        expect = rng.uniform(-k, k, p.shape).astype(np.float32)
        np.testing.assert_array_equal(p._data, expect, err_msg=name)
        assert p.dtype == np.float32 and p.requires_grad
    ad.manual_seed(5)
    cell = GRUCell(3, 4)
    rng = np.random.default_rng(5)
    for p in cell.parameters():
        np.testing.assert_array_equal(p._data, rng.uniform(-0.5, 0.5, p.shape).astype(np.float32))


def test_parameter_shapes():
    m = GRU(5, 7, num_layers=2, bidirectional=True, bias=False)
    shapes = {k: tuple(p.shape) for k, p in m.named_parameters()}
    assert shapes == {"weight_ih_l0": (21, 5), "weight_hh_l0": (21, 7),
                      "weight_ih_l0_reverse": (21, 5), "weight_hh_l0_reverse": (21, 7),
                      "weight_ih_l1": (21, 14), "weight_hh_l1": (21, 7),
                      "weight_ih_l1_reverse": (21, 14), "weight_hh_l1_reverse": (21, 7)}
    assert [tuple(p.shape) for p in LSTMCell(5, 7).parameters()] == [(28, 5), (28, 7), (28,),
                                                                      (28,)]
    assert len(m.all_weights) == 4 and m.all_weights[1][0] is m.weight_ih_l0_reverse


@pytest.mark.parametrize("cls", [RNN, LSTM, GRU])
def test_output_shapes_and_layouts(cls):
    m = cls(3, 4, num_layers=3, bidirectional=True)
    x = ad.randn(6, 2, 3)
    out, hn = m(x)
    h = hn[0] if cls is LSTM else hn
    assert tuple(out.shape) == (6, 2, 8) and tuple(h.shape) == (6, 2, 4)
    # forward direction's last output is h_n of the last layer's forward direction; the
    # reverse direction's h_n is its output at time 0
    np.testing.assert_allclose(out._data[-1, :, :4], h._data[4])
    np.testing.assert_allclose(out._data[0, :, 4:], h._data[5])
    # batch_first gives the transposed output, the same states
    mb = cls(3, 4, num_layers=3, bidirectional=True, batch_first=True)
    mb.load_state_dict(m.state_dict())
    outb, hnb = mb(x.transpose(0, 1))
    np.testing.assert_allclose(outb._data, out._data.transpose(1, 0, 2), rtol=1e-6, atol=1e-7)
    hb = hnb[0] if cls is LSTM else hnb
    np.testing.assert_allclose(hb._data, h._data, rtol=1e-6, atol=1e-7)
    # unbatched equals batch of one
    out1, hn1 = m(x[:, 0])
    h1 = hn1[0] if cls is LSTM else hn1
    assert tuple(out1.shape) == (6, 8) and tuple(h1.shape) == (6, 4)
    np.testing.assert_allclose(out1._data, out._data[:, 0], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(h1._data, h._data[:, 0], rtol=1e-6, atol=1e-7)


def test_cell_unbatched_and_default_state():
    m = LSTMCell(3, 4, dtype=np.float64)
    x = _t(np.random.default_rng(13).standard_normal(3))
    h, c = m(x)
    assert tuple(h.shape) == (4,) and tuple(c.shape) == (4,)
    z = np.zeros((1, 4))
    ref_h, ref_c = _ref_step("lstm", x._data[None], z, z, *(p._data for p in m.parameters()))
    np.testing.assert_allclose(h._data, ref_h[0], rtol=1e-12)
    np.testing.assert_allclose(c._data, ref_c[0], rtol=1e-12)


def test_cell_loop_equals_layer():
    """Unrolling an LSTMCell with the layer's weights reproduces the LSTM layer."""
    layer = LSTM(3, 5, dtype=np.float64)
    cell = LSTMCell(3, 5, dtype=np.float64)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = _t(np.random.default_rng(14).standard_normal((6, 2, 3)))
    out, (hn, cn) = layer(x)
    h = c = None
    for t in range(6):
        h, c = cell(x[t], None if h is None else (h, c))
        np.testing.assert_allclose(h._data, out._data[t], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(c._data, cn._data[0], rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------------------------
# dropout


def test_dropout_between_layers_only_in_training():
    ad.manual_seed(0)
    m = LSTM(3, 16, num_layers=2, dropout=0.5, dtype=np.float64)
    ref = LSTM(3, 16, num_layers=2, dtype=np.float64)
    ref.load_state_dict(m.state_dict())
    x = _t(np.random.default_rng(15).standard_normal((4, 2, 3)), grad=False)
    m.eval()
    np.testing.assert_allclose(m(x)[0]._data, ref(x)[0]._data)
    m.train()
    a, b = m(x)[0]._data, m(x)[0]._data
    assert not np.allclose(a, ref(x)[0]._data) and not np.allclose(a, b)
    # the first layer is untouched: its final states equal the reference's
    np.testing.assert_allclose(m(x)[1][0]._data[0], ref(x)[1][0]._data[0])
    assert "dropout=0.5" in repr(m)


def test_dropout_warning_and_range():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        GRU(2, 3, dropout=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GRU(2, 3, num_layers=2, dropout=0.2)
    for bad in (-0.1, 1.5, True, "0.5"):
        with pytest.raises(ValueError, match="dropout should be a number"):
            LSTM(2, 3, num_layers=2, dropout=bad)


# ---------------------------------------------------------------------------------------------
# errors


def test_constructor_errors():
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        RNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="Unknown nonlinearity"):
        RNNCell(2, 3, nonlinearity="gelu")
    with pytest.raises(NotImplementedError, match="proj_size"):
        LSTM(2, 3, proj_size=2)
    with pytest.raises(ValueError, match="proj_size"):
        GRU(2, 3, proj_size=2)
    with pytest.raises(TypeError, match="hidden_size"):
        LSTM(2, 3.0)
    with pytest.raises(ValueError, match="hidden_size"):
        LSTM(2, 0)
    with pytest.raises(ValueError, match="num_layers"):
        GRU(2, 3, num_layers=0)
    with pytest.raises(TypeError, match="bias"):
        GRU(2, 3, bias=1)
    with pytest.raises(TypeError, match="dtype"):
        LSTM(2, 3, dtype=np.int32)


def test_forward_errors_name_the_shapes():
    m = LSTM(3, 4, num_layers=2)
    with pytest.raises(ValueError, match=r"LSTM: input.size\(-1\).*Expected 3, got 5.*\(2, 1, 5\)"):
        m(ad.zeros(2, 1, 5))
    with pytest.raises(ValueError, match="2D or 3D"):
        m(ad.zeros(2, 1, 1, 3))
    with pytest.raises(ValueError, match=r"Expected hidden size \(2, 1, 4\), got \[1, 1, 4\]"):
        m(ad.zeros(2, 1, 3), (ad.zeros(1, 1, 4), ad.zeros(1, 1, 4)))
    with pytest.raises(ValueError, match="3-D"):
        m(ad.zeros(2, 1, 3), (ad.zeros(2, 4), ad.zeros(2, 4)))
    with pytest.raises(ValueError, match="dtype"):
        m(ad.zeros(2, 1, 3, dtype=np.float64))
    with pytest.raises(TypeError, match="tuple"):
        m(ad.zeros(2, 1, 3), ad.zeros(2, 1, 4))
    with pytest.raises(TypeError, match="Tensor"):
        m(np.zeros((2, 1, 3), np.float32))
    cell = GRUCell(3, 4)
    with pytest.raises(ValueError, match="1D or 2D"):
        cell(ad.zeros(1, 2, 3))
    with pytest.raises(ValueError, match=r"\(2, 4\)"):
        cell(ad.zeros(2, 3), ad.zeros(3, 4))
    with pytest.raises(ValueError, match="input_size"):
        cell(ad.zeros(2, 5))


def test_functional_layer_ops_are_usable_directly():
    rng = np.random.default_rng(16)
    x = _t(rng.standard_normal((3, 2, 4)))
    h0, c0 = _t(np.zeros((2, 5))), _t(np.zeros((2, 5)))
    w_ih, w_hh = _t(rng.standard_normal((20, 4)) * 0.3), _t(rng.standard_normal((20, 5)) * 0.3)
    out, h, c = RO.lstm_layer(x, h0, c0, w_ih, w_hh)
    assert tuple(out.shape) == (3, 2, 5)
    ref_h, ref_c = np.zeros((2, 5)), np.zeros((2, 5))
    for t in range(3):
        ref_h, ref_c = _ref_step("lstm", x._data[t], ref_h, ref_c, w_ih._data, w_hh._data, 0, 0)
    np.testing.assert_allclose(h._data, ref_h, rtol=1e-12)
    np.testing.assert_allclose(c._data, ref_c, rtol=1e-12)


def test_interleaved_graphs_keep_their_own_activations():
    """Activation arrays are reused between calls only once a graph is done with them."""
    m = LSTM(3, 4, num_layers=2, dtype=np.float32)
    rng = np.random.default_rng(17)
    xa, xb = (rng.standard_normal((6, 2, 3)).astype(np.float32) for _ in range(2))

    def grads(xarr):
        x = _t(xarr, np.float32)
        out, _ = m(x)
        return x, (out * out).sum()

    expect = []
    for xarr in (xa, xb):
        x, loss = grads(xarr)
        loss.backward()
        expect.append(x.grad._data.copy())
    x1, l1 = grads(xa)
    with ad.no_grad():
        m(_t(xb, np.float32, grad=False))  # borrows and returns the same shapes
    x2, l2 = grads(xb)
    l2.backward(retain_graph=True)
    l1.backward()
    l2.backward()
    np.testing.assert_array_equal(x1.grad._data, expect[0])
    np.testing.assert_allclose(x2.grad._data, 2 * expect[1], rtol=1e-6)
