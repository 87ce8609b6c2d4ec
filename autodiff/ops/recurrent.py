"""Recurrent layers as fused ops: one graph node per layer and direction, not one per gate.

``LSTMLayer``, ``GRULayer`` and ``RNNLayer`` each run one layer in one direction over a whole
sequence ``x`` of shape ``(L, N, I)``:

* forward: the input projection ``x @ W_ih^T + b_ih (+ b_hh)`` of all time steps as one GEMM,
  then per step one GEMM ``h @ W_hh^T`` and a fused elementwise gate kernel
  (``autodiff.kernels.recurrent``);
* backward: per step the fused gate-gradient kernel and one GEMM ``dgates @ W_hh``; then the
  weight gradients ``dW_hh = sum_t dgates_t^T h_{t-1}``, ``dW_ih = dgates^T x`` and the input
  gradient ``dx = dgates @ W_ih`` as a few big GEMMs.

The fast backward works on arrays, so it is not itself differentiable. When the backward pass is
recorded (``create_graph=True``, i.e. grad mode is on inside ``backward``) the ops switch to a
composed fallback: the forward is recomputed from the saved inputs with primitive
differentiable ops and the same backward recurrence is written with differentiable ops, so
gradients of gradients are exact (slower, and only then).

The big per-sequence activation arrays are borrowed from a small workspace and given back when
the node's saved state is released (after backward, or when the graph is dropped): fresh
multi-megabyte arrays each call cost a page fault per 4 KiB, measured at ~100 us per step.

Layouts and conventions are PyTorch's: gates stacked along the last dim in the order
i, f, g, o (LSTM) and r, z, n (GRU, whose ``b_hn`` sits inside the reset product:
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``). ``reverse=True`` runs the sequence from
the last step to the first; the outputs stay in time order.
"""
from __future__ import annotations

import threading

import numpy as np

from ..grad_mode import _state
from .. import function as _f
from ..function import Op
from ..kernels import recurrent as K
from ..kernels import release_memory
from .elementwise import activation
from .shape import joins
from .linalg import products
from .elementwise import select
from .reduce import sums
from .elementwise import trig
from .shape import views

_F32 = np.dtype(np.float32)


def _order(L, reverse):
    return range(L - 1, -1, -1) if reverse else range(L)


def _prev(t, L, reverse):
    """Index of the step processed before ``t`` (None for the first processed step)."""
    p = t + 1 if reverse else t - 1
    return p if 0 <= p < L else None


def _fast(*arrays):
    return all(a is None or a.dtype == _F32 for a in arrays)


# ---------------------------------------------------------------------------------------------
# workspace


class _Workspace:
    """Free arrays by (shape, dtype), at most ``per_key`` each and ``max_bytes`` in all.

    32 MiB holds every buffer of a 1-layer LSTM step of the benchmark (hidden 128, seq 50,
    batch 32: ~13 MB) with room to spare; bigger models allocate what does not fit. The cache
    is emptied by :func:`clear_workspace` and whenever a recurrent ``nn`` module is garbage
    collected (was 256 MiB, kept for the life of the process)."""

    def __init__(self, per_key=4, max_bytes=32 << 20):
        self.free = {}
        self.bytes = 0
        self.per_key = per_key
        self.max_bytes = max_bytes
        self.lock = threading.Lock()

    def take(self, shape, dtype):
        key = (shape, np.dtype(dtype))
        with self.lock:
            lst = self.free.get(key)
            if lst:
                a = lst.pop()
                self.bytes -= a.nbytes
                return a
        return np.empty(shape, dtype)

    def give(self, arrays):
        with self.lock:
            for a in arrays:
                lst = self.free.setdefault((a.shape, a.dtype), [])
                if len(lst) < self.per_key and self.bytes + a.nbytes <= self.max_bytes:
                    lst.append(a)
                    self.bytes += a.nbytes

    def clear(self):
        with self.lock:
            self.free.clear()
            self.bytes = 0


_WS = _Workspace()


def clear_workspace():
    """Drop the recurrent layers' cached free buffers and return the memory to the OS (arrays
    still saved by a live graph are not affected; they return to the cache when that graph is
    freed). Returns the bytes released from the cache."""
    released = _WS.bytes
    _WS.clear()
    if released:
        release_memory()  # the freed buffers sit below malloc's trim threshold
    return released


class _Borrowed:
    """Holds workspace arrays saved for backward; gives them back when it dies (the node
    drops it on release; a graph dropped without backward drops it too)."""

    __slots__ = ("arrays",)

    def __init__(self, *arrays):
        self.arrays = arrays

    def __del__(self):
        try:
            _WS.give(self.arrays)
        except Exception:  # interpreter shutdown
            pass


# ---------------------------------------------------------------------------------------------
# shared pieces


def _project(x, w_ih, b1, b2):
    """x (L, N, I) @ w_ih^T + b1 + b2 -> (L, N, G), in a workspace array (the biases are summed
    first: one pass over the big array instead of two)."""
    L, N, I = x.shape
    G = w_ih.shape[0]
    xp = _WS.take((L, N, G), np.result_type(x, w_ih))
    np.matmul(np.reshape(x, (L * N, I)), w_ih.T, out=xp.reshape(L * N, G))
    if b1 is not None or b2 is not None:
        xp += _bias_sum(b1, b2, G, xp.dtype)
    return xp


def _bias_sum(b1, b2, G, dtype):
    """b1 + b2 as a (G,) array of ``dtype``, either may be None (zeros when both are)."""
    if b1 is None and b2 is None:
        return np.zeros(G, dtype)
    if b1 is None or b2 is None:
        return np.asarray(b1 if b2 is None else b2, dtype)
    return np.add(b1, b2, dtype=dtype)


def _contiguous(a):
    """(array, borrowed): ``a`` itself when C-contiguous, else a copy in a workspace array
    (e.g. the broadcast gradient of ``out.sum()``; the kernels vectorise unit strides only)."""
    if a.flags.c_contiguous:
        return a, False
    buf = _WS.take(a.shape, a.dtype)
    np.copyto(buf, a)
    return buf, True


def _hidden_weight_grad(dA, out, h0, reverse):
    """sum_t dA[t]^T h_prev(t) with h_prev the hidden state fed into step t: one big GEMM over
    the steps whose previous state is an output, plus one for the step that read ``h0``."""
    L, N, G = dA.shape
    H = out.shape[2]
    if reverse:
        first = dA[L - 1].T @ h0
        return first + dA[:-1].reshape(-1, G).T @ out[1:].reshape(-1, H) if L > 1 else first
    first = dA[0].T @ h0
    return first + dA[1:].reshape(-1, G).T @ out[:-1].reshape(-1, H) if L > 1 else first


def _layer_grads(dA, out, h0, x, w_ih, reverse, need):
    """(dx, dW_ih, dW_hh, db) of a layer whose input and hidden projections share the
    gradient ``dA`` (LSTM, RNN). When both weight gradients are needed they and the bias
    gradient come from one GEMM ``dA^T [h_prev | x | 1]`` (a K=32 GEMM on its own runs at half
    the speed of a wider one; the ones column costs ~15 us against ~60 us for ``dA.sum(0)``)."""
    nx, nwi, nwh = need
    if not (nwi and nwh):
        dw_hh = _hidden_weight_grad(dA, out, h0, reverse) if nwh else None
        dx, dw_ih, db = _input_grads(dA, x, w_ih, nx, nwi)
        return dx, dw_ih, dw_hh, db
    L, N, G = dA.shape
    H, I = out.shape[2], x.shape[2]
    z = _WS.take((L, N, H + I + 1), dA.dtype)
    if reverse:
        z[:-1, :, :H] = out[1:]
        z[L - 1, :, :H] = h0
    else:
        z[1:, :, :H] = out[:-1]
        z[0, :, :H] = h0
    z[:, :, H:H + I] = x
    z[:, :, H + I] = 1
    dw = dA.reshape(L * N, G).T @ z.reshape(L * N, H + I + 1)
    _WS.give((z,))
    dx, _, _ = _input_grads(dA, x, w_ih, nx, False, False)
    return dx, dw[:, H:H + I], dw[:, :H], dw[:, H + I]


def _input_grads(dxp, x, w_ih, need_x, need_w, need_b=True):
    """dx = dxp @ W_ih, dW_ih = dxp^T x, db = sum dxp over (L, N), for dxp (L, N, G)."""
    L, N, G = dxp.shape
    I = x.shape[2]
    d2 = dxp.reshape(L * N, G)
    dx = (d2 @ w_ih).reshape(L, N, I) if need_x else None
    dw = d2.T @ np.reshape(x, (L * N, I)) if need_w else None
    db = d2.sum(0) if need_b else None
    return dx, dw, db


def _input_grads_composed(dxp, x, w_ih):
    """The same with differentiable ops."""
    L, N, G = dxp.shape
    I = x.shape[2]
    d2 = views.reshape(dxp, L * N, G)
    dx = views.reshape(products.matmul(d2, w_ih), L, N, I)
    dw = products.matmul(views.transpose(d2, 0, 1), views.reshape(x, L * N, I))
    return dx, dw, sums.sum(d2, 0)


def _project_composed(x, w_ih, b1, b2):
    xp = products.matmul(x, views.transpose(w_ih, 0, 1))
    if b1 is not None:
        xp = xp + b1
    if b2 is not None:
        xp = xp + b2
    return xp


# ---------------------------------------------------------------------------------------------
# LSTM


class LSTMLayer(Op):
    """(out, h_n, c_n) = one LSTM layer over x (L, N, I) from h0, c0 (N, H):
    per step a = x_t W_ih^T + b_ih + b_hh + h W_hh^T, [i, f, g, o] = [sig, sig, tanh, sig](a),
    c = f c + i g, h = o tanh(c); out (L, N, H) holds every h. Biases may be None."""

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=False):
        L, N, _ = x.shape
        G4 = w_hh.shape[0]
        H = G4 // 4
        dt = np.result_type(x, w_ih)
        fast = _fast(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
        cell = K.lstm_cell_forward if fast else K.lstm_cell_forward_ref
        xp = _project(x, w_ih, None, None)
        b = _bias_sum(b_ih, b_hh, G4, dt)  # added inside the cell kernel
        out = np.empty((L, N, H), dt)
        gates = _WS.take((L, N, G4), dt)
        cs = _WS.take((L, N, H), dt)
        tcs = _WS.take((L, N, H), dt)
        hw = np.empty((N, G4), dt)  # h @ W_hh^T of the current step
        scale = K.lstm_gate_scale(H, dt)
        wT = w_hh.T
        h, c = h0, c0
        for t in _order(L, reverse):
            np.matmul(h, wT, out=hw)
            cell(hw, xp[t], b, c, gates[t], cs[t], tcs[t], out[t], scale)
            h, c = out[t], cs[t]
        _WS.give((xp,))
        # out is saved like any output: an in-place write on it makes backward raise
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, out)
        ctx.acts = _Borrowed(gates, cs, tcs)
        ctx.reverse = reverse
        ctx.fast = fast
        return out, h.copy(), c.copy()

    @staticmethod
    def backward(ctx, g_out, g_hn, g_cn):
        if _state.grad_enabled:
            return _lstm_backward_composed(ctx, g_out, g_hn, g_cn)
        x, h0, c0, w_ih, w_hh, _, _, out = (None if t is None else t._data
                                            for t in ctx.saved_tensors)
        gates, cs, tcs = ctx.acts.arrays
        reverse = ctx.reverse
        L = x.shape[0]
        cell = K.lstm_cell_backward if ctx.fast else K.lstm_cell_backward_ref
        gout, borrowed = _contiguous(g_out._data)
        dh = np.array(g_hn._data, dtype=gates.dtype)
        dc = np.array(g_cn._data, dtype=gates.dtype)
        dcc = np.empty_like(dc)
        dA = _WS.take(gates.shape, gates.dtype)
        nx, nh, nc, nwi, nwh, nbi, nbh = ctx.needs_input_grad[:7]
        for t in reversed(_order(L, reverse)):
            p = _prev(t, L, reverse)
            cell(dh, gout[t], dc, gates[t], c0 if p is None else cs[p], tcs[t], dA[t], dcc)
            if p is not None or nh:  # the last product only feeds the gradient of h0
                np.matmul(dA[t], w_hh, out=dh)
        dx, dw_ih, dw_hh, db = _layer_grads(dA, out, h0, x, w_ih, reverse, (nx, nwi, nwh))
        _WS.give((dA, gout) if borrowed else (dA,))
        return (dx, dh if nh else None, dc if nc else None, dw_ih, dw_hh,
                db if nbi else None, db if nbh else None, None)


def _lstm_backward_composed(ctx, g_out, g_hn, g_cn):
    """The LSTMLayer gradient written with differentiable ops (for create_graph=True)."""
    x, h0, c0, w_ih, w_hh, b_ih, b_hh, _ = ctx.saved_tensors
    reverse = ctx.reverse
    L = x.shape[0]
    H = h0.shape[-1]
    xp = _project_composed(x, w_ih, b_ih, b_hh)
    wT = views.transpose(w_hh, 0, 1)
    steps = {}
    h, c = h0, c0
    for t in _order(L, reverse):
        a = xp[t] + products.matmul(h, wT)
        i, f, g, o = (activation.sigmoid(a[:, :H]), activation.sigmoid(a[:, H:2 * H]),
                      trig.tanh(a[:, 2 * H:3 * H]), activation.sigmoid(a[:, 3 * H:]))
        c_new = f * c + i * g
        tc = trig.tanh(c_new)
        steps[t] = (i, f, g, o, c, tc, h)
        h, c = o * tc, c_new
    dh, dc, dw_hh = g_hn, g_cn, None
    dA = [None] * L
    for t in reversed(_order(L, reverse)):
        i, f, g, o, c_prev, tc, h_prev = steps[t]
        d = dh + g_out[t]
        dcc = dc + d * o * (1 - tc * tc)
        da = joins.cat([dcc * g * i * (1 - i), dcc * c_prev * f * (1 - f), dcc * i * (1 - g * g),
                    d * tc * o * (1 - o)], 1)
        dA[t] = da
        step_dw = products.matmul(views.transpose(da, 0, 1), h_prev)
        dw_hh = step_dw if dw_hh is None else dw_hh + step_dw
        dh = products.matmul(da, w_hh)
        dc = dcc * f
    dx, dw_ih, db = _input_grads_composed(joins.stack(dA, 0), x, w_ih)
    return (dx, dh, dc, dw_ih, dw_hh, db if b_ih is not None else None,
            db if b_hh is not None else None, None)


def lstm_inference(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """LSTMLayer's forward on arrays with nothing kept for a backward: the gates, ``c`` and
    ``tanh(c)`` of a step live in (N, 4H) / (N, H) scratch reused by every step (the graph
    path writes (L, N, 4H) and two (L, N, H) arrays to save them), the cell state ping-pongs
    between two buffers.  Returns ``(out, h_n, c_n)`` arrays, equal bit for bit to the graph
    path's."""
    L, N, _ = x.shape
    G4 = w_hh.shape[0]
    H = G4 // 4
    dt = np.result_type(x, w_ih)
    cell = (K.lstm_cell_forward if _fast(x, h0, c0, w_ih, w_hh, b_ih, b_hh)
            else K.lstm_cell_forward_ref)
    xp = _project(x, w_ih, None, None)
    b = _bias_sum(b_ih, b_hh, G4, dt)
    out = np.empty((L, N, H), dt)
    gates = np.empty((N, G4), dt)
    tc = np.empty((N, H), dt)
    cbuf = (np.empty((N, H), dt), np.empty((N, H), dt))
    hw = np.empty((N, G4), dt)
    scale = K.lstm_gate_scale(H, dt)
    wT = w_hh.T
    h, c = h0, c0
    for k, t in enumerate(_order(L, reverse)):
        np.matmul(h, wT, out=hw)
        c_new = cbuf[k & 1]
        cell(hw, xp[t], b, c, gates, c_new, tc, out[t], scale)
        h, c = out[t], c_new
    _WS.give((xp,))
    return out, h.copy(), c.copy()


# ---------------------------------------------------------------------------------------------
# GRU


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
        xp = _project(x, w_ih, b_ih, None)
        out = np.empty((L, N, H), dt)
        gates = _WS.take((L, N, G3), dt)
        hpn = _WS.take((L, N, H), dt)
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
        _WS.give((xp,))
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh, out)  # out: version-checked
        ctx.acts = _Borrowed(gates, hpn)
        ctx.reverse = reverse
        ctx.fast = fast
        return out, h.copy()

    @staticmethod
    def backward(ctx, g_out, g_hn):
        if _state.grad_enabled:
            return _gru_backward_composed(ctx, g_out, g_hn)
        x, h0, w_ih, w_hh, _, _, out = (None if t is None else t._data
                                        for t in ctx.saved_tensors)
        gates, hpn = ctx.acts.arrays
        reverse = ctx.reverse
        L = x.shape[0]
        cell = K.gru_cell_backward if ctx.fast else K.gru_cell_backward_ref
        gout, borrowed = _contiguous(g_out._data)
        dh = np.array(g_hn._data, dtype=gates.dtype)
        direct = np.empty_like(dh)
        dxp = _WS.take(gates.shape, gates.dtype)
        dhp = _WS.take(gates.shape, gates.dtype)
        for t in reversed(_order(L, reverse)):
            p = _prev(t, L, reverse)
            cell(dh, gout[t], gates[t], hpn[t], h0 if p is None else out[p], dxp[t], dhp[t],
                 direct)
            np.matmul(dhp[t], w_hh, out=dh)
            dh += direct
        nx, nh, nwi, nwh, nbi, nbh = ctx.needs_input_grad[:6]
        dw_hh = _hidden_weight_grad(dhp, out, h0, reverse) if nwh else None
        db_hh = dhp.sum((0, 1)) if nbh else None
        dx, dw_ih, db_ih = _input_grads(dxp, x, w_ih, nx, nwi)
        _WS.give((dxp, dhp, gout) if borrowed else (dxp, dhp))
        return dx, dh, dw_ih, dw_hh, (db_ih if nbi else None), db_hh, None


def _gru_backward_composed(ctx, g_out, g_hn):
    """The GRULayer gradient written with differentiable ops (for create_graph=True)."""
    x, h0, w_ih, w_hh, b_ih, b_hh, _ = ctx.saved_tensors
    reverse = ctx.reverse
    L = x.shape[0]
    H = h0.shape[-1]
    xp = _project_composed(x, w_ih, b_ih, None)
    wT = views.transpose(w_hh, 0, 1)
    steps = {}
    h = h0
    for t in _order(L, reverse):
        hp = products.matmul(h, wT)
        if b_hh is not None:
            hp = hp + b_hh
        x_t = xp[t]
        r = activation.sigmoid(x_t[:, :H] + hp[:, :H])
        z = activation.sigmoid(x_t[:, H:2 * H] + hp[:, H:2 * H])
        hp_n = hp[:, 2 * H:]
        n = trig.tanh(x_t[:, 2 * H:] + r * hp_n)
        steps[t] = (r, z, n, hp_n, h)
        h = (1 - z) * n + z * h
    dh, dw_hh, db_hh = g_hn, None, None
    dxp = [None] * L
    for t in reversed(_order(L, reverse)):
        r, z, n, hp_n, h_prev = steps[t]
        d = dh + g_out[t]
        dan = d * (1 - z) * (1 - n * n)
        daz = d * (h_prev - n) * z * (1 - z)
        dar = dan * hp_n * r * (1 - r)
        dxp[t] = joins.cat([dar, daz, dan], 1)
        dhp = joins.cat([dar, daz, dan * r], 1)
        step_dw = products.matmul(views.transpose(dhp, 0, 1), h_prev)
        dw_hh = step_dw if dw_hh is None else dw_hh + step_dw
        step_db = sums.sum(dhp, 0)
        db_hh = step_db if db_hh is None else db_hh + step_db
        dh = d * z + products.matmul(dhp, w_hh)
    dx, dw_ih, db_ih = _input_grads_composed(joins.stack(dxp, 0), x, w_ih)
    return (dx, dh, dw_ih, dw_hh, db_ih if b_ih is not None else None,
            db_hh if b_hh is not None else None, None)


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
        xp = _project(x, w_ih, b_ih, b_hh)
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
        _WS.give((xp,))
        ctx.save_for_backward(x, h0, w_ih, w_hh, b_ih, b_hh, out)  # out: version-checked
        ctx.reverse = reverse
        ctx.nonlinearity = nonlinearity
        return out, h.copy()

    @staticmethod
    def backward(ctx, g_out, g_hn):
        if _state.grad_enabled:
            return _rnn_backward_composed(ctx, g_out, g_hn)
        x, h0, w_ih, w_hh, _, _, out = (None if t is None else t._data
                                        for t in ctx.saved_tensors)
        reverse = ctx.reverse
        L = x.shape[0]
        gout = g_out._data
        dh = np.array(g_hn._data, dtype=out.dtype)
        dA = _WS.take(out.shape, out.dtype)
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
        dx, dw_ih, dw_hh, db = _layer_grads(dA, out, h0, x, w_ih, reverse, (nx, nwi, nwh))
        _WS.give((dA,))
        return dx, dh, dw_ih, dw_hh, (db if nbi else None), (db if nbh else None), None, None


def _rnn_backward_composed(ctx, g_out, g_hn):
    """The RNNLayer gradient written with differentiable ops (for create_graph=True)."""
    x, h0, w_ih, w_hh, b_ih, b_hh, _ = ctx.saved_tensors
    reverse = ctx.reverse
    L = x.shape[0]
    xp = _project_composed(x, w_ih, b_ih, b_hh)
    wT = views.transpose(w_hh, 0, 1)
    steps = {}
    h = h0
    for t in _order(L, reverse):
        a = xp[t] + products.matmul(h, wT)
        h_new = trig.tanh(a) if ctx.nonlinearity == "tanh" else activation.relu(a)
        steps[t] = (a, h_new, h)
        h = h_new
    dh, dw_hh = g_hn, None
    dA = [None] * L
    for t in reversed(_order(L, reverse)):
        a, h_new, h_prev = steps[t]
        d = dh + g_out[t]
        if ctx.nonlinearity == "tanh":
            da = d * (1 - h_new * h_new)
        else:
            da = select.where(h_new._data <= 0, d._data.dtype.type(0), d)
        dA[t] = da
        step_dw = products.matmul(views.transpose(da, 0, 1), h_prev)
        dw_hh = step_dw if dw_hh is None else dw_hh + step_dw
        dh = products.matmul(da, w_hh)
    dx, dw_ih, db = _input_grads_composed(joins.stack(dA, 0), x, w_ih)
    return (dx, dh, dw_ih, dw_hh, db if b_ih is not None else None,
            db if b_hh is not None else None, None, None)


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
