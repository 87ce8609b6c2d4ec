"""Where the time of a conv2d training step goes (ours), measured inside the real step.

Run: ``python -m bench.breakdown`` (wall clock, 2 threads) or ``python -m bench --cpu
breakdown`` (process CPU time, 1 thread: meaningful on a loaded machine).  Wraps the
functions of ``autodiff.kernels.conv`` and ``kernels.winograd`` (and the ``np.matmul`` calls
they make) with timers, runs the benchmark's conv2d fwd+bwd step (x (64,32,14,14),
w (64,32,3,3), padding 1, float32) and prints each part's time per step next to im2col's
GEMMs timed alone and PyTorch's whole step.

Each thread's time is counted apart, one column per thread: the caller (main) and the
``run_split`` worker(s).  A part's time is exclusive (a timed function called inside another
counts only in the inner one), so each column sums to the whole step: the main thread's
"rest" is the engine and glue outside every part, "run_split: hand-off + waiting" its time
in a split outside its own task, and the workers' "idle" the step time outside their tasks.

``python -m bench.breakdown --splits`` instead times each ``run_split`` of the split rows
(conv2d 3x3 fwd+bwd, s2, conv_transpose2d, LSTM fwd+bwd), steps back to back: the hand-off
latency (call to the worker's task starting: the worker waits for the GIL while the caller
runs its part's Python), each part's wall and thread CPU time (a part whose CPU time matches
its wall time was not waiting: a slower part ran on a slower core), the caller's wait for
the worker and the tail (last part's end to the call's return).
"""
import statistics
import sys
import threading
import time
import types

import numpy as np

from bench._timing import CLOCK, setup_threads

STEPS = 200


class _Clock:
    """Exclusive time per (thread, part): ``total[(thread, name)]`` in seconds."""

    def __init__(self):
        self.total = {}
        self.local = threading.local()
        self.main = threading.main_thread().ident

    def _thread(self):
        return "main" if threading.get_ident() == self.main else "workers"

    def timed(self, name, fn, *args, **kwargs):
        stack = self.local.__dict__.setdefault("stack", [])
        stack.append(0.0)  # time spent in timed calls nested in this one
        t0 = CLOCK()
        try:
            return fn(*args, **kwargs)
        finally:
            dt = CLOCK() - t0
            inner = stack.pop()
            if stack:
                stack[-1] += dt
            key = (self._thread(), name)
            self.total[key] = self.total.get(key, 0.0) + dt - inner

    def wrap(self, name, fn):
        def timed(*args, **kwargs):
            return self.timed(name, fn, *args, **kwargs)
        return timed

    def wrap_split(self, run_split):
        """run_split whose own time (hand-off, waiting) and tasks' glue are parts too."""
        def split(task, parts):
            return self.timed("run_split: hand-off + waiting", run_split,
                              lambda k: self.timed("split tasks: glue", task, k), parts)
        return split


def _median_ms(fn, reps=60):
    fn()
    ts = []
    for _ in range(reps):
        t0 = CLOCK()
        fn()
        ts.append(CLOCK() - t0)
    return 1e3 * float(np.median(ts))


def _print(clock, whole):
    workers = {t for t, _ in clock.total} - {"main"}
    cols = ["main", *sorted(workers)]
    names = sorted({n for _, n in clock.total},
                   key=lambda n: -sum(clock.total.get((c, n), 0.0) for c in cols))
    print("## conv2d fwd+bwd step, ours, inside the step (ms per step, exclusive time per "
          "thread; clock as bench/_timing)")
    print(f"{'part':<42}" + "".join(f"{c:>12}" for c in cols))
    for name in names:
        print(f"{name:<42}" + "".join(f"{1e3 * clock.total.get((c, name), 0.0) / STEPS:12.3f}"
                                      for c in cols))
    busy = {c: sum(t for (c2, _), t in clock.total.items() if c2 == c) / STEPS for c in cols}
    print(f"{'rest: main (engine, glue) / workers idle':<42}"
          + "".join(f"{1e3 * (whole - busy[c]):12.3f}" for c in cols))
    print(f"{'whole step (each column sums to it)':<42}" + f"{1e3 * whole:12.3f}" * len(cols))


def main():
    torch = setup_threads()
    import autodiff as ad
    from autodiff.kernels import conv as K
    from autodiff.kernels import winograd as Wn
    from autodiff.kernels import winograd_blocked as Wb
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
    saved_split = {m: m.run_split for m in (K, Wn, Wb)}  # Wb: parts not broken down
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
        for m, fn in saved_split.items():
            m.run_split = clock.wrap_split(fn)
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
        for m, fn in saved_split.items():
            m.run_split = fn

    _print(clock, whole)
    cols = K.im2col(x, (3, 3), (1, 1), (1, 1, 1, 1), (1, 1))
    wm, gc = w.reshape(64, -1), K.nchw_to_cnhw(g)
    alone = (_median_ms(lambda: wm @ cols) + _median_ms(lambda: gc @ cols.T)
             + _median_ms(lambda: wm.T @ gc))
    print(f"{'im2col: its 3 GEMMs timed alone':<42}{alone:12.3f}")
    if torch is not None:
        xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
        bt, gt = torch.zeros(64, requires_grad=True), torch.tensor(g)

        def theirs():
            xt.grad = wt.grad = bt.grad = None
            torch.nn.functional.conv2d(xt, wt, bt, padding=1).backward(gt)
        print(f"{'torch whole step':<42}{_median_ms(theirs):12.3f}")


def _split_times(fn, steps=60):
    """Per split of one ``fn()`` (in call order): medians over ``steps`` of (start latency,
    part 0 wall, part 0 CPU, part 1 wall, part 1 CPU, caller's wait, tail) in us."""
    from autodiff.kernels import _launch
    orig, recs = _launch.run_split, []

    def split(task, parts):
        if parts != 2:
            return orig(task, parts)
        t = {}

        def timed(k):
            t0, c0 = CLOCK(), time.thread_time()
            try:
                return task(k)
            finally:
                t[k] = (t0, CLOCK(), time.thread_time() - c0)
        t0 = CLOCK()
        out = orig(timed, parts)
        recs.append((t0, CLOCK(), t[0], t[1]))
        return out

    mods = [m for m in list(sys.modules.values())
            if getattr(m, "__name__", "").startswith("autodiff")
            and getattr(m, "run_split", None) is orig]
    for _ in range(5):
        fn()
    try:
        for m in mods:
            m.run_split = split
        for _ in range(steps):
            fn()
    finally:
        for m in mods:
            m.run_split = orig
    per = len(recs) // steps
    med = lambda f, rs: 1e6 * statistics.median(f(*r) for r in rs)  # noqa: E731
    return [tuple(med(f, recs[i::per]) for f in (
        lambda t0, t1, a, b: b[0] - t0, lambda t0, t1, a, b: a[1] - a[0],
        lambda t0, t1, a, b: a[2], lambda t0, t1, a, b: b[1] - b[0],
        lambda t0, t1, a, b: b[2], lambda t0, t1, a, b: max(0.0, b[1] - a[1]),
        lambda t0, t1, a, b: t1 - max(a[1], b[1]))) for i in range(per)]


def splits():
    """Print ``_split_times`` of the split rows."""
    torch = setup_threads()
    from bench.conv import CASES, _fns
    from bench.recurrent import make_ours
    rows = [(c[0], _fns(*c[1:], torch)[0]) for c in CASES
            if c[0].endswith("3,3) p1") or "s2" in c[0]]
    rows.append(("LSTM fwd+bwd L50 N32 I32 H128", make_ours("lstm")[0]))
    print("## each run_split of a step, steps back to back (us, medians; part 0 runs on the "
          "caller, part 1 on the worker)")
    print(f"{'row, split':<52}{'hand-off':>9}{'p0 wall':>9}{'p0 cpu':>8}{'p1 wall':>9}"
          f"{'p1 cpu':>8}{'waits':>7}{'tail':>6}")
    for name, fn in rows:
        for i, v in enumerate(_split_times(fn)):
            print(f"{f'{name[:44]}, #{i}':<52}" + "".join(
                f"{x:{w}.0f}" for x, w in zip(v, (9, 9, 8, 9, 8, 7, 6))))


if __name__ == "__main__":
    if "--splits" in sys.argv:
        splits()
    else:
        main()
