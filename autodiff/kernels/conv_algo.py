"""Which algorithm computes a 2-D convolution (and its two gradients), chosen per shape.

Three algorithms compute the same three bilinear maps (forward, input gradient, weight
gradient; conv1d and conv_transpose2d run through them too):

* ``im2col`` (``kernels/conv.py``): any geometry; three GEMMs of C*kh*kw-long dot products
  on a column matrix.
* ``winograd`` (``kernels/winograd.py``): 3x3 kernels at stride 1, dilation 1 (groups too);
  F(2x2, 3x3): 16 GEMMs with 2.25x fewer multiplies, plus tile transforms.  Where NumPy's BLAS
  is an OpenBLAS (``_blas.GEMM``) it runs in cache-sized blocks (``kernels/winograd_blocked.py``:
  one nogil pass per image range; the backward computes dx and dw in one pass, keeping
  nothing from the forward) when split over threads; else stage by stage (``_blocked``).
* ``direct`` (``kernels/conv_direct.py``): grouped convolutions with few channels per group
  (depthwise included), any geometry; numba loops over padded planes, no GEMM, no columns.
  At stride 1 (kernels of more than one row, padding within the dilated kernel) its three
  kernels run on planes sharing their padding (``kernels/conv_grouped.py``: rows W+max(pl,
  pr), images H+max(pt,pb) rows apart; fewer values computed and dropped); else its weight
  gradient at stride 1 with output rows as wide as the input's runs on flat planes
  (``kernels/conv_flat.py``); both bring the bias gradient along for Conv2d.
* ``shift`` (``kernels/conv1d.py``): 1-row convolutions (conv1d, conv_transpose1d), any
  stride, dilation, padding and groups; one GEMM per image and tap on the input in place.

Dispatch table (measured crossovers; see ``choose`` and ``bench/conv.py``)::

    groups > 1, C/groups <= 16 (8 for 1 row; any stride)          -> direct
    groups 1, C <= 4, more than 1 row (any stride)               -> direct
    1 row (H = kh = 1, no vertical padding; conv1d)              -> shift
    3x3, stride 1, dilation 1 (th, tw = tiles of 2x2 outputs), and
        C/groups >= 16 (8 when split), N*th*tw >= 512, N*tw >= 48,
        and (2 th)(2 tw) <= 1.15 Ho Wo (1.35 when split)         -> winograd
        (the gradients: im2col when split and C/groups >= 64)
    everything else                                              -> im2col

"when split": Winograd's pipeline runs split over threads (``winograd.chunks`` > 1: 2+
numba threads, a thread-local OpenBLAS, enough work), where it gains more from the second
core than im2col's separate parallel copies and 2-thread GEMMs do.

Accuracy in float32 against a float64 reference (the same float32 inputs), largest error of
any element of out / dx / dw divided by the sum of the |terms| of its dot product (measured
2026-12-06; tested below 1e-6 in ``tests/ops/test_conv_algorithms.py``)::

    x (64,32,14,14) w (64,32,3,3) p1:  im2col 3.8e-7 / 7.4e-8 / 2.2e-8
                                       winograd 1.8e-7 / 1.3e-7 / 3.8e-8
                                       winograd split in 2 image ranges 2.0e-7 / 1.9e-7 / 3.8e-8
                                       torch 2.13 (oneDNN) 3.3e-7 / 1.6e-7 / 2.1e-7
    x (8,64,28,28) w (64,64,3,3) p1:   im2col 1.8e-7 / 7.5e-8 / 2.9e-8
                                       winograd 1.2e-7 / 1.2e-7 / 5.8e-8
                                       winograd split in 2 image ranges 1.3e-7 / 1.4e-7 / 5.1e-8
                                       torch 2.13 (oneDNN) 3.2e-7 / 9.9e-8 / 2.4e-7

    blocked Winograd, 2 image ranges (tests/kernels/test_winograd_blocked.py's _case data,
    seed 0, 2026-12-07; the stage-wise pipeline on the same data in brackets):
    x (64,32,14,14) w (64,32,3,3) p1:  2.0e-7 / 1.5e-7 / 3.6e-8  (2.1e-7 / 1.6e-7 / 3.9e-8)
    x (8,64,28,28) w (64,64,3,3) p1:   1.4e-7 / 1.5e-7 / 3.1e-8  (1.4e-7 / 1.4e-7 / 5.2e-8)
    same data, the transforms as explicit formulas (``winograd_tiles.py``, 2026-12-07):
    x (64,32,14,14) w (64,32,3,3) p1:  1.7e-7 / 1.5e-7 / 3.6e-8
    x (8,64,28,28) w (64,64,3,3) p1:   1.4e-7 / 1.4e-7 / 3.1e-8
    same data, the input gradient's adjoint as explicit formulas too (2026-12-07, session 7):
    x (64,32,14,14) w (64,32,3,3) p1:  1.7e-7 / 1.5e-7 / 3.6e-8
    x (8,64,28,28) w (64,64,3,3) p1:   1.4e-7 / 1.3e-7 / 3.1e-8

    blocked F(4x4, 3x3) forward (points 0, +-1, +-2; session 8, deleted in session 9): 2.2e-6
    to 2.8e-6 on the shapes above, 13-17x F(2x2, 3x3)'s and ~7x torch's; its max abs error
    (5.1e-5 on x (64,32,14,14)) failed torch's own float32 tolerance for a ~3 % forward gain.
    It is in git history (commit 8d9d993) for anyone who wants that trade.

    shapes Winograd takes only when split (winograd split in 2 image ranges):
    x (64,8,14,14) w (8,8,3,3) p1:     2.8e-7 / 2.6e-7 / 2.0e-8
    x (64,32,7,7) w (64,32,3,3) p1:    1.6e-7 / 1.7e-7 / 8.8e-8  (8x8 computed for 7x7)

    x (64,32,128) w (64,32,5) p2 (1-D): im2col 2.8e-7 / 9.7e-8 / 2.8e-8
                                       shift 9.4e-8 / 8.4e-8 / 2.1e-8 (split 1.9e-8)
                                       shift's Winograd F(4,5) (split) 9.3e-7 / 7.3e-7 / 1.2e-7
                                       torch 2.13 (oneDNN) 2.8e-7 / 7.3e-8 / 2.3e-7
    x (8,64,500) w (64,64,9) p4 (1-D): im2col 1.5e-7 / 6.0e-8 / 4.3e-8
                                       shift 6.9e-8 / 6.0e-8 / 3.6e-8 (split alike)
                                       shift's Winograd F(4,5) 7.3e-7 / 5.5e-7 / 2.2e-7
                                       torch 2.13 (oneDNN) 1.5e-7 / 7.6e-8 / 2.9e-7

(split: 2 threads, ``winograd.chunks``; the weight gradient then adds the two ranges' partial
sums; measured 2026-12-06 with standard-normal x, w, dy, seed 0.)

im2col runs as one pass over the batch (``conv.conv2d_pass``: 2 image ranges on 2 threads, each
in blocks of images, the weight gradient summed over blocks and ranges); same measure, same
inputs, 2 threads (tested below 1e-6 in ``tests/kernels/test_conv_pass.py``)::

    x (64,32,14,14) w (64,32,3,3) p1, blocks of 9 images:    3.1e-7 / 7.6e-8 / 1.8e-8
    same, stride 2, blocks of 37:                            2.9e-7 / 2.6e-7 / 4.3e-8
    x (64,16,14,14) w (32,16,4,4) s2 p1 (conv_transpose2d's): 3.2e-7 / 1.6e-7 / 3.7e-8
    image-innermost blocks of 32 (kernels/conv_inner.py, 2026-12-07; the same sums in
    another column order; tests/kernels/test_conv_inner.py): stride 2 3.1e-7 / 2.6e-7 /
    4.8e-8, conv_transpose2d's 2.8e-7 / 1.7e-7 / 4.1e-8 (CNHW blocks of 32: 4.3e-8 / 4.2e-8)

Winograd's transforms only add and subtract (and halve, for the weights), so its error stays
at im2col's and PyTorch's level: within PyTorch's own float32 tolerance for convolutions.

Tried and not kept (commit a3f27c5, reverted): Winograd F(4x4, 3x3) for the forward
(36 GEMMs, 1.78x fewer multiplies than F(2x2, 3x3)); correct, but on x (64,32,14,14) its
transforms (runs of only 4 tiles x images per tile row, 6x6 tiles) cost more than the GEMM
time it saved: 1 thread, 32 images, ms F4 / F2: input 1.2-1.4 / 0.7, GEMMs 1.5 / 1.6-2.1,
output 1.5-1.8 / 1.0-1.2.

Direct against the faster of im2col / Winograd: the table at ``DIRECT_MAX_CG`` below.
Direct's float32 error (same measure as above) stays below 1e-6
(``tests/kernels/test_conv_direct.py``): plain sums of products in float32, the weight
gradient's summed over images in chunks.  Measured 2026-12-07 (same measure, seed 0), dw / db
(db: the bias gradient the weight gradient's pass sums on the way; NumPy's float32 sum of g
in brackets): x (64,32,14,14) g4 (flat, ``conv_flat.py``) 7.9e-9 / 2.9e-9 (4.0e-9);
x (32,64,28,28) depthwise, flat 6.9e-9 / 2.9e-9 (2.8e-9), stride 2 (polyphase) 9.0e-9 /
5.6e-9 (6.1e-9).  Stride 2's input gradient by phase planes (``conv_phases.py``,
2026-12-07, x (32,64,28,28) w (64,1,3,3) p1 depthwise, g and w standard normal): 1.7e-7
(tested below 1e-6 in ``tests/kernels/test_conv_phases.py``).
On shared-padding planes (``conv_grouped.py``, 2026-12-07; x, w, g
standard normal drawn in that order from seed 0; out / dx / dw / db, NumPy's float32 sum of g
in brackets; tested below 1e-6 in ``tests/kernels/test_conv_grouped_shared.py``):
x (64,32,14,14) g4 3.3e-7 / 3.0e-7 / 9.9e-9 / 4.6e-9 (8.4e-9); x (64,64,14,14) g8 3.1e-7 /
2.8e-7 / 1.2e-8 / 5.1e-9 (6.3e-9); x (32,64,28,28) depthwise 2.8e-7 / 2.5e-7 / 6.4e-9 /
6.6e-9 (2.4e-9).  Dense (groups 1, ``DIRECT_MAX_C_DENSE``), shared-padding planes
(2026-12-07, standard normal x, w, g from seed 0; out / dx / dw; tested below 1e-6 in
``tests/ops/test_conv_dense_direct.py``): x (32,1,8,8) w (16,1,3,3) p1 1.7e-7 / 1.2e-7 /
1.7e-8; x (64,1,28,28) w (32,1,5,5) p2 2.7e-7 / 2.5e-7 / 5.1e-9; x (32,3,32,32) w (32,3,3,3)
p1 3.0e-7 / 2.5e-7 / 9.8e-9.  Its gradients fall back to im2col when the weight
(input gradient) or the input (weight gradient) holds an inf or nan (``_finite``).

Shift against the others for 1-D convs, ms per fwd+bwd step (2 threads, wall clock, medians
of 7 alternating rounds, AMD EPYC Zen 3, 2026-12-06; x (64,C,128), k 5, padding 2)::

    C32 O64              shift 6.7-7.3 / im2col 7.5-7.7 (torch 6.0-6.1; bench/conv.py's row)
    C32 O64 stride 2     shift 4.5 / im2col 5.4 / direct 58
    C32 O64 g2 (C/g 16)  shift 4.7 / im2col 6.4 / direct 5.3
    C32 O64 g4 (C/g 8)   shift 5.0 / im2col 5.0 / direct 3.4  (direct first, as for 2-D)
    C64 O64 g64          shift 33  / im2col 14  / direct 3.5
    C4 O8                shift 0.86 / im2col 0.89;  x (8,16,64) w (16,16,3): 0.63 / 0.56

Shift's float32 error (same measure, table above) stays below 1e-6
(``tests/kernels/test_conv1d.py``): plain GEMM sums, the weight gradient's added per image.
Its Winograd F(4,5) (``kernels/conv1d_winograd.py``, 5 taps at stride 1, measured 2026-12-07)
is ~3-10x shift's error and ~3x torch's on the forward (transform entries up to 8), still below
the 1e-6 its tests apply (``tests/kernels/test_conv1d_winograd.py``).
It never multiplies the padding: an inf weight leaves a border output finite where it only
meets padding, as PyTorch's float32 conv1d (oneDNN) does; im2col and PyTorch's float64 path
give nan there.

Set ``FORCE`` to ``"im2col"``, ``"winograd"``, ``"direct"`` or ``"shift"`` to run one algorithm
wherever it applies (the tests do, to cover each on small shapes).
"""
from __future__ import annotations

import numpy as np

from . import conv as K
from . import conv1d as S1
from . import conv_direct as Dc
from . import conv_flat as Fl
from . import conv_fused as Fu
from . import conv_grouped as Gs
from . import winograd as Wn
from . import winograd_blocked as Wb

IM2COL, WINOGRAD, DIRECT, SHIFT = "im2col", "winograd", "direct", "shift"
FORCE = None

# Crossovers measured by ``python -m bench --cpu conv_algos`` (AMD EPYC Zen 3, AVX2, 1 thread,
# process CPU time, 2026-12-06; fwd+bwd time winograd / im2col):
#   N64 C32 O64 14x14 0.90, N16 0.96, N4 C64 O64 28x28 0.92, groups 4 with C/groups 16 0.85,
#   groups 2 with C/groups 16 1.03;  losses: N64 7x7 1.09 (odd size: 8x8 computed for 7x7),
#   groups 4 with C/groups 8 1.24 (GEMMs of 8-long dot products), N8 C16 8x8 1.57 (128 tiles),
#   N1 C64 14x14 2.08 (runs of 7 tiles: the transforms do not vectorise).
# Split over 2 threads (``python -m bench.conv_algos``, 2 threads, wall clock, median of
# per-round ratios, 2026-12-06, load 0.8), fwd+bwd / forward only, winograd / im2col:
#   N64 C32 O64 7x7 0.79 / 0.81 (waste 1.31), N32 C32 O64 7x7 1.03 / 0.88 (512 tiles),
#   N64 C8 O8 14x14 0.91 / 0.93, N64 C16 O32 14x14 0.68 / 0.79;  losses (not split, too few
#   tiles): N8 C32 O32 14x14 1.16 / 1.16, N32 C16 O32 4x4 1.27 / 1.11, N8 C16 O16 8x8
#   1.73 / 1.45, N1 C64 O64 14x14 2.53 / 2.72.
WINOGRAD_MIN_CG = 16  # input channels per group: the GEMMs' dot-product length
WINOGRAD_MIN_CG_SPLIT = 8
WINOGRAD_MIN_TILES = 512  # N*th*tw: the GEMMs' width
WINOGRAD_MIN_RUN = 48  # tw*N: the transforms' vector loop length
WINOGRAD_MAX_WASTE = 1.15  # (2 th * 2 tw) / (Ho * Wo): outputs computed per output kept
WINOGRAD_MAX_WASTE_SPLIT = 1.35
# Split and 64+ input channels per group: the gradients run im2col while the forward stays
# Winograd (blocked): its backward lost at 64 channels (the forward won).  ``python -m
# bench.crossovers --winograd`` (2 threads, wall clock, 2026-12-07, session 7), winograd /
# im2col fwd+bwd | forward only: N64 C64 O64 8x8 1.35 | 0.69, N32 C64 O64 8x8 1.42 | 0.68,
# N64 C64 O64 14x14 0.98 | 0.58, 16x16 1.01 | 0.76 (C32 14x14: 0.69 | 0.80).  Then fwd+bwd
# (/tmp/wino/mixed.py, same setting) Winograd forward + im2col gradients against all-Winograd |
# all-im2col: N64 C64 O64 8x8 0.71 | 0.99, N32 8x8 0.91 | 0.99, N16 14x14 0.80 | 1.03,
# N64 12x12 0.76 | 0.99, N64 14x14 0.74 | 0.91, N32 16x16 0.78 | 0.99, N8 C128 O128 16x16
# 0.67 | 0.83.
WINOGRAD_WIDE_CG = 64
DIRECT_MAX_CG = 16  # grouped convs with at most this many input channels per group
# Dense 2-D convs (groups 1) with at most this many input channels (an image's first layer):
# direct / default (im2col) fwd+bwd through the ops, paired, 2 threads, wall clock (AMD EPYC
# Zen 3, 2026-12-07), 3x3 p1 unless said, O 16 on 8x8, 32 elsewhere: N32 8x8 C1 (the CLI's
# LeNet) 0.61, C2 0.67, C4 0.68, C8 0.64; N64 28x28 C1 0.15, C1 5x5 p2 0.56, C3 5x5 p2 0.80;
# N32 C3 32x32 0.50; N8 C1 64x64 0.34; N4 C1 8x8 O4 0.78; direct / im2col (ratio of medians):
# N64 C4 14x14 O8 0.66, O32 0.92, N64 C2 O64 0.38, N16 C4 56x56 O64 0.70, N64 C1 28x28 s2
# 0.40, N32 C3 32x32 s2 0.45, N32 C4 16x16 dilation 2 0.41, N64 C1 28x28 5x5 s2 0.70.  Losses
# from C8: N64 C8 O32 14x14 1.09; C16: N32 4x4 1.03, 8x8 0.95, N64 14x14 0.98 (im2col's
# single pass computes both gradients, direct runs two).
DIRECT_MAX_C_DENSE = 4
# 1-row convs (conv1d): direct against shift, fwd+bwd (+ a sum) of x (64,32,128), k5 p2, ms,
# 2 threads, wall clock (2026-12-07, /tmp/s/d1.py in the session note): C/g 8 s2 9.5 / 11.6,
# C/g 16 s1 13.8 / 14.1, C/g 16 s2 11.2 / 8.6, depthwise s2 2.5 / 13.4; the conv1d helper's
# table before the polyphase direct kernels: C/g 8 s1 3.4 / 5.0, depthwise s1 3.5 / 33.
DIRECT_MAX_CG_1D = 8
# Direct vs the faster of im2col / winograd, ms per fwd+bwd step through the ops, 2 threads,
# wall clock (``python -m bench.conv_grouped --algos``, AMD EPYC Zen 3, AVX2, 2026-12-06,
# load 0.5), 3x3 kernels, padding 1:
#   stride 1: N32 C64 O64 28x28 g64 (depthwise) 7.2 / 48.1;  N64 C32 O64 14x14: g16 (C/g 2)
#     4.7 / 14.0, g8 (C/g 4) 6.3 / 13.2, g4 (C/g 8) 8.8 / 14.2;  N64 C64 O64 14x14: g4 (C/g 16)
#     15.1 / 19.4, g2 (C/g 32) 22.2 / 20.0;  N8 C64 O64 28x28 g8 4.0 / 12.3.
#   stride 2: N32 C64 O64 28x28 g64 5.7 / 24.2;  N64 C32 O64 14x14 g4 (C/g 8) 5.2 / 7.4;
#     N64 C64 O64 14x14: g8 (C/g 8) 6.0 / 10.4, g4 (C/g 16) 8.5 / 12.5.
# At 1 thread (process CPU time, 2026-12-06) C/g 16 won too (16.0 / 24.8), C/g 32 about even
# (28.6 / 30.3): the crossover lies between 16 and 32 channels per group.


def _out_hw(x_shape, w_shape, stride, padding, dilation):
    H, W = x_shape[2:]
    kh, kw = w_shape[2:]
    return (K.conv_output_size(H, kh, stride[0], padding[0], padding[1], dilation[0]),
            K.conv_output_size(W, kw, stride[1], padding[2], padding[3], dilation[1]))


def choose(x_shape, w_shape, geom, backward=False):
    """The algorithm for a conv of x_shape (N, C, H, W) and w_shape (O, C/groups, kh, kw);
    ``backward``: for its gradients (both gradients always choose alike)."""
    stride, padding, dilation, groups, out_hw = geom
    one_row = S1.applicable(x_shape, w_shape, geom)
    most_cg = DIRECT_MAX_CG_1D if one_row else DIRECT_MAX_CG
    if groups == 1:
        most_cg = 0 if one_row else DIRECT_MAX_C_DENSE
    if FORCE == DIRECT or (FORCE is None and w_shape[1] <= most_cg):
        return DIRECT
    if FORCE in (None, SHIFT) and one_row:
        return SHIFT
    if FORCE == IM2COL or not Wn.applicable(w_shape, stride, dilation):
        return IM2COL
    hw = _out_hw(x_shape, w_shape, stride, padding, dilation)
    if out_hw is not None and tuple(out_hw) != hw or min(hw) <= 0:
        return IM2COL
    if FORCE == WINOGRAD:
        return WINOGRAD
    th, tw = Wn.tiles(*hw)
    N = x_shape[0]
    split = Wn.chunks(x_shape, w_shape, hw) > 1
    min_cg = WINOGRAD_MIN_CG_SPLIT if split else WINOGRAD_MIN_CG
    waste = WINOGRAD_MAX_WASTE_SPLIT if split else WINOGRAD_MAX_WASTE
    if backward and split and w_shape[1] >= WINOGRAD_WIDE_CG:
        return IM2COL
    if (w_shape[1] >= min_cg and N * th * tw >= WINOGRAD_MIN_TILES
            and N * tw >= WINOGRAD_MIN_RUN and 4 * th * tw <= waste * hw[0] * hw[1]):
        return WINOGRAD
    return IM2COL


def _blocked(x_shape, w_shape, geom, dtype):
    """Winograd runs in blocks (``winograd_blocked``) when it splits over threads and numba can
    call the BLAS; unsplit (small convs, one thread) it runs stage-wise, with parallel
    transforms and multithreaded GEMMs (the crossovers above were measured that way)."""
    s, p, d, _, _ = geom
    return Wb.available(dtype) and Wn.chunks(x_shape, w_shape,
                                              _out_hw(x_shape, w_shape, s, p, d)) > 1


def _input_layout(x, w_shape, geom):
    s, p, d, _, _ = geom
    hw = _out_hw(x.shape, w_shape, s, p, d)
    return Wn.input_chunks(x, p, hw, Wn.chunks(x.shape, w_shape, hw))


def _grad_layout(g, x_shape, w_shape):
    return Wn.grad_chunks(g, Wn.chunks(x_shape, w_shape, g.shape[2:]))


def _finite(a):
    """No inf / nan in ``a`` (an overflowing sum of finite values only costs the fast path).
    The direct gradients multiply zeros past the row ends by the weight (input gradient) or
    the input (weight gradient): an inf there would give nan where im2col and PyTorch give 0.
    The input gradient checks the (small) weight first; the weight gradient checks its own
    result instead of the (large) input: it is finite exactly when no inf / nan input value
    entered a product, and then it holds PyTorch's terms plus exact zeros."""
    return bool(np.isfinite(a.sum()))


def _get(memo, arr, tag, make):
    return make() if memo is None else memo(arr, tag, make)


# ``memo(arr, tag, make)``, when given, returns make() computed once per (arr, tag) for the
# ops of one backward pass (ops/conv.py's _Memo): the layouts both gradients read (Winograd),
# or a weight gradient (tag "dw", stored as (x, dw)) that im2col's pass for the other op of
# the pair computed on the way: ``memo.weight_input`` (x, its kept columns or None) asks the
# input gradient's pass for it, ``memo.weight_grad`` (g) asks the forward's pass.


def forward(x, w, geom, bias=None, keep=False, memo=None):
    """-> (out (N, O, Ho, Wo), saved): ``saved`` is what :func:`backward_weight` can reuse
    (im2col's columns or Winograd's transformed input), or None unless ``keep``."""
    s, p, d, groups, out_hw = geom
    algo = choose(x.shape, w.shape, geom)
    if algo == SHIFT:
        return S1.conv1d_forward(x, w, geom, bias), None
    if algo == DIRECT and w.shape[2] > 1 and Gs.applicable(x.shape, w.shape, s, p, d, out_hw):
        return Gs.conv2d_forward(x, w, p, d, groups, out_hw, bias), None  # shared padding
    if algo == DIRECT:
        return Dc.conv2d_forward(x, w, s, p, d, groups, out_hw, bias), None
    if algo == IM2COL:  # one pass; with the weight gradient against memo.weight_grad too
        g = getattr(memo, "weight_grad", None)
        g = g if g is not None and g.dtype == x.dtype else None
        r = K.conv2d_pass(x.shape, w.shape, s, p, d, groups, out_hw, w=w, x=x, g=g, y=True,
                          dw=g is not None, keep=keep, y_bias=bias)
        if g is not None:
            memo(g, "dw", lambda: (x, r.dw))
        return r.y, r.cols
    if _blocked(x.shape, w.shape, geom, x.dtype):  # in cache-sized blocks; nothing kept
        return Wb.forward(x, w, p, groups, bias), None
    if memo is None:  # Winograd: each thread transforms its images, then GEMMs
        out, xl = Wn.forward_and_input(x, w, p, groups, bias)
        return out, (xl if keep else None)
    xl = _get(memo, x, ("in", algo), lambda: _input_layout(x, w.shape, geom))
    return Wn.forward(x, w, p, groups, bias, V=xl), (xl if keep else None)


def _weight_input(memo, g):
    """memo.weight_input's x when its weight gradient may come from g's input-gradient
    pass (same dtype), else None."""
    x = (getattr(memo, "weight_input", None) or (None,))[0]
    return x if x is not None and x.dtype == g.dtype else None


def _both(memo, g, x, dx, dw, db=None):
    """dx, after storing the weight gradient dw of x (and g's sum db, if given) that the
    same pass computed for the ops after it."""
    memo(g, "dw", lambda: (x, dw))
    if db is not None:
        memo(g, "db", lambda: db)
    return dx


def backward_input(g, w, x_shape, geom, memo=None, bias=None):
    """Input gradient (a transposed convolution): g (N, O, Ho, Wo), w -> x_shape, plus
    ``bias`` (C,) if given."""
    s, p, d, groups, _ = geom
    algo = choose(x_shape, w.shape, geom, backward=True)
    if algo == SHIFT:  # with the weight gradient of memo.weight_input in the same pass
        x, _ = getattr(memo, "weight_input", None) or (None, None)
        if x is None or x.dtype != g.dtype:
            return S1.conv1d_backward_input(g, w, x_shape, geom, bias)
        want_b = getattr(memo, "bias_grad", False)  # g's sum too, for Conv2d.backward
        return _both(memo, g, x, *S1.conv1d_backward(g, w, x, geom, bias, want_b))
    if algo == DIRECT and _finite(w):
        x = _weight_input(memo, g)  # both gradients in one pass over g when the layouts agree
        if x is not None and Fu.applicable(x_shape, w.shape, s, p, d, g.shape[2:]):
            want_b = getattr(memo, "bias_grad", False)
            return _both(memo, g, x, *Fu.conv2d_backward(x, g, w, s, p, d, groups, bias,
                                                            want_b))
        if w.shape[2] > 1 and Gs.backward_input_applicable(x_shape, w.shape, s, p, d,
                                                           g.shape[2:]):  # shared padding
            return Gs.conv2d_backward_input(g, w, x_shape, p, d, groups, bias)
        return Dc.conv2d_backward_input(g, w, x_shape, s, p, d, groups, bias)
    if algo != WINOGRAD:  # one im2col pass; with the weight gradient of memo.weight_input
        x, cols = getattr(memo, "weight_input", None) or (None, None)
        x, cols = (x, cols) if x is not None and x.dtype == g.dtype else (None, None)
        r = K.conv2d_pass(x_shape, w.shape, s, p, d, groups, tuple(g.shape[2:]), w=w, x=x,
                          g=g, cols=cols, dx=True, dw=x is not None, dx_bias=bias)
        if x is not None:
            memo(g, "dw", lambda: (x, r.dw))
        return r.dx
    if _blocked(x_shape, w.shape, geom, g.dtype):  # with memo.weight_input's dw too
        x = (getattr(memo, "weight_input", None) or (None,))[0]
        x = x if x is not None and x.dtype == g.dtype else None
        dx, dw = Wb.backward(g, x_shape, w.shape, p, groups, w=w, x=x, bias=bias)
        if x is not None:
            memo(g, "dw", lambda: (x, dw))
        return dx
    gl = _get(memo, g, ("grad", algo), lambda: _grad_layout(g, x_shape, w.shape))
    return Wn.backward_input(g, w, x_shape, p, groups, dM=gl, bias=bias)


def _direct_weight(x, g, w_shape, geom, memo):
    """The direct kernels' weight gradient; g's sum too when memo.bias_grad asks."""
    s, p, d, groups, _ = geom
    want_b = getattr(memo, "bias_grad", False)  # g's sum too, for Conv2d.backward
    if w_shape[2] > 1 and Gs.applicable(x.shape, w_shape, s, p, d, g.shape[2:]):
        dw = Gs.conv2d_backward_weight(x, g, w_shape, p, d, groups, want_b)  # shared pads
    elif Fl.applicable(x.shape, w_shape, s, p, d, g.shape[2:]):  # stride 1, same width
        dw = Fl.conv2d_backward_weight(x, g, w_shape, p, d, groups, want_b)
    else:
        dw = Dc.conv2d_backward_weight(x, g, w_shape, s, p, d, groups, want_b)
    if want_b:
        dw, db = dw
        memo(g, "db", lambda: db)
    return dw


def backward_weight(x, g, w_shape, geom, memo=None, saved=None):
    """Weight gradient: x (N, C, H, W), g (N, O, Ho, Wo) -> w_shape; ``saved`` from
    :func:`forward` when kept."""
    s, p, d, groups, _ = geom
    algo = choose(x.shape, w_shape, geom, backward=True)
    if algo == SHIFT:
        done = _get(memo, g, "dw", lambda: None)
        if done is not None and done[0] is x:
            return done[1]
        return S1.conv1d_backward_weight(x, g, w_shape, geom)
    if algo == DIRECT:
        done = _get(memo, g, "dw", lambda: None)  # by backward_input's pass (conv_fused)
        if done is not None and done[0] is x:
            dw = done[1]
        else:
            dw = _direct_weight(x, g, w_shape, geom, memo)
        if _finite(dw):  # else x holds an inf or nan (see _finite)
            return dw
        return K.conv2d_backward_weight(x, g, w_shape, s, p, d, groups, cols=saved)
    if algo != WINOGRAD:  # im2col: computed already by a fused pass, or a pass of its own
        done = _get(memo, g, "dw", lambda: None)
        if done is not None and done[0] is x:
            return done[1]
        return K.conv2d_backward_weight(x, g, w_shape, s, p, d, groups, cols=saved)
    if _blocked(x.shape, w_shape, geom, g.dtype):  # by backward_input's pass, or alone
        done = _get(memo, g, "dw", lambda: None)
        if done is not None and done[0] is x:
            return done[1]
        return Wb.backward(g, x.shape, w_shape, p, groups, x=x)[1]
    if saved is None:
        saved = _get(memo, x, ("in", algo), lambda: _input_layout(x, w_shape, geom))
    gl = _get(memo, g, ("grad", algo), lambda: _grad_layout(g, x.shape, w_shape))
    return Wn.backward_weight(x, g, w_shape, p, groups, V=saved, dM=gl)
