"""Convolution: ours (autodiff ops) vs PyTorch, fwd+bwd and forward only, 2 threads.

Run: ``python -m bench.conv``.  Target: conv2d fwd+bwd x (64,32,14,14), w (64,32,3,3),
pad 1, float32 <= 1.3x torch (issue 5); issue 19 asks every row <= 1.0.
"""
import numpy as np

from bench._timing import compare_rows, print_table, row, setup_torch

CASES = [
    # name, x shape, w shape, kwargs, transpose
    ("conv2d fwd+bwd x(64,32,14,14) w(64,32,3,3) p1", (64, 32, 14, 14), (64, 32, 3, 3),
     dict(padding=1), False),
    ("conv2d fwd+bwd x(64,1,28,28) w(32,1,5,5) p2", (64, 1, 28, 28), (32, 1, 5, 5),
     dict(padding=2), False),
    ("conv2d fwd+bwd x(64,32,14,14) w(64,32,3,3) s2 p1", (64, 32, 14, 14), (64, 32, 3, 3),
     dict(stride=2, padding=1), False),
    ("conv2d fwd+bwd grouped g4 x(64,32,14,14)", (64, 32, 14, 14), (64, 8, 3, 3),
     dict(padding=1, groups=4), False),
    ("conv_transpose2d fwd+bwd x(64,32,7,7) s2", (64, 32, 7, 7), (32, 16, 4, 4),
     dict(stride=2, padding=1), True),
    ("conv1d fwd+bwd x(64,32,128) w(64,32,5) p2", (64, 32, 128), (64, 32, 5),
     dict(padding=2), False),
]


def _fns(xs, ws, kw, transpose, torch, forward_only=False):
    import autodiff as ad
    from autodiff.ops import conv as C
    rng = np.random.default_rng(0)
    x = rng.standard_normal(xs, dtype=np.float32)
    w = (rng.standard_normal(ws, dtype=np.float32) * 0.1)
    cout = ws[1] * kw.get("groups", 1) if transpose else ws[0]
    b = np.zeros(cout, np.float32)
    if transpose:
        ours_f, torch_f = C.conv_transpose2d, torch.nn.functional.conv_transpose2d
    elif len(xs) == 3:
        ours_f, torch_f = C.conv1d, torch.nn.functional.conv1d
    else:
        ours_f, torch_f = C.conv2d, torch.nn.functional.conv2d
    X, W, B = (ad.tensor(a, requires_grad=True) for a in (x, w, b))
    out = ours_f(X, W, B, **kw)
    g = rng.standard_normal(out.shape, dtype=np.float32)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    return (_step(ours_f, (X, W, B), kw, ad.tensor(g), ad.no_grad, forward_only),
            _step(torch_f, (xt, wt, bt), kw, torch.tensor(g), torch.no_grad, forward_only))


def _step(f, args, kw, g, no_grad, forward_only):
    """One timed call: f(*args) under no_grad, or f(*args).backward(g) with fresh grads."""
    def run():
        if forward_only:
            with no_grad():
                f(*args, **kw)
            return
        for a in args:
            a.grad = None
        f(*args, **kw).backward(g)
    return run


def main():
    torch = setup_torch("bench.conv")
    if torch is None:
        return
    name, xs, ws, kw, tr = CASES[0]
    runs = [(c, False) for c in CASES] + [((name.replace("fwd+bwd", "forward"), xs, ws, kw, tr),
                                           True)]
    pairs = [_fns(xs, ws, kw, tr, torch, forward_only)
             for (_, xs, ws, kw, tr), forward_only in runs]
    results = compare_rows([{"ours": ours, "torch": theirs} for ours, theirs in pairs],
                           rounds=60)
    rows = [row(case[0], r) for (case, _), r in zip(runs, results)]
    print_table("conv (float32; target (issue 19): every row <= 1.0)", rows)


if __name__ == "__main__":
    main()
