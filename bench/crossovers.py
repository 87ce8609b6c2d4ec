"""The dispatch crossovers that depend on the split (2 threads), re-measured on today's code.

Run: ``python -m bench.crossovers`` (2 threads, wall clock: the setting of ``make bench``);
``--winograd`` or ``--inner`` runs one table, ``--forward`` (winograd table) forward-only
steps only, ``N,C,O,H`` arguments only those winograd shapes.  Both tables alternate the
candidates round by round in one process and print the median of the per-round ratios.

1. ``kernels/conv_algo.py``'s ``WINOGRAD_MIN_CG_SPLIT`` / ``WINOGRAD_MAX_WASTE_SPLIT`` (and the
   tile minimum the split case shares with the unsplit one): Winograd (in the split case the
   blocked kernel ``kernels/winograd_blocked.py``) forced against im2col on 3x3 stride-1
   shapes that split, around each threshold: few input channels, odd output sizes (waste =
   computed / kept outputs), few tiles.  ``dispatch`` names what ``conv_algo.choose`` picks.
2. ``kernels/conv.py``'s ``INNER_MIN_IMAGES``: the image-innermost im2col
   (``kernels/conv_inner.py``) forced on and off for im2col convs whose blocks hold from 1 to
   32 images (``images/block``; the block size comes from ``COLS_BLOCK``).
"""
import sys

from bench._timing import compare, fmt, paired_ratio, setup_threads
from bench.conv import _fns
from bench.conv_algos import _step

# N, C, O, H (= W): 3x3, stride 1, padding 1, groups 1; all split over 2 threads
WINOGRAD_SHAPES = [
    (64, 3, 32, 32), (64, 4, 32, 16), (64, 8, 32, 16), (64, 16, 32, 16),  # C/g
    (64, 32, 64, 9), (64, 32, 64, 7), (64, 32, 64, 5), (128, 32, 64, 3),  # waste
    (8, 128, 128, 8), (16, 128, 128, 8), (32, 64, 64, 8),  # tiles (N * th * tw)
    (64, 64, 64, 8), (16, 64, 64, 16), (128, 64, 64, 8), (32, 64, 64, 16),
    (64, 16, 32, 8), (32, 16, 32, 16), (64, 32, 64, 14), (64, 64, 64, 14), (64, 64, 64, 16),
]

# name, x shape, w shape, kwargs, transpose: im2col convs, images per block from 1 to 32
INNER_CASES = [
    ("s2 N64 C32 O64 14x14", (64, 32, 14, 14), (64, 32, 3, 3), dict(stride=2, padding=1), False),
    ("convT s2 N64 C32 7x7", (64, 32, 7, 7), (32, 16, 4, 4), dict(stride=2, padding=1), True),
    ("5x5 N64 C1 O32 28x28", (64, 1, 28, 28), (32, 1, 5, 5), dict(padding=2), False),
    ("s2 N64 C16 O32 28x28", (64, 16, 28, 28), (32, 16, 3, 3), dict(stride=2, padding=1), False),
    ("s2 N32 C32 O32 28x28", (32, 32, 28, 28), (32, 32, 3, 3), dict(stride=2, padding=1), False),
    ("s2 N16 C32 O32 28x28", (16, 32, 28, 28), (32, 32, 3, 3), dict(stride=2, padding=1), False),
    ("s2 N48 C48 O48 28x28", (48, 48, 28, 28), (48, 48, 3, 3), dict(stride=2, padding=1), False),
    ("s2 N40 C56 O56 28x28", (40, 56, 28, 28), (56, 56, 3, 3), dict(stride=2, padding=1), False),
    ("s2 N32 C64 O64 28x28", (32, 64, 28, 28), (64, 64, 3, 3), dict(stride=2, padding=1), False),
    ("s2 N16 C32 O64 56x56", (16, 32, 56, 56), (64, 32, 3, 3), dict(stride=2, padding=1), False),
    ("convT s2 N32 C64 14x14", (32, 64, 14, 14), (64, 32, 4, 4), dict(stride=2, padding=1),
     True),
]


def _forced(set_it, step):
    def run():
        set_it()
        step()
    return run


def _winograd(shapes, forward_only):
    from autodiff.kernels import conv_algo as A
    from autodiff.kernels import winograd as Wn
    print(f"\n## winograd / im2col, 3x3 s1 p1, {'forward only' if forward_only else 'fwd+bwd'}"
          " (ms; ratio: median of per-round ratios)")
    print(f"{'N C O H':<18}{'C/g':>5}{'waste':>7}{'tiles':>7}{'split':>6}{'im2col':>9}"
          f"{'winograd':>10}{'w/i':>7}  dispatch")
    for N, C, O, H in shapes:
        x_shape, w_shape = (N, C, H, H), (O, C, 3, 3)
        th, tw = Wn.tiles(H, H)
        A.FORCE = None
        picked = A.choose(x_shape, w_shape, ((1, 1), (1, 1, 1, 1), (1, 1), 1, None))
        fns = {algo: _forced(lambda algo=algo: setattr(A, "FORCE", algo),
                             _step((N, C, O, H, 1), forward_only))
               for algo in (A.IM2COL, A.WINOGRAD)}
        r = compare(fns, rounds=7)
        A.FORCE = None
        print(f"{f'{N} {C} {O} {H}':<18}{C:>5}{4 * th * tw / (H * H):7.2f}{N * th * tw:7d}"
              f"{Wn.chunks(x_shape, w_shape, (H, H)):>6}{fmt(r[A.IM2COL], 9)}"
              f"{fmt(r[A.WINOGRAD], 10)}{fmt(paired_ratio(r, A.WINOGRAD, A.IM2COL), 7)}  {picked}",
              flush=True)


def _images_per_block(x_shape, w_shape, kw, transpose):
    """The images per block of kernels/conv.py's passes (a conv_transpose2d is the input
    gradient of a conv with x its output: columns of its weight's C/g * kh * kw rows, as many
    as its input has pixels)."""
    import numba

    from autodiff.kernels import conv as K
    N, C, H, W = x_shape
    s, p = kw.get("stride", 1), kw.get("padding", 0)
    kh, kwd = w_shape[2:]
    if transpose:
        rows, L = w_shape[1] * kh * kwd, H * W
    else:
        rows, L = C * kh * kwd, ((H + 2 * p - kh) // s + 1) * ((W + 2 * p - kwd) // s + 1)
    nblk = min(N, -(-N * rows * L // K.COLS_BLOCK))
    nblk = min(N, nblk - nblk % -numba.config.NUMBA_NUM_THREADS)
    return N // nblk


def _inner(cases, torch):
    from autodiff.kernels import conv as K
    print("\n## image-innermost im2col forced on / off, fwd+bwd (ms; ratio: median of per-round"
          " ratios)")
    print(f"{'case':<26}{'images/block':>13}{'off':>9}{'on':>9}{'on/off':>8}")
    keep = K.INNER_MIN_IMAGES
    try:
        for name, xs, ws, kw, tr in cases:
            ours, _ = _fns(xs, ws, kw, tr, torch)
            fns = {"off": _forced(lambda: setattr(K, "INNER_MIN_IMAGES", 1 << 30), ours),
                   "on": _forced(lambda: setattr(K, "INNER_MIN_IMAGES", 1), ours)}
            r = compare(fns, rounds=7)
            nb = _images_per_block(xs, ws, kw, tr)
            print(f"{name:<26}{nb:>13}{fmt(r['off'], 9)}"
                  f"{fmt(r['on'], 9)}{fmt(paired_ratio(r, 'on', 'off'), 8)}", flush=True)
    finally:
        K.INNER_MIN_IMAGES = keep


def main():
    torch = setup_threads()
    both = not ({"--winograd", "--inner"} & set(sys.argv))
    if both or "--winograd" in sys.argv:
        for forward_only in (True,) if "--forward" in sys.argv else (False, True):
            args = [a for a in sys.argv[1:] if not a.startswith("--")]
            _winograd([tuple(int(v) for v in a.split(",")) for a in args] or WINOGRAD_SHAPES,
                      forward_only)
    if both or "--inner" in sys.argv:
        if torch is None:
            print("bench.crossovers --inner: needs torch (bench.conv builds the steps)")
            return
        _inner(INNER_CASES, torch)


if __name__ == "__main__":
    main()
