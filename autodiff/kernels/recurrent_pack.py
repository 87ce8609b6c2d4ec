"""The LSTM's packed step weights (``kernels.recurrent_lstm.panel_gemm`` reads them): the
(K, C) matrix of a step product as ceil(C / PANEL) panels of PANEL (16) output columns laid
out K-major, ``Wp[p, k, j] = W[k, PANEL p + j]``, 64-byte aligned, packed once per forward
and per backward. Every packing has a NumPy twin or an equality test against ``pack_panels``.

Nothing here is called from inside a numba kernel of another file (numba's on-disk cache is
keyed on a function's own file only), so these may change without stale step loops.
"""
from __future__ import annotations

import functools

import numba
import numpy as np

_F32 = np.float32
PANEL = 16  # output columns per packed weight panel: one 16-float (two 8-float) vector(s)


# ---------------------------------------------------------------------------------------------
# packing

def _size(shape):
    size = 1
    for s in shape:
        size *= s
    return size


def aligned_size(shape):
    """The float32 elements of a buffer ``_aligned(shape, buf)`` can carve from."""
    return _size(shape) + 16


def _aligned(shape, buf=None):
    """Uninitialised float32 array of ``shape`` starting on a 64-byte boundary (a 32-byte
    vector load that crosses a cache line costs: ~8 % on the gate product with 16-byte aligned
    panels): a view into ``buf`` (1-D float32 of ``aligned_size(shape)`` elements) when given,
    else into a new buffer."""
    size = _size(shape)
    if buf is None:
        buf = np.empty(size + 16, _F32)
    skip = (-buf.ctypes.data % 64) // 4
    return buf[skip:skip + size].reshape(shape)


def panels_shape(K, C):
    """The shape of the packed weights of a (K, C) matrix: ``(ceil(C / PANEL), K, PANEL)``."""
    return -(-C // PANEL), K, PANEL


def pack_panels(W, b=None, transposed=False):
    """``(Wp, bp)`` for ``panel_gemm``: the (K, C) matrix ``W`` (``W.T`` of a (C, K) array
    when ``transposed``) as ceil(C / PANEL) panels of PANEL (16) columns,
    ``Wp[p, k, j] = W[k, PANEL p + j]``, and the bias ``bp[p, j] = b[PANEL p + j]`` (zeros when
    ``b`` is None); zero past C."""
    K, C = W.shape[::-1] if transposed else W.shape
    Wp = _aligned(panels_shape(K, C))
    (_pack_rows if transposed else _pack_columns)(W, Wp)
    bp = np.zeros(Wp.shape[0] * PANEL, _F32)
    if b is not None:
        bp[:C] = b
    return Wp, bp.reshape(-1, PANEL)


@numba.njit(cache=True, nogil=True)
def _pack_columns(W, Wp):
    C = W.shape[1]
    for p in range(Wp.shape[0]):
        m = min(PANEL, C - p * PANEL)
        for k in range(Wp.shape[1]):
            for j in range(m):
                Wp[p, k, j] = W[k, p * PANEL + j]
            for j in range(m, PANEL):
                Wp[p, k, j] = 0


@numba.njit(cache=True, nogil=True)
def _pack_rows(Wt, Wp):
    # row by row into the panels' strided columns (~0.8 ns per weight; writing each panel
    # row from 32 rows of Wt at a time measured 1.4x slower)
    C = Wt.shape[0]
    for p in range(Wp.shape[0]):
        for j in range(PANEL):
            if p * PANEL + j < C:
                for k in range(Wp.shape[1]):
                    Wp[p, k, j] = Wt[p * PANEL + j, k]
            else:
                Wp[p, :, j] = 0


def pack_panels_ref(W, b=None, transposed=False):
    W = W.T if transposed else W
    K, C = W.shape
    P = -(-C // PANEL)
    w = np.zeros((K, P * PANEL), _F32)
    w[:, :C] = W
    bp = np.zeros(P * PANEL, _F32)
    if b is not None:
        bp[:C] = b
    return np.ascontiguousarray(w.reshape(K, P, PANEL).transpose(1, 0, 2)), bp.reshape(P, PANEL)


def pack_gate_weights(w_hh, w_ih, b, buf=None):
    """The forward's step product ``[h | x_t] @ [W_hh | W_ih]^T + b`` packed for
    ``panel_gemm`` (K = H + I, C = 4H): ``pack_panels(np.concatenate([w_hh, w_ih], 1), b,
    transposed=True)`` in one pass, without the concatenation. The panels are carved from
    ``buf`` when given (``aligned_size(panels_shape(H + I, 4H))`` float32: a buffer reused
    across calls spares the page faults of fresh memory)."""
    G, H = w_hh.shape
    Wp = _aligned(panels_shape(H + w_ih.shape[1], G), buf)
    bp = np.empty((Wp.shape[0], PANEL), _F32)
    _pack_gates(w_hh, w_ih, b, Wp, bp)
    return Wp, bp


@numba.njit(cache=True, nogil=True)
def _pack_gates(w_hh, w_ih, b, Wp, bp):
    G, H = w_hh.shape
    I = w_ih.shape[1]
    for p in range(Wp.shape[0]):
        for j in range(PANEL):
            c = p * PANEL + j
            if c < G:
                for k in range(H):
                    Wp[p, k, j] = w_hh[c, k]
                for k in range(I):
                    Wp[p, H + k, j] = w_ih[c, k]
                bp[p, j] = b[c]
            else:
                Wp[p, :, j] = 0
                bp[p, j] = 0


@functools.lru_cache(maxsize=8)
def _zero_bias(panels):
    """zeros((panels, PANEL)): the backward's bias, shared by every call and never written."""
    return np.zeros((panels, PANEL), _F32)


def pack_hidden_weights(w_hh, w_ih=None, buf=None):
    """The backward's step product ``dA_t @ [W_hh | W_ih]`` packed for ``panel_gemm``
    (K = 4H, C = H + I; W_hh alone, C = H, when ``w_ih`` is None) with a zero bias:
    ``pack_panels(np.concatenate([w_hh, w_ih], 1))`` in one pass, without the
    concatenation; the panels carved from ``buf`` when given, as ``pack_gate_weights``."""
    G, H = w_hh.shape
    w_ih = w_hh[:, :0] if w_ih is None else w_ih
    Wp = _aligned(panels_shape(G, H + w_ih.shape[1]), buf)
    _pack_hidden(w_hh, w_ih, Wp)
    return Wp, _zero_bias(Wp.shape[0])


@numba.njit(cache=True, nogil=True)
def _pack_hidden(w_hh, w_ih, Wp):
    H = w_hh.shape[1]
    C = H + w_ih.shape[1]
    for p in range(Wp.shape[0]):
        j0 = p * PANEL
        m = min(PANEL, max(0, H - j0))  # this panel's columns from w_hh, then from w_ih
        e = min(PANEL, C - j0)
        for k in range(Wp.shape[1]):
            for j in range(m):
                Wp[p, k, j] = w_hh[k, j0 + j]
            for j in range(m, e):
                Wp[p, k, j] = w_ih[k, j0 + j - H]
            for j in range(e, PANEL):
                Wp[p, k, j] = 0
