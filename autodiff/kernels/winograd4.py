"""Winograd F(4x4, 3x3) forward convolution for 3x3 kernels at stride 1, dilation 1.

The larger sibling of ``winograd.py``'s F(2x2, 3x3) (read its docstring first): each 4x4
output tile is ``Y = A^T [(G g G^T) * (B^T d B)] A`` for the 6x6 input patch ``d`` it reads
(patches overlap by 2), with the interpolation points 0, 1, -1, 2, -2 (Lavin & Gray 2016).
Summed over input channels that is 36 GEMMs, one per position of the 6x6 transformed tile:

    V[xi] (C, T) = B^T d B of every channel and tile      (input_transform)
    U[xi] (O, C) = G g G^T of every filter, in float64 and then rounded once (weight_transform)
    M[xi] (O, T) = U[xi] @ V[xi]                            (NumPy's BLAS, batched)
    y            = A^T M A of every tile, in NCHW (+ bias)  (output_transform)

36 products per 16 outputs: 4x fewer multiplies than the 9 per output of im2col's GEMM and
1.78x fewer than F(2x2, 3x3), at the price of larger transform coefficients (4, 5, 8 and the
weights' 1/6, 1/12, 1/24), hence a larger float32 error (kernels/conv_algo.py's table).
Only the forward runs here: it serves inference (``no_grad``), where nothing is saved for a
weight gradient; gradients (and forwards whose transformed input a weight gradient reuses)
stay with F(2x2, 3x3), whose adjoints are exact for the same convolution.

Layout as in ``winograd.py``: tiles numbered ``t = (i * tw + j) * N + n`` (images innermost),
each (N, H, W) plane copied once into a zero-padded buffer whose columns are split by their
residue mod 4, so that element (r, c) of the tiles j = 0 .. tw-1 of a tile row is one
contiguous run of ``tw * N`` elements.  Each kernel then makes one pass over that run per tile
row, the whole 6x6 (or 6x6 -> 4x4) 2-D transform unrolled in registers: 36 loads and 36 (16)
stores per tile, vectorised across the run.  Outputs beyond (Ho, Wo) (a size not a multiple
of 4) are computed and dropped.

Threads: ``forward`` splits the batch into image ranges, one per thread (``_launch.run_split``),
each running the serial kernels (``nogil``) and a single-threaded BLAS.
"""
from __future__ import annotations

import numpy as np

from . import winograd as Wn
from ._launch import run_split

BT = np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
               [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]], np.float64)
G = np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
              [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]], np.float64)
AT = np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0],
               [0, 1, -1, 8, -8, 1]], np.float64)
_GG = np.kron(G, G)  # (36, 9): vec(G g G^T) = (G kron G) vec(g)


def tiles(Ho, Wo):
    return (Ho + 3) // 4, (Wo + 3) // 4


Wn._NZ["BT6"] = (Wn._nonzeros(BT), 6, 4, True)
Wn._NZ["AT6"] = (Wn._nonzeros(AT), 6, 4, False)


# --------------------------------------------------------------------------- array API


def input_transform(x, padding, out_hw):
    """V (36, C, th*tw*N): B^T d B of every 6x6 input patch of x (N, C, H, W), tiles in
    (i, j, n) order (images innermost); padding (top, bottom, left, right)."""
    N, C = x.shape[:2]
    th, tw = tiles(*out_hw)
    V = np.empty((36, C, th * tw * N), x.dtype)
    return Wn._apply(np.ascontiguousarray(x), V, "BT6", True, th, tw, (padding[0], padding[2]))


def weight_transform(w):
    """U (36, O, C/groups): G g G^T of every 3x3 filter of w (O, C/groups, 3, 3), computed in
    float64 (G holds sixths) and rounded once to w's dtype."""
    U = _GG @ w.reshape(-1, 9).T.astype(np.float64)
    return np.ascontiguousarray(U.astype(w.dtype)).reshape(36, *w.shape[:2])


def output_transform(M, y, bias=None):
    """y[...] = A^T M A of every tile of M (36, O, th*tw*N), cropped to y (N, O, Ho, Wo),
    plus ``bias`` (O,) if given; returns y."""
    th, tw = tiles(*y.shape[2:])
    return Wn._apply(y, M, "AT6", False, th, tw, bias=bias)


def forward(x, w, padding, groups=1, bias=None):
    """Cross-correlation of x (N, C, H, W) with 3x3 w (O, C/groups, 3, 3) at stride 1, dilation
    1, padding (top, bottom, left, right): -> (N, O, Ho, Wo), plus ``bias`` (O,) if given."""
    N, C, H, W = x.shape
    O = w.shape[0]
    Ho, Wo = H + padding[0] + padding[1] - 2, W + padding[2] + padding[3] - 2
    parts = Wn.chunks(x.shape, w.shape, (Ho, Wo))
    r = Wn._ranges(N, parts)
    U = weight_transform(w)
    y = np.empty((N, O, Ho, Wo), x.dtype)

    def part(k):
        lo, hi = r[k]
        V = input_transform(x[lo:hi], padding, (Ho, Wo))
        output_transform(Wn._gemm(U, V, groups), y[lo:hi], bias)
    run_split(part, parts)
    return y


# --------------------------------------------------------------------------- NumPy twins


def _patches(xp, th, tw):
    """(N, C, th, tw, 6, 6) view of the 6x6 patches, 4 apart, of a padded (N, C, Hp, Wp)."""
    s = xp.strides
    return np.lib.stride_tricks.as_strided(
        xp, (xp.shape[0], xp.shape[1], th, tw, 6, 6), (s[0], s[1], 4 * s[2], 4 * s[3], s[2], s[3]),
        writeable=False)


def input_transform_ref(x, padding, out_hw):
    N, C, H, W = x.shape
    th, tw = tiles(*out_hw)
    xp = np.zeros((N, C, 4 * th + 2, 4 * tw + 2), x.dtype)
    xp[:, :, padding[0]:padding[0] + H, padding[2]:padding[2] + W] = x
    v = np.einsum("ak,ncijkl,bl->abcijn", BT, _patches(xp, th, tw), BT)
    return v.reshape(36, C, -1).astype(x.dtype)


def forward_ref(x, w, padding, groups=1, bias=None):
    N, C, H, W = x.shape
    O, Cg = w.shape[:2]
    Ho, Wo = H + padding[0] + padding[1] - 2, W + padding[2] + padding[3] - 2
    th, tw = tiles(Ho, Wo)
    V = input_transform_ref(x, padding, (Ho, Wo)).reshape(6, 6, groups, Cg, th, tw, N)
    U = np.einsum("ak,ockl,bl->aboc", G, w, G).reshape(6, 6, groups, O // groups, Cg)
    M = np.einsum("abgoc,abgcijn->abgonij", U, V).reshape(6, 6, O, N, th, tw)
    y = np.einsum("ra,abonij,sb->noirjs", AT, M, AT).reshape(N, O, 4 * th, 4 * tw)
    y = y[:, :, :Ho, :Wo]
    if bias is not None:
        y = y + bias.reshape(1, O, 1, 1)
    return y.astype(x.dtype)
