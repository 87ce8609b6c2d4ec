"""Recurrent layers as fused ops: one graph node per layer and direction, not one per gate.

``LSTMLayer``, ``GRULayer`` and ``RNNLayer`` each run one layer in one direction over a whole
sequence ``x`` of shape ``(L, N, I)``:

* forward: the input projection ``x @ W_ih^T + b_ih (+ b_hh)`` of all time steps as one GEMM,
  then per step one GEMM ``h @ W_hh^T`` and a fused elementwise gate kernel
  (``autodiff.kernels.recurrent``);
* backward: per step the fused gate-gradient kernel and one GEMM ``dgates @ W_hh``; then the
  weight gradients ``dW_hh = sum_t dgates_t^T h_{t-1}``, ``dW_ih = dgates^T x`` and the input
  gradient ``dx = dgates @ W_ih`` as a few big GEMMs.

The fast backward (``backward_arrays``) works on arrays, so it is not itself differentiable.
When the backward pass is recorded (``create_graph=True``, i.e. grad mode is on inside
``backward``) the ops recompute the layer from the saved inputs with the cell written once in
primitive differentiable ops (``_lstm_step``, ``_gru_step``, ``_rnn_step``) and let autodiff
differentiate that graph, so gradients of gradients are exact with no second hand-written
backward (slower, and only then).

The big per-sequence activation arrays are borrowed from a small workspace
(``autodiff.kernels.recurrent_arrays``, with the big GEMMs) and given back when the node's
saved state is released (after backward, or when the graph is dropped): fresh multi-megabyte
arrays each call cost a page fault per 4 KiB, measured at ~100 us per step.

Layouts and conventions are PyTorch's: gates stacked along the last dim in the order
i, f, g, o (LSTM) and r, z, n (GRU, whose ``b_hn`` sits inside the reset product:
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``). ``reverse=True`` runs the sequence from
the last step to the first; the outputs stay in time order.
"""
from __future__ import annotations

import functools

import numpy as np

from .. import function as _f
from ..engine import grad
from ..function import Op
from ..grad_mode import _state
from ..kernels import recurrent as K
from ..kernels import recurrent_arrays as RA
from ..kernels import recurrent_lstm as KL
from ..kernels._launch import run_split, split_count
from .elementwise import activation, trig
from .linalg import products
from .shape import joins, views

_F32 = np.dtype(np.float32)
# the fewest batch rows of a part worth its own thread (see _batch_parts)
SPLIT_MIN_ROWS = 8


def _order(L, reverse):
    return range(L - 1, -1, -1) if reverse else range(L)


def _prev(t, L, reverse):
    """Index of the step processed before ``t`` (None for the first processed step)."""
    p = t + 1 if reverse else t - 1
    return p if 0 <= p < L else None


def _fast(*arrays):
    return all(a is None or a.dtype == _F32 for a in arrays)


# ---------------------------------------------------------------------------------------------
# the cells in primitive ops: the create_graph=True path, differentiated by autodiff


def _lstm_step(xp_t, w_hh, h, c):
    """(h', c') from the input projection ``xp_t`` (biases included) and (h, c)."""
    H = h.shape[-1]
    a = xp_t + products.matmul(h, views.transpose(w_hh, 0, 1))
    i, f, o = (activation.sigmoid(a[:, k * H:(k + 1) * H]) for k in (0, 1, 3))
    c = f * c + i * trig.tanh(a[:, 2 * H:3 * H])
    return o * trig.tanh(c), c


def _gru_step(xp_t, w_hh, b_hh, h):
    """(h',) from ``xp_t = x_t W_ih^T + b_ih`` and h."""
    H = h.shape[-1]
    hp = products.matmul(h, views.transpose(w_hh, 0, 1))
    if b_hh is not None:
        hp = hp + b_hh
    r = activation.sigmoid(xp_t[:, :H] + hp[:, :H])
    z = activation.sigmoid(xp_t[:, H:2 * H] + hp[:, H:2 * H])
    n = trig.tanh(xp_t[:, 2 * H:] + r * hp[:, 2 * H:])
    return ((1 - z) * n + z * h,)


def _rnn_step(xp_t, w_hh, nonlinearity, h):
    """(h',) from ``xp_t`` (biases included) and h."""
    a = xp_t + products.matmul(h, views.transpose(w_hh, 0, 1))
    return (trig.tanh(a) if nonlinearity == "tanh" else activation.relu(a),)


def _graph_grads(ctx, step, states, biases, grads):
    """The gradients of the op's inputs, recorded: the layer is recomputed from the saved inputs
    ``x, *states, w_ih, ...`` with ``step(xp_t, *states) -> states`` (primitive ops) and
    autodiff differentiates it (``create_graph=True``), so double backward is exact."""
    saved = ctx.saved_tensors[:-1]  # the last one is ``out``
    x, w_ih = saved[0], saved[1 + len(states)]
    xp = products.matmul(x, views.transpose(w_ih, 0, 1))
    for b in biases:
        if b is not None:
            xp = xp + b
    L = x.shape[0]
    outs = [None] * L
    for t in _order(L, ctx.reverse):
        states = step(xp[t], *states)
        outs[t] = states[0]
    need = ctx.needs_input_grad[:len(saved)]
    wrt = [a for a, n in zip(saved, need) if n]
    got = iter(grad((joins.stack(outs, 0), *states), wrt, grads, create_graph=True,
                    allow_unused=True) if wrt else ())
    return tuple(next(got) if n else None for n in need)


# ---------------------------------------------------------------------------------------------
# LSTM


def _batch_parts(N, work):
    """The batch ranges ``[(n0, n1), ...]`` a layer runs as independent parts, one per thread
    of ``kernels._launch.run_split`` (each with a 1-thread BLAS and the serial nogil cell
    kernels): batch rows never mix through time, so each part runs the whole step loop on its
    rows, and the weight gradients are the sum of the parts'. One part (the whole batch, BLAS
    threads as usual) when ``split_count(work)`` says a split does not pay or a part would
    have fewer than ``SPLIT_MIN_ROWS`` rows.

    Why (2 cores, L50 N32 I32 H128): the steps of one sequence run one after the other, and
    a step's product (``kernels.recurrent_lstm.panel_gemm``, 16 x 160 @ 160 x 512 per part) is
    a serial numba kernel, too small to split by columns without a hand-over per step; so the
    batch is split once per layer instead, each part's whole step loop (one nogil call, forward
    and backward) on its own core, and each part's weight-gradient sgemm at 1 BLAS thread.
    Measured against one part of all 32 rows (bench/recurrent.py's case, 2 threads, paired, one
    run): fwd+bwd 11.8 ms split against 19.7 unsplit, forward without grad 4.3 against 5.2
    (a noisy hour: torch ~12 and ~4-5). ``SPLIT_MIN_ROWS`` is a guess, not a measured
    crossover."""
    S = split_count(work) if N >= 2 * SPLIT_MIN_ROWS else 1
    return [(N * k // S, N * (k + 1) // S) for k in range(S)]


def _lstm_run(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, keep):
    """The LSTM forward on arrays: ``(out, h_n, c_n, parts, acts)`` with ``parts`` the batch
    ranges (``_batch_parts``) and ``acts`` the (gates, cs, tcs) of each part in turn. With
    ``keep`` the activations of every step are saved in (L, ...) workspace arrays for the
    backward; without, a step's gates, ``c`` and ``tanh(c)`` live in scratch reused by every
    step (the cell state ping-pongs between two buffers) and nothing is kept.

    float32 runs ``KL.lstm_forward_steps`` on the weights packed once here for all parts (the
    input projection folded into each step's GEMM); other dtypes the twin, after one input
    projection GEMM of the whole sequence. Each part reads its rows of ``x`` and writes its
    rows of ``out`` in place."""
    L, N, _ = x.shape
    G4 = w_hh.shape[0]
    H = G4 // 4
    dt = np.result_type(x, w_ih)
    fast = _fast(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    if fast:  # the parts read their rows of x in place: C-contiguous (a no-op when it is)
        x = np.ascontiguousarray(x)
        buf = _pack_buffer(H + w_ih.shape[1], G4)
        Wp, bp = KL.pack_gate_weights(w_hh, w_ih, RA.bias_sum(b_ih, b_hh, G4, dt), buf)
    else:
        xp = RA.project(x, w_ih, b_ih, b_hh)
    scale = _gate_scale(H, dt)
    out, hn, cn = np.empty((L, N, H), dt), np.empty((N, H), dt), np.empty((N, H), dt)
    take = RA.WS.take if keep else np.empty
    parts = _batch_parts(N, L * N * G4)

    def run(k):  # the part writes its rows of ``out`` in place
        n0, n1 = parts[k]
        n = n1 - n0
        gates = take((L if keep else 1, n, G4), dt)
        cs = take((L if keep else 2, n, H), dt)
        tcs = take((L if keep else 1, n, H), dt)
        state = (np.ascontiguousarray(h0[n0:n1], dt), np.ascontiguousarray(c0[n0:n1], dt),
                 out, gates, cs, tcs, scale, reverse, n0)
        if fast:
            c = KL.lstm_forward_steps(x, Wp, bp, *state)
        else:
            c = KL.lstm_forward_steps_py(KL.lstm_cell_forward_ref, xp, w_hh, *state)
        hn[n0:n1], cn[n0:n1] = out[0 if reverse else L - 1, n0:n1], c
        return gates, cs, tcs

    acts = run_split(run, len(parts))
    RA.WS.give((buf,) if fast else (xp,))
    return out, hn, cn, parts, acts


def _pack_buffer(K, C):
    """A workspace buffer for the packed weights of a (K, C) step product
    (``KL.pack_gate_weights`` / ``pack_hidden_weights``; give it back after the step loops):
    fresh, its 320 KB (H128 I32) cost ~0.1 ms of page faults per pack."""
    return RA.WS.take((KL.aligned_size(KL.panels_shape(K, C)),), _F32)


# (H, dtype) -> lstm_gate_scale(H, dtype), shared by every call and never written; bounded
_gate_scale = functools.lru_cache(maxsize=8)(KL.lstm_gate_scale)


class LSTMLayer(Op):
    """(out, h_n, c_n) = one LSTM layer over x (L, N, I) from h0, c0 (N, H):
    per step a = x_t W_ih^T + b_ih + b_hh + h W_hh^T, [i, f, g, o] = [sig, sig, tanh, sig](a),
    c = f c + i g, h = o tanh(c); out (L, N, H) holds every h. Biases may be None."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False):
        out, h, c, parts, acts = _lstm_run(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, True)
        # out is saved like any output: an in-place write on it makes backward raise
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, out)
        ctx.acts = RA.Borrowed(*(a for part in acts for a in part))
        ctx.parts = parts
        ctx.reverse = reverse
        ctx.fast = _fast(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
        return out, h, c

    @staticmethod
    def backward(ctx, g_out, g_hn, g_cn):
        w_hh, b_ih, b_hh = ctx.saved_tensors[4:7]
        step = lambda xp_t, h, c: _lstm_step(xp_t, w_hh, h, c)  # noqa: E731
        return _graph_grads(ctx, step, ctx.saved_tensors[1:3], (b_ih, b_hh),
                            (g_out, g_hn, g_cn)) + (None,)

    @staticmethod
    def backward_arrays(ctx, g_out, g_hn, g_cn):
        x, h0, c0, w_ih, w_hh, _, _, out = (None if t is None else t._data
                                            for t in ctx.saved_tensors)
        acts, parts, reverse = ctx.acts.arrays, ctx.parts, ctx.reverse
        dt = acts[0].dtype
        dh = np.array(g_hn, dtype=dt)
        dc = np.array(g_cn, dtype=dt)
        nx, nh, nc, nwi, nwh, nbi, nbh = ctx.needs_input_grad[:7]
        # the step products give dx too: [dh | dx_t] = dA_t [W_hh | W_ih]
        dx = np.empty((x.shape[0], x.shape[1], w_ih.shape[1] if nx else 0), dt)
        buf = None
        if ctx.fast:  # the weights (and a zero bias) packed once for all parts
            buf = _pack_buffer(w_hh.shape[0], w_hh.shape[1] + (w_ih.shape[1] if nx else 0))
            loop = KL.lstm_backward_steps
            w = KL.pack_hidden_weights(w_hh, w_ih if nx else None, buf)
        else:
            loop = functools.partial(KL.lstm_backward_steps_py, KL.lstm_cell_backward_ref)
            w = (np.concatenate([w_hh, w_ih], axis=1) if nx else w_hh,)

        def run(k):  # the batch rows of part k, as in the forward
            n0, n1 = parts[k]
            gates, cs, tcs = acts[3 * k:3 * k + 3]
            gout, borrowed = RA.contiguous(g_out[:, n0:n1])
            dA = RA.WS.take(gates.shape, dt)
            loop(dh[n0:n1], gout, dc[n0:n1], gates, cs, np.ascontiguousarray(c0[n0:n1], dt),
                 tcs, dA, np.empty_like(dc[n0:n1]), *w, dx[:, n0:n1], reverse, nh)
            grads = RA.layer_grads(dA, out[:, n0:n1], h0[n0:n1], x[:, n0:n1], w_ih, reverse,
                                   (False, nwi, nwh))
            RA.WS.give((dA, gout) if borrowed else (dA,))
            return grads

        _, dw_ih, dw_hh, db = RA.join_parts(run_split(run, len(parts)))
        if buf is not None:
            RA.WS.give((buf,))
        return (dx if nx else None, dh if nh else None, dc if nc else None, dw_ih, dw_hh,
                db if nbi else None, db if nbh else None, None)


def lstm_inference(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """LSTMLayer's forward on arrays with nothing kept for a backward (per-step scratch instead
    of the (L, N, 4H) and two (L, N, H) saved arrays). Returns ``(out, h_n, c_n)`` arrays,
    equal bit for bit to the graph path's."""
    return _lstm_run(x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, False)[:3]


# ---------------------------------------------------------------------------------------------
# GRU


def _finish(ctx, xp, inputs, reverse, out, h):
    """The end of the GRU's and RNN's forward: the projection ``xp`` goes back to the
    workspace, the inputs and ``out`` are saved (``out`` like any output: an in-place write on
    it makes backward raise); returns ``(out, h_n)``."""
    RA.WS.give((xp,))
    ctx.save_for_backward(*inputs, out)
    ctx.reverse = reverse
    return out, h.copy()




class GRULayer(Op):
    """(out, h_n) = one GRU layer over x (L, N, I) from h0 (N, H): per step
    xp = x_t W_ih^T + b_ih, hp = h W_hh^T + b_hh, r = sig(xp_r + hp_r), z = sig(xp_z + hp_z),
    n = tanh(xp_n + r hp_n), h = (1 - z) n + z h. Biases may be None."""

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False):
        L, N, _ = x.shape
        G3 = w_hh.shape[0]
        H = G3 // 3
        dt = np.result_type(x, w_ih)
        fast = _fast(x, h0, w_ih, w_hh, b_ih, b_hh)
        cell = K.gru_cell_forward if fast else K.gru_cell_forward_ref
        xp = RA.project(x, w_ih, b_ih, None)
        out = np.empty((L, N, H), dt)
        gates = RA.WS.take((L, N, G3), dt)
        hpn = RA.WS.take((L, N, H), dt)
        hp = np.empty((N, G3), dt)
        wT = w_hh.T
        h = h0
        for t in _order(L, reverse):
            np.matmul(h, wT, out=hp)
            if b_hh is not None:
                hp += b_hh
            hpn[t] = hp[:, 2 * H:]
            cell(xp[t], hp, h, gates[t], out[t])
            h = out[t]
        ctx.acts = RA.Borrowed(gates, hpn)
        ctx.fast = fast
        return _finish(ctx, xp, (x, h0, w_ih, w_hh, b_ih, b_hh), reverse, out, h)

    @staticmethod
    def backward(ctx, g_out, g_hn):
        w_hh, b_ih, b_hh = ctx.saved_tensors[3:6]
        step = lambda xp_t, h: _gru_step(xp_t, w_hh, b_hh, h)  # noqa: E731
        return _graph_grads(ctx, step, ctx.saved_tensors[1:2], (b_ih,), (g_out, g_hn)) + (None,)

    @staticmethod
    def backward_arrays(ctx, g_out, g_hn):
        x, h0, w_ih, w_hh, _, _, out = (None if t is None else t._data
                                        for t in ctx.saved_tensors)
        gates, hpn = ctx.acts.arrays
        reverse = ctx.reverse
        L = x.shape[0]
        cell = K.gru_cell_backward if ctx.fast else K.gru_cell_backward_ref
        gout, borrowed = RA.contiguous(g_out)
        dh = np.array(g_hn, dtype=gates.dtype)
        direct = np.empty_like(dh)
        dxp = RA.WS.take(gates.shape, gates.dtype)
        dhp = RA.WS.take(gates.shape, gates.dtype)
        for t in reversed(_order(L, reverse)):
            p = _prev(t, L, reverse)
            cell(dh, gout[t], gates[t], hpn[t], h0 if p is None else out[p], dxp[t], dhp[t],
                 direct)
            np.matmul(dhp[t], w_hh, out=dh)
            dh += direct
        nx, nh, nwi, nwh, nbi, nbh = ctx.needs_input_grad[:6]
        dw_hh = RA.hidden_weight_grad(dhp, out, h0, reverse) if nwh else None
        db_hh = dhp.sum((0, 1)) if nbh else None
        dx, dw_ih, db_ih = RA.input_grads(dxp, x, w_ih, nx, nwi)
        RA.WS.give((dxp, dhp, gout) if borrowed else (dxp, dhp))
        return dx, dh, dw_ih, dw_hh, (db_ih if nbi else None), db_hh, None


# ---------------------------------------------------------------------------------------------
# Elman RNN


class RNNLayer(Op):
    """(out, h_n) = one Elman RNN layer over x (L, N, I) from h0 (N, H): per step
    h = act(x_t W_ih^T + b_ih + b_hh + h W_hh^T), act 'tanh' or 'relu'. Biases may be None."""

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse=False, nonlinearity="tanh"):
        L, N, _ = x.shape
        H = w_hh.shape[0]
        dt = np.result_type(x, w_ih)
        xp = RA.project(x, w_ih, b_ih, b_hh)
        out = np.empty((L, N, H), dt)
        tanh = K.tanh32 if _fast(x, h0, w_ih, w_hh, b_ih, b_hh) else K.tanh32_ref
        wT = w_hh.T
        h = h0
        for t in _order(L, reverse):
            a = out[t]
            np.matmul(h, wT, out=a)
            a += xp[t]
            if nonlinearity == "tanh":
                tanh(a, a)
            else:
                np.maximum(a, 0, out=a)
            h = a
        ctx.nonlinearity = nonlinearity
        return _finish(ctx, xp, (x, h0, w_ih, w_hh, b_ih, b_hh), reverse, out, h)

    @staticmethod
    def backward(ctx, g_out, g_hn):
        w_hh, b_ih, b_hh = ctx.saved_tensors[3:6]
        act = ctx.nonlinearity
        step = lambda xp_t, h: _rnn_step(xp_t, w_hh, act, h)  # noqa: E731
        return _graph_grads(ctx, step, ctx.saved_tensors[1:2], (b_ih, b_hh),
                            (g_out, g_hn)) + (None, None)

    @staticmethod
    def backward_arrays(ctx, g_out, g_hn):
        x, h0, w_ih, w_hh, _, _, out = (None if t is None else t._data
                                        for t in ctx.saved_tensors)
        reverse = ctx.reverse
        L = x.shape[0]
        gout = g_out
        dh = np.array(g_hn, dtype=out.dtype)
        dA = RA.WS.take(out.shape, out.dtype)
        for t in reversed(_order(L, reverse)):
            d = dh + gout[t]
            h = out[t]
            if ctx.nonlinearity == "tanh":
                np.multiply(d, 1 - h * h, out=dA[t])
            else:
                # relu: a select as PyTorch's threshold_backward (0 where h <= 0 even for
                # an inf or NaN d; a NaN h passes d)
                np.copyto(dA[t], d)
                np.copyto(dA[t], 0, where=h <= 0)
            np.matmul(dA[t], w_hh, out=dh)
        nx, nh, nwi, nwh, nbi, nbh = ctx.needs_input_grad[:6]
        dx, dw_ih, dw_hh, db = RA.layer_grads(dA, out, h0, x, w_ih, reverse, (nx, nwi, nwh))
        RA.WS.give((dA,))
        return dx, dh, dw_ih, dw_hh, (db if nbi else None), (db if nbh else None), None, None


# ---------------------------------------------------------------------------------------------
# functional forms (one layer, one direction; x is (L, N, I), states (N, H))


def lstm_layer(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """One LSTM layer: returns ``(out (L, N, H), h_n (N, H), c_n (N, H))``.

    Without a graph to record (grad mode off, or no argument requiring grad) it runs
    ``lstm_inference``: nothing is saved for a backward."""
    args = (x, h0, c0, w_ih, w_hh, b_ih, b_hh)
    if _state.grad_enabled and any(getattr(a, "requires_grad", False) for a in args):
        return LSTMLayer.apply(*args, reverse)
    T = _f.Tensor
    return tuple(T._make(a) for a in lstm_inference(
        *(a._data if isinstance(a, T) else a for a in args), reverse=reverse))


def gru_layer(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """One GRU layer: returns ``(out (L, N, H), h_n (N, H))``."""
    return GRULayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh, reverse)


def rnn_layer(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False, nonlinearity="tanh"):
    """One Elman RNN layer (``nonlinearity`` 'tanh' or 'relu'): ``(out (L, N, H), h_n)``."""
    return RNNLayer.apply(x, h0, w_ih, w_hh, b_ih, b_hh, reverse, nonlinearity)


def lstm_cell(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step on x (N, I), h, c (N, H): returns ``(h', c')``."""
    _, hn, cn = lstm_layer(views.unsqueeze(x, 0), h, c, w_ih, w_hh, b_ih, b_hh)
    return hn, cn


def gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step on x (N, I), h (N, H): returns h'."""
    return gru_layer(views.unsqueeze(x, 0), h, w_ih, w_hh, b_ih, b_hh)[1]


def rnn_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """One Elman RNN step on x (N, I), h (N, H): returns h'."""
    return rnn_layer(views.unsqueeze(x, 0), h, w_ih, w_hh, b_ih, b_hh, False, nonlinearity)[1]
