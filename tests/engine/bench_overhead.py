"""Per-op overhead of the engine's hot path: N chained tiny adds + backward (not a test).

    .venv/bin/python tests/engine/bench_overhead.py [N] [repeats]
Prints us/op for autodiff and torch (if installed) and the ratio.
"""
import sys
import time

import numpy as np

import autodiff as ad


def run_ad(n):
    x = ad.tensor(np.ones(3), requires_grad=True)
    c = ad.tensor(np.ones(3))
    t0 = time.perf_counter()
    y = x
    for _ in range(n):
        y = y + c
    t1 = time.perf_counter()
    y.sum().backward()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def run_torch(n, torch):
    x = torch.ones(3, dtype=torch.float64, requires_grad=True)
    c = torch.ones(3, dtype=torch.float64)
    t0 = time.perf_counter()
    y = x
    for _ in range(n):
        y = y + c
    t1 = time.perf_counter()
    y.sum().backward()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1


def best(fn, repeats):
    fw, bw = [], []
    for _ in range(repeats):
        f, b = fn()
        fw.append(f)
        bw.append(b)
    return min(fw), min(bw), min(f + b for f, b in zip(fw, bw))


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    f, b, tot = best(lambda: run_ad(n), reps)
    us = 1e6 / n
    print(f"autodiff: forward {f * us:.2f} us/op, backward {b * us:.2f} us/op, total {tot * us:.2f} us/op")
    try:
        import torch
    except ImportError:
        return
    tf, tb, ttot = best(lambda: run_torch(n, torch), reps)
    print(f"torch:    forward {tf * us:.2f} us/op, backward {tb * us:.2f} us/op, total {ttot * us:.2f} us/op")
    print(f"ratio autodiff/torch (total): {tot / ttot:.2f}")


if __name__ == "__main__":
    main()
