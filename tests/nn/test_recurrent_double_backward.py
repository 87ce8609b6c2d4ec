"""The recurrent ops' recorded backward (create_graph=True): the layer recomputed with the cell
in primitive ops and differentiated by autodiff. float64 second derivatives against central
differences for every layer kind and option, and the recorded first derivatives equal the
array backward's."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.gradcheck import gradgradcheck
from autodiff.ops import recurrent as RO

RNG = np.random.default_rng(11)


def _t(*shape):
    return ad.tensor(RNG.standard_normal(shape) * 0.7, requires_grad=True)


def _layer(kind, bias, reverse):
    """fn(x, h0[, c0], w_ih, w_hh, b_ih, b_hh) -> the layer's outputs; the argument Tensors."""
    L, N, I, H = 3, 2, 2, 3
    G = {"lstm": 4, "gru": 3}.get(kind, 1) * H
    states = [_t(N, H), _t(N, H)] if kind == "lstm" else [_t(N, H)]
    biases = [_t(G), _t(G)] if bias else []
    args = [_t(L, N, I), *states, _t(G, I), _t(G, H), *biases]
    ns = len(states)

    def fn(x, *rest):
        st, (w_ih, w_hh, *b) = rest[:ns], rest[ns:]
        b = b or [None, None]
        if kind == "lstm":
            return RO.lstm_layer(x, *st, w_ih, w_hh, *b, reverse=reverse)
        if kind == "gru":
            return RO.gru_layer(x, *st, w_ih, w_hh, *b, reverse=reverse)
        return RO.rnn_layer(x, *st, w_ih, w_hh, *b, reverse=reverse,
                            nonlinearity=kind.split("_")[1])
    return fn, args


KINDS = ["lstm", "gru", "rnn_tanh", "rnn_relu"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bias,reverse", [(True, False), (False, True)])
def test_layer_gradgradcheck(kind, bias, reverse):
    fn, args = _layer(kind, bias, reverse)
    assert gradgradcheck(fn, tuple(args))


@pytest.mark.parametrize("kind", KINDS)
def test_recorded_gradients_equal_array_gradients(kind):
    fn, args = _layer(kind, True, False)
    outs = fn(*args)
    ups = [ad.tensor(RNG.standard_normal(o.shape)) for o in outs]
    fast = ad.grad(outs, args, ups, retain_graph=True)
    recorded = ad.grad(outs, args, ups, create_graph=True)
    for a, b in zip(fast, recorded):
        assert b.requires_grad
        np.testing.assert_allclose(a._data, b._data, rtol=1e-12, atol=1e-12)


def test_only_some_inputs_need_grad():
    fn, args = _layer("lstm", True, False)
    x = args[0]
    frozen = [ad.tensor(a._data) for a in args[1:]]
    out, h, c = fn(x, *frozen)
    g, = ad.grad((out * out).sum() + h.sum(), [x], create_graph=True)
    hv, = ad.grad(g.sum(), [x])
    eps = 1e-6

    def first(xa):
        xt = ad.tensor(xa, requires_grad=True)
        o, hh, _ = fn(xt, *frozen)
        return ad.grad((o * o).sum() + hh.sum(), [xt])[0]._data.sum()
    num = np.zeros_like(x._data)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x._data)
        d[i] = eps
        num[i] = (first(x._data + d) - first(x._data - d)) / (2 * eps)
    np.testing.assert_allclose(hv._data, num, rtol=1e-5, atol=1e-7)
