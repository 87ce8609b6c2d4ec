"""Crossovers of the convolution algorithms (kernels/conv_algo.py): each algorithm forced on
the same 3x3 stride-1 shapes, fwd+bwd and forward only, alternating rounds in one process.

Run: ``python -m bench.conv_algos`` (2 threads, wall clock: the setting of ``make bench``)
or ``python -m bench --cpu conv_algos`` (one thread, process CPU time).  Prints ms per step
of each algorithm and winograd/im2col (the median of per-round ratios); the dispatch table's
thresholds come from here.  ``python -m bench.conv_algos 64,32,64,7,1 ...`` times only the
given shapes (N,C,O,H,groups), ``--forward`` only forward-only steps.
"""
import sys

import numpy as np

from bench._timing import compare, print_table, row, setup_threads

SHAPES = [  # N, C, O, H (= W), groups; padding 1
    (64, 32, 64, 14, 1), (64, 32, 64, 7, 1), (16, 32, 64, 14, 1), (8, 16, 16, 8, 1),
    (32, 16, 32, 4, 1), (4, 64, 64, 28, 1), (1, 64, 64, 14, 1), (64, 8, 8, 14, 1),
    (64, 32, 64, 14, 4), (64, 64, 64, 14, 4), (64, 32, 64, 14, 2),
    (32, 32, 64, 7, 1), (64, 16, 32, 14, 1), (8, 32, 32, 14, 1),
]


def _step(shape, forward_only):
    import autodiff as ad
    from autodiff.ops.conv import conv2d
    N, C, O, H, G = shape
    rng = np.random.default_rng(0)
    X = ad.tensor(rng.standard_normal((N, C, H, H), dtype=np.float32), requires_grad=True)
    W = ad.tensor(rng.standard_normal((O, C // G, 3, 3), dtype=np.float32), requires_grad=True)
    g = ad.tensor(rng.standard_normal((N, O, H, H), dtype=np.float32))

    def step():
        if forward_only:
            with ad.no_grad():
                conv2d(X, W, padding=1, groups=G)
            return
        X.grad = W.grad = None
        conv2d(X, W, padding=1, groups=G).backward(g)
    return step


def main():
    setup_threads()
    from autodiff.kernels import conv_algo as A
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    shapes = [tuple(int(v) for v in a.split(",")) for a in args] or SHAPES
    rows = []
    for fwd in (True,) if "--forward" in sys.argv else (False, True):
        for shape in shapes:
            fns = {}
            for algo in (A.IM2COL, A.WINOGRAD):
                step = _step(shape, fwd)

                def run(step=step, algo=algo):
                    A.FORCE = algo
                    step()
                fns[algo] = run
            r = compare(fns, rounds=7)
            A.FORCE = None
            name = f"{'fwd' if fwd else 'fwd+bwd'} N{shape[0]} C{shape[1]} O{shape[2]} " \
                   f"H{shape[3]} g{shape[4]}"
            rows.append(row(name, r, a=A.WINOGRAD, b=A.IM2COL))
    print_table("winograd (ours column) vs im2col (torch column): 3x3 stride 1 pad 1", rows)


if __name__ == "__main__":
    main()
