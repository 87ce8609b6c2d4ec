"""Winograd F(2x2, 3x3) convolution for 3x3 kernels at stride 1, dilation 1.

Lavin & Gray (2016): each 2x2 output tile is ``Y = A^T [(G g G^T) * (B^T d B)] A`` for the
4x4 input patch ``d`` it reads (patches overlap by 2) and the 3x3 filter ``g``; summed over
input channels, the elementwise product becomes 16 independent GEMMs, one per position
``xi`` of the 4x4 transformed tile:

    V[xi] (C, T)  = B^T d B of every channel and tile     (_input_kernel)
    U[xi] (O, C)  = G g G^T of every filter               (weight_transform, NumPy)
    M[xi] (O, T)  = U[xi] @ V[xi]                          (NumPy's BLAS, batched)
    y             = A^T M A of every tile, in NCHW        (_output_kernel)

2.25x fewer multiplies than the 9 per output of im2col's GEMM, and no column matrix.
The backward passes are the adjoints of the same linear maps, so they are exact gradients of
this forward (and again 16 GEMMs each):

    dM[xi] = A dY A^T of every output tile                 (_grad_kernel)
    input gradient:  dV[xi] = U[xi]^T @ dM[xi], then B dV B^T of each tile summed into the
                     overlapping patches (_input_adjoint_kernel)
    weight gradient: dU[xi] = dM[xi] @ V[xi]^T (V saved from the forward), then G^T dU G

Transforms are numba kernels, GEMMs NumPy (never BLAS inside numba: shared PERF-NOTES).
The transform matrices hold 0, +-1 and +-1/2 only; the float32 error against a float64
reference is measured in ``tests/kernels/test_winograd.py`` (within
PyTorch's own float32 tolerance on the tested shapes).

Tiles are numbered ``t = (n * th + i) * tw + j`` for image n and tile row/column i, j, so the
output transform writes NCHW directly.  The input is first zero-padded to ``2 th + 2`` by
``2 tw + 2`` (every patch inside); an odd output size is handled by a zero-padded gradient
and a cropped output.  Groups are a batch dimension of the GEMMs.

Each function has a NumPy twin ``*_ref`` (einsum over explicit transform matrices).

Status (2026-12-06, AMD EPYC Zen 3, 1 thread, process time): correct (tests) but NOT
dispatched by ``ops/conv.py``: on x (64,32,14,14) w (64,32,3,3) p1 its 16 GEMMs take 5.6 ms
against 9.1 ms for im2col's whole forward, but the transform kernels as written are scalar
(input 4.8, output 8.7, gradient 8.1 ms; a serial build of the output kernel measured 3.3 ms),
so forward 16.3 / input grad 21.2 / weight grad 23.1 ms vs im2col's 9.1 / 10.7 / 9.7.  Given
V and dM, the weight gradient is already faster (4.8 vs 6.9 ms).  To win: vectorise the
transforms (unit-stride inner loops over tiles on flat uint64-indexed arrays, as conv.py's
im2col), then block over images so V and M stay in cache.
"""
from __future__ import annotations

import numba
import numpy as np
from numba import prange

from ._launch import Sized

BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], np.float64)
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], np.float64)
AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], np.float64)


def applicable(w_shape, stride, dilation):
    """True when the Winograd path computes this convolution (3x3, stride 1, dilation 1)."""
    return (tuple(w_shape[2:]) == (3, 3) and tuple(stride) == (1, 1)
            and tuple(dilation) == (1, 1))


def tiles(Ho, Wo):
    return (Ho + 1) // 2, (Wo + 1) // 2


# --------------------------------------------------------------------------- numba kernels


@numba.njit(cache=True, parallel=True)
def _input_kernel(xp, V, th, tw):
    # xp (C, N, Hp, Wp) zero-padded with Hp >= 2 th + 2, Wp >= 2 tw + 2 -> V (16, C, N*th*tw)
    C, N = xp.shape[0], xp.shape[1]
    for p in prange(C * N):
        c = p // N
        n = p - c * N
        for i in range(th):
            r0 = xp[c, n, 2 * i]
            r1 = xp[c, n, 2 * i + 1]
            r2 = xp[c, n, 2 * i + 2]
            r3 = xp[c, n, 2 * i + 3]
            t0 = (n * th + i) * tw
            for j in range(tw):
                q = 2 * j
                t = t0 + j
                # rows: B^T d
                a0 = r0[q] - r2[q]
                a1 = r0[q + 1] - r2[q + 1]
                a2 = r0[q + 2] - r2[q + 2]
                a3 = r0[q + 3] - r2[q + 3]
                b0 = r1[q] + r2[q]
                b1 = r1[q + 1] + r2[q + 1]
                b2 = r1[q + 2] + r2[q + 2]
                b3 = r1[q + 3] + r2[q + 3]
                c0 = r2[q] - r1[q]
                c1 = r2[q + 1] - r1[q + 1]
                c2 = r2[q + 2] - r1[q + 2]
                c3 = r2[q + 3] - r1[q + 3]
                d0 = r1[q] - r3[q]
                d1 = r1[q + 1] - r3[q + 1]
                d2 = r1[q + 2] - r3[q + 2]
                d3 = r1[q + 3] - r3[q + 3]
                # columns: (.) B
                V[0, c, t] = a0 - a2
                V[1, c, t] = a1 + a2
                V[2, c, t] = a2 - a1
                V[3, c, t] = a1 - a3
                V[4, c, t] = b0 - b2
                V[5, c, t] = b1 + b2
                V[6, c, t] = b2 - b1
                V[7, c, t] = b1 - b3
                V[8, c, t] = c0 - c2
                V[9, c, t] = c1 + c2
                V[10, c, t] = c2 - c1
                V[11, c, t] = c1 - c3
                V[12, c, t] = d0 - d2
                V[13, c, t] = d1 + d2
                V[14, c, t] = d2 - d1
                V[15, c, t] = d1 - d3


@numba.njit(cache=True, parallel=True)
def _output_kernel(M, out, bias, th, tw):
    # M (16, O, N*th*tw) -> out (N, O, 2 th, 2 tw) = A^T m A of each tile (+ bias[o] when
    # bias has O entries)
    N, O = out.shape[0], out.shape[1]
    add = bias.shape[0] == O
    for p in prange(N * O):
        n = p // O
        o = p - n * O
        b = bias[o] if add else out.dtype.type(0)
        for i in range(th):
            y0 = out[n, o, 2 * i]
            y1 = out[n, o, 2 * i + 1]
            t0 = (n * th + i) * tw
            for j in range(tw):
                t = t0 + j
                # rows: A^T m
                s00 = M[0, o, t] + M[4, o, t] + M[8, o, t]
                s01 = M[1, o, t] + M[5, o, t] + M[9, o, t]
                s02 = M[2, o, t] + M[6, o, t] + M[10, o, t]
                s03 = M[3, o, t] + M[7, o, t] + M[11, o, t]
                s10 = M[4, o, t] - M[8, o, t] - M[12, o, t]
                s11 = M[5, o, t] - M[9, o, t] - M[13, o, t]
                s12 = M[6, o, t] - M[10, o, t] - M[14, o, t]
                s13 = M[7, o, t] - M[11, o, t] - M[15, o, t]
                # columns: (.) A
                y0[2 * j] = s00 + s01 + s02 + b
                y0[2 * j + 1] = s01 - s02 - s03 + b
                y1[2 * j] = s10 + s11 + s12 + b
                y1[2 * j + 1] = s11 - s12 - s13 + b


@numba.njit(cache=True, parallel=True)
def _grad_kernel(g, dM, th, tw):
    # g (N, O, 2 th, 2 tw) -> dM (16, O, N*th*tw) = A dy A^T of each 2x2 tile (adjoint of
    # _output_kernel)
    N, O = g.shape[0], g.shape[1]
    for p in prange(N * O):
        n = p // O
        o = p - n * O
        for i in range(th):
            y0 = g[n, o, 2 * i]
            y1 = g[n, o, 2 * i + 1]
            t0 = (n * th + i) * tw
            for j in range(tw):
                t = t0 + j
                u00 = y0[2 * j]
                u01 = y0[2 * j + 1]
                u10 = y1[2 * j]
                u11 = y1[2 * j + 1]
                # rows of A dy: [y0, y0 + y1, y0 - y1, -y1]; columns the same on each row
                a0, a1 = u00, u01
                b0, b1 = u00 + u10, u01 + u11
                c0, c1 = u00 - u10, u01 - u11
                d0, d1 = -u10, -u11
                dM[0, o, t] = a0
                dM[1, o, t] = a0 + a1
                dM[2, o, t] = a0 - a1
                dM[3, o, t] = -a1
                dM[4, o, t] = b0
                dM[5, o, t] = b0 + b1
                dM[6, o, t] = b0 - b1
                dM[7, o, t] = -b1
                dM[8, o, t] = c0
                dM[9, o, t] = c0 + c1
                dM[10, o, t] = c0 - c1
                dM[11, o, t] = -c1
                dM[12, o, t] = d0
                dM[13, o, t] = d0 + d1
                dM[14, o, t] = d0 - d1
                dM[15, o, t] = -d1


@numba.njit(cache=True, parallel=True)
def _input_adjoint_kernel(dV, dxp, th, tw):
    # dV (16, C, N*th*tw) -> dxp (C, N, Hp, Wp), zeroed here: B dV B^T of each tile summed
    # into its 4x4 patch at (2i, 2j) (adjoint of _input_kernel).  One (c, n) plane per
    # iteration: the overlapping patches of a plane are summed by one thread.
    C, N = dxp.shape[0], dxp.shape[1]
    zero = dxp.dtype.type(0)
    for p in prange(C * N):
        c = p // N
        n = p - c * N
        dxp[c, n] = zero
        for i in range(th):
            r0 = dxp[c, n, 2 * i]
            r1 = dxp[c, n, 2 * i + 1]
            r2 = dxp[c, n, 2 * i + 2]
            r3 = dxp[c, n, 2 * i + 3]
            t0 = (n * th + i) * tw
            for j in range(tw):
                t = t0 + j
                q = 2 * j
                # rows of B v: [v0, v1 - v2 + v3, v1 + v2 - v0, -v3] (v_k row k of the
                # tile), then the same combination over the columns of each row
                for r in range(4):
                    if r == 0:
                        e0 = dV[0, c, t]
                        e1 = dV[1, c, t]
                        e2 = dV[2, c, t]
                        e3 = dV[3, c, t]
                        row = r0
                    elif r == 1:
                        e0 = dV[4, c, t] - dV[8, c, t] + dV[12, c, t]
                        e1 = dV[5, c, t] - dV[9, c, t] + dV[13, c, t]
                        e2 = dV[6, c, t] - dV[10, c, t] + dV[14, c, t]
                        e3 = dV[7, c, t] - dV[11, c, t] + dV[15, c, t]
                        row = r1
                    elif r == 2:
                        e0 = dV[4, c, t] + dV[8, c, t] - dV[0, c, t]
                        e1 = dV[5, c, t] + dV[9, c, t] - dV[1, c, t]
                        e2 = dV[6, c, t] + dV[10, c, t] - dV[2, c, t]
                        e3 = dV[7, c, t] + dV[11, c, t] - dV[3, c, t]
                        row = r2
                    else:
                        e0 = -dV[12, c, t]
                        e1 = -dV[13, c, t]
                        e2 = -dV[14, c, t]
                        e3 = -dV[15, c, t]
                        row = r3
                    row[q] += e0
                    row[q + 1] += e1 - e2 + e3
                    row[q + 2] += e1 + e2 - e0
                    row[q + 3] -= e3


_input = Sized(_input_kernel)
_output = Sized(_output_kernel)
_grad = Sized(_grad_kernel)
_input_adjoint = Sized(_input_adjoint_kernel)


# --------------------------------------------------------------------------- array API


def _padded_input(x, padding, th, tw):
    """x (N, C, H, W) -> zero-padded (C, N, 2 th + 2, 2 tw + 2), x at (top, left)."""
    from .conv import _pad_to_cnhw_kernel
    N, C = x.shape[:2]
    xp = np.empty((C, N, 2 * th + 2, 2 * tw + 2), x.dtype)
    _pad_to_cnhw_kernel(np.ascontiguousarray(x), xp, padding[0], padding[2])
    return xp


def input_transform(x, padding, out_hw):
    """V (16, C, N*th*tw): B^T d B of every input patch of x (N, C, H, W)."""
    N, C = x.shape[:2]
    th, tw = tiles(*out_hw)
    xp = _padded_input(x, padding, th, tw)
    V = np.empty((16, C, N * th * tw), x.dtype)
    _input(V.size, xp, V, th, tw)
    return V


def weight_transform(w):
    """U (16, O, C/groups): G g G^T of every 3x3 filter of w (O, C/groups, 3, 3)."""
    Gm = G.astype(w.dtype)
    u = Gm @ w @ Gm.T  # (O, Cg, 4, 4)
    return np.ascontiguousarray(u.transpose(2, 3, 0, 1)).reshape(16, w.shape[0], w.shape[1])


def weight_adjoint(dU, w_shape):
    """G^T dU G: dU (16, O, C/groups) -> the weight gradient (O, C/groups, 3, 3)."""
    Gm = G.astype(dU.dtype)
    d = dU.reshape(4, 4, w_shape[0], w_shape[1]).transpose(2, 3, 0, 1)
    return np.ascontiguousarray(Gm.T @ d @ Gm)


def grad_transform(g):
    """dM (16, O, N*th*tw): A dy A^T of every 2x2 tile of g (N, O, Ho, Wo) (zero-padded to
    even sizes)."""
    N, O, Ho, Wo = g.shape
    th, tw = tiles(Ho, Wo)
    if Ho % 2 or Wo % 2:
        gp = np.zeros((N, O, 2 * th, 2 * tw), g.dtype)
        gp[:, :, :Ho, :Wo] = g
    else:
        gp = np.ascontiguousarray(g)
    dM = np.empty((16, O, N * th * tw), g.dtype)
    _grad(dM.size, gp, dM, th, tw)
    return dM


def _gemm(a, b, groups, transpose_a=False, transpose_b=False):
    """The 16 (times groups) GEMMs: a (16, A0, A1), b (16, B0, B1), split by groups along
    the contracted and output channel axes."""
    a4 = a.reshape(16, groups, a.shape[1] // groups, a.shape[2]) if not transpose_a else \
        a.reshape(16, groups, a.shape[1] // groups, a.shape[2]).transpose(0, 1, 3, 2)
    if transpose_b:
        b4 = b.reshape(16, groups, b.shape[1] // groups, b.shape[2]).transpose(0, 1, 3, 2)
    else:
        b4 = b.reshape(16, groups, b.shape[1] // groups, b.shape[2])
    return np.matmul(a4, b4)


def forward(x, w, padding, groups=1, bias=None, V=None):
    """Cross-correlation of x (N, C, H, W) with 3x3 w (O, C/groups, 3, 3) at stride 1:
    -> (N, O, Ho, Wo), plus ``bias`` (O,) if given; ``V`` may pass ``input_transform(x)``."""
    N, C, H, W = x.shape
    O = w.shape[0]
    Ho, Wo = H + padding[0] + padding[1] - 2, W + padding[2] + padding[3] - 2
    th, tw = tiles(Ho, Wo)
    if V is None:
        V = input_transform(x, padding, (Ho, Wo))
    U = weight_transform(w)  # (16, O, Cg)
    M = np.matmul(U.reshape(16, groups, O // groups, -1),
                  V.reshape(16, groups, C // groups, -1)).reshape(16, O, -1)
    even = not (Ho % 2 or Wo % 2)
    out = np.empty((N, O, 2 * th, 2 * tw), x.dtype)
    b = np.zeros(0, x.dtype) if bias is None else np.ascontiguousarray(bias, dtype=x.dtype)
    _output(out.size, M, out, b, th, tw)
    return out if even else np.ascontiguousarray(out[:, :, :Ho, :Wo])


def backward_input(g, w, x_shape, padding, groups=1, dM=None):
    """Input gradient of :func:`forward` for g (N, O, Ho, Wo): -> (N, C, H, W) of x_shape.
    ``dM`` may pass ``grad_transform(g)``."""
    from .conv import _crop_from_cnhw_kernel
    N, C, H, W = x_shape
    O = w.shape[0]
    th, tw = tiles(*g.shape[2:])
    if dM is None:
        dM = grad_transform(g)
    U = weight_transform(w)  # (16, O, Cg)
    Ug = U.reshape(16, groups, O // groups, C // groups).transpose(0, 1, 3, 2)
    dV = np.matmul(Ug, dM.reshape(16, groups, O // groups, -1)).reshape(16, C, -1)
    dxp = np.empty((C, N, 2 * th + 2, 2 * tw + 2), g.dtype)
    _input_adjoint(dV.size, dV, dxp, th, tw)
    dx = np.empty(tuple(x_shape), g.dtype)
    _crop_from_cnhw_kernel(dxp, dx, padding[0], padding[2])
    return dx


def backward_weight(x, g, w_shape, padding, groups=1, V=None, dM=None):
    """Weight gradient of :func:`forward`: x (N, C, H, W), g (N, O, Ho, Wo) -> w_shape."""
    O, Cg = w_shape[:2]
    if V is None:
        V = input_transform(x, padding, g.shape[2:])
    if dM is None:
        dM = grad_transform(g)
    dU = np.matmul(dM.reshape(16, groups, O // groups, -1),
                   V.reshape(16, groups, Cg, -1).transpose(0, 1, 3, 2)).reshape(16, O, Cg)
    return weight_adjoint(dU, w_shape)


# --------------------------------------------------------------------------- NumPy twins


def _patches(xp, th, tw):
    """(N, C, th, tw, 4, 4) view of the 4x4 patches of a padded (N, C, Hp, Wp) array."""
    s = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp, (xp.shape[0], xp.shape[1], th, tw, 4, 4), (s[0], s[1], 2 * s[2], 2 * s[3], s[2], s[3]),
        writeable=False)


def input_transform_ref(x, padding, out_hw):
    N, C, H, W = x.shape
    th, tw = tiles(*out_hw)
    xp = np.zeros((N, C, 2 * th + 2, 2 * tw + 2), x.dtype)
    xp[:, :, padding[0]:padding[0] + H, padding[2]:padding[2] + W] = x
    v = np.einsum("ak,ncijkl,bl->abcnij", BT, _patches(xp, th, tw), BT)
    return v.reshape(16, C, -1).astype(x.dtype)


def forward_ref(x, w, padding, groups=1, bias=None):
    N, C, H, W = x.shape
    O, Cg = w.shape[:2]
    Ho, Wo = H + padding[0] + padding[1] - 2, W + padding[2] + padding[3] - 2
    th, tw = tiles(Ho, Wo)
    V = input_transform_ref(x, padding, (Ho, Wo)).reshape(4, 4, groups, Cg, N, th, tw)
    U = np.einsum("ak,ockl,bl->aboc", G, w, G).reshape(4, 4, groups, O // groups, Cg)
    M = np.einsum("abgoc,abgcnij->abgonij", U, V).reshape(4, 4, O, N, th, tw)
    y = np.einsum("ra,abonij,sb->noirjs", AT, M, AT).reshape(N, O, 2 * th, 2 * tw)
    y = y[:, :, :Ho, :Wo]
    if bias is not None:
        y = y + bias.reshape(1, O, 1, 1)
    return y.astype(x.dtype)
