"""Helpers for the kernel tests: hypothesis strategies for small convolution and pooling
geometries, and a runner for scripts under NUMBA_DISABLE_JIT=1."""
import os
import subprocess
import sys

import numpy as np
from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st

from autodiff.kernels.conv import conv_output_size
from autodiff.kernels.pool import pool_output_size

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

DTYPES = st.sampled_from([np.float64, np.float32])


def tol(dtype):
    return dict(rtol=1e-10, atol=1e-10) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-5)


@st.composite
def conv_cases(draw, n=(1, 3), hw=(1, 8)):
    """A small convolution: n (and hw) bound its batch (and input height and width)."""
    groups = draw(st.integers(1, 2))
    cg, og = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    N = draw(st.integers(*n))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    p = tuple(draw(st.integers(0, 2)) for _ in range(4))
    H, W = draw(st.integers(*hw)), draw(st.integers(*hw))
    Ho = conv_output_size(H, k[0], s[0], p[0], p[1], d[0])
    Wo = conv_output_size(W, k[1], s[1], p[2], p[3], d[1])
    assume(Ho > 0 and Wo > 0)
    dtype = draw(DTYPES)
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    x = rng.standard_normal((N, cg * groups, H, W)).astype(dtype)
    w = rng.standard_normal((og * groups, cg, *k)).astype(dtype)
    g = rng.standard_normal((N, og * groups, Ho, Wo)).astype(dtype)
    return dict(x=x, w=w, g=g, stride=s, padding=p, dilation=d, groups=groups)


@st.composite
def pool_cases(draw, max_only=True):
    N, C = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if max_only else (1, 1)
    ceil_mode = draw(st.booleans())
    H, W = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    Ho = pool_output_size(H, k[0], s[0], p[0], d[0], ceil_mode)
    Wo = pool_output_size(W, k[1], s[1], p[1], d[1], ceil_mode)
    assume(Ho > 0 and Wo > 0)
    dtype = draw(DTYPES)
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    # one decimal: many exact ties, so the first-max rule is exercised
    x = np.round(rng.standard_normal((N, C, H, W)), 1).astype(dtype)
    g = rng.standard_normal((N, C, Ho, Wo)).astype(dtype)
    return dict(x=x, g=g, kernel=k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode)


def run_without_jit(script):
    """Run ``script`` in a fresh interpreter with NUMBA_DISABLE_JIT=1 (every kernel as plain
    Python, bounds-checked by NumPy) and assert that it ends by printing ``nojit ok``."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, NUMBA_DISABLE_JIT="1",
               PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=300, cwd=root)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "nojit ok" in res.stdout
