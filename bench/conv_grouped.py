"""Grouped and depthwise convolutions (kernels/conv_direct.py): ours vs PyTorch, 2 threads,
plus the algorithm crossovers behind kernels/conv_algo.py's ``DIRECT_MAX_CG``.

Run: ``python -m bench conv_grouped`` (the torch table; the grouped g4 row of issue 19 is in
bench/conv.py) and ``python -m bench.conv_grouped --algos`` (direct against im2col / Winograd
forced on the same shapes, fwd+bwd, alternating rounds in one process).
"""
import sys

from bench._timing import compare, compare_rows, print_table, row, setup_threads
from bench.conv import _fns

CASES = [
    # name, x shape, w shape, kwargs (MobileNet-style depthwise 3x3, stride 1 and 2)
    ("conv2d fwd+bwd depthwise x(32,64,28,28) w(64,1,3,3) p1", (32, 64, 28, 28),
     (64, 1, 3, 3), dict(padding=1, groups=64)),
    ("conv2d fwd+bwd depthwise x(32,64,28,28) w(64,1,3,3) s2 p1", (32, 64, 28, 28),
     (64, 1, 3, 3), dict(stride=2, padding=1, groups=64)),
    ("conv2d fwd+bwd grouped g8 x(64,64,14,14) w(64,8,3,3) p1", (64, 64, 14, 14),
     (64, 8, 3, 3), dict(padding=1, groups=8)),
]

# N, C, O, H (= W), groups, stride; 3x3, padding 1: C/groups from 1 to 32
ALGO_SHAPES = [
    (32, 64, 64, 28, 64, 1), (64, 32, 64, 14, 16, 1), (64, 32, 64, 14, 8, 1),
    (64, 32, 64, 14, 4, 1), (64, 64, 64, 14, 4, 1), (64, 64, 64, 14, 2, 1),
    (8, 64, 64, 28, 8, 1), (32, 64, 64, 28, 64, 2), (64, 32, 64, 14, 4, 2),
    (64, 64, 64, 14, 8, 2), (64, 64, 64, 14, 4, 2),
]


def _forced(A, algo, step):
    """``step`` run with conv_algo.FORCE set to ``algo``."""
    def run():
        A.FORCE = algo
        step()
    return run


def _algos():
    from autodiff.kernels import conv_algo as A
    rows = []
    for N, C, O, H, G, s in ALGO_SHAPES:
        shapes = ((N, C, H, H), (O, C // G, 3, 3), dict(stride=s, padding=1, groups=G))
        r = compare({algo: _forced(A, algo, _fns(*shapes, False, _torch)[0])
                     for algo in (A.DIRECT, A.IM2COL, A.WINOGRAD)}, rounds=5)
        A.FORCE = None
        best = min(r[A.IM2COL], r[A.WINOGRAD])
        rows.append((f"N{N} C{C} O{O} H{H} g{G} s{s} (C/g {C // G})", r[A.DIRECT], best, None))
    print_table("direct (ours column) vs the faster of im2col / winograd (torch column)", rows)


_torch = None


def main():
    global _torch
    _torch = setup_threads()
    if _torch is None:
        print("bench.conv_grouped: torch is not installed; nothing to compare against")
        return
    if "--algos" in sys.argv:
        _algos()
        return
    pairs = [_fns(xs, ws, kw, False, _torch) for _, xs, ws, kw in CASES]
    results = compare_rows([{"ours": ours, "torch": theirs} for ours, theirs in pairs],
                           rounds=60)
    rows = [row(case[0], r) for case, r in zip(CASES, results)]
    print_table("grouped / depthwise conv (float32; target (issue 19): every row <= 1.0)", rows)


if __name__ == "__main__":
    main()
