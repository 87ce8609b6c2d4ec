"""Winograd F(2x2, 3x3) convolution for 3x3 kernels at stride 1, dilation 1.

Lavin & Gray (2016): each 2x2 output tile is ``Y = A^T [(G g G^T) * (B^T d B)] A`` for the
4x4 input patch ``d`` it reads (patches overlap by 2) and the 3x3 filter ``g``; summed over
input channels, the elementwise product becomes 16 independent GEMMs, one per position
``xi`` of the 4x4 transformed tile:

    V[xi] (C, T)  = B^T d B of every channel and tile     (input_transform)
    U[xi] (O, C)  = G g G^T of every filter               (weight_transform, NumPy)
    M[xi] (O, T)  = U[xi] @ V[xi]                          (NumPy's BLAS, batched)
    y             = A^T M A of every tile, in NCHW        (forward)

2.25x fewer multiplies than the 9 per output of im2col's GEMM, and no column matrix.
The backward passes are the adjoints of the same linear maps, so they are exact gradients of
this forward (and again 16 GEMMs each):

    dM[xi] = A dY A^T of every output tile                 (grad_transform)
    input gradient:  dV[xi] = U[xi]^T @ dM[xi], then B dV B^T of each tile summed into the
                     overlapping patches (backward_input)
    weight gradient: dU[xi] = dM[xi] @ V[xi]^T (V saved from the forward), then G^T dU G

All four tile transforms are one numba kernel (``_transform_kernel``, Y = L X L^T of 4x4 or
2x2 tiles); GEMMs run in NumPy (never BLAS inside numba: shared PERF-NOTES).  The transform
matrices hold 0, +-1 and +-1/2 only.

Layout: tiles are numbered ``t = (i * tw + j) * N + n`` (tile row i, column j, image n):
images innermost, so each transform loop runs over the ``tw * N`` contiguous elements of a
tile row and vectorises.  Each (N, H, W) plane passes through a per-thread buffer with the
images innermost and the columns split by parity (``_plane``).  The input is zero-padded to
``2 th + 2`` by ``2 tw + 2`` (every patch inside); an odd output size computes the even size
and drops the last row/column.  Groups are a batch dimension of the GEMMs.

Threads: each pipeline (transform, 16 GEMMs, transform) splits the batch into ``chunks``
image ranges, one per thread, each with serial transforms and a single-threaded BLAS
(``kernels/_launch.py`` run_split).  The conv2d step of ``bench/conv.py`` on 2 cores (Zen 3,
medians, 2026-12-06): fwd+bwd 21.6 ms on one thread, 20.0 ms with parallel transforms and
2-thread GEMMs one after the other, 14.9 ms split; forward only 8.5, 8.4 and 4.8 ms.
A transformed input or gradient is then a tuple of layouts, one per range
(``input_chunks``, ``grad_chunks``).

Each function has a NumPy twin ``*_ref`` (einsum over explicit transform matrices).
When this runs instead of im2col: ``kernels/conv_algo.py`` (its table of measured
crossovers and the float32 error of both algorithms).
"""
from __future__ import annotations

import numba
import numpy as np
from numba import prange, uint64

from . import serialized
from ._launch import Sized, run_split, split_count

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


def _nonzeros(m):
    """Row r of m as (count, column, value, column, value, column, value): at most 3 nonzeros."""
    t = np.zeros((m.shape[0], 7))
    for r, row in enumerate(m):
        cols = np.flatnonzero(row)
        t[r, 0] = len(cols)
        for k, col in enumerate(cols):
            t[r, 1 + 2 * k], t[r, 2 + 2 * k] = col, row[col]
    return t


@numba.njit(cache=True)
def _comb(src, base, offs, nz, dst, od, n, acc):
    # dst[od + t] (+ dst[od + t] when acc) = sum_k nz_value_k * src[base + offs[nz_col_k] + t]
    cnt = int(nz[0])
    o0 = uint64(base + offs[int(nz[1])])
    o1 = uint64(base + offs[int(nz[3])])
    o2 = uint64(base + offs[int(nz[5])])
    a0, a1, a2 = dst.dtype.type(nz[2]), dst.dtype.type(nz[4]), dst.dtype.type(nz[6])
    d = uint64(od)
    if acc:
        if cnt == 1:
            for t in range(uint64(n)):
                dst[d + t] += a0 * src[o0 + t]
        elif cnt == 2:
            for t in range(uint64(n)):
                dst[d + t] += a0 * src[o0 + t] + a1 * src[o1 + t]
        else:
            for t in range(uint64(n)):
                dst[d + t] += (a0 * src[o0 + t] + a1 * src[o1 + t]) + a2 * src[o2 + t]
    elif cnt == 1:
        for t in range(uint64(n)):
            dst[d + t] = a0 * src[o0 + t]
    elif cnt == 2:
        for t in range(uint64(n)):
            dst[d + t] = a0 * src[o0 + t] + a1 * src[o1 + t]
    else:
        for t in range(uint64(n)):
            dst[d + t] = (a0 * src[o0 + t] + a1 * src[o1 + t]) + a2 * src[o2 + t]


@numba.njit(cache=True)
def _plane(img, p, buf, Wq, pt, pl, load, bias):
    # buf (Hq, 2, Wq/2, N) flat <-> plane p of img (N, P, H, W): element (n, p, h, w) at row
    # h + pt, column q = w + pl, stored at column (q % 2, q // 2), images innermost.
    # load: buf = the zero-padded plane; else plane p = buf's elements (+ bias[p] when bias
    # has P entries).  Loop orders measured (1 thread, 32 planes of (32, 14, 14)): loading
    # image-innermost (contiguous stores) 0.11 ms against 0.21 column-innermost; storing
    # column-innermost through a column table 0.21 ms against 0.35 with the index arithmetic
    # inline and 0.45 image-innermost.
    N, P, H, W = img.shape
    f = img.ravel()
    b = bias[p] if bias.shape[0] == P else img.dtype.type(0)
    cm = np.empty(W, np.uint64)  # column w -> its offset in a buffer row
    for w in range(W):
        q = w + pl
        cm[w] = ((q % 2) * (Wq // 2) + q // 2) * N
    if load:
        buf[:] = 0
        step = uint64(P * H * W)
        for h in range(H):
            d0 = uint64((h + pt) * Wq * N)
            s0 = uint64((p * H + h) * W)
            for w in range(uint64(W)):
                d, s = d0 + cm[w], s0 + w
                for n in range(uint64(N)):
                    buf[d + n] = f[s + n * step]
        return
    for n in range(N):
        for h in range(H):
            s0 = uint64(((n * P + p) * H + h) * W)
            d0 = uint64((h + pt) * Wq * N + n)
            for w in range(uint64(W)):
                f[s0 + w] = buf[d0 + cm[w]] + b


@numba.njit(cache=True, parallel=True)
def _transform_kernel(img, tl, Lnz, Rnz, kx, th, tw, Hq, Wq, pt, pl, to_tiles, bias):
    # Y = L X R^T for every plane p and tile (i, j), X and Y small matrices of N-vectors
    # (images innermost) between img (N, P, H, W) and tl (16, P, th*tw*N), the "tile" side:
    # X[r, q] of tile (i, j) in plane 4 r + q of tl.  to_tiles: img -> tl, else tl -> img
    # (img then gets the sum of overlapping tiles, plus bias[p]).  Each plane of img goes
    # through a buffer (Hq, 2, Wq/2, N), columns split by parity (_plane): there the
    # tiles j = 0 .. tw-1 of a tile row i are one contiguous run of tw*N elements at a
    # fixed offset per (r, q), as on the tile side, so every loop below is unit-stride over
    # that run.  Rows first (tmp = L X), then columns.
    N, P = img.shape[0], img.shape[1]
    T = th * tw * N
    tf = tl.ravel()
    rows, cols = Lnz.shape[0], Rnz.shape[0]
    overlap = not to_tiles and rows == 4  # 4x4 tiles into the input plane overlap: summed
    run = tw * N
    im = np.empty((4, 4), np.int64)  # offset of element (r, q) from a tile row's start
    ti = np.empty((4, 4), np.int64)
    for r in range(4):
        for q in range(4):
            im[r, q] = (r * Wq + (q % 2) * (Wq // 2) + q // 2) * N
            ti[r, q] = (4 * r + q) * P * T
    for p in prange(P):
        buf = np.empty(Hq * Wq * N, tl.dtype)
        tmp = np.empty((rows * kx + 1) * run, tl.dtype)
        toff = np.arange(kx) * run
        if to_tiles:
            _plane(img, p, buf, Wq, pt, pl, True, bias)
        elif overlap:
            buf[:] = 0
        for i in range(th):
            ib = 2 * i * Wq * N
            tb = p * T + i * run
            for q in range(kx):  # tmp[r, q] = sum_k L[r, k] X[k, q]
                for r in range(rows):
                    if to_tiles:
                        _comb(buf, ib, im[:, q], Lnz[r], tmp, (r * kx + q) * run, run, False)
                    else:
                        _comb(tf, tb, ti[:, q], Lnz[r], tmp, (r * kx + q) * run, run, False)
            for r in range(rows):  # Y[r, s] = sum_k R[s, k] tmp[r, k]
                for s in range(cols):
                    if to_tiles:
                        _comb(tmp, r * kx * run, toff, Rnz[s], tf, tb + ti[r, s], run, False)
                    else:
                        _comb(tmp, r * kx * run, toff, Rnz[s], buf, ib + im[r, s], run,
                              overlap)
        if not to_tiles:
            _plane(img, p, buf, Wq, pt, pl, False, bias)


_transform = Sized(serialized(_transform_kernel), nogil=True)
_B = BT.T
_NZ = {name: _nonzeros(m) for name, m in (("BT", BT), ("B", _B), ("AT", AT), ("A", AT.T))}


def _apply(img, tl, left, to_tiles, th, tw, padding=(0, 0), bias=None):
    """Y = left X left^T of every tile between img (N, P, H, W) and tl (16, P, th*tw*N) (see
    _transform_kernel); left named in _NZ: BT/B on the input side (padded to 2 th + 2 by
    2 tw + 2, img at ``padding`` (top, left)), AT/A on the output side (2 th by 2 tw)."""
    inp = left in ("BT", "B")
    kx = 2 if left == "A" else 4  # columns of the left matrix: rows of each X
    Hq, Wq = (2 * th + 2, 2 * tw + 2) if inp else (2 * th, 2 * tw)
    b = np.zeros(0, tl.dtype) if bias is None else np.ascontiguousarray(bias, dtype=tl.dtype)
    if not img.flags.writeable:  # the kernel's store branch writes img: typed writable
        img = img.copy()
    _transform(tl.size, img, tl, _NZ[left], _NZ[left], kx, th, tw, Hq, Wq, padding[0],
               padding[1], to_tiles, b)
    return tl if to_tiles else img


# --------------------------------------------------------------------------- array API


def input_transform(x, padding, out_hw):
    """V (16, C, th*tw*N): B^T d B of every 4x4 input patch of x (N, C, H, W), tiles in
    (i, j, n) order (images innermost)."""
    N, C = x.shape[:2]
    th, tw = tiles(*out_hw)
    V = np.empty((16, C, th * tw * N), x.dtype)
    return _apply(np.ascontiguousarray(x), V, "BT", True, th, tw, (padding[0], padding[2]))


_GG = {}  # dtype -> G kron G (16, 9): vec(G g G^T) = (G kron G) vec(g)


def _gg(dtype):
    if dtype not in _GG:
        _GG[dtype] = np.kron(G, G).astype(dtype)
    return _GG[dtype]


def weight_transform(w):
    """U (16, O, C/groups): G g G^T of every 3x3 filter of w (O, C/groups, 3, 3)."""
    return (_gg(w.dtype) @ w.reshape(-1, 9).T).reshape(16, *w.shape[:2])


def weight_adjoint(dU, w_shape):
    """G^T dU G: dU (16, O, C/groups) -> the weight gradient (O, C/groups, 3, 3)."""
    return np.ascontiguousarray((_gg(dU.dtype).T @ dU.reshape(16, -1)).T).reshape(w_shape)


def grad_transform(g):
    """dM (16, O, th*tw*N): A dy A^T of every 2x2 tile of g (N, O, Ho, Wo) (zero-padded to
    even sizes), tiles in (i, j, n) order."""
    N, O, Ho, Wo = g.shape
    th, tw = tiles(Ho, Wo)
    dM = np.empty((16, O, th * tw * N), g.dtype)
    return _apply(np.ascontiguousarray(g), dM, "A", True, th, tw)


def _gemm(a, b, groups, transpose_a=False, transpose_b=False):
    """The 16 x groups GEMMs of (16, A0, A1) and (16, B0, B1) stacks, split by groups along
    their first matrix axis; the product as (16, rows, columns) over all groups."""
    a4 = a.reshape(16, groups, a.shape[1] // groups, a.shape[2])
    b4 = b.reshape(16, groups, b.shape[1] // groups, b.shape[2])
    a4 = a4.transpose(0, 1, 3, 2) if transpose_a else a4
    b4 = b4.transpose(0, 1, 3, 2) if transpose_b else b4
    out = np.matmul(a4, b4)
    return out.reshape(16, -1, out.shape[-1])


# The pipelines below split the batch into ``parts`` contiguous image ranges (``chunks``) and
# run each range's transforms and GEMMs on its own thread (kernels/_launch.py run_split).  A
# transformed input or gradient is then a tuple with one (16, C, th*tw*n) layout per range.


def chunks(x_shape, w_shape, out_hw):
    """How many image ranges a conv of these shapes splits into (1: no split)."""
    N, O, C = x_shape[0], w_shape[0], x_shape[1]
    th, tw = tiles(*out_hw)
    return min(N, split_count(16 * (C + O) * N * th * tw))  # elements of V and M


def _ranges(N, parts):
    b = [N * k // parts for k in range(parts + 1)]
    return list(zip(b[:-1], b[1:]))


def input_chunks(x, padding, out_hw, parts):
    """input_transform of each of ``parts`` image ranges of x, as a tuple."""
    r = _ranges(x.shape[0], parts)
    return tuple(run_split(lambda k: input_transform(x[r[k][0]:r[k][1]], padding, out_hw),
                           parts))


def grad_chunks(g, parts):
    """grad_transform of each of ``parts`` image ranges of g, as a tuple."""
    r = _ranges(g.shape[0], parts)
    return tuple(run_split(lambda k: grad_transform(g[r[k][0]:r[k][1]]), parts))


def forward_and_input(x, w, padding, groups=1, bias=None, V=None):
    """(:func:`forward`'s output, the tuple of input_chunks it used): ``V`` may pass it."""
    N, C, H, W = x.shape
    O = w.shape[0]
    Ho, Wo = H + padding[0] + padding[1] - 2, W + padding[2] + padding[3] - 2
    th, tw = tiles(Ho, Wo)
    parts = chunks(x.shape, w.shape, (Ho, Wo)) if V is None else len(V)
    r = _ranges(N, parts)
    U = weight_transform(w)
    y = np.empty((N, O, Ho, Wo), x.dtype)

    def part(k):
        (lo, hi), xk = r[k], x[r[k][0]:r[k][1]]
        Vk = input_transform(xk, padding, (Ho, Wo)) if V is None else V[k]
        _apply(y[lo:hi], _gemm(U, Vk, groups), "AT", False, th, tw, bias=bias)  # M (16, O, T)
        return Vk
    return y, tuple(run_split(part, parts))


def forward(x, w, padding, groups=1, bias=None, V=None):
    """Cross-correlation of x (N, C, H, W) with 3x3 w (O, C/groups, 3, 3) at stride 1:
    -> (N, O, Ho, Wo), plus ``bias`` (O,) if given; ``V`` may pass ``input_chunks(x)``."""
    return forward_and_input(x, w, padding, groups, bias, V)[0]


def backward_input(g, w, x_shape, padding, groups=1, dM=None, bias=None):
    """Input gradient of :func:`forward` for g (N, O, Ho, Wo): -> (N, C, H, W) of x_shape.
    ``dM`` may pass ``grad_chunks(g)``."""
    th, tw = tiles(*g.shape[2:])
    parts = chunks(x_shape, w.shape, g.shape[2:]) if dM is None else len(dM)
    r = _ranges(g.shape[0], parts)
    U = weight_transform(w)
    dx = np.empty(tuple(x_shape), g.dtype)

    def part(k):
        lo, hi = r[k]
        dMk = grad_transform(g[lo:hi]) if dM is None else dM[k]
        dV = _gemm(U, dMk, groups, transpose_a=True)  # (16, C, T)
        _apply(dx[lo:hi], dV, "B", False, th, tw, (padding[0], padding[2]), bias)
    run_split(part, parts)
    return dx


def backward_weight(x, g, w_shape, padding, groups=1, V=None, dM=None):
    """Weight gradient of :func:`forward`: x (N, C, H, W), g (N, O, Ho, Wo) -> w_shape;
    ``V`` and ``dM`` may pass ``input_chunks(x)`` and ``grad_chunks(g)``."""
    parts = len(dM) if dM is not None else len(V) if V is not None else \
        chunks(x.shape, w_shape, g.shape[2:])
    if V is not None and len(V) != parts:  # split differently (the thread count changed)
        V = None
    r = _ranges(x.shape[0], parts)

    def part(k):
        lo, hi = r[k]
        Vk = input_transform(x[lo:hi], padding, g.shape[2:]) if V is None else V[k]
        dMk = grad_transform(g[lo:hi]) if dM is None else dM[k]
        return _gemm(dMk, Vk, groups, transpose_b=True)
    return weight_adjoint(sum(run_split(part, parts)), w_shape)


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
    v = np.einsum("ak,ncijkl,bl->abcijn", BT, _patches(xp, th, tw), BT)
    return v.reshape(16, C, -1).astype(x.dtype)


def forward_ref(x, w, padding, groups=1, bias=None):
    N, C, H, W = x.shape
    O, Cg = w.shape[:2]
    Ho, Wo = H + padding[0] + padding[1] - 2, W + padding[2] + padding[3] - 2
    th, tw = tiles(Ho, Wo)
    V = input_transform_ref(x, padding, (Ho, Wo)).reshape(4, 4, groups, Cg, th, tw, N)
    U = np.einsum("ak,ockl,bl->aboc", G, w, G).reshape(4, 4, groups, O // groups, Cg)
    M = np.einsum("abgoc,abgcijn->abgonij", U, V).reshape(4, 4, O, N, th, tw)
    y = np.einsum("ra,abonij,sb->noirjs", AT, M, AT).reshape(N, O, 2 * th, 2 * tw)
    y = y[:, :, :Ho, :Wo]
    if bias is not None:
        y = y + bias.reshape(1, O, 1, 1)
    return y.astype(x.dtype)
