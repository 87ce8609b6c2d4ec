"""Memory numbers for the engine (not a timing table, not in ``python -m bench``'s list):

    python -m bench.memory

tests/engine/test_memory.py asserts the release of the first case; this prints the numbers.

1. RSS before / with / after backward of a graph holding a 100 MB intermediate (loss alive).
2. Peak traced memory and RSS growth of a 100,000-op chain of tiny adds, forward + backward.
"""
import gc
import resource
import time
import tracemalloc

import numpy as np

import autodiff as ad


def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


def big_intermediate():
    w = ad.tensor(np.array([1.5]), requires_grad=True)
    gc.collect()
    r0 = rss_mb()
    big = w * ad.ones(12_500_000, dtype=ad.float64)   # 100 MB
    loss = (big * big).sum()
    del big
    r1 = rss_mb()
    loss.backward()
    r2 = rss_mb()
    print(f"100 MB intermediate: RSS before {r0:.0f} MB, after forward {r1:.0f} MB, "
          f"after backward (loss alive) {r2:.0f} MB")
    return loss


def chain(n=100_000):
    x = ad.tensor(np.ones(3), requires_grad=True)
    c = ad.tensor(np.ones(3))
    gc.collect()
    r0 = rss_mb()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    y = x
    for _ in range(n):
        y = y + c
    fwd = tracemalloc.get_traced_memory()[0] - base
    y.sum().backward()
    t1 = time.perf_counter()
    cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    r1 = rss_mb()
    del y
    gc.collect()
    print(f"{n} chained adds: graph {fwd / 1e6:.1f} MB ({fwd / n:.0f} B/op), traced peak "
          f"{(peak - base) / 1e6:.1f} MB, RSS growth {r1 - r0:.0f} MB "
          f"({t1 - t0:.1f} s under tracemalloc); x.grad[0] = {x.grad._data[0]}")


if __name__ == "__main__":
    big_intermediate()
    chain()
