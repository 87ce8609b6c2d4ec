"""Time ``draw_graph`` on large graphs (building the DOT description only, no layout).

    .venv/bin/python docs/bench_viz.py

Prints the time to describe a 10,000-node graph (target: under 2 s), and how long Graphviz's
``dot`` takes to lay out a 1,000-node one, for scale.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import autodiff as ad  # noqa: E402
from autodiff.viz import draw_graph  # noqa: E402


def wide_graph(n_ops):
    """A chain of small layers: every 4 ops a new parameter leaf (about n_ops ops + n_ops/4
    leaves), each op with a few-element tensor so the labels carry values."""
    x = ad.randn(4, requires_grad=True)
    h = x
    leaves = 1
    ops = 0
    while ops + leaves < n_ops:
        w = ad.randn(4, requires_grad=True)
        h = (h * w).tanh() + 0.1 * h
        leaves += 1
        ops += 4  # Mul, Tanh, Mul (by 0.1), Add
    return h.sum(), ops + 1 + leaves


def main():
    for n in (1_000, 10_000, 50_000):
        root, expected = wide_graph(n)
        t0 = time.perf_counter()
        g = draw_graph(root)
        src = g.source
        dt = time.perf_counter() - t0
        nodes = len(re.findall(r"^\tn\d+ \[", src, flags=re.M))
        print(f"draw_graph: {nodes:6d} nodes ({expected} expected), {len(src) / 1e6:5.2f} MB DOT "
              f"in {dt:6.3f} s")
    if shutil.which("dot"):
        root, _ = wide_graph(1_000)
        g = draw_graph(root)
        t0 = time.perf_counter()
        g.pipe(format="svg")
        print(f"dot layout + SVG of a ~1,000-node graph: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
