"""Where the time of a conv2d training step goes (ours), measured inside the real step.

Run: ``python -m bench.breakdown`` (wall clock, 2 threads) or ``python -m bench --cpu
breakdown`` (process CPU time, 1 thread: meaningful on a loaded machine).  Wraps the
functions of ``autodiff.kernels.conv`` and ``kernels.winograd`` (and the ``np.matmul`` calls
they make) with timers, runs the benchmark's conv2d fwd+bwd step (x (64,32,14,14),
w (64,32,3,3), padding 1, float32) and prints each part's time per step next to im2col's
GEMMs timed alone and PyTorch's whole step.
"""
import types

import numpy as np

from bench._timing import CLOCK, setup_threads

STEPS = 200


class _Clock:
    def __init__(self):
        self.total = {}

    def wrap(self, name, fn):
        def timed(*args, **kwargs):
            t0 = CLOCK()
            try:
                return fn(*args, **kwargs)
            finally:
                self.total[name] = self.total.get(name, 0.0) + CLOCK() - t0
        return timed


def _median_ms(fn, reps=60):
    fn()
    ts = []
    for _ in range(reps):
        t0 = CLOCK()
        fn()
        ts.append(CLOCK() - t0)
    return 1e3 * float(np.median(ts))


def main():
    torch = setup_threads()
    import autodiff as ad
    from autodiff.kernels import conv as K
    from autodiff.kernels import winograd as Wn
    from autodiff.ops.conv import conv2d

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 32, 14, 14), dtype=np.float32)
    w = rng.standard_normal((64, 32, 3, 3), dtype=np.float32) * 0.1
    g = rng.standard_normal((64, 64, 14, 14), dtype=np.float32)
    X, W = ad.tensor(x, requires_grad=True), ad.tensor(w, requires_grad=True)
    B, G = ad.tensor(np.zeros(64, np.float32), requires_grad=True), ad.tensor(g)

    def step():
        X.grad = W.grad = B.grad = None
        conv2d(X, W, B, padding=1).backward(G)

    clock = _Clock()
    saved = {n: getattr(K, n) for n in ("im2col", "col2im", "nchw_to_cnhw", "cnhw_to_nchw")}
    # the shape runs Winograd (kernels/conv_algo.py): its transforms, the GEMMs inside them
    saved_wn = {n: getattr(Wn, n) for n in ("_transform", "weight_transform", "weight_adjoint")}
    saved_np = K.np
    timed_np = types.SimpleNamespace(**{n: getattr(np, n) for n in dir(np)
                                        if not n.startswith("__")})
    timed_np.matmul = clock.wrap("GEMMs (np.matmul)", np.matmul)
    for _ in range(10):
        step()
    try:
        for name, fn in saved.items():
            setattr(K, name, clock.wrap(name, fn))
        for name, fn in saved_wn.items():
            setattr(Wn, name, clock.wrap("winograd " + name.strip("_"), fn))
        K.np = Wn.np = timed_np
        t0 = CLOCK()
        for _ in range(STEPS):
            step()
        whole = (CLOCK() - t0) / STEPS
    finally:
        K.np = Wn.np = saved_np
        for name, fn in saved.items():
            setattr(K, name, fn)
        for name, fn in saved_wn.items():
            setattr(Wn, name, fn)

    print("## conv2d fwd+bwd step, ours, inside the step (ms per step; clock as bench/_timing)")
    parts = sorted(clock.total.items(), key=lambda kv: -kv[1])
    for name, t in parts:
        print(f"{name:<40}{1e3 * t / STEPS:8.3f}  {100 * t / STEPS / whole:5.1f} %")
    rest = whole - sum(t for _, t in parts) / STEPS
    print(f"{'rest (engine, bias grad, numba dispatch)':<40}{1e3 * rest:8.3f}  "
          f"{100 * rest / whole:5.1f} %")
    print(f"{'whole step':<40}{1e3 * whole:8.3f}")

    cols = K.im2col(x, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1))
    wm, gc = w.reshape(64, -1), K.nchw_to_cnhw(g)
    alone = (_median_ms(lambda: wm @ cols) + _median_ms(lambda: gc @ cols.T)
             + _median_ms(lambda: wm.T @ gc))
    print(f"{'im2col: its 3 GEMMs timed alone':<40}{alone:8.3f}")
    if torch is not None:
        xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        bt, gt = torch.zeros(64, requires_grad=True), torch.tensor(g)

        def theirs():
            xt.grad = wt.grad = bt.grad = None
            torch.nn.functional.conv2d(xt, wt, bt, padding=1).backward(gt)
        print(f"{'torch whole step':<40}{_median_ms(theirs):8.3f}")


if __name__ == "__main__":
    main()
