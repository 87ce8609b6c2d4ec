"""Both gradients of a stride-1 grouped convolution in one pass over the output gradient.

``conv_grouped`` computes the input gradient as the forward convolution of g (padded by the
flipped padding ``dilation (k - 1) - padding``) with the flipped, per-group transposed weight,
and the weight gradient as dot products of g with the shifted, padded input planes: two
passes, each copying g into shared-padding planes of its own.  When the two layouts have the
same geometry -- rows ``Wq`` wide, images ``Hs`` rows apart, as for "same" padding such as 3x3
with padding 1 -- they are the same planes: the weight gradient's g (rows ``Wq`` wide, zeros
past each row's end and below each image's last row) is the input gradient's padded g read
from ``fpt Wq + fpl`` on.  So one kernel copies a block's g planes once and computes, per work
item (group, chunk of image blocks):

* the input gradient of each block (``conv_direct._forward_pair`` on g's planes, rows out by
  ``conv_grouped._rows_out``), plus a bias (C,) if given;
* the weight gradient's partial sums of the chunk (``conv_direct._weight_pair`` on the same
  g planes against the input's padded planes), and on request the bias gradient (g's sums).

A fixed number of chunks per group (not per thread) gives partial sums added in NumPy: the
results do not depend on the thread count.  One split over threads instead of two, g read
and copied once instead of twice.

Measured (paired, 2 threads, wall clock, AMD EPYC Zen 3, 2026-12-07; the ops' fwd+bwd step
against main before this kernel, ratios over four runs): depthwise x(32,64,28,28) 3x3 s1
0.84-0.93, s2 (``conv_direct``'s strided pass with both gradients) 0.89-0.97, grouped g8
x(64,64,14,14) 0.87-0.94, g4 x(64,32,14,14) 0.92-0.93.  Kernels alone, depthwise s1: both
gradients 2.44 ms against 1.30 + 1.74 ms for the two passes.

The NumPy twins are ``kernels/conv.py``'s ``conv2d_backward_input_ref`` and
``conv2d_backward_weight_ref``.
"""
import numba
import numpy as np

from . import conv as K
from . import conv_direct as D
from . import conv_grouped as Gs
from ._runs import with_bias

__all__ = ["applicable", "conv2d_backward"]

_CHUNKS = 16  # image chunks per group (the weight gradient's partial sums)


@numba.njit(**D._JIT, fastmath=D._FM)
def _backward_kernel(x, g, wf, bias, dx, part, pbias, groups, pt, pl, fpt, fpl, Hs, Wq, kh,
                     kw, dh, dw, Nb, lo, hi):
    # x (N, C, H, W), g (N, O, Ho, Wo); wf (C, Og kh kw): the flipped, per-group transposed
    # weight; dx (N, C, H, W) plus bias (C,) (or (0,)); part (K_, O, Cg kh kw), pbias (K_, O)
    # (or (0, 0)); items q in [lo, hi): (group, chunk k of the image blocks)
    N, C, H, W = x.shape
    O, Ho, Wo = g.shape[1], g.shape[2], g.shape[3]
    K_, _, T = part.shape
    Cg, Og = C // groups, O // groups
    k2 = kh * kw
    nblocks = (N + Nb - 1) // Nb
    img = Hs * Wq
    step = Nb * img  # one channel's planes
    plane = max(D._run(Nb, max(H, Ho), max(W, Wo), img, Wq), step) + 16
    xb = np.empty(Cg * step + plane, x.dtype)
    gb = np.empty(Og * step + plane, x.dtype)
    acc = np.empty((4 if D._QUADS else 2) * plane, x.dtype)  # _channels: quads at 512 bits
    offx = np.empty(T, np.uint64)
    offg = np.empty(Og * k2, np.uint64)
    D._taps(offx, Cg, kh, kw, step, step, Wq, 1, 1, dh, dw)
    D._taps(offg, Og, kh, kw, step, step, Wq, 1, 1, dh, dw)
    g0 = fpt * Wq + fpl  # g's first value in its padded planes
    last = -1
    for q in range(lo, hi):
        gi = q // K_
        k = q - gi * K_
        c0, o0 = gi * Cg, gi * Og  # (part and pbias come zeroed)
        for nk in range(k * nblocks // K_, (k + 1) * nblocks // K_):
            n0 = nk * Nb
            nb = min(Nb, N - n0)
            fresh = nb != last
            last = nb
            D._phases(x, n0, nb, c0, Cg, xb, step, step, img, Wq, 1, 1, pt, pl, fresh)
            D._phases(g, n0, nb, o0, Og, gb, step, step, img, Wq, 1, 1, fpt, fpl, fresh)
            Lx = D._run(nb, H, W, img, Wq)  # the input gradient's run
            Gs._channels(dx, n0, nb, c0, Cg, acc, plane, gb, wf, offg, Lx, bias, img, Wq)
            D._weights(part, pbias, k, o0, Og, xb, gb, g0, step, offx,
                       D._run(nb, Ho, Wo, img, Wq))


# --------------------------------------------------------------------------- array API


def _shared(x_shape, w_shape, stride, padding, dilation, g_hw):
    """Stride 1, both of conv_grouped's layouts valid (the forward's on x, the input
    gradient's on g) and alike: the same row width and image height."""
    g_shape = (x_shape[0], w_shape[0], *(g_hw or x_shape[2:]))
    if not (w_shape[2] > 1 and Gs.applicable(x_shape, w_shape, stride, padding, dilation, g_hw)
            and Gs.backward_input_applicable(x_shape, w_shape, stride, padding, dilation,
                                             g_hw)):
        return False
    fpad = Gs._flip_padding(w_shape, padding, dilation)
    _, _, Hs, Wq = Gs._shared(x_shape, w_shape, padding, dilation, g_hw)
    _, _, Hs_g, Wq_g = Gs._shared(g_shape, w_shape, fpad, dilation, tuple(x_shape[2:]))
    return (Hs, Wq) == (Hs_g, Wq_g)


def applicable(x_shape, w_shape, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1),
               g_hw=None):
    """Both gradients in one pass: strided (conv_direct's polyphase planes), or stride 1 on
    shared-padding planes whose two layouts agree."""
    return tuple(stride) != (1, 1) or _shared(x_shape, w_shape, stride, padding, dilation,
                                              g_hw)


def conv2d_backward(x, g, w, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1), groups=1,
                    bias=None, bias_grad=False):
    """(dx, dw) of a conv (``applicable``) from one pass over g (N, O, Ho, Wo): dx (x's
    shape) plus ``bias`` (C,) if given; with ``bias_grad`` -> (dx, dw, g summed over N, Ho,
    Wo)."""
    K._check(x.shape, w.shape, groups)
    dt = np.result_type(x, g, w)
    if tuple(stride) != (1, 1):  # the adjoint tap by tap into phase planes
        dx, dw = D._backward(x, g, w.shape, w, stride, padding, dilation, groups, bias,
                             bias_grad, np.empty(x.shape, dt), dt)
        return (dx, *dw) if bias_grad else (dx, dw)
    N, C = x.shape[:2]
    O, Cg, kh, kw = w.shape
    _, _, Hs, Wq = Gs._shared(x.shape, w.shape, padding, dilation, tuple(g.shape[2:]))
    fpt, _, fpl, _ = Gs._flip_padding(w.shape, padding, dilation)
    nb = max(1, min(N, Gs._RUN // (Hs * Wq)))
    chunks = max(1, min(-(-N // nb), _CHUNKS))
    wf = D._dense(w, dt).reshape(groups, O // groups, Cg, kh, kw).transpose(0, 2, 1, 3, 4)
    wf = np.ascontiguousarray(wf[..., ::-1, ::-1]).reshape(C, -1)
    dx = np.empty(x.shape, dt)
    part = np.zeros((chunks, O, Cg * kh * kw), dt)
    pb = np.zeros((chunks, O) if bias_grad else (0, 0), dt)
    if N:
        D._split(_backward_kernel, groups * chunks, x.size + 2 * g.size, D._dense(x, dt),
                 D._dense(g, dt), wf, D._bias(bias, C, dt), dx, part, pb, groups, padding[0],
                 padding[2], fpt, fpl, Hs, Wq, kh, kw, *dilation, nb)
    dw = with_bias(part, pb, w.shape, bias_grad)
    return (dx, *dw) if bias_grad else (dx, dw)
