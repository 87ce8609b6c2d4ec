"""Grouped convolutions at stride 1: ``conv_direct``'s kernels on planes that share their
padding.

``conv_direct`` computes a block of images as one run over zero-padded planes ``Hp x Wp``
(``Hp = H + pt + pb``, ``Wp = W + pl + pr``); every run value past an output row's end or
an image's last row is computed and dropped.  At stride 1 the padding can be shared: rows
``Wq = W + max(pl, pr)`` wide hold one row's values after ``pl`` zeros, so a tap reading past
a row's right end meets the next row's left zeros (the same zeros), and images ``Hs = H +
max(pt, pb)`` rows apart share their top and bottom zero rows the same way.  Tap (ki, kj) of
output (oh, ow) still reads plane value ``oh Wq + ow + ki dh Wq + kj dw``, so the same
kernels (``conv_direct``'s forward loops and ``_backward_kernel``, their buffers;
one "phase") run on the tighter geometry.  For a 3x3 kernel with padding 1 on 14x14
images: 225 values per image instead of 256 (outputs: 196), the run of four images 888
values instead of 992.

* forward: ``conv_direct._forward_kernel``'s loops (``_forward_pair``), its output rows
  copied out in runs of 16 values (constant-size copies, a few vector moves) rather than
  one memcpy call per 14-value row: 0.94x the kernel time on the g4 row's forward and
  input gradient (paired, 2 threads);
* input gradient: the forward convolution of g with the flipped, per-group transposed weight
  (as ``conv_direct.conv2d_backward_input`` does at stride 1);
* weight gradient (and on request the bias gradient, on the same pass over g):
  ``conv_direct._backward_kernel``, g copied into rows ``Wq`` wide with zeros past
  each row's end.

Kernel times against conv_direct's geometry (conv_flat's for the weight gradient), paired,
2 threads, wall clock (AMD EPYC Zen 3, 2026-12-07, the kernels alone, old and new in one
process; the rows themselves are in ``bench/conv_grouped.py``): forward 0.95 / input
gradient 0.90 / weight gradient + bias 0.72 on x (64,32,14,14) g4; 0.91 / 0.87 / 0.74 on
x (64,64,14,14) g8; 1.00 / 0.99 / 0.84 on x (32,64,28,28) depthwise.  Blocks of 1, 2,
4 or 8 images measured alike (within 5 %; 4 kept).

Valid when the output rows fit the shared rows (``Wo <= Wq``, ``Ho <= Hs``: padding on one
side at most the dilated kernel's extent, ``dilation * (k - 1)``), which ``applicable``
checks; elsewhere ``conv_direct``'s geometry serves.  The NumPy twins are
``kernels/conv.py``'s ``conv2d_forward_ref`` / ``conv2d_backward_input_ref`` /
``conv2d_backward_weight_ref``.
"""
import numba
import numpy as np

from . import conv as K
from . import conv_direct as D
from ._runs import copy_run, fill, with_bias
from .conv_quads import _forward_quad

__all__ = ["applicable", "backward_input_applicable", "conv2d_forward", "conv2d_backward_input",
           "conv2d_backward_weight"]

_RUN = D._RUN  # about this many values per run: sets the images per block


@numba.njit(inline="always")
def _rows_out(out, n0, nb, o, acc, a0, img, Wq):
    # out[n0 + n, o] = the rows of acc[a0 + n img:] (Wq apart); rows in runs of 16 values
    # (constant-size copies: a few vector moves, no memcpy call), each spilling past its
    # row's end into the next row, which is written after it; a plane's last rows (whose
    # runs would leave the plane) by one exact copy
    O, Ho, Wo = out.shape[1], out.shape[2], out.shape[3]
    f = out.reshape(-1)
    w16 = (Wo + 15) // 16 * 16
    for n in range(nb):
        d0 = ((n0 + n) * O + o) * Ho * Wo
        for h in range(Ho):
            d, s = d0 + h * Wo, a0 + n * img + h * Wq
            if (h + 1) * Wo + w16 - Wo <= Ho * Wo:
                for c in range(0, Wo, 16):
                    copy_run(f, d + c, acc, s + c, 16)
            else:
                copy_run(f, d, acc, s, Wo)


@numba.njit(**D._JIT, fastmath={"contract"})
def _forward_kernel(x, w, bias, out, groups, pt, pl, Hs, Wq, kh, kw, dh, dw, Nb, lo, hi):
    # conv_direct._forward_kernel at stride 1 on shared-padding planes (one phase), its
    # output rows copied out by _rows_out; items p in [lo, hi): (block of Nb images, group)
    O, T = w.shape
    Cg, Og = T // (kh * kw), O // groups
    img = Hs * Wq
    step = Nb * img  # one channel's planes
    plane = max(D._run(Nb, out.shape[2], out.shape[3], img, Wq), step) + 16
    xb = np.empty(Cg * step + plane, x.dtype)
    acc = np.empty((4 if D._QUADS else 2) * plane, x.dtype)
    offs = np.empty(T, np.uint64)
    D._taps(offs, Cg, kh, kw, step, step, Wq, 1, 1, dh, dw)
    last = -1
    for p in range(lo, hi):
        gi, n0, nb, L = D._item(p, groups, Nb, x.shape[0], out.shape[2], out.shape[3], img,
                                Wq)
        D._phases(x, n0, nb, gi * Cg, Cg, xb, step, step, img, Wq, 1, 1, pt, pl, nb != last)
        last = nb
        _channels(out, n0, nb, gi * Og, Og, acc, plane, xb, w, offs, L, bias, img, Wq)


@numba.njit(inline="always")
def _channels(out, n0, nb, o0, Og, acc, plane, xb, w, offs, L, bias, img, Wq):
    # out[n0:n0 + nb, o0:o0 + Og] = bias + the taps of w over the planes xb, output channels
    # in fours (D._QUADS; acc four runs plane apart) then pairs through acc (two runs plane
    # apart), rows out by _rows_out
    O = out.shape[1]
    q = Og - Og % 4 if D._QUADS else 0
    if q and acc.shape[0] < 4 * plane:
        acc = np.empty(4 * plane, acc.dtype)
    for o in range(o0, o0 + q, 4):
        for k in range(4):
            fill(acc, k * plane, plane, bias, o + k, O)
        _forward_quad(acc, xb, w, o, offs, L, plane)
        for k in range(4):
            _rows_out(out, n0, nb, o + k, acc, k * plane, img, Wq)
    for o in range(o0 + q, o0 + Og, 2):
        if o + 1 == o0 + Og:  # an odd last channel
            fill(acc, 0, plane, bias, o, O)
            D._forward_one(acc, xb, w, o, offs, L)
            _rows_out(out, n0, nb, o, acc, 0, img, Wq)
            continue
        fill(acc, 0, plane, bias, o, O)
        fill(acc, plane, plane, bias, o + 1, O)
        D._forward_pair(acc, xb, w, o, offs, L, plane)
        _rows_out(out, n0, nb, o, acc, 0, img, Wq)
        _rows_out(out, n0, nb, o + 1, acc, plane, img, Wq)


def _shared(x_shape, w_shape, padding, dilation, out_hw):
    """(Ho, Wo, Hs, Wq): the output size and the shared-padding plane's rows per image and
    row width."""
    Ho, Wo, _, _ = K._geometry(x_shape, w_shape[2:], (1, 1), padding, dilation, out_hw)
    pt, pb, pl, pr = padding
    return Ho, Wo, x_shape[2] + max(pt, pb), x_shape[3] + max(pl, pr)


def applicable(x_shape, w_shape, stride=(1, 1), padding=(0, 0, 0, 0), dilation=(1, 1),
               out_hw=None):
    """Stride 1, output rows within the shared rows and images."""
    if tuple(stride) != (1, 1) or min(padding) < 0:
        return False
    Ho, Wo, Hs, Wq = _shared(x_shape, w_shape, padding, dilation, out_hw)
    return Wo <= Wq and Ho <= Hs


def conv2d_forward(x, w, padding=(0, 0, 0, 0), dilation=(1, 1), groups=1, out_hw=None,
                   bias=None):
    """``conv_direct.conv2d_forward`` at stride 1 (``applicable``) on shared-padding planes."""
    K._check(x.shape, w.shape, groups)
    dt = np.result_type(x, w)
    N, O = x.shape[0], w.shape[0]
    Ho, Wo, Hs, Wq = _shared(x.shape, w.shape, padding, dilation, out_hw)
    nb = max(1, min(N, _RUN // (Hs * Wq)))
    out = np.empty((N, O, Ho, Wo), dt)
    if N:
        D._split(_forward_kernel, -(-N // nb) * groups, x.size + out.size, D._dense(x, dt),
                 D._dense(w, dt).reshape(O, -1), D._bias(bias, O, dt), out, groups,
                 padding[0], padding[2], Hs, Wq, *w.shape[2:], *dilation, nb)
    return out


def _flip_padding(w_shape, padding, dilation):
    kh, kw = w_shape[2:]
    (pt, pb, pl, pr), (dh, dw) = padding, dilation
    return (dh * (kh - 1) - pt, dh * (kh - 1) - pb, dw * (kw - 1) - pl, dw * (kw - 1) - pr)


def backward_input_applicable(x_shape, w_shape, stride=(1, 1), padding=(0, 0, 0, 0),
                              dilation=(1, 1), g_hw=None):
    """The input gradient runs here: stride 1, flipped padding >= 0 and the forward
    ``applicable`` on it (g (N, O, g_hw) -> x_shape)."""
    if tuple(stride) != (1, 1):
        return False
    fpad = _flip_padding(w_shape, padding, dilation)
    g_shape = (x_shape[0], w_shape[0], *(g_hw or x_shape[2:]))
    return min(fpad) >= 0 and applicable(g_shape, w_shape, (1, 1), fpad, dilation,
                                         tuple(x_shape[2:]))


def conv2d_backward_input(g, w, x_shape, padding=(0, 0, 0, 0), dilation=(1, 1), groups=1,
                          bias=None):
    """Input gradient at stride 1 (``backward_input_applicable``): the forward of g with the
    flipped, per-group transposed weight (padding ``dilation (k - 1) - padding``), plus
    ``bias`` (C,) if given."""
    K._check(x_shape, w.shape, groups)
    dt = np.result_type(g, w)
    O, Cg, kh, kw = w.shape
    wf = D._dense(w, dt).reshape(groups, O // groups, Cg, kh, kw).transpose(0, 2, 1, 3, 4)
    wf = wf[..., ::-1, ::-1].reshape(Cg * groups, O // groups, kh, kw)
    return conv2d_forward(g, wf, _flip_padding(w.shape, padding, dilation), dilation, groups,
                          tuple(x_shape[2:]), bias)


def conv2d_backward_weight(x, g, w_shape, padding=(0, 0, 0, 0), dilation=(1, 1), groups=1,
                           bias_grad=False):
    """``conv_direct.conv2d_backward_weight`` at stride 1 (``applicable``) on shared-padding
    planes (g copied into rows ``Wq`` wide, zeros past each row's end); with ``bias_grad``
    -> (that, g summed over N, Ho, Wo) from the same pass."""
    K._check(x.shape, w_shape, groups)
    dt = np.result_type(x, g)
    N, O = x.shape[0], w_shape[0]
    _, _, Hs, Wq = _shared(x.shape, w_shape, padding, dilation, tuple(g.shape[2:]))
    nb = max(1, min(N, _RUN // (Hs * Wq)))
    chunks = min(-(-N // nb), max(1, D._DW_CHUNKS // groups))
    part = np.zeros((chunks, O, int(np.prod(w_shape[1:]))), dt)
    pb = np.zeros((chunks, O) if bias_grad else (0, 0), dt)
    if N:
        geo = (padding[0], padding[2], 1, 1, *dilation, Hs, Wq, *w_shape[2:])
        D._split(D._backward_kernel, groups * chunks, x.size + g.size, D._dense(x, dt),
                 D._dense(g, dt), part, pb, *D._unused(dt), groups, *geo, nb)
    return with_bias(part, pb, w_shape, bias_grad)
