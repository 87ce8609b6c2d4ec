"""Hypothesis strategies and value generators shared by the op-table tests.

Shapes are small (sides 1-3, up to 3 dims) so that full Jacobians stay cheap. Values are drawn
with a NumPy generator seeded from a hypothesis integer, from a named *domain* that keeps
inputs away from the points where an op is not differentiable (kinks, ties, poles).
"""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

SETTINGS = settings(max_examples=10, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])

seeds = st.integers(0, 2**31 - 1)


def shape(draw, min_dims=0, max_dims=3, min_side=1, max_side=3):
    n = draw(st.integers(min_dims, max_dims))
    return tuple(draw(st.integers(min_side, max_side)) for _ in range(n))


def broadcast_pair(draw, min_dims=0, max_dims=3, max_side=3, n=2):
    """``n`` shapes that broadcast together: drawn from a common shape by dropping leading dims
    and setting some sides to 1."""
    base = shape(draw, min_dims, max_dims, 1, max_side)
    out = []
    for _ in range(n):
        drop = draw(st.integers(0, len(base)))
        s = list(base[drop:])
        for i in range(len(s)):
            if draw(st.booleans()) and draw(st.booleans()):
                s[i] = 1
        out.append(tuple(s))
    return tuple(out)


def matmul_pair(draw):
    """Operand shapes for matmul: 1-D and 2-D mixes and broadcast batch dims."""
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    kind = draw(st.sampled_from(["vv", "mv", "vm", "mm", "batched", "batched_bcast", "bv", "vb"]))
    if kind == "vv":
        return (k,), (k,)
    if kind == "mv":
        return (m, k), (k,)
    if kind == "vm":
        return (k,), (k, n)
    if kind == "mm":
        return (m, k), (k, n)
    b = draw(st.integers(1, 3))
    if kind == "batched":
        return (b, m, k), (b, k, n)
    if kind == "bv":
        return (b, m, k), (k,)
    if kind == "vb":
        return (k,), (b, k, n)
    return (2, 1, m, k), (b, k, n)


# ---------------------------------------------------------------------------------------------
# values


def values(rng, shape, domain="real", dtype=np.float64):
    """Random values of ``shape`` from ``domain``:

    real      +-[0.25, 2]: no zeros, away from the kinks of abs/relu/sign at 0
    positive  [0.25, 2]
    log1p     [-0.5, 2]
    unit      [-0.9, 0.9] (inside the domain of asin, acos, atanh)
    gt1       [1.2, 3] (acosh)
    distinct  +-[0.2, ...] with all magnitudes at least 0.05 apart (no ties: max, norm inf)
    zeros     real values with about a third of them exactly 0 (prod)
    away_from_int  n + [0.1, 0.4] for integers n in [-5, 5): rounding is far from a jump
    """
    size = int(np.prod(shape))
    if domain == "real":
        v = rng.uniform(0.25, 2.0, size) * rng.choice([-1.0, 1.0], size)
    elif domain == "positive":
        v = rng.uniform(0.25, 2.0, size)
    elif domain == "log1p":
        v = rng.uniform(-0.5, 2.0, size)
    elif domain == "unit":
        v = rng.uniform(-0.9, 0.9, size)
    elif domain == "gt1":
        v = rng.uniform(1.2, 3.0, size)
    elif domain == "away_from_int":
        v = rng.integers(-5, 5, size) + rng.uniform(0.1, 0.4, size)
    elif domain == "distinct":
        mags = 0.2 + 0.05 * rng.permutation(size) + rng.uniform(0, 0.01, size)
        v = mags * rng.choice([-1.0, 1.0], size)
    elif domain == "zeros":
        v = rng.uniform(0.25, 2.0, size) * rng.choice([-1.0, 1.0], size)
        v[rng.uniform(size=size) < 0.35] = 0.0
    else:
        raise ValueError(f"unknown domain {domain!r}")
    return v.reshape(shape).astype(dtype)


def noncontiguous(arr):
    """The same values in a non-contiguous array: a transposed view when that is not
    contiguous, else a view striding over every other element of the largest dim. Arrays
    with fewer than two elements are returned unchanged (they are always contiguous)."""
    if arr.size <= 1:
        return arr
    if arr.ndim >= 2:
        view = np.empty(arr.shape[::-1], dtype=arr.dtype).T
        if not view.flags.c_contiguous:
            view[...] = arr
            return view
    d = int(np.argmax(arr.shape))
    big = list(arr.shape)
    big[d] *= 2
    view = np.empty(big, dtype=arr.dtype)[(slice(None),) * d + (slice(None, None, 2),)]
    view[...] = arr
    assert not view.flags.c_contiguous
    return view


def random_dim(rng, ndim, allow_none=True, allow_tuple=True):
    """A ``dim`` argument for a reduction over a tensor with ``ndim`` dims."""
    choices = ["int"]
    if allow_none:
        choices.append("none")
    if allow_tuple and ndim >= 2:
        choices.append("tuple")
    if not choices:
        return None
    kind = rng.choice(choices)
    if kind == "none":
        return None
    if kind == "int":
        return int(rng.integers(-max(ndim, 1), max(ndim, 1)))
    k = int(rng.integers(1, ndim + 1))
    return tuple(int(d) for d in rng.choice(ndim, size=k, replace=False))
