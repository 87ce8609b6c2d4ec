"""Per-op overhead of the engine's hot path: N chained tiny adds + backward (not a test).

    .venv/bin/python tests/engine/bench_overhead.py [N] [repeats]

Runs autodiff and torch (if installed) in separate child processes, alternating, and prints
the best time of each in us/op (forward = recording N adds, backward = y.sum().backward()).
The machine is shared: take the minimum over repeats, compare ratios, not absolute numbers
(on a loaded machine "best forward + best backward" is the steadier ratio).
"""
import subprocess
import sys
import time

CHILD = r"""
import gc, sys, time
import numpy as np
n, reps, lib = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
if lib == "autodiff":
    import autodiff as ad
    mk = lambda v, rg: ad.tensor(np.array(v, dtype=np.float64), requires_grad=rg)
else:
    import torch
    mk = lambda v, rg: torch.tensor(v, dtype=torch.float64, requires_grad=rg)
best = [1e9, 1e9, 1e9]
for _ in range(reps):
    x = mk([1.0, 2.0, 3.0], True); c = mk([1.0, 1.0, 1.0], False)
    t0 = time.perf_counter()
    y = x
    for _ in range(n):
        y = y + c
    t1 = time.perf_counter()
    y.sum().backward()
    t2 = time.perf_counter()
    best = [min(best[0], t1 - t0), min(best[1], t2 - t1), min(best[2], t2 - t0)]
    del x, y
print(*[b * 1e6 / n for b in best])
"""


def run(lib, n, reps):
    out = subprocess.run([sys.executable, "-c", CHILD, str(n), str(reps), lib],
                         capture_output=True, text=True)
    if out.returncode:
        return None
    return [float(v) for v in out.stdout.split()]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    best = {}
    for _ in range(3):
        for lib in ("autodiff", "torch"):
            r = run(lib, n, reps)
            if r is not None:
                best[lib] = [min(a, b) for a, b in zip(best.get(lib, r), r)]
    for lib, (f, b, t) in best.items():
        print(f"{lib:9s} forward {f:6.2f} us/op  backward {b:6.2f} us/op  total {t:6.2f} us/op")
    if len(best) == 2:
        a, t = best["autodiff"], best["torch"]
        print(f"ratio autodiff/torch: best forward + best backward {(a[0] + a[1]) / (t[0] + t[1]):.2f}"
              f", best total {a[2] / t[2]:.2f}")


if __name__ == "__main__":
    main()
