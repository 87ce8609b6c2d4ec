"""RNN, LSTM, GRU and the cells against torch 2.13: outputs, final states, input, state and
parameter gradients, with a state_dict copied from torch. Skipped without torch."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

torch = pytest.importorskip("torch")

TOL = {np.float64: dict(rtol=1e-6, atol=1e-9), np.float32: dict(rtol=1e-4, atol=2e-5)}
TDT = {np.float64: torch.float64, np.float32: torch.float32}

LAYERS = {
    "rnn_tanh": (RNN, torch.nn.RNN, {}),
    "rnn_relu": (RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (LSTM, torch.nn.LSTM, {}),
    "gru": (GRU, torch.nn.GRU, {}),
}
CONFIGS = {
    "1layer": dict(num_layers=1),
    "2layer_bidir_h0": dict(num_layers=2, bidirectional=True, h0=True),
    "batch_first_h0": dict(num_layers=2, batch_first=True, h0=True),
    "unbatched_bidir": dict(num_layers=1, bidirectional=True, unbatched=True),
    "unbatched_h0_nobias": dict(num_layers=2, unbatched=True, h0=True, bias=False),
    "unbatched_batch_first_h0": dict(num_layers=1, batch_first=True, unbatched=True, h0=True),
}


def _pair(ours_cls, torch_cls, kw, dt, **layer_kw):
    """A torch module and ours with the torch state_dict loaded into it."""
    tm = torch_cls(**layer_kw, **kw).to(TDT[dt])
    m = ours_cls(**layer_kw, **kw, dtype=dt)
    res = m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    assert not res.missing_keys and not res.unexpected_keys
    return tm, m


def _both(arr, dt):
    arr = np.asarray(arr, dtype=dt)
    return (torch.tensor(arr, requires_grad=True), ad.tensor(arr, requires_grad=True))


def _close(ours, theirs, dt, what):
    np.testing.assert_allclose(np.asarray(ours._data), theirs.detach().numpy(), **TOL[dt],
                               err_msg=what)


def _loss(outs, weights):
    """sum_i sum(w_i * out_i): a loss whose gradient differs per output element."""
    total = None
    for o, w in zip(outs, weights):
        term = (o * w).sum()
        total = term if total is None else total + term
    return total


def _compare(m, tm, x, tx, states, outs, touts, dt, rng):
    """Outputs, then the gradients of a random weighting of them (input, states, parameters),
    ours against torch's."""
    for name, o, t in zip(["output", "h_n", "c_n"], outs, touts):
        assert tuple(o.shape) == tuple(t.shape), name
        _close(o, t, dt, name)
    weights = [rng.standard_normal(tuple(t.shape)).astype(dt) for t in touts]
    _loss(touts, [torch.tensor(w) for w in weights]).backward()
    _loss(outs, weights).backward()
    _close(x.grad, tx.grad, dt, "input grad")
    for i, (ts, s) in enumerate(states):
        _close(s.grad, ts.grad, dt, f"state {i} grad")
    ours = dict(m.named_parameters())
    for k, p in tm.named_parameters():
        _close(ours[k].grad, p.grad, dt, k)


@pytest.mark.parametrize("dt", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("config", list(CONFIGS))
@pytest.mark.parametrize("layer", list(LAYERS))
def test_layer_matches_torch(layer, config, dt):
    ours_cls, torch_cls, kw = LAYERS[layer]
    cfg = dict(CONFIGS[config])
    use_h0 = cfg.pop("h0", False)
    unbatched = cfg.pop("unbatched", False)
    I, H, L, N = 3, 5, 4, 2
    tm, m = _pair(ours_cls, torch_cls, kw, dt, input_size=I, hidden_size=H, **cfg)
    rng = np.random.default_rng(1)
    D = 2 if cfg.get("bidirectional") else 1
    if unbatched:
        x_shape, h_shape = (L, I), (cfg["num_layers"] * D, H)
    elif cfg.get("batch_first"):
        x_shape, h_shape = (N, L, I), (cfg["num_layers"] * D, N, H)
    else:
        x_shape, h_shape = (L, N, I), (cfg["num_layers"] * D, N, H)
    tx, x = _both(rng.standard_normal(x_shape), dt)
    n_states = 2 if layer == "lstm" else 1
    states = [_both(rng.standard_normal(h_shape), dt) for _ in range(n_states)] if use_h0 else []
    if layer == "lstm":
        targs = (tx, (states[0][0], states[1][0])) if use_h0 else (tx,)
        args = (x, (states[0][1], states[1][1])) if use_h0 else (x,)
        tout, (th, tc) = tm(*targs)
        out, (h, c) = m(*args)
        touts, outs = [tout, th, tc], [out, h, c]
    else:
        targs = (tx, states[0][0]) if use_h0 else (tx,)
        args = (x, states[0][1]) if use_h0 else (x,)
        tout, th = tm(*targs)
        out, h = m(*args)
        touts, outs = [tout, th], [out, h]
    _compare(m, tm, x, tx, states, outs, touts, dt, rng)


CELLS = {
    "rnn_tanh": (RNNCell, torch.nn.RNNCell, {}),
    "rnn_relu": (RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (LSTMCell, torch.nn.LSTMCell, {}),
    "gru": (GRUCell, torch.nn.GRUCell, {}),
}


@pytest.mark.parametrize("dt", [np.float64, np.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("mode", ["batched_state", "batched", "unbatched_state", "nobias"])
@pytest.mark.parametrize("cell", list(CELLS))
def test_cell_matches_torch(cell, mode, dt):
    ours_cls, torch_cls, kw = CELLS[cell]
    I, H, N = 4, 3, 5
    kw = dict(kw, bias=mode != "nobias")
    tm, m = _pair(ours_cls, torch_cls, kw, dt, input_size=I, hidden_size=H)
    rng = np.random.default_rng(2)
    unbatched = mode.startswith("unbatched")
    use_state = mode.endswith("state")
    tx, x = _both(rng.standard_normal((I,) if unbatched else (N, I)), dt)
    h_shape = (H,) if unbatched else (N, H)
    states = ([_both(rng.standard_normal(h_shape), dt) for _ in range(2 if cell == "lstm" else 1)]
              if use_state else [])
    if cell == "lstm":
        touts = list(tm(tx, (states[0][0], states[1][0]) if use_state else None))
        outs = list(m(x, (states[0][1], states[1][1]) if use_state else None))
    else:
        touts = [tm(tx, states[0][0] if use_state else None)]
        outs = [m(x, states[0][1] if use_state else None)]
    _compare(m, tm, x, tx, states, outs, touts, dt, rng)


@pytest.mark.parametrize("layer", list(LAYERS))
def test_parameter_names_shapes_and_order_match_torch(layer):
    ours_cls, torch_cls, kw = LAYERS[layer]
    for cfg in (dict(num_layers=3, bidirectional=True), dict(num_layers=2, bias=False)):
        tm = torch_cls(7, 6, **cfg, **kw)
        m = ours_cls(7, 6, **cfg, **kw)
        assert ([(k, tuple(p.shape)) for k, p in m.named_parameters()]
                == [(k, tuple(p.shape)) for k, p in tm.named_parameters()])
        assert repr(m) == repr(tm)


@pytest.mark.parametrize("cell", list(CELLS))
def test_cell_parameter_names_and_repr_match_torch(cell):
    ours_cls, torch_cls, kw = CELLS[cell]
    for bias in (True, False):
        tm = torch_cls(7, 6, bias=bias, **kw)
        m = ours_cls(7, 6, bias=bias, **kw)
        assert ([(k, tuple(p.shape)) for k, p in m.named_parameters()]
                == [(k, tuple(p.shape)) for k, p in tm.named_parameters()])
        assert repr(m) == repr(tm)


def test_long_lstm_float32_with_trained_like_weights():
    """50 steps, hidden 32: float32 round-off (and the float32 tanh approximation) must not
    drift over a long sequence."""
    tm, m = _pair(LSTM, torch.nn.LSTM, {}, np.float32, input_size=8, hidden_size=32,
                  num_layers=2)
    with torch.no_grad():
        for p in tm.parameters():
            p.mul_(3.0)  # saturating gates, as in a trained model
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    rng = np.random.default_rng(3)
    tx, x = _both(rng.standard_normal((50, 4, 8)) * 2, np.float32)
    tout, _ = tm(tx)
    out, _ = m(x)
    np.testing.assert_allclose(out._data, tout.detach().numpy(), rtol=1e-4, atol=1e-5)
    tout.sum().backward()
    out.sum().backward()
    np.testing.assert_allclose(x.grad._data, tx.grad.numpy(), rtol=1e-3, atol=1e-4)
    ours = dict(m.named_parameters())
    for k, p in tm.named_parameters():
        np.testing.assert_allclose(ours[k].grad._data, p.grad.numpy(), rtol=1e-3, atol=1e-4,
                                   err_msg=k)
