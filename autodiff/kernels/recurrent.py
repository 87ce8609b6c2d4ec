"""The GRU's fused elementwise gate math, one time step at a time, and the vectorisable float32
``_tanh32`` shared with the LSTM's kernels (``kernels.recurrent_lstm``) and the Elman RNN.

The GEMMs of a GRU step (``h @ W_hh.T`` forward, ``dgates @ W_hh`` backward) run in NumPy
outside these kernels; the kernels do everything elementwise in between, in one call per step
over the ``(N, H)`` block (PERF-NOTES: ``np.dot`` inside ``njit`` is 3-4x slower; never do it).

Forward kernels exist for float32 only. numba compiles scalar ``tanh``/``exp`` to per-element
libm calls (no SVML on this machine: an LSTM cell costs 160-300 us per step); the float32
kernels instead use ``_tanh32``, a clamped rational approximation (Eigen's ``ptanh``,
absolute error below 3e-7, i.e. float32 round-off) that LLVM vectorises, and the sigmoid as
``0.5 tanh(x / 2) + 0.5``. float64 uses the NumPy twins (``*_ref``), which call NumPy's exact
ufuncs. The backward kernels have no transcendental functions and are exact in both dtypes.

Every kernel has a NumPy twin named ``<kernel>_ref`` that the tests compare against.

Layouts (one time step): gate blocks are ``(N, 3H)`` in the GRU's order r, z, n.
"""
from __future__ import annotations

import numba
import numpy as np

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
# 4-5x slower than these split loops.)

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
