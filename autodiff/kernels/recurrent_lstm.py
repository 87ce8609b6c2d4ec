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
block spilled its accumulators (2x slower). Where numba compiles 512-bit vectors (AVX-512:
32 registers of 16 floats) that 4 x 16 block is four 16-float accumulators, one FMA chain
each, latency-bound; there ``gemm_8x32`` (8 rows x 2 panels, 16 accumulators) took 0.45-0.5
of its time (Emerald Rapids, 1 thread, forward and backward step products; bench rows
ours/torch fwd+bwd 0.98 -> 0.81, forward 1.34 -> 0.86). The packing lives in
``recurrent_pack`` (re-exported here). The accumulators live in stack scratch
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

import numba
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, overload

from . import WIDE_VECTORS
from .recurrent import _tanh32
from .recurrent_pack import (  # noqa: F401  (the packings' home; re-exported)
    PANEL,
    aligned_size,
    pack_gate_weights,
    pack_hidden_weights,
    pack_panels,
    pack_panels_ref,
    panels_shape,
)

_F32 = np.float32
# numba compiles at 512-bit width (kernels.WIDE_VECTORS): 32 vector registers of 16 floats, so
# panel_gemm takes the 8 x 32 block (16 accumulators). At 256 bits (AVX2: 16 registers of 8
# floats) that block would need 32 registers and spill: the 4 x 16 block stays there.
WIDE = WIDE_VECTORS


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



@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def panel_gemm(u, v, Wp, bp, y, z):
    """``[y | z] = [u | v] @ W + b`` for u (n, Ku), v (n, Kv), y (n, Cy), z (n, Cz) and the
    (Ku + Kv, Cy + Cz) matrix ``W`` packed with ``b`` by ``pack_panels`` (either of v, z may
    have no columns): ``gemm_8x32`` where numba compiles 512-bit vectors (``WIDE``) and n > 4,
    else ``gemm_4x16``. Both sum each output in the same order (bias, then k = 0, 1, ...):
    the results are equal bit for bit."""
    if WIDE and u.shape[0] > 4:
        gemm_8x32(u, v, Wp, bp, y, z)
    else:
        gemm_4x16(u, v, Wp, bp, y, z)


@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def gemm_4x16(u, v, Wp, bp, y, z):
    """``panel_gemm`` for 256-bit vectors. Per panel and block of 4 rows, 4 x 16 accumulators
    (eight 8-float vectors) in registers over all of K while the panel (10 KB at K = 160)
    stays in L1 across the row blocks. Fewer than 4 rows left: the last block overlaps the one
    before (rows computed twice, stored twice: the same values); fewer than 4 rows in all: the
    last row repeats."""
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


@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def gemm_8x32(u, v, Wp, bp, y, z):
    """``panel_gemm`` for 512-bit vectors: blocks of 8 rows x 2 panels (p, q), 16 16-float
    accumulators, per k 2 weight loads and 8 broadcasts for 16 FMAs (the 4 x 16 block has 4
    accumulators there: one FMA chain each, latency-bound at half the FMA rate). Left-over
    rows or an odd panel count: the last block overlaps the one before (computed twice, stored
    twice: the same values); fewer than 8 rows or 2 panels: the last one repeats.
    Measured on Emerald Rapids (1 thread, 16 rows, us per step product, paired): forward
    16 x 160 @ 160 x 512 36-53 -> 25-36 (4 x 16 -> 8 x 32), backward 16 x 512 @ 512 x 160
    32-44 -> 21-30."""
    n, Ku = u.shape
    Kv, Cy, Cz = v.shape[1], y.shape[1], z.shape[1]
    P = Wp.shape[0]
    for pb in range(0, P, 2):
        p = max(0, min(pb, P - 2))
        q = min(p + 1, P - 1)
        j0 = p * PANEL
        for rb in range(0, n, 8):
            r0 = max(0, min(rb, n - 8))
            r1, r2, r3 = min(r0 + 1, n - 1), min(r0 + 2, n - 1), min(r0 + 3, n - 1)
            r4, r5, r6 = min(r0 + 4, n - 1), min(r0 + 5, n - 1), min(r0 + 6, n - 1)
            r7 = min(r0 + 7, n - 1)
            a0, a1, a2, a3 = _scratch(32), _scratch(32), _scratch(32), _scratch(32)
            a4, a5, a6, a7 = _scratch(32), _scratch(32), _scratch(32), _scratch(32)
            for j in range(2 * PANEL):
                b = bp[p, j] if j < PANEL else bp[q, j - PANEL]
                a0[j] = a1[j] = a2[j] = a3[j] = a4[j] = a5[j] = a6[j] = a7[j] = b
            for k in range(Ku):  # one loop over Ku + Kv with a branch: 1.4x slower
                s0, s1, s2, s3 = u[r0, k], u[r1, k], u[r2, k], u[r3, k]
                s4, s5, s6, s7 = u[r4, k], u[r5, k], u[r6, k], u[r7, k]
                for j in range(PANEL):
                    w = Wp[p, k, j]
                    a0[j] += s0 * w
                    a1[j] += s1 * w
                    a2[j] += s2 * w
                    a3[j] += s3 * w
                    a4[j] += s4 * w
                    a5[j] += s5 * w
                    a6[j] += s6 * w
                    a7[j] += s7 * w
                for j in range(PANEL):
                    w = Wp[q, k, j]
                    a0[PANEL + j] += s0 * w
                    a1[PANEL + j] += s1 * w
                    a2[PANEL + j] += s2 * w
                    a3[PANEL + j] += s3 * w
                    a4[PANEL + j] += s4 * w
                    a5[PANEL + j] += s5 * w
                    a6[PANEL + j] += s6 * w
                    a7[PANEL + j] += s7 * w
            for k in range(Kv):
                s0, s1, s2, s3 = v[r0, k], v[r1, k], v[r2, k], v[r3, k]
                s4, s5, s6, s7 = v[r4, k], v[r5, k], v[r6, k], v[r7, k]
                for j in range(PANEL):
                    w = Wp[p, Ku + k, j]
                    a0[j] += s0 * w
                    a1[j] += s1 * w
                    a2[j] += s2 * w
                    a3[j] += s3 * w
                    a4[j] += s4 * w
                    a5[j] += s5 * w
                    a6[j] += s6 * w
                    a7[j] += s7 * w
                for j in range(PANEL):
                    w = Wp[q, Ku + k, j]
                    a0[PANEL + j] += s0 * w
                    a1[PANEL + j] += s1 * w
                    a2[PANEL + j] += s2 * w
                    a3[PANEL + j] += s3 * w
                    a4[PANEL + j] += s4 * w
                    a5[PANEL + j] += s5 * w
                    a6[PANEL + j] += s6 * w
                    a7[PANEL + j] += s7 * w
            for j in range(max(0, min(2 * PANEL, Cy - j0))):
                c = j0 + j
                y[r0, c], y[r1, c], y[r2, c], y[r3, c] = a0[j], a1[j], a2[j], a3[j]
                y[r4, c], y[r5, c], y[r6, c], y[r7, c] = a4[j], a5[j], a6[j], a7[j]
            for j in range(max(0, Cy - j0), min(2 * PANEL, Cy + Cz - j0)):
                c = j0 + j - Cy
                z[r0, c], z[r1, c], z[r2, c], z[r3, c] = a0[j], a1[j], a2[j], a3[j]
                z[r4, c], z[r5, c], z[r6, c], z[r7, c] = a4[j], a5[j], a6[j], a7[j]


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
