"""Fused elementwise gate math of the LSTM and GRU cells, one time step at a time.

The GEMMs of a step (``h @ W_hh.T`` forward, ``dgates @ W_hh`` backward) run in NumPy outside
these kernels; the kernels do everything elementwise in between, in one pass over the
``(N, H)`` block (PERF-NOTES: ``np.dot`` inside ``njit`` is 3-4x slower; never do it).

Forward kernels exist for float32 only. numba compiles scalar ``tanh``/``exp`` to per-element
libm calls (no SVML on this machine: an LSTM cell costs 160-300 us per step); the float32
kernels instead use ``_tanh32``, a clamped rational approximation (Eigen's ``ptanh``,
absolute error below 3e-7, i.e. float32 round-off) that LLVM vectorises, and the sigmoid as
``0.5 tanh(x / 2) + 0.5``. float64 uses the NumPy twins (``*_ref``), which call NumPy's exact
ufuncs. The backward kernels have no transcendental functions and are exact in both dtypes.

Every kernel has a NumPy twin named ``<kernel>_ref`` that the tests compare against.

Layouts (one time step): gate pre-activations ``G`` are ``(N, 4H)`` for the LSTM in PyTorch's
gate order i, f, g, o and ``(N, 3H)`` for the GRU in the order r, z, n.
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
# LSTM


@numba.njit(cache=True, fastmath=True, error_model="numpy")
def lstm_cell_forward(G, xp, c_prev, c, tc, h):
    """One LSTM step (float32). In: ``G`` (N, 4H) holding ``h_prev @ W_hh.T``, ``xp`` (N, 4H)
    the input projection with both biases, ``c_prev`` (N, H). Out: ``G`` overwritten with the
    activated gates [i, f, g, o], ``c`` the new cell, ``tc = tanh(c)``, ``h = o * tc``."""
    N = G.shape[0]
    H = c_prev.shape[1]
    half = _F32(0.5)
    for n in range(N):
        for j in range(H):
            i = half * _tanh32(half * (G[n, j] + xp[n, j])) + half
            f = half * _tanh32(half * (G[n, H + j] + xp[n, H + j])) + half
            g = _tanh32(G[n, 2 * H + j] + xp[n, 2 * H + j])
            o = half * _tanh32(half * (G[n, 3 * H + j] + xp[n, 3 * H + j])) + half
            cc = f * c_prev[n, j] + i * g
            t = _tanh32(cc)
            G[n, j] = i
            G[n, H + j] = f
            G[n, 2 * H + j] = g
            G[n, 3 * H + j] = o
            c[n, j] = cc
            tc[n, j] = t
            h[n, j] = o * t


def lstm_cell_forward_ref(G, xp, c_prev, c, tc, h):
    H = c_prev.shape[1]
    a = G + xp
    i = 1.0 / (1.0 + np.exp(-a[:, :H]))
    f = 1.0 / (1.0 + np.exp(-a[:, H:2 * H]))
    g = np.tanh(a[:, 2 * H:3 * H])
    o = 1.0 / (1.0 + np.exp(-a[:, 3 * H:]))
    G[:, :H] = i
    G[:, H:2 * H] = f
    G[:, 2 * H:3 * H] = g
    G[:, 3 * H:] = o
    c[...] = f * c_prev + i * g
    tc[...] = np.tanh(c)
    h[...] = o * tc


@numba.njit(cache=True, fastmath=True, error_model="numpy")
def lstm_cell_backward(dh, dout, dc, gates, c_prev, tc, dG):
    """Backward of one LSTM step. In: ``dh`` (N, H) gradient reaching h from the next step (or
    h_n), ``dout`` (N, H) the gradient of this step's output, ``dc`` (N, H) gradient reaching c,
    ``gates`` the activated [i, f, g, o], ``c_prev``, ``tc = tanh(c)``. Out: ``dG`` (N, 4H) the
    gradient of the gate pre-activations; ``dc`` overwritten with the gradient of ``c_prev``."""
    N = dh.shape[0]
    H = dh.shape[1]
    one = dh.dtype.type(1.0)
    for n in range(N):
        for j in range(H):
            i = gates[n, j]
            f = gates[n, H + j]
            g = gates[n, 2 * H + j]
            o = gates[n, 3 * H + j]
            t = tc[n, j]
            d = dh[n, j] + dout[n, j]
            dcc = dc[n, j] + d * o * (one - t * t)
            dG[n, j] = dcc * g * i * (one - i)
            dG[n, H + j] = dcc * c_prev[n, j] * f * (one - f)
            dG[n, 2 * H + j] = dcc * i * (one - g * g)
            dG[n, 3 * H + j] = d * t * o * (one - o)
            dc[n, j] = dcc * f


def lstm_cell_backward_ref(dh, dout, dc, gates, c_prev, tc, dG):
    H = dh.shape[1]
    i, f, g, o = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
    d = dh + dout
    dcc = dc + d * o * (1 - tc * tc)
    dG[:, :H] = dcc * g * i * (1 - i)
    dG[:, H:2 * H] = dcc * c_prev * f * (1 - f)
    dG[:, 2 * H:3 * H] = dcc * i * (1 - g * g)
    dG[:, 3 * H:] = d * tc * o * (1 - o)
    dc[...] = dcc * f


# ---------------------------------------------------------------------------------------------
# GRU


@numba.njit(cache=True, fastmath=True, error_model="numpy")
def gru_cell_forward(xp, hp, h_prev, gates, h):
    """One GRU step (float32). In: ``xp`` (N, 3H) = x W_ih^T + b_ih, ``hp`` (N, 3H) =
    h_prev W_hh^T + b_hh, ``h_prev`` (N, H). Out: ``gates`` (N, 3H) = [r, z, n] and
    ``h = (1 - z) n + z h_prev`` with ``n = tanh(xp_n + r hp_n)``."""
    N = h_prev.shape[0]
    H = h_prev.shape[1]
    half = _F32(0.5)
    one = _F32(1.0)
    for n in range(N):
        for j in range(H):
            r = half * _tanh32(half * (xp[n, j] + hp[n, j])) + half
            z = half * _tanh32(half * (xp[n, H + j] + hp[n, H + j])) + half
            nn_ = _tanh32(xp[n, 2 * H + j] + r * hp[n, 2 * H + j])
            gates[n, j] = r
            gates[n, H + j] = z
            gates[n, 2 * H + j] = nn_
            h[n, j] = (one - z) * nn_ + z * h_prev[n, j]


def gru_cell_forward_ref(xp, hp, h_prev, gates, h):
    H = h_prev.shape[1]
    r = 1.0 / (1.0 + np.exp(-(xp[:, :H] + hp[:, :H])))
    z = 1.0 / (1.0 + np.exp(-(xp[:, H:2 * H] + hp[:, H:2 * H])))
    n = np.tanh(xp[:, 2 * H:] + r * hp[:, 2 * H:])
    gates[:, :H] = r
    gates[:, H:2 * H] = z
    gates[:, 2 * H:] = n
    h[...] = (1 - z) * n + z * h_prev


@numba.njit(cache=True, fastmath=True, error_model="numpy")
def gru_cell_backward(dh, dout, gates, hp_n, h_prev, dxp, dhp, dh_prev):
    """Backward of one GRU step. In: ``dh`` + ``dout`` (N, H) the gradient of h, ``gates``
    [r, z, n], ``hp_n`` (N, H) the n-part of h_prev W_hh^T + b_hh, ``h_prev``. Out: ``dxp``
    (N, 3H) gradient of the input projection, ``dhp`` (N, 3H) gradient of the hidden
    projection, ``dh_prev`` (N, H) the direct part ``dh z`` (add ``dhp @ W_hh`` outside)."""
    N = dh.shape[0]
    H = dh.shape[1]
    one = dh.dtype.type(1.0)
    for n in range(N):
        for j in range(H):
            r = gates[n, j]
            z = gates[n, H + j]
            nn_ = gates[n, 2 * H + j]
            d = dh[n, j] + dout[n, j]
            dan = d * (one - z) * (one - nn_ * nn_)
            daz = d * (h_prev[n, j] - nn_) * z * (one - z)
            dar = dan * hp_n[n, j] * r * (one - r)
            dxp[n, j] = dar
            dxp[n, H + j] = daz
            dxp[n, 2 * H + j] = dan
            dhp[n, j] = dar
            dhp[n, H + j] = daz
            dhp[n, 2 * H + j] = dan * r
            dh_prev[n, j] = d * z


def gru_cell_backward_ref(dh, dout, gates, hp_n, h_prev, dxp, dhp, dh_prev):
    H = dh.shape[1]
    r, z, n = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:]
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
