"""Array-level pieces of the recurrent ops (``autodiff.ops.recurrent``), NumPy only: the
workspace that lends the big per-sequence activation buffers, the input projection of all
time steps as one GEMM, and the weight and input gradients as a few big GEMMs.

The GEMMs run in NumPy's BLAS (never inside numba: PERF-NOTES); the per-step cell math is in
``autodiff.kernels.recurrent``.
"""
from __future__ import annotations

import functools
import threading

import numpy as np

from . import release_memory

# ---------------------------------------------------------------------------------------------
# workspace


class Workspace:
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


WS = Workspace()


def clear_workspace():
    """Drop the recurrent layers' cached free buffers and return the memory to the OS (arrays
    still saved by a live graph are not affected; they return to the cache when that graph is
    freed). Returns the bytes released from the cache."""
    released = WS.bytes
    WS.clear()
    if released:
        release_memory()  # the freed buffers sit below malloc's trim threshold
    return released


class Borrowed:
    """Holds workspace arrays saved for backward; gives them back when it dies (the node
    drops it on release; a graph dropped without backward drops it too)."""

    __slots__ = ("arrays",)

    def __init__(self, *arrays):
        self.arrays = arrays

    def __del__(self):
        try:
            WS.give(self.arrays)
        except Exception:  # interpreter shutdown
            pass


# ---------------------------------------------------------------------------------------------
# the big GEMMs


def project(x, w_ih, b1, b2):
    """x (L, N, I) @ w_ih^T + b1 + b2 -> (L, N, G), in a workspace array (the biases are summed
    first: one pass over the big array instead of two)."""
    L, N, I = x.shape
    G = w_ih.shape[0]
    xp = WS.take((L, N, G), np.result_type(x, w_ih))
    np.matmul(np.reshape(x, (L * N, I)), w_ih.T, out=xp.reshape(L * N, G))
    if b1 is not None or b2 is not None:
        xp += bias_sum(b1, b2, G, xp.dtype)
    return xp


def bias_sum(b1, b2, G, dtype):
    """b1 + b2 as a (G,) array of ``dtype``, either may be None (zeros when both are)."""
    if b1 is None and b2 is None:
        return np.zeros(G, dtype)
    if b1 is None or b2 is None:
        return np.asarray(b1 if b2 is None else b2, dtype)
    return np.add(b1, b2, dtype=dtype)


def contiguous(a):
    """(array, borrowed): ``a`` itself when C-contiguous, else a copy in a workspace array
    (e.g. the broadcast gradient of ``out.sum()``; the kernels vectorise unit strides only)."""
    if a.flags.c_contiguous:
        return a, False
    buf = WS.take(a.shape, a.dtype)
    np.copyto(buf, a)
    return buf, True


def hidden_weight_grad(dA, out, h0, reverse):
    """sum_t dA[t]^T h_prev(t) with h_prev the hidden state fed into step t: one big GEMM over
    the steps whose previous state is an output, plus one for the step that read ``h0``."""
    L, N, G = dA.shape
    H = out.shape[2]
    if reverse:
        first = dA[L - 1].T @ h0
        return first + dA[:-1].reshape(-1, G).T @ out[1:].reshape(-1, H) if L > 1 else first
    first = dA[0].T @ h0
    return first + dA[1:].reshape(-1, G).T @ out[:-1].reshape(-1, H) if L > 1 else first


def layer_grads(dA, out, h0, x, w_ih, reverse, need):
    """(dx, dW_ih, dW_hh, db) of a layer whose input and hidden projections share the
    gradient ``dA`` (LSTM, RNN). When both weight gradients are needed they and the bias
    gradient come from one GEMM ``dA^T [h_prev | x | 1]`` (a K=32 GEMM on its own runs at half
    the speed of a wider one; the ones column costs ~15 us against ~60 us for ``dA.sum(0)``)."""
    nx, nwi, nwh = need
    if not (nwi and nwh):
        dw_hh = hidden_weight_grad(dA, out, h0, reverse) if nwh else None
        dx, dw_ih, db = input_grads(dA, x, w_ih, nx, nwi)
        return dx, dw_ih, dw_hh, db
    L, N, G = dA.shape
    H, I = out.shape[2], x.shape[2]
    z = WS.take((L, N, H + I + 1), dA.dtype)
    if reverse:
        z[:-1, :, :H] = out[1:]
        z[L - 1, :, :H] = h0
    else:
        z[1:, :, :H] = out[:-1]
        z[0, :, :H] = h0
    z[:, :, H:H + I] = x
    z[:, :, H + I] = 1
    dw = dA.reshape(L * N, G).T @ z.reshape(L * N, H + I + 1)
    WS.give((z,))
    dx, _, _ = input_grads(dA, x, w_ih, nx, False, False)
    return dx, dw[:, H:H + I], dw[:, :H], dw[:, H + I]


def input_grads(dxp, x, w_ih, need_x, need_w, need_b=True):
    """dx = dxp @ W_ih, dW_ih = dxp^T x, db = sum dxp over (L, N), for dxp (L, N, G)."""
    L, N, G = dxp.shape
    I = x.shape[2]
    d2 = dxp.reshape(L * N, G)
    dx = (d2 @ w_ih).reshape(L, N, I) if need_x else None
    dw = d2.T @ np.reshape(x, (L * N, I)) if need_w else None
    db = d2.sum(0) if need_b else None
    return dx, dw, db


def join_parts(grads):
    """The ``(dx, dW_ih, dW_hh, db)`` of a layer run as batch parts (one tuple per part, in
    batch order): ``dx`` (L, n, I) joined along the batch, the weight and bias gradients
    summed. Any entry may be None (not needed)."""
    if len(grads) == 1:
        return grads[0]
    dx, *rest = zip(*grads)
    return (None if dx[0] is None else np.concatenate(dx, axis=1),
            *(None if g[0] is None else functools.reduce(np.add, g) for g in rest))
