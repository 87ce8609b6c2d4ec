"""The LSTM's kernels: the fused cell (forward and backward) and the step loops of a layer,
whose recurrent products run in a small register-blocked GEMM kernel of their own.

Per step the forward computes the gates' pre-activations ``[h | x_t] @ [W_hh | W_ih]^T + b``
and then the cell (``lstm_cell_forward``); the backward runs the cell's gradient
(``lstm_cell_backward``) and ``[dh | dx_t] = dA_t @ [W_hh | W_ih]``; both products are
``panel_gemm``. One nogil call (``lstm_forward_steps`` / ``lstm_backward_steps``) runs a
batch part's whole sequence, so the layer's batch parts run on ``_launch.run_split``'s threads
without taking the GIL per step.

Why an own GEMM kernel (2 cores, Zen 3, L50 N32 I32 H128 split in two parts of 16 rows):
OpenBLAS's sgemm repacks all of W_hh (256 KB) on every call, so the step's 16 x 128 @ 128 x 512
product took 41-62 us (~40 GFLOP/s; 68 on a big GEMM); torch's oneDNN packs its weights once
per layer. Here the weights are packed once per forward and per backward (``pack_panels``,
0.13 ms) into panels of 16 output columns laid out K-major, and the kernel keeps a 4-row x
16-column block of accumulators (eight 8-float vectors) in registers while a panel stays in
L1 across the row blocks, with W_ih folded in (K = H + I), which also removes the separate
input projection GEMM and its (L, N, 4H) array. 4 x 16 against the earlier 2 x 32 block
(half the weight loads per FMA), both threads running, paired: 0.84 of the time on the
forward's 16 x 160 @ 160 x 512, 0.84-0.87 on the backward's 16 x 512 @ 512 x 160, 0.70-0.80
on the CLI model's 32-row products (1 thread alone: 64-81 against 47-70 GFLOP/s); a 6 x 16
block spilled its accumulators (2x slower). The accumulators live in stack scratch
(``_scratch``): LLVM keeps such memory in registers when every index is a constant once the
16-wide loops are vectorised, which it does not for a NumPy array (it cannot tell that one
from the others). Rows left over past a multiple of 4 are computed in a block overlapping the
one before (computed twice, stored twice: the same values). Loops of 8 or fewer constant
iterations are avoided: LLVM unrolls them into scalar code before its loop vectoriser sees
them (numba leaves the SLP vectoriser off).

The float32 cell uses ``recurrent._tanh32`` (vectorised rational tanh, the sigmoid as
``0.5 tanh(x / 2) + 0.5``); float64 uses the NumPy twins (``*_ref``) with NumPy's exact ufuncs.
Every kernel has a NumPy twin named ``<kernel>_ref`` (the step loops: ``*_py``) that the tests
compare against. Layouts: gate blocks ``(N, 4H)`` in PyTorch's order i, f, g, o.

The step loops and everything they call live in this file (``_tanh32`` aside, which is
stable): numba's on-disk cache is keyed on a function's own file, so a loop cached against an
older kernel of another file would be reused after that kernel changed.
"""
from __future__ import annotations

import functools

import numba
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, overload

from .recurrent import _tanh32

_F32 = np.float32
PANEL = 16  # output columns per packed weight panel: two 8-float vectors


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
# the step products: packed weights, one register-blocked kernel


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


@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def panel_gemm(u, v, Wp, bp, y, z):
    """``[y | z] = [u | v] @ W + b`` for u (n, Ku), v (n, Kv), y (n, Cy), z (n, Cz) and the
    (Ku + Kv, Cy + Cz) matrix ``W`` packed with ``b`` by ``pack_panels`` (either of v, z may
    have no columns). Per panel and block of 4 rows, 4 x 16 accumulators (eight 8-float
    vectors) in registers over all of K while the panel (10 KB at K = 160) stays in L1 across
    the row blocks. Fewer than 4 rows left: the last block overlaps the one before (rows
    computed twice, stored twice: the same values); fewer than 4 rows in all: the last row
    repeats."""
    n, Ku = u.shape
    Kv, Cy, Cz = v.shape[1], y.shape[1], z.shape[1]
    for p in range(Wp.shape[0]):
        j0 = p * PANEL
        for rb in range(0, n, 4):
            r0 = max(0, min(rb, n - 4))
            r1, r2, r3 = min(r0 + 1, n - 1), min(r0 + 2, n - 1), min(r0 + 3, n - 1)
            a0 = _scratch(16)
            a1 = _scratch(16)
            a2 = _scratch(16)
            a3 = _scratch(16)
            for j in range(PANEL):
                b = bp[p, j]
                a0[j] = b
                a1[j] = b
                a2[j] = b
                a3[j] = b
            for k in range(Ku):
                s0, s1, s2, s3 = u[r0, k], u[r1, k], u[r2, k], u[r3, k]
                for j in range(PANEL):
                    w = Wp[p, k, j]
                    a0[j] += s0 * w
                    a1[j] += s1 * w
                    a2[j] += s2 * w
                    a3[j] += s3 * w
            for k in range(Kv):
                s0, s1, s2, s3 = v[r0, k], v[r1, k], v[r2, k], v[r3, k]
                for j in range(PANEL):
                    w = Wp[p, Ku + k, j]
                    a0[j] += s0 * w
                    a1[j] += s1 * w
                    a2[j] += s2 * w
                    a3[j] += s3 * w
            if j0 + PANEL <= Cy:  # a whole panel of y: two vector stores per row
                for j in range(PANEL):
                    y[r0, j0 + j] = a0[j]
                    y[r1, j0 + j] = a1[j]
                    y[r2, j0 + j] = a2[j]
                    y[r3, j0 + j] = a3[j]
                continue
            for j in range(min(PANEL, Cy - j0)):
                y[r0, j0 + j] = a0[j]
                y[r1, j0 + j] = a1[j]
                y[r2, j0 + j] = a2[j]
                y[r3, j0 + j] = a3[j]
            for j in range(max(0, Cy - j0), min(PANEL, Cy + Cz - j0)):
                z[r0, j0 + j - Cy] = a0[j]
                z[r1, j0 + j - Cy] = a1[j]
                z[r2, j0 + j - Cy] = a2[j]
                z[r3, j0 + j - Cy] = a3[j]


def panel_gemm_ref(u, v, W, b, y, z):
    """The twin, on the unpacked ``W`` (and ``b``, or None)."""
    r = np.concatenate([u, v], axis=1) @ W
    if b is not None:
        r += b
    Cy = y.shape[1]
    y[...] = r[:, :Cy]
    z[...] = r[:, Cy:]


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
    pre-activations, ``c_prev`` (N, H), ``P = lstm_gate_scale(H)``. Out: ``A``
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
def lstm_forward_steps(x, Wp, bp, h0, c0, out, gates, cs, tcs, P, reverse, n0=0):
    """The LSTM forward of one batch part (float32): the rows ``n0 : n0 + n`` of ``x``
    (L, N, I) and ``out`` (L, N, H), n the rows of ``h0``; per step the gates'
    pre-activations ``[h | x[t, rows]] @ [W_hh | W_ih]^T + b`` (``panel_gemm``,
    ``Wp, bp = pack_gate_weights(...)``) then ``lstm_cell_forward(gates, c, cs, tcs,
    out[t, rows], P)``. Returns the last step's cell state ``c`` (a view of ``cs``).
    The part reads and writes its rows of the layer's arrays in place (a part's copies of
    ``x`` and ``out`` cost ~0.1 ms per call at L50 N32 I32 H128)."""
    L = out.shape[0]
    n1 = n0 + h0.shape[0]
    keep = gates.shape[0] == L
    h, c = h0, c0
    for i in range(L):
        t = L - 1 - i if reverse else i
        s = t if keep else 0
        sc = t if keep else i & 1
        panel_gemm(h, x[t, n0:n1], Wp, bp, gates[s], gates[s, :, :0])
        lstm_cell_forward(gates[s], c, cs[sc], tcs[s], out[t, n0:n1], P)
        h, c = out[t, n0:n1], cs[sc]
    return c


def lstm_forward_steps_py(cell, xp, w_hh, h0, c0, out, gates, cs, tcs, P, reverse, n0=0):
    """Twin of ``lstm_forward_steps`` taking the input projection with its biases,
    ``xp = x @ W_ih^T + b`` (L, N, 4H), and ``np.matmul`` for ``h @ W_hh^T``."""
    L = out.shape[0]
    n1 = n0 + h0.shape[0]
    keep = gates.shape[0] == L
    h, c = h0, c0
    for i in range(L):
        t = L - 1 - i if reverse else i
        s, sc = (t, t) if keep else (0, i & 1)
        np.matmul(h, w_hh.T, out=gates[s])
        gates[s] += xp[t, n0:n1]
        cell(gates[s], c, cs[sc], tcs[s], out[t, n0:n1], P)
        h, c = out[t, n0:n1], cs[sc]
    return c


@numba.njit(cache=True, nogil=True)
def lstm_backward_steps(dh, gout, dc, gates, cs, c0, tcs, dA, dcc, Wb, bb, dx, reverse,
                        last):
    """The LSTM backward of one batch part (float32), from the last processed step to the
    first: ``lstm_cell_backward(dh, gout[t], dc, gates[t], c_prev, tcs[t], dA[t], dcc)``
    then ``[dh | dx[t]] = dA[t] @ [W_hh | W_ih]`` (``panel_gemm``, ``Wb, bb =
    pack_hidden_weights(...)``; ``dx`` (L, n, I) may have I = 0 columns, with W_hh alone
    packed). ``dh`` and ``dc`` come in as the gradients of h_n and c_n and leave as those of
    h0 and c0 (``last`` False: the first step's ``dh`` product, which only feeds the gradient
    of h0, is skipped and ``dh`` keeps the gradient reaching that step).

    Folding dx in costs 25 % more of the step product (I = 32, H = 128) and saves a
    (L n, 4H) @ (4H, I) GEMM, whose narrow output ran at half OpenBLAS's speed."""
    L = gout.shape[0]
    for i in range(L - 1, -1, -1):
        t = L - 1 - i if reverse else i
        p = t + 1 if reverse else t - 1
        first = i == 0
        lstm_cell_backward(dh, gout[t], dc, gates[t], c0 if first else cs[p], tcs[t], dA[t],
                           dcc)
        if not first or last:
            panel_gemm(dA[t], dA[t, :, :0], Wb, bb, dh, dx[t])
        elif dx.shape[2]:  # dcc is free scratch after the cell: the unwanted dh goes there
            panel_gemm(dA[t], dA[t, :, :0], Wb, bb, dcc, dx[t])


def lstm_backward_steps_py(cell, dh, gout, dc, gates, cs, c0, tcs, dA, dcc, W, dx, reverse,
                           last):
    """Twin of ``lstm_backward_steps`` with the cell kernel ``cell`` and NumPy's products,
    ``W`` = [W_hh | W_ih] or W_hh alone (as packed for the numba loop)."""
    L = gout.shape[0]
    for i in range(L - 1, -1, -1):
        t = L - 1 - i if reverse else i
        p = t + 1 if reverse else t - 1
        cell(dh, gout[t], dc, gates[t], c0 if i == 0 else cs[p], tcs[t], dA[t], dcc)
        panel_gemm_ref(dA[t], dA[t, :, :0], W, None, dh if i > 0 or last else dcc, dx[t])
