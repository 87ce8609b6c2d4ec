"""The LSTM's kernels: the fused cell (forward and backward) and the step loops of a layer,
whose recurrent products run in small register-blocked GEMM kernels of their own.

Per step the forward computes ``A = h @ W_hh^T + x_t @ W_ih^T + b`` (``lstm_gates``) and then
the cell (``lstm_cell_forward``); the backward runs the cell's gradient
(``lstm_cell_backward``) and ``dh = dA @ W_hh`` (``lstm_hidden_grad``). One nogil call
(``lstm_forward_steps`` / ``lstm_backward_steps``) runs a batch part's whole sequence, so the
layer's batch parts run on ``_launch.run_split``'s threads without taking the GIL per step.

Why own GEMM kernels (2 cores, Zen 3, L50 N32 I32 H128 split in two parts of 16 rows):
OpenBLAS's sgemm repacks all of W_hh (256 KB) on every call, so the step's 16 x 128 @ 128 x 512
product took 41-62 us (~40 GFLOP/s); torch's oneDNN packs its weights once per layer. Here the
weights are packed once per forward (``pack_gate_weights``, ``pack_hidden_weights``) into
panels of 32 output columns laid out K-major, and the kernels keep a 2-row x 32-column block
of accumulators (eight 8-float vectors) in registers while a panel (16-20 KB) stays in L1
across the row pairs: 34-47 us for the same product with W_ih folded in (K = H + I), which
also removes the separate input projection and its (L, N, 4H) array. The accumulators live
in stack scratch (``_scratch``): LLVM keeps such memory in registers when every index is a
constant once the 32-wide loops are unrolled, which it does not for a NumPy array. An odd
last row is paired with itself (computed twice, stored twice: the same values).

The float32 cell uses ``recurrent._tanh32`` (vectorised rational tanh, the sigmoid as
``0.5 tanh(x / 2) + 0.5``); float64 uses the NumPy twins (``*_ref``) with NumPy's exact ufuncs.
Every kernel has a NumPy twin named ``<kernel>_ref`` (the step loops: ``*_py``) that the tests
compare against. Layouts: gate blocks ``(N, 4H)`` in PyTorch's order i, f, g, o.

The step loops and everything they call live in this file (``_tanh32`` aside, which is
stable): numba's on-disk cache is keyed on a function's own file, so a loop cached against an
older kernel of another file would be reused after that kernel changed.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, overload

from .recurrent import _tanh32

_F32 = np.float32
PANEL = 32  # output columns per packed panel: four 8-float vectors
UNITS = PANEL // 4  # hidden units per panel of the gate GEMM (the four gates of 8 units)


# ---------------------------------------------------------------------------------------------
# register scratch


def _scratch(n):
    """``n`` float32 of scratch; inside a numba kernel stack memory (see the module docstring),
    in plain Python (``NUMBA_DISABLE_JIT``) a NumPy array. ``n`` must be a constant."""
    return np.empty(n, _F32)


@intrinsic
def _stack_f32(typingctx, n):
    if not isinstance(n, types.IntegerLiteral):
        return None
    size = n.literal_value

    def codegen(context, builder, sig, args):
        # in the entry block: one slot per call site, reused by every loop iteration
        return cgutils.alloca_once(builder, context.get_value_type(types.float32), size=size)
    return types.CPointer(types.float32)(n), codegen


@overload(_scratch)
def _scratch_jit(n):
    if isinstance(n, types.IntegerLiteral):
        size = n.literal_value
        return lambda n: numba.carray(_stack_f32(size), size)
    return None


# ---------------------------------------------------------------------------------------------
# packing


def _aligned(shape):
    """Uninitialised float32 array starting on a 64-byte boundary (a 32-byte vector load that
    crosses a cache line costs: ~8 % on the gate GEMM with 16-byte aligned panels)."""
    size = int(np.prod(shape))
    buf = np.empty(size + 16, _F32)
    skip = (-buf.ctypes.data % 64) // 4
    return buf[skip:skip + size].reshape(shape)


def pack_gate_weights(w_hh, w_ih, b):
    """``(Wp, bp)`` for ``lstm_gates``: ``Wp`` (P, H + I, 32) with P = ceil(H / 8), panel p
    holding the four gates of hidden units 8p .. 8p + 7: ``Wp[p, k, 8q + u]`` is the weight of
    input k of [h | x] in gate q of unit 8p + u (zero past H); ``bp`` (P, 32) the bias alike."""
    H, I = w_hh.shape[1], w_ih.shape[1]
    P = -(-H // UNITS)
    Wp, bp = _aligned((P, H + I, PANEL)), np.empty((P, PANEL), _F32)
    _pack_gates(w_hh, w_ih, b, Wp, bp)
    return Wp, bp


@numba.njit(cache=True, nogil=True)
def _pack_gates(w_hh, w_ih, b, Wp, bp):
    # row by row into the panels' strided columns (~0.8 ns per weight; writing the panels
    # contiguously from 32 rows at a time measured 1.4x slower)
    H, I = w_hh.shape[1], w_ih.shape[1]
    for p in range(Wp.shape[0]):
        for q in range(4):
            for u in range(UNITS):
                j, unit = q * UNITS + u, p * UNITS + u
                if unit < H:
                    row = q * H + unit
                    for k in range(H):
                        Wp[p, k, j] = w_hh[row, k]
                    for k in range(I):
                        Wp[p, H + k, j] = w_ih[row, k]
                    bp[p, j] = b[row]
                else:
                    Wp[p, :, j] = 0
                    bp[p, j] = 0


def _pack_gates_ref(w_hh, w_ih, b, Wp, bp):
    H = w_hh.shape[1]
    P = Wp.shape[0]
    w = np.zeros((4, P * UNITS, Wp.shape[1]), _F32)
    w[:, :H] = np.concatenate([w_hh, w_ih], axis=1).reshape(4, H, -1)
    Wp.reshape(P, -1, 4, UNITS)[...] = w.reshape(4, P, UNITS, -1).transpose(1, 3, 0, 2)
    bias = np.zeros((4, P * UNITS), _F32)
    bias[:, :H] = b.reshape(4, H)
    bp[...] = bias.reshape(4, P, UNITS).transpose(1, 0, 2).reshape(P, PANEL)


def pack_hidden_weights(w_hh, w_ih=None):
    """``Wb`` (ceil(C / 32), 4H, 32) for ``lstm_hidden_grad``: ``Wb[p, k, j] = W[k, 32p + j]``
    for W = [W_hh | W_ih] (C = H + I columns; W_hh alone, C = H, when ``w_ih`` is None), zero
    past C."""
    W = w_hh if w_ih is None else np.concatenate([w_hh, w_ih], axis=1)
    G, C = W.shape
    Wb = _aligned((-(-C // PANEL), G, PANEL))
    _pack_hidden(W, Wb)
    return Wb


@numba.njit(cache=True, nogil=True)
def _pack_hidden(W, Wb):
    C = W.shape[1]
    for p in range(Wb.shape[0]):
        j0 = p * PANEL
        m = min(PANEL, C - j0)
        for k in range(Wb.shape[1]):
            for j in range(m):
                Wb[p, k, j] = W[k, j0 + j]
            for j in range(m, PANEL):
                Wb[p, k, j] = 0


def _pack_hidden_ref(W, Wb):
    G, C = W.shape
    w = np.zeros((G, Wb.shape[0] * PANEL), _F32)
    w[:, :C] = W
    Wb[...] = w.reshape(G, Wb.shape[0], PANEL).transpose(1, 0, 2)


# ---------------------------------------------------------------------------------------------
# the step GEMMs


@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def lstm_gates(h, x, Wp, bp, A):
    """``A`` (n, 4H) = ``h @ W_hh^T + x @ W_ih^T + b`` for h (n, H), x (n, I) and the packed
    ``Wp, bp = pack_gate_weights(W_hh, W_ih, b)``."""
    n, H = h.shape
    I = x.shape[1]
    for p in range(Wp.shape[0]):
        u0 = p * UNITS
        for r0 in range(0, n, 2):
            r1 = min(r0 + 1, n - 1)
            a0 = _scratch(32)
            a1 = _scratch(32)
            for j in range(PANEL):
                a0[j] = bp[p, j]
                a1[j] = bp[p, j]
            for k in range(H):
                s0 = h[r0, k]
                s1 = h[r1, k]
                for j in range(PANEL):
                    a0[j] += s0 * Wp[p, k, j]
                    a1[j] += s1 * Wp[p, k, j]
            for k in range(I):
                s0 = x[r0, k]
                s1 = x[r1, k]
                for j in range(PANEL):
                    a0[j] += s0 * Wp[p, H + k, j]
                    a1[j] += s1 * Wp[p, H + k, j]
            for q in range(4):
                for u in range(min(UNITS, H - u0)):
                    A[r0, q * H + u0 + u] = a0[q * UNITS + u]
                    A[r1, q * H + u0 + u] = a1[q * UNITS + u]


def lstm_gates_ref(h, x, w_hh, w_ih, b, A):
    A[...] = h @ w_hh.T + x @ w_ih.T + b


@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def lstm_hidden_grad(dA, Wb, dh, dx):
    """``[dh | dx]`` = ``dA @ [W_hh | W_ih]`` for dA (n, 4H), dh (n, H), dx (n, I) and
    ``Wb = pack_hidden_weights(W_hh, W_ih)`` (I = 0 and ``pack_hidden_weights(W_hh)``: dh
    alone). Folding dx in costs 25 % more of this product (I = 32, H = 128) and saves a
    (L N, 4H) @ (4H, I) GEMM, whose narrow output ran at half OpenBLAS's speed."""
    n, G = dA.shape
    H, I = dh.shape[1], dx.shape[1]
    for p in range(Wb.shape[0]):
        j0 = p * PANEL
        for r0 in range(0, n, 2):
            r1 = min(r0 + 1, n - 1)
            a0 = _scratch(32)
            a1 = _scratch(32)
            for j in range(PANEL):
                a0[j] = 0
                a1[j] = 0
            for k in range(G):
                s0 = dA[r0, k]
                s1 = dA[r1, k]
                for j in range(PANEL):
                    a0[j] += s0 * Wb[p, k, j]
                    a1[j] += s1 * Wb[p, k, j]
            for j in range(min(PANEL, H - j0)):
                dh[r0, j0 + j] = a0[j]
                dh[r1, j0 + j] = a1[j]
            for j in range(max(0, H - j0), min(PANEL, H + I - j0)):
                dx[r0, j0 + j - H] = a0[j]
                dx[r1, j0 + j - H] = a1[j]


def lstm_hidden_grad_ref(dA, W, dh, dx):
    """The twin, with W = [W_hh | W_ih] (or W_hh alone)."""
    prod = dA @ W
    H = dh.shape[1]
    dh[...] = prod[:, :H]
    dx[...] = prod[:, H:]


# ---------------------------------------------------------------------------------------------
# the cell


def lstm_gate_scale(H, dtype=np.float32):
    """Per-column scale p of the (4H,) gate block: 0.5 for the sigmoid gates i, f, o and 1 for
    g, so that every gate is ``p tanh(p a) + (1 - p)`` and one loop covers all four."""
    p = np.full(4 * H, 0.5, dtype)
    p[2 * H:3 * H] = 1
    return p


@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def lstm_cell_forward(A, c_prev, c, tc, h, P):
    """One LSTM step (float32), the gates activated in place. In: ``A`` (N, 4H) the gates'
    pre-activations (``lstm_gates``), ``c_prev`` (N, H), ``P = lstm_gate_scale(H)``. Out: ``A``
    the activated gates [i, f, g, o], ``c = f c_prev + i g``, ``tc = tanh(c)``, ``h = o tc``.
    (Split loops: LLVM vectorises a loop only when it can check at run time that the arrays it
    writes do not overlap those it reads, and gives up beyond a handful of checks; one fused
    loop measured 4-5x slower. The in-place update of A vectorises.)"""
    N = A.shape[0]
    H = c_prev.shape[1]
    one = _F32(1.0)
    for n in range(N):
        for j in range(4 * H):
            p = P[j]
            A[n, j] = p * _tanh32(p * A[n, j]) + (one - p)
        for j in range(H):
            c[n, j] = A[n, H + j] * c_prev[n, j] + A[n, j] * A[n, 2 * H + j]
        for j in range(H):
            t = _tanh32(c[n, j])
            tc[n, j] = t
            h[n, j] = A[n, 3 * H + j] * t


def lstm_cell_forward_ref(A, c_prev, c, tc, h, P=None):
    H = c_prev.shape[1]
    i = 1.0 / (1.0 + np.exp(-A[:, :H]))
    f = 1.0 / (1.0 + np.exp(-A[:, H:2 * H]))
    g = np.tanh(A[:, 2 * H:3 * H])
    o = 1.0 / (1.0 + np.exp(-A[:, 3 * H:]))
    A[:, :H] = i
    A[:, H:2 * H] = f
    A[:, 2 * H:3 * H] = g
    A[:, 3 * H:] = o
    c[...] = f * c_prev + i * g
    tc[...] = np.tanh(c)
    h[...] = o * tc


@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def lstm_cell_backward(dh, dout, dc, A, c_prev, tc, dG, dcc):
    """Backward of one LSTM step. In: ``dh`` (N, H) the gradient reaching h from the next step
    (or h_n), ``dout`` (N, H) the gradient of this step's output, ``dc`` (N, H) the gradient
    reaching c, ``A`` the activated [i, f, g, o], ``c_prev``, ``tc = tanh(c)``. Out: ``dG``
    (N, 4H) the gradient of the gate pre-activations, ``dc`` overwritten with the gradient of
    ``c_prev``; ``dcc`` (N, H) is scratch (the total gradient of c)."""
    N = dh.shape[0]
    H = dh.shape[1]
    one = dh.dtype.type(1.0)
    for n in range(N):
        for j in range(H):
            t = tc[n, j]
            dcc[n, j] = dc[n, j] + (dh[n, j] + dout[n, j]) * A[n, 3 * H + j] * (one - t * t)
        for j in range(H):
            o = A[n, 3 * H + j]
            dG[n, 3 * H + j] = (dh[n, j] + dout[n, j]) * tc[n, j] * o * (one - o)
        for j in range(H):
            i = A[n, j]
            dG[n, j] = dcc[n, j] * A[n, 2 * H + j] * i * (one - i)
        for j in range(H):
            f = A[n, H + j]
            dG[n, H + j] = dcc[n, j] * c_prev[n, j] * f * (one - f)
        for j in range(H):
            g = A[n, 2 * H + j]
            dG[n, 2 * H + j] = dcc[n, j] * A[n, j] * (one - g * g)
        for j in range(H):
            dc[n, j] = dcc[n, j] * A[n, H + j]


def lstm_cell_backward_ref(dh, dout, dc, A, c_prev, tc, dG, dcc):
    H = dh.shape[1]
    i, f, g, o = A[:, :H], A[:, H:2 * H], A[:, 2 * H:3 * H], A[:, 3 * H:]
    d = dh + dout
    dcc[...] = dc + d * o * (1 - tc * tc)
    dG[:, :H] = dcc * g * i * (1 - i)
    dG[:, H:2 * H] = dcc * c_prev * f * (1 - f)
    dG[:, 2 * H:3 * H] = dcc * i * (1 - g * g)
    dG[:, 3 * H:] = d * tc * o * (1 - o)
    dc[...] = dcc * f


# ---------------------------------------------------------------------------------------------
# the step loops of one batch part
#
# Arrays: all C-contiguous, the step arrays (L, n, ...) of one batch part of n rows; ``gates``,
# ``cs``, ``tcs`` hold all L steps (kept for the backward) or 1, 2, 1 scratch steps (the
# forward without grad; the cell state ping-pongs between two buffers). The numba loops are
# float32; their twins ``*_py`` take the cell kernel as an argument (``*_ref`` for float64)
# and run the step products in NumPy.


@numba.njit(cache=True, nogil=True)
def lstm_forward_steps(x, Wp, bp, h0, c0, out, gates, cs, tcs, P, reverse):
    """The LSTM forward of one batch part (float32): per step ``lstm_gates(h, x[t], Wp, bp,
    gates)`` then ``lstm_cell_forward(gates, c, cs, tcs, out[t], P)``. Returns the last step's
    cell state ``c`` (a view of ``cs``)."""
    L = out.shape[0]
    keep = gates.shape[0] == L
    h, c = h0, c0
    for i in range(L):
        t = L - 1 - i if reverse else i
        s = t if keep else 0
        sc = t if keep else i & 1
        lstm_gates(h, x[t], Wp, bp, gates[s])
        lstm_cell_forward(gates[s], c, cs[sc], tcs[s], out[t], P)
        h, c = out[t], cs[sc]
    return c


def lstm_forward_steps_py(cell, xp, w_hh, h0, c0, out, gates, cs, tcs, P, reverse):
    """Twin of ``lstm_forward_steps`` taking the input projection with its biases,
    ``xp = x @ W_ih^T + b``, and ``np.matmul`` for ``h @ W_hh^T``."""
    L = out.shape[0]
    keep = gates.shape[0] == L
    h, c = h0, c0
    for i in range(L):
        t = L - 1 - i if reverse else i
        s, sc = (t, t) if keep else (0, i & 1)
        np.matmul(h, w_hh.T, out=gates[s])
        gates[s] += xp[t]
        cell(gates[s], c, cs[sc], tcs[s], out[t], P)
        h, c = out[t], cs[sc]
    return c


@numba.njit(cache=True, nogil=True)
def lstm_backward_steps(dh, gout, dc, gates, cs, c0, tcs, dA, dcc, Wb, dx, reverse, last):
    """The LSTM backward of one batch part (float32), from the last processed step to the
    first: ``lstm_cell_backward(dh, gout[t], dc, gates[t], c_prev, tcs[t], dA[t], dcc)``
    then ``[dh | dx[t]] = dA[t] @ [W_hh | W_ih]`` (``lstm_hidden_grad``; ``dx`` (L, n, I) may
    have I = 0 columns, with ``Wb`` packed from W_hh alone). ``dh`` and ``dc`` come in as the
    gradients of h_n and c_n and leave as those of h0 and c0 (``last`` False: the first
    step's ``dh`` product, which only feeds the gradient of h0, is skipped and ``dh`` keeps
    the gradient reaching that step)."""
    L = gout.shape[0]
    for i in range(L - 1, -1, -1):
        t = L - 1 - i if reverse else i
        p = t + 1 if reverse else t - 1
        first = i == 0
        lstm_cell_backward(dh, gout[t], dc, gates[t], c0 if first else cs[p], tcs[t], dA[t],
                           dcc)
        if not first or last:
            lstm_hidden_grad(dA[t], Wb, dh, dx[t])
        elif dx.shape[2]:  # dcc is free scratch after the cell: the unwanted dh goes there
            lstm_hidden_grad(dA[t], Wb, dcc, dx[t])


def lstm_backward_steps_py(cell, dh, gout, dc, gates, cs, c0, tcs, dA, dcc, W, dx, reverse,
                           last):
    """Twin of ``lstm_backward_steps`` with the cell kernel ``cell`` and NumPy's products,
    ``W`` = [W_hh | W_ih] or W_hh alone (as packed for the numba loop)."""
    L = gout.shape[0]
    for i in range(L - 1, -1, -1):
        t = L - 1 - i if reverse else i
        p = t + 1 if reverse else t - 1
        cell(dh, gout[t], dc, gates[t], c0 if i == 0 else cs[p], tcs[t], dA[t], dcc)
        lstm_hidden_grad_ref(dA[t], W, dh if i > 0 or last else dcc, dx[t])
