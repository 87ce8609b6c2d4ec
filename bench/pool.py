"""Pooling: ours vs PyTorch (and a NumPy reshape formulation where it exists), 2 threads.

Run: ``python -m bench.pool``.  Target: max_pool2d 2x2 fwd+bwd (64,32,28,28) float32
<= 0.5x torch.
"""
import numpy as np

from bench._timing import compare, print_table, row, setup_threads

SHAPE = (64, 32, 28, 28)


def _numpy_max2x2(x, g):
    def run():
        N, C, H, W = x.shape
        xr = x.reshape(N, C, H // 2, 2, W // 2, 2)
        out = xr.max(axis=(3, 5))
        mask = xr == out[:, :, :, None, :, None]
        dx = (mask * g[:, :, :, None, :, None]).reshape(x.shape)
        return out, dx
    return run


def _numpy_avg2x2(x, g):
    def run():
        N, C, H, W = x.shape
        out = x.reshape(N, C, H // 2, 2, W // 2, 2).mean(axis=(3, 5))
        dx = np.broadcast_to((g * 0.25)[:, :, :, None, :, None],
                             (N, C, H // 2, 2, W // 2, 2)).reshape(x.shape)
        return out, dx
    return run


def main():
    torch = setup_threads()
    import autodiff as ad
    from autodiff.ops import pool as P
    rng = np.random.default_rng(0)
    x = rng.standard_normal(SHAPE, dtype=np.float32)
    cases = [
        ("max_pool2d 2x2 fwd+bwd (64,32,28,28)", P.max_pool2d, "max_pool2d", dict(kernel_size=2),
         _numpy_max2x2),
        ("max_pool2d 3x3 s2 p1 fwd+bwd (64,32,28,28)", P.max_pool2d, "max_pool2d",
         dict(kernel_size=3, stride=2, padding=1), None),
        ("avg_pool2d 2x2 fwd+bwd (64,32,28,28)", P.avg_pool2d, "avg_pool2d", dict(kernel_size=2),
         _numpy_avg2x2),
        ("max_pool1d k4 fwd+bwd (64,32,784)", P.max_pool1d, "max_pool1d", dict(kernel_size=4),
         None),
    ]
    rows = []
    for name, fn, tname, kw, np_fn in cases:
        xi = x.reshape(64, 32, 784) if "1d" in name else x
        X = ad.tensor(xi, requires_grad=True)
        g = rng.standard_normal(fn(X, **kw).shape, dtype=np.float32)
        G = ad.tensor(g)

        def ours():
            X.grad = None
            fn(X, **kw).backward(G)

        cands = {"ours": ours, "numpy": np_fn(xi, g) if np_fn else None}
        if torch is not None:
            xt, gt = torch.tensor(xi, requires_grad=True), torch.tensor(g)
            tfn = getattr(torch.nn.functional, tname)

            def theirs():
                xt.grad = None
                tfn(xt, **kw).backward(gt)

            cands["torch"] = theirs
        r = compare(cands, rounds=9)
        rows.append(row(name, r, r["numpy"]))
    print_table("pooling (float32, 2 threads; target: first row <= 0.5)", rows)


if __name__ == "__main__":
    main()
