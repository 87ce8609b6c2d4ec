"""Fused elementwise gate math of the LSTM and GRU cells, one time step at a time.

The GEMMs of a step (``h @ W_hh.T`` forward, ``dgates @ W_hh`` backward) run in NumPy outside
these kernels; the kernels do everything elementwise in between, in one call per step over
the ``(N, H)`` block (PERF-NOTES: ``np.dot`` inside ``njit`` is 3-4x slower; never do it).

Forward kernels exist for float32 only. numba compiles scalar ``tanh``/``exp`` to per-element
libm calls (no SVML on this machine: an LSTM cell costs 160-300 us per step); the float32
kernels instead use ``_tanh32``, a clamped rational approximation (Eigen's ``ptanh``,
absolute error below 3e-7, i.e. float32 round-off) that LLVM vectorises, and the sigmoid as
``0.5 tanh(x / 2) + 0.5``. float64 uses the NumPy twins (``*_ref``), which call NumPy's exact
ufuncs. The backward kernels have no transcendental functions and are exact in both dtypes.

Every kernel has a NumPy twin named ``<kernel>_ref`` that the tests compare against.

Layouts (one time step): gate blocks are ``(N, 4H)`` for the LSTM in PyTorch's gate order
i, f, g, o and ``(N, 3H)`` for the GRU in the order r, z, n.

Measured (N=32, H=128, float32): on the first 2-core machine the forward LSTM kernel took
~17 us, the backward ~5 us, against ~68 us for the step's sgemm (the NumPy twin of the
forward ~81 us); on a Zen 5 machine (OpenBLAS pinned to its AVX2 Haswell kernels) 4.4 us and
3.3 us against ~25 us for the sgemm at 2 threads (43 us at 1): the sgemms dominate.
"""
from __future__ import annotations

import numba
import numpy as np

from ._blas import GEMM, NO, ROW, TR

_F32 = np.float32


@numba.njit(inline="always", fastmath=True, error_model="numpy")
def _tanh32(x):
    # Eigen's float tanh: odd rational function, exact to float32 round-off on [-7.9, 7.9];
    # tanh is +-1 in float32 outside. A NaN fails both compares and comes out NaN.
    lim = _F32(7.90531110763549805)
    x = -lim if x < -lim else x
    x = lim if x > lim else x
    x2 = x * x
    p = _F32(-2.76076847742355e-16)
    p = x2 * p + _F32(2.00018790482477e-13)
    p = x2 * p + _F32(-8.60467152213735e-11)
    p = x2 * p + _F32(5.12229709037114e-08)
    p = x2 * p + _F32(1.48572235717979e-05)
    p = x2 * p + _F32(6.37261928875436e-04)
    p = x2 * p + _F32(4.89352455891786e-03)
    q = _F32(1.19825839466702e-06)
    q = x2 * q + _F32(1.18534705686654e-04)
    q = x2 * q + _F32(2.26843463243900e-03)
    q = x2 * q + _F32(4.89352518554385e-03)
    return x * p / q


@numba.njit(cache=True, fastmath=True, error_model="numpy")
def tanh32(x, out):
    """out = tanh(x) for float32 2-D arrays (rows may be strided, columns contiguous)."""
    for n in range(x.shape[0]):
        for k in range(x.shape[1]):
            out[n, k] = _tanh32(x[n, k])


def tanh32_ref(x, out):
    np.tanh(x, out=out)


# ---------------------------------------------------------------------------------------------
# Vectorisation: LLVM vectorises a loop only when it can check at run time that the arrays it
# writes do not overlap those it reads, and gives up beyond a handful of such checks or when an
# array is read and written in place at the same index. So every kernel below is a sequence of
# short loops over one row, each touching few arrays. (One fused loop over all gates measured
# 4-5x slower than these split loops; the LSTM gate loop's in-place update of A at the same
# index vectorises: 16-17 us per step either way.)

# ---------------------------------------------------------------------------------------------
# LSTM


def lstm_gate_scale(H, dtype=np.float32):
    """Per-column scale p of the (4H,) gate block: 0.5 for the sigmoid gates i, f, o and 1 for
    g, so that every gate is ``p tanh(p a) + (1 - p)`` and one loop covers all four."""
    p = np.full(4 * H, 0.5, dtype)
    p[2 * H:3 * H] = 1
    return p


@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def lstm_cell_forward(A, xp, b, c_prev, c, tc, h, P):
    """One LSTM step (float32), the gates activated in place. In: ``A`` (N, 4H) holding
    ``h_prev @ W_hh.T`` (the step's GEMM writes it there: no separate (N, 4H) buffer, whose
    traffic evicted W_hh from L2; ~10 % off the LSTM fwd+bwd), ``xp`` (N, 4H) the input
    projection ``x_t @ W_ih.T``, ``b`` (4H,) = ``b_ih + b_hh`` (added here: a separate pass over
    the whole (L, N, 4H) projection cost ~100 us per bias), ``c_prev`` (N, H),
    ``P`` = ``lstm_gate_scale(H)``.
    Out: ``A`` the activated gates [i, f, g, o], ``c = f c_prev + i g``, ``tc = tanh(c)``,
    ``h = o tc``."""
    N = A.shape[0]
    H = c_prev.shape[1]
    one = _F32(1.0)
    for n in range(N):
        for j in range(4 * H):
            p = P[j]
            A[n, j] = p * _tanh32(p * (A[n, j] + xp[n, j] + b[j])) + (one - p)
        for j in range(H):
            c[n, j] = A[n, H + j] * c_prev[n, j] + A[n, j] * A[n, 2 * H + j]
        for j in range(H):
            t = _tanh32(c[n, j])
            tc[n, j] = t
            h[n, j] = A[n, 3 * H + j] * t


def lstm_cell_forward_ref(A, xp, b, c_prev, c, tc, h, P=None):
    H = c_prev.shape[1]
    a = A + xp + b
    i = 1.0 / (1.0 + np.exp(-a[:, :H]))
    f = 1.0 / (1.0 + np.exp(-a[:, H:2 * H]))
    g = np.tanh(a[:, 2 * H:3 * H])
    o = 1.0 / (1.0 + np.exp(-a[:, 3 * H:]))
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
# GRU


@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def gru_cell_forward(xp, hp, h_prev, A, h):
    """One GRU step (float32). In: ``xp`` (N, 3H) = x W_ih^T + b_ih, ``hp`` (N, 3H) =
    h_prev W_hh^T + b_hh, ``h_prev`` (N, H). Out: ``A`` (N, 3H) = [r, z, n] and
    ``h = (1 - z) n + z h_prev`` with ``n = tanh(xp_n + r hp_n)``."""
    N = h_prev.shape[0]
    H = h_prev.shape[1]
    half = _F32(0.5)
    one = _F32(1.0)
    for n in range(N):
        for j in range(2 * H):
            A[n, j] = half * _tanh32(half * (xp[n, j] + hp[n, j])) + half
        for j in range(H):
            A[n, 2 * H + j] = _tanh32(xp[n, 2 * H + j] + A[n, j] * hp[n, 2 * H + j])
        for j in range(H):
            z = A[n, H + j]
            h[n, j] = (one - z) * A[n, 2 * H + j] + z * h_prev[n, j]


def gru_cell_forward_ref(xp, hp, h_prev, A, h):
    H = h_prev.shape[1]
    r = 1.0 / (1.0 + np.exp(-(xp[:, :H] + hp[:, :H])))
    z = 1.0 / (1.0 + np.exp(-(xp[:, H:2 * H] + hp[:, H:2 * H])))
    n = np.tanh(xp[:, 2 * H:] + r * hp[:, 2 * H:])
    A[:, :H] = r
    A[:, H:2 * H] = z
    A[:, 2 * H:] = n
    h[...] = (1 - z) * n + z * h_prev


@numba.njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
def gru_cell_backward(dh, dout, A, hp_n, h_prev, dxp, dhp, dh_prev):
    """Backward of one GRU step. In: ``dh`` + ``dout`` (N, H) the gradient of h, ``A`` the
    gates [r, z, n], ``hp_n`` (N, H) the n-part of h_prev W_hh^T + b_hh, ``h_prev``. Out:
    ``dxp`` (N, 3H) gradient of the input projection, ``dhp`` (N, 3H) gradient of the hidden
    projection, ``dh_prev`` (N, H) its direct part ``dh z`` (add ``dhp @ W_hh`` outside)."""
    N = dh.shape[0]
    H = dh.shape[1]
    one = dh.dtype.type(1.0)
    for n in range(N):
        for j in range(H):
            nn_ = A[n, 2 * H + j]
            dxp[n, 2 * H + j] = (dh[n, j] + dout[n, j]) * (one - A[n, H + j]) * (one - nn_ * nn_)
        for j in range(H):
            z = A[n, H + j]
            daz = (dh[n, j] + dout[n, j]) * (h_prev[n, j] - A[n, 2 * H + j]) * z * (one - z)
            dxp[n, H + j] = daz
        for j in range(H):
            r = A[n, j]
            dxp[n, j] = dxp[n, 2 * H + j] * hp_n[n, j] * r * (one - r)
        for j in range(2 * H):
            dhp[n, j] = dxp[n, j]
        for j in range(H):
            dhp[n, 2 * H + j] = dxp[n, 2 * H + j] * A[n, j]
        for j in range(H):
            dh_prev[n, j] = (dh[n, j] + dout[n, j]) * A[n, H + j]


def gru_cell_backward_ref(dh, dout, A, hp_n, h_prev, dxp, dhp, dh_prev):
    H = dh.shape[1]
    r, z, n = A[:, :H], A[:, H:2 * H], A[:, 2 * H:]
    d = dh + dout
    dan = d * (1 - z) * (1 - n * n)
    daz = d * (h_prev - n) * z * (1 - z)
    dar = dan * hp_n * r * (1 - r)
    dxp[:, :H] = dar
    dxp[:, H:2 * H] = daz
    dxp[:, 2 * H:] = dan
    dhp[:, :H] = dar
    dhp[:, H:2 * H] = daz
    dhp[:, 2 * H:] = dan * r
    dh_prev[...] = d * z


# ---------------------------------------------------------------------------------------------
# The LSTM's step loops: one nogil call per batch part instead of a Python loop
#
# Per step the loop runs the recurrent sgemm and the fused cell kernel above. The sgemm is
# NumPy's own OpenBLAS called through its CBLAS entry point (``SGEMM``, a ctypes function passed
# in as an argument so that the compiled loop caches on disk), never ``np.dot`` inside numba
# (SciPy's second OpenBLAS: PERF-NOTES); the calling thread's BLAS thread count applies
# (``_launch.run_split`` sets it to 1). The loops live in this file so that numba's cache, keyed
# on the file, never keeps a loop compiled against an older cell kernel.
#
# Why: the layer runs as two batch parts on two threads (``ops.recurrent._batch_parts``); with a
# Python loop each step handed the GIL back and forth four times between the threads (a matmul
# and a kernel call each), and on this 2-core VM those handovers cost as much as the step's
# 16-row sgemm. One call per part takes the GIL once (L50 N32 I32 H128 forward without grad,
# 2 threads, one run: 5.7 ms against 8.0 ms with the Python loops, torch 6.2 ms).
#
# ``SGEMM`` (``_blas.GEMM``'s float32 entry) is None when NumPy's BLAS is not an OpenBLAS
# ``_launch`` found (another BLAS): the ops then run the Python twins ``*_py``, which take the
# cell kernel as an argument (the float32 one, or the exact NumPy ``*_ref`` for float64) and
# which the tests compare the numba loops with. Arrays: all C-contiguous, the step arrays
# (L, n, ...) of one batch part of n rows; ``gates``, ``cs``, ``tcs`` hold all L steps (kept
# for the backward) or
# 1, 2, 1 scratch steps (the forward without grad).

SGEMM = GEMM.get(np.dtype(np.float32))


@numba.njit(cache=True, nogil=True)
def lstm_forward_steps(sgemm, xp, b, w_hh, h0, c0, out, gates, cs, tcs, P, reverse):
    """The LSTM forward of one batch part (float32): per step ``gates = h @ w_hh.T`` then
    ``lstm_cell_forward(gates, xp[t], b, c, cs, tcs, out[t], P)``. Returns the last step's
    cell state ``c`` (a view of ``cs``)."""
    L, N, H = out.shape
    G = w_hh.shape[0]
    keep = gates.shape[0] == L
    one, zero = np.float32(1.0), np.float32(0.0)
    h, c = h0, c0
    for i in range(L):
        t = L - 1 - i if reverse else i
        s = t if keep else 0
        sc = t if keep else i & 1
        sgemm(ROW, NO, TR, N, G, H, one, h.ctypes.data, H, w_hh.ctypes.data, H, zero,
              gates[s].ctypes.data, G)
        lstm_cell_forward(gates[s], xp[t], b, c, cs[sc], tcs[s], out[t], P)
        h, c = out[t], cs[sc]
    return c


def lstm_forward_steps_py(cell, xp, b, w_hh, h0, c0, out, gates, cs, tcs, P, reverse):
    """Twin of ``lstm_forward_steps`` with ``np.matmul`` and the cell kernel ``cell`` (any
    float dtype with ``lstm_cell_forward_ref``)."""
    L = out.shape[0]
    keep = gates.shape[0] == L
    h, c = h0, c0
    for i in range(L):
        t = L - 1 - i if reverse else i
        s, sc = (t, t) if keep else (0, i & 1)
        np.matmul(h, w_hh.T, out=gates[s])
        cell(gates[s], xp[t], b, c, cs[sc], tcs[s], out[t], P)
        h, c = out[t], cs[sc]
    return c


@numba.njit(cache=True, nogil=True)
def lstm_backward_steps(sgemm, dh, gout, dc, gates, cs, c0, tcs, dA, dcc, w_hh, reverse,
                        last):
    """The LSTM backward of one batch part (float32), from the last processed step to the
    first: ``lstm_cell_backward(dh, gout[t], dc, gates[t], c_prev, tcs[t], dA[t], dcc)``
    then ``dh = dA[t] @ w_hh``. ``dh`` and ``dc`` come in as the gradients of h_n and c_n and
    leave as those of h0 and c0 (``last`` False skips the first step's product, which only
    feeds the gradient of h0)."""
    L, N, H = gout.shape
    G = w_hh.shape[0]
    one, zero = np.float32(1.0), np.float32(0.0)
    for i in range(L - 1, -1, -1):
        t = L - 1 - i if reverse else i
        p = t + 1 if reverse else t - 1
        first = i == 0
        lstm_cell_backward(dh, gout[t], dc, gates[t], c0 if first else cs[p], tcs[t], dA[t],
                           dcc)
        if not first or last:
            sgemm(ROW, NO, NO, N, H, G, one, dA[t].ctypes.data, G, w_hh.ctypes.data, H,
                  zero, dh.ctypes.data, H)


def lstm_backward_steps_py(cell, dh, gout, dc, gates, cs, c0, tcs, dA, dcc, w_hh, reverse,
                           last):
    """Twin of ``lstm_backward_steps`` with ``np.matmul`` and the cell kernel ``cell``."""
    L = gout.shape[0]
    for i in range(L - 1, -1, -1):
        t = L - 1 - i if reverse else i
        p = t + 1 if reverse else t - 1
        cell(dh, gout[t], dc, gates[t], c0 if i == 0 else cs[p], tcs[t], dA[t], dcc)
        if i > 0 or last:
            np.matmul(dA[t], w_hh, out=dh)
