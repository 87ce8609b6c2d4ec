"""Recurrent layers as fused ops: one graph node per layer and direction, not one per gate.

A recurrent layer over a sequence ``x`` of shape ``(L, N, I)`` is two nodes:

* ``InputProjection``: ``x @ W_ih^T + b_ih (+ b_hh)`` for all time steps in one GEMM;
* ``LSTMSequence`` / ``GRUSequence`` / ``RNNSequence``: the recurrence. Forward runs one GEMM
  ``h @ W_hh^T`` per step plus a fused elementwise gate kernel (``autodiff.kernels.recurrent``);
  backward runs the fused gate-gradient kernel and one GEMM ``dgates @ W_hh`` per step, and
  the weight gradient ``dW_hh = sum_t dgates_t^T h_{t-1}`` as one big GEMM at the end.

The fast backward works on arrays, so it is not itself differentiable. When the backward pass is
recorded (``create_graph=True``, i.e. grad mode is on inside ``backward``) the sequence ops
switch to a composed fallback: the forward is recomputed from the saved inputs with primitive
differentiable ops and the same backward recurrence is written with differentiable ops, so
gradients of gradients are exact (slower, and only then).

Layouts and conventions are PyTorch's: gates stacked along the last dim in the order
i, f, g, o (LSTM) and r, z, n (GRU, whose ``b_hn`` sits inside the reset product:
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``). ``reverse=True`` runs the sequence from
the last step to the first; the outputs stay in time order.
"""
from __future__ import annotations

import numpy as np

from ..engine import _state
from ..function import Op
from ..kernels import recurrent as K
from . import elementwise as E
from . import linalg as LA
from . import reduce as R
from . import shape as S

_F32 = np.dtype(np.float32)


def _order(L, reverse):
    return range(L - 1, -1, -1) if reverse else range(L)


def _prev(t, L, reverse):
    """Index of the step processed before ``t`` (None for the first processed step)."""
    p = t + 1 if reverse else t - 1
    return p if 0 <= p < L else None


def _fast(*arrays):
    return all(a.dtype == _F32 for a in arrays)


def _hidden_weight_grad(dA, out, h0, reverse):
    """sum_t dA[t]^T h_prev(t) with h_prev the hidden state fed into step t: one big GEMM over
    the steps whose previous state is an output, plus one for the step that read ``h0``."""
    L, N, G = dA.shape
    H = out.shape[2]
    if reverse:
        body = dA[:-1].reshape(-1, G).T @ out[1:].reshape(-1, H) if L > 1 else 0
        return body + dA[L - 1].T @ h0
    body = dA[1:].reshape(-1, G).T @ out[:-1].reshape(-1, H) if L > 1 else 0
    return body + dA[0].T @ h0


# ---------------------------------------------------------------------------------------------
# the input projection


class InputProjection(Op):
    """out = x @ w^T + b_ih + b_hh over the last dim, x (..., I), w (G, I) -> (..., G);
    dx = g w,  dw = g^T x,  db_ih = db_hh = sum g (either bias may be None)"""

    @staticmethod
    def forward(ctx, x, w, b_ih, b_hh):
        ctx.save_for_backward(x, w)
        out = np.reshape(x, (-1, x.shape[-1])) @ w.T
        if b_ih is not None:
            out += b_ih
        if b_hh is not None:
            out += b_hh
        return out.reshape(x.shape[:-1] + (w.shape[0],))

    @staticmethod
    def backward(ctx, grad_out):
        x, w = ctx.saved_tensors
        need_x, need_w, need_bi, need_bh = ctx.needs_input_grad
        G, I = w.shape
        g2 = S.reshape(grad_out, -1, G)
        dx = S.reshape(LA.matmul(g2, w), x.shape) if need_x else None
        dw = LA.matmul(S.transpose(g2, 0, 1), S.reshape(x, -1, I)) if need_w else None
        db = R.sum(g2, 0) if (need_bi or need_bh) else None
        return dx, dw, (db if need_bi else None), (db if need_bh else None)


# ---------------------------------------------------------------------------------------------
# LSTM


class LSTMSequence(Op):
    """(out, h_n, c_n) = an LSTM layer over xp (L, N, 4H) = x W_ih^T + b_ih + b_hh, from
    h0, c0 (N, H) with w_hh (4H, H): per step a = xp_t + h W_hh^T, [i, f, g, o] =
    [sig, sig, tanh, sig](a), c = f c + i g, h = o tanh(c); out (L, N, H) holds every h."""

    @staticmethod
    def forward(ctx, xp, h0, c0, w_hh, reverse=False):
        L, N, G4 = xp.shape
        H = G4 // 4
        dt = xp.dtype
        cell = K.lstm_cell_forward if _fast(xp, h0, c0, w_hh) else K.lstm_cell_forward_ref
        out = np.empty((L, N, H), dt)
        gates = np.empty((L, N, G4), dt)
        cs = np.empty((L, N, H), dt)
        tcs = np.empty((L, N, H), dt)
        wT = w_hh.T
        hw = np.empty((N, G4), dt)  # h @ W_hh^T of the current step
        h, c = h0, c0
        for t in _order(L, reverse):
            np.matmul(h, wT, out=hw)
            cell(hw, xp[t], c, gates[t], cs[t], tcs[t], out[t])
            h, c = out[t], cs[t]
        ctx.save_for_backward(xp, h0, c0, w_hh)
        ctx.acts = (gates, cs, tcs, out)
        ctx.reverse = reverse
        return out, h.copy(), c.copy()

    @staticmethod
    def backward(ctx, g_out, g_hn, g_cn):
        if _state.grad_enabled:
            return _lstm_backward_composed(ctx, g_out, g_hn, g_cn)
        xp, h0, c0, w_hh = (t.data for t in ctx.saved_tensors)
        gates, cs, tcs, out = ctx.acts
        reverse = ctx.reverse
        L = xp.shape[0]
        cell = K.lstm_cell_backward if _fast(xp, h0, c0, w_hh) else K.lstm_cell_backward_ref
        gout = np.ascontiguousarray(g_out.data)  # e.g. a broadcast gradient of out.sum()
        dh = np.array(g_hn.data, dtype=xp.dtype)
        dc = np.array(g_cn.data, dtype=xp.dtype)
        dcc = np.empty_like(dc)
        dA = np.empty_like(gates)
        for t in reversed(_order(L, reverse)):
            p = _prev(t, L, reverse)
            cell(dh, gout[t], dc, gates[t], c0 if p is None else cs[p], tcs[t], dA[t], dcc)
            np.matmul(dA[t], w_hh, out=dh)
        need = ctx.needs_input_grad
        dw = _hidden_weight_grad(dA, out, h0, reverse) if need[3] else None
        return dA, dh, dc, dw, None


def _lstm_backward_composed(ctx, g_out, g_hn, g_cn):
    """The LSTMSequence gradient written with differentiable ops (for create_graph=True)."""
    xp, h0, c0, w_hh = ctx.saved_tensors
    reverse = ctx.reverse
    L = xp.shape[0]
    H = h0.shape[-1]
    wT = S.transpose(w_hh, 0, 1)
    steps = {}
    h, c = h0, c0
    for t in _order(L, reverse):
        a = xp[t] + LA.matmul(h, wT)
        i, f, g, o = (E.sigmoid(a[:, :H]), E.sigmoid(a[:, H:2 * H]), E.tanh(a[:, 2 * H:3 * H]),
                      E.sigmoid(a[:, 3 * H:]))
        c_new = f * c + i * g
        tc = E.tanh(c_new)
        steps[t] = (i, f, g, o, c, tc, h)
        h, c = o * tc, c_new
    dh, dc, dw = g_hn, g_cn, None
    dA = [None] * L
    for t in reversed(_order(L, reverse)):
        i, f, g, o, c_prev, tc, h_prev = steps[t]
        d = dh + g_out[t]
        dcc = dc + d * o * (1 - tc * tc)
        da = S.cat([dcc * g * i * (1 - i), dcc * c_prev * f * (1 - f), dcc * i * (1 - g * g),
                    d * tc * o * (1 - o)], 1)
        dA[t] = da
        step_dw = LA.matmul(S.transpose(da, 0, 1), h_prev)
        dw = step_dw if dw is None else dw + step_dw
        dh = LA.matmul(da, w_hh)
        dc = dcc * f
    return S.stack(dA, 0), dh, dc, dw, None


# ---------------------------------------------------------------------------------------------
# GRU


class GRUSequence(Op):
    """(out, h_n) = a GRU layer over xp (L, N, 3H) = x W_ih^T + b_ih, from h0 (N, H) with
    w_hh (3H, H), b_hh (3H,) or None: per step hp = h W_hh^T + b_hh, r = sig(xp_r + hp_r),
    z = sig(xp_z + hp_z), n = tanh(xp_n + r hp_n), h = (1 - z) n + z h."""

    @staticmethod
    def forward(ctx, xp, h0, w_hh, b_hh, reverse=False):
        L, N, G3 = xp.shape
        H = G3 // 3
        dt = xp.dtype
        fast = _fast(xp, h0, w_hh) and (b_hh is None or b_hh.dtype == _F32)
        cell = K.gru_cell_forward if fast else K.gru_cell_forward_ref
        out = np.empty((L, N, H), dt)
        gates = np.empty((L, N, G3), dt)
        hpn = np.empty((L, N, H), dt)
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
        ctx.save_for_backward(xp, h0, w_hh, b_hh)
        ctx.acts = (gates, hpn, out)
        ctx.reverse = reverse
        ctx.fast = fast
        return out, h.copy()

    @staticmethod
    def backward(ctx, g_out, g_hn):
        if _state.grad_enabled:
            return _gru_backward_composed(ctx, g_out, g_hn)
        xp, h0, w_hh, b_hh = (None if t is None else t.data for t in ctx.saved_tensors)
        gates, hpn, out = ctx.acts
        reverse = ctx.reverse
        L = xp.shape[0]
        cell = K.gru_cell_backward if ctx.fast else K.gru_cell_backward_ref
        gout = np.ascontiguousarray(g_out.data)
        dh = np.array(g_hn.data, dtype=xp.dtype)
        direct = np.empty_like(dh)
        dxp = np.empty_like(gates)
        dhp = np.empty_like(gates)
        for t in reversed(_order(L, reverse)):
            p = _prev(t, L, reverse)
            cell(dh, gout[t], gates[t], hpn[t], h0 if p is None else out[p], dxp[t], dhp[t],
                 direct)
            np.matmul(dhp[t], w_hh, out=dh)
            dh += direct
        need = ctx.needs_input_grad
        dw = _hidden_weight_grad(dhp, out, h0, reverse) if need[2] else None
        db = dhp.sum((0, 1)) if need[3] else None
        return dxp, dh, dw, db, None


def _gru_backward_composed(ctx, g_out, g_hn):
    """The GRUSequence gradient written with differentiable ops (for create_graph=True)."""
    xp, h0, w_hh, b_hh = ctx.saved_tensors
    reverse = ctx.reverse
    L = xp.shape[0]
    H = h0.shape[-1]
    wT = S.transpose(w_hh, 0, 1)
    steps = {}
    h = h0
    for t in _order(L, reverse):
        hp = LA.matmul(h, wT)
        if b_hh is not None:
            hp = hp + b_hh
        x_t = xp[t]
        r = E.sigmoid(x_t[:, :H] + hp[:, :H])
        z = E.sigmoid(x_t[:, H:2 * H] + hp[:, H:2 * H])
        hp_n = hp[:, 2 * H:]
        n = E.tanh(x_t[:, 2 * H:] + r * hp_n)
        steps[t] = (r, z, n, hp_n, h)
        h = (1 - z) * n + z * h
    dh, dw, db = g_hn, None, None
    dxp = [None] * L
    for t in reversed(_order(L, reverse)):
        r, z, n, hp_n, h_prev = steps[t]
        d = dh + g_out[t]
        dan = d * (1 - z) * (1 - n * n)
        daz = d * (h_prev - n) * z * (1 - z)
        dar = dan * hp_n * r * (1 - r)
        dxp[t] = S.cat([dar, daz, dan], 1)
        dhp = S.cat([dar, daz, dan * r], 1)
        step_dw = LA.matmul(S.transpose(dhp, 0, 1), h_prev)
        dw = step_dw if dw is None else dw + step_dw
        step_db = R.sum(dhp, 0)
        db = step_db if db is None else db + step_db
        dh = d * z + LA.matmul(dhp, w_hh)
    return S.stack(dxp, 0), dh, dw, (db if b_hh is not None else None), None


# ---------------------------------------------------------------------------------------------
# Elman RNN


class RNNSequence(Op):
    """(out, h_n) = an Elman RNN layer over xp (L, N, H) = x W_ih^T + b_ih + b_hh from h0
    (N, H) with w_hh (H, H): per step h = act(xp_t + h W_hh^T), act tanh or relu."""

    @staticmethod
    def forward(ctx, xp, h0, w_hh, reverse=False, nonlinearity="tanh"):
        L, N, H = xp.shape
        out = np.empty((L, N, H), xp.dtype)
        wT = w_hh.T
        tanh = K.tanh32 if _fast(xp, h0, w_hh) else K.tanh32_ref
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
        ctx.save_for_backward(xp, h0, w_hh)
        ctx.out = out
        ctx.reverse = reverse
        ctx.nonlinearity = nonlinearity
        return out, h.copy()

    @staticmethod
    def backward(ctx, g_out, g_hn):
        if _state.grad_enabled:
            return _rnn_backward_composed(ctx, g_out, g_hn)
        xp, h0, w_hh = (t.data for t in ctx.saved_tensors)
        out, reverse = ctx.out, ctx.reverse
        L = xp.shape[0]
        gout = g_out.data
        dh = np.array(g_hn.data, dtype=xp.dtype)
        dA = np.empty_like(out)
        for t in reversed(_order(L, reverse)):
            d = dh + gout[t]
            h = out[t]
            if ctx.nonlinearity == "tanh":
                np.multiply(d, 1 - h * h, out=dA[t])
            else:
                np.multiply(d, h > 0, out=dA[t])
            np.matmul(dA[t], w_hh, out=dh)
        dw = _hidden_weight_grad(dA, out, h0, reverse) if ctx.needs_input_grad[2] else None
        return dA, dh, dw, None, None


def _rnn_backward_composed(ctx, g_out, g_hn):
    """The RNNSequence gradient written with differentiable ops (for create_graph=True)."""
    xp, h0, w_hh = ctx.saved_tensors
    reverse = ctx.reverse
    L = xp.shape[0]
    wT = S.transpose(w_hh, 0, 1)
    steps = {}
    h = h0
    for t in _order(L, reverse):
        a = xp[t] + LA.matmul(h, wT)
        h_new = E.tanh(a) if ctx.nonlinearity == "tanh" else E.relu(a)
        steps[t] = (a, h_new, h)
        h = h_new
    dh, dw = g_hn, None
    dA = [None] * L
    for t in reversed(_order(L, reverse)):
        a, h_new, h_prev = steps[t]
        d = dh + g_out[t]
        if ctx.nonlinearity == "tanh":
            da = d * (1 - h_new * h_new)
        else:
            da = d * (a.data > 0).astype(a.dtype)
        dA[t] = da
        step_dw = LA.matmul(S.transpose(da, 0, 1), h_prev)
        dw = step_dw if dw is None else dw + step_dw
        dh = LA.matmul(da, w_hh)
    return S.stack(dA, 0), dh, dw, None, None


# ---------------------------------------------------------------------------------------------
# functional forms (one layer, one direction; x is (L, N, I), states (N, H))


def lstm_layer(x, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """One LSTM layer: returns ``(out (L, N, H), h_n (N, H), c_n (N, H))``."""
    xp = InputProjection.apply(x, w_ih, b_ih, b_hh)
    return LSTMSequence.apply(xp, h0, c0, w_hh, reverse)


def gru_layer(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """One GRU layer: returns ``(out (L, N, H), h_n (N, H))``."""
    xp = InputProjection.apply(x, w_ih, b_ih, None)
    return GRUSequence.apply(xp, h0, w_hh, b_hh, reverse)


def rnn_layer(x, h0, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False, nonlinearity="tanh"):
    """One Elman RNN layer (``nonlinearity`` 'tanh' or 'relu'): ``(out (L, N, H), h_n)``."""
    xp = InputProjection.apply(x, w_ih, b_ih, b_hh)
    return RNNSequence.apply(xp, h0, w_hh, reverse, nonlinearity)


def lstm_cell(x, h, c, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step on x (N, I), h, c (N, H): returns ``(h', c')``."""
    _, hn, cn = lstm_layer(S.unsqueeze(x, 0), h, c, w_ih, w_hh, b_ih, b_hh)
    return hn, cn


def gru_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step on x (N, I), h (N, H): returns h'."""
    return gru_layer(S.unsqueeze(x, 0), h, w_ih, w_hh, b_ih, b_hh)[1]


def rnn_cell(x, h, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh"):
    """One Elman RNN step on x (N, I), h (N, H): returns h'."""
    return rnn_layer(S.unsqueeze(x, 0), h, w_ih, w_hh, b_ih, b_hh, False, nonlinearity)[1]
