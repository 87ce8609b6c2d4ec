"""Weight (and bias) gradient of grouped convolutions on flat planes: stride 1, output rows
as wide as the input's.

``conv_direct``'s polyphase weight gradient copies each input plane and each output-gradient
plane into zero-padded buffers with rows ``W + padding`` wide (rows of 14-28 floats: scalar
copies; LLVM's vector loop takes 32 floats per iteration).  When the stride is 1 and the
output rows are as wide as the input's (``Wo == W``: "same" padding such as 3x3 with padding
1), output ``t = h W + w`` of a plane reads input ``t + s`` for tap (ki, kj),
``s = (ki dh - pt) W + kj dw - pl``, so ``dw[o, c, ki, kj]`` is one contiguous dot product of
``g[n, o]``, read in place, with the input plane shifted by ``s``.  Only the input is copied,
once per (image, channel) for all the output channels of its group: ``kw`` versions of its
plane, one per kernel column kj, each with the columns whose reads would wrap round to the
next or previous row zeroed, between zero margins that stand for the rows above and below.

One serial ``nogil`` kernel over a range of work items (group, chunk of images), split over
threads by ``kernels/_launch.run_split``: the dot products in pairs of output channels
(``conv_direct._weight_pair``), and on the same pass over g the bias gradient (the sum of
``g[n, o]``; ``ops/conv.py`` then skips its own sum).  A fixed number of image chunks per
group gives partial sums, added in NumPy: the result does not depend on the thread count.

The forward on the same layout (output channels in pairs, in place in ``out``) was built
and measured: no faster than the polyphase forward (1 thread, best of 15, ms, flat /
polyphase: depthwise x (32,64,28,28) 2.31 / 2.35, g4 x (64,32,14,14) 3.23 / 2.93, g8 x
(64,64,14,14) 3.35 / 3.19: one 196-long run per image against polyphase's runs of 4 images),
so the forward and the input gradient stay in ``conv_direct``.  Weight gradient with the
bias, flat / polyphase + NumPy's sum: 2.59 / 3.11 + 0.53, 2.99 / 2.85 + 0.31, 3.27 / 3.31 +
0.31 (same shapes, 2026-12-07).

The NumPy twin is ``kernels/conv.py``'s ``conv2d_backward_weight_ref``.
"""
import numba
import numpy as np
from numba import uint64

from . import conv as K
from . import conv_direct as D
from ._runs import sums, with_bias

__all__ = ["applicable", "conv2d_backward_weight"]


@numba.njit(inline="always")
def _versions(x, n, c0, Cg, xb, P, mb, W, kw, dw, pl):
    # xb[(c kw + kj) P + mb + t] = x[n, c0 + c, t] (a flat plane of H W), with the columns
    # whose tap-kj reads wrap to another row zeroed; zeros in each version's margins
    HW = x.shape[2]
    for c in range(Cg):
        for kj in range(kw):
            b = uint64((c * kw + kj) * P)
            for i in range(uint64(mb)):
                xb[b + i] = 0
            d0 = b + uint64(mb)
            for t in range(uint64(HW)):
                xb[d0 + t] = x[n, c0 + c, t]
            for i in range(d0 + uint64(HW), b + uint64(P)):
                xb[i] = 0
            s = kj * dw - pl  # input column w' serves output column w' - s
            z0, z1 = (0, min(s, W)) if s > 0 else (max(W + s, 0), W)
            for r in range(uint64(HW // W)):
                for j in range(z0, z1):
                    xb[d0 + r * uint64(W) + uint64(j)] = 0


@numba.njit(**D._JIT, fastmath=D._FM)
def _weight_kernel(x, g, part, pbias, groups, offs, P, mb, W, kw, dw, pl, lo, hi):
    # x (N, C, H W), g (N, O Ho W); part (K_, O, Cg kh kw) and pbias (K_, O) (or (0, 0): no
    # bias): chunk k's partial sums; items q in [lo, hi): (group, chunk k)
    N, C = x.shape[0], x.shape[1]
    K_, O, T = part.shape
    L = g.shape[1] // O
    Cg, Og = C // groups, O // groups
    xb = np.empty(Cg * kw * P, x.dtype)
    for q in range(lo, hi):
        gi = q // K_
        k = q - gi * K_
        o0 = gi * Og
        for o in range(o0, o0 + Og):
            for j in range(T):
                part[k, o, j] = 0
            if pbias.shape[0]:
                pbias[k, o] = 0
        for n in range(k * N // K_, (k + 1) * N // K_):
            _versions(x, n, gi * Cg, Cg, xb, P, mb, W, kw, dw, pl)
            gn = g[n]
            for o in range(o0, o0 + Og - 1, 2):  # output channels in pairs
                D._weight_pair(part[k], o, xb, gn, o * L, offs, L, L)
            if Og % 2:
                D._weight_one(part[k], o0 + Og - 1, xb, gn, (o0 + Og - 1) * L, offs, L)
            if pbias.shape[0]:
                sums(pbias[k], o0, Og, gn, o0 * L, L, L)


# --------------------------------------------------------------------------- array API


def applicable(x_shape, w_shape, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1),
               out_hw=None):
    """Stride 1 and output rows as wide as the input's: what this kernel needs."""
    if tuple(stride) != (1, 1) or min(padding) < 0:
        return False
    Ho, Wo, _, _ = K._geometry(x_shape, w_shape[2:], stride, padding, dilation, out_hw)
    return Wo == x_shape[3]


def _layout(x_shape, w_shape, padding, dilation, Ho):
    """(tap offsets into the versions (uint64, C order of w[o]), version stride P, margin
    before each plane mb) of the flat layout."""
    H, W = x_shape[2:]
    Cg, kh, kw = w_shape[1:]
    (pt, pl), (dh, dw) = padding[::2], dilation
    ki, kj = np.meshgrid(np.arange(kh), np.arange(kw), indexing="ij")
    s = ((ki * dh - pt) * W + kj * dw - pl).ravel()
    mb = max(0, -int(s.min()))
    P = mb + max(H * W, Ho * W + int(s.max()))
    base = (np.arange(Cg)[:, None] * kw + kj.ravel()) * P + mb
    return (base + s).astype(np.uint64).ravel(), P, mb


def conv2d_backward_weight(x, g, w_shape, padding=(0, 0, 0, 0), dilation=(1, 1), groups=1,
                           bias_grad=False):
    """Weight gradient at stride 1 (``applicable``) x (N, C, H, W), g (N, O, Ho, W) ->
    w_shape; with ``bias_grad`` -> (that, g summed over N, Ho, W) from the same pass."""
    K._check(x.shape, w_shape, groups)
    dt = np.result_type(x, g)
    N, C, H, W = x.shape
    O = w_shape[0]
    k = max(1, min(N, D._DW_CHUNKS // groups))
    part = np.zeros((k, O, int(np.prod(w_shape[1:]))), dt)
    pb = np.zeros((k, O) if bias_grad else (0, 0), dt)
    if N:
        offs, P, mb = _layout(x.shape, w_shape, padding, dilation, g.shape[2])
        D._split(_weight_kernel, groups * k, x.size + g.size,
                 D._dense(x, dt).reshape(N, C, H * W), D._dense(g, dt).reshape(N, -1), part,
                 pb, groups, offs, P, mb, W, w_shape[3], dilation[1], padding[2])
    return with_bias(part, pb, w_shape, bias_grad)
