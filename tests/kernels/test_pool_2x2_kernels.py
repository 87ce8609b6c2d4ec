"""The specialised 2x2 stride-2 pooling kernels versus their NumPy twins, the general twins
and PyTorch: odd H/W (cropped), ties, NaN, inf, -0.0, float32 and float64."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from kernel_cases import DTYPES, SETTINGS, tol

from autodiff.kernels import pool as K
from autodiff.kernels import pool_2x2 as K2x2

K2 = ((2, 2), (2, 2), (0, 0), (1, 1))  # kernel, stride, padding, dilation


@st.composite
def cases_2x2(draw):
    N, C = draw(st.integers(0, 2)), draw(st.integers(1, 3))  # N = 0: an empty batch
    H, W = draw(st.integers(2, 9)), draw(st.integers(2, 9))
    dtype = draw(DTYPES)
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    # one decimal: many exact ties; then a few NaN, +-inf and -0.0
    x = np.round(rng.standard_normal((N, C, H, W)), 1)
    special = rng.random(x.shape)
    x[special < draw(st.sampled_from([0.0, 0.05, 0.3]))] = np.nan
    x[special > 0.97] = np.inf
    x[(special > 0.95) & (special <= 0.97)] = -np.inf
    x[(special > 0.93) & (special <= 0.95)] = -0.0
    g = rng.standard_normal((N, C, H // 2, W // 2))
    g[rng.random(g.shape) < 0.1] = -0.0
    return x.astype(dtype), g.astype(dtype)


def _assert_same(a, b):
    """Equal values, NaN where NaN, and the same sign of zero."""
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(np.signbit(a[a == 0]), np.signbit(b[b == 0]))


def test_fast_path_is_taken_only_without_partial_windows():
    assert K2x2._is_2x2(*K2, (5, 7), (2, 3))
    assert not K2x2._is_2x2(*K2, (5, 7), (3, 4))  # ceil_mode with odd H and W
    assert not K2x2._is_2x2((2, 2), (2, 2), (1, 1), (1, 1), (6, 6), (4, 4))
    assert not K2x2._is_2x2((2, 2), (1, 1), (0, 0), (1, 1), (6, 6), (5, 5))
    assert not K2x2._is_2x2((2, 2), (2, 2), (0, 0), (2, 2), (6, 6), (2, 2))
    assert not K2x2._is_2x2((3, 3), (2, 2), (0, 0), (1, 1), (6, 6), (2, 2))


@SETTINGS
@given(cases_2x2(), st.booleans())
def test_max_2x2_matches_both_twins(c, ceil_mode):
    x, g = c
    out, loc = K.max_pool2d_forward(x, *K2, ceil_mode)
    if ceil_mode and (x.shape[2] % 2 or x.shape[3] % 2):
        return  # a partial window: the general kernel (tested in test_pool_kernels)
    ref, ref_loc = K2x2.max_pool2d_2x2_forward_ref(x)
    _assert_same(out, ref)
    np.testing.assert_array_equal(loc, ref_loc)
    assert loc.dtype == np.int8
    gen, gen_idx = K.max_pool2d_forward_ref(x, *K2)
    _assert_same(out, gen)
    np.testing.assert_array_equal(K.max_pool2d_indices(loc, x.shape, *K2), gen_idx)
    dx = K.max_pool2d_backward(g, loc, x.shape, *K2)
    _assert_same(dx, K2x2.max_pool2d_2x2_backward_ref(g, loc, x.shape))
    np.testing.assert_allclose(dx, K.max_pool2d_backward_ref(g, gen_idx, x.shape), **tol(dx.dtype))
    # cropped last row/column: no window reads them, so their gradient is exactly +0
    H, W = x.shape[2:]
    assert not dx[:, :, 2 * (H // 2):].any() and not dx[:, :, :, 2 * (W // 2):].any()
    assert not np.signbit(dx[dx == 0]).any()


@SETTINGS
@given(cases_2x2(), st.sampled_from([None, 3, 4]))
def test_avg_2x2_matches_both_twins(c, divisor_override):
    x, g = c
    x = np.nan_to_num(x, nan=0.5, posinf=2.0, neginf=-2.0)  # finite: a tolerance comparison
    out = K.avg_pool2d_forward(x, (2, 2), (2, 2), (0, 0), False, True, divisor_override)
    np.testing.assert_allclose(out, K2x2.avg_pool2d_2x2_forward_ref(x, divisor_override),
                               **tol(out.dtype))
    args = ((2, 2), (2, 2), (0, 0), False, True, divisor_override)
    np.testing.assert_allclose(out, K.avg_pool2d_forward_ref(x, *args), **tol(out.dtype))
    dx = K.avg_pool2d_backward(g, x.shape, *args)
    assert dx.dtype == g.dtype
    np.testing.assert_allclose(dx, K2x2.avg_pool2d_2x2_backward_ref(g, x.shape, divisor_override),
                               **tol(dx.dtype))
    np.testing.assert_allclose(dx, K.avg_pool2d_backward_ref(g, x.shape, *args), **tol(dx.dtype))
    assert not np.signbit(dx[dx == 0]).any()  # -0.0 gradients land as +0.0, as in the twins


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_2x2_ties_nan_and_odd_shape(dtype):
    x = np.array([[[[1, 1, 0, 2, np.nan, 5, 3],
                    [1, 1, 2, 2, 5, np.nan, 3],
                    [9, 9, 9, 9, 9, 9, 9]]]], dtype=dtype)
    out, loc = K.max_pool2d_forward(x, *K2)
    assert out.shape == (1, 1, 1, 3) and out.dtype == dtype
    np.testing.assert_array_equal(out[0, 0, 0], [1, 2, np.nan])
    np.testing.assert_array_equal(loc[0, 0, 0], [0, 1, 3])  # first max; last NaN
    dx = K.max_pool2d_backward(np.array([[[[5, 6, 7]]]], dtype=dtype), loc, x.shape, *K2)
    expected = np.zeros(x.shape, dtype)
    expected[0, 0, 0, 0], expected[0, 0, 0, 3], expected[0, 0, 1, 5] = 5, 6, 7
    np.testing.assert_array_equal(dx, expected)


def test_avg_inf_in_first_element_stays_local():
    # the general kernel used to start every window sum at x.flat[0] * 0 (NaN for inf)
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 0, 0] = np.inf
    for k, s in [((2, 2), (2, 2)), ((3, 3), (1, 1))]:
        out = K.avg_pool2d_forward(x, k, s)
        np.testing.assert_array_equal(out, K.avg_pool2d_forward_ref(x, k, s))
        assert np.isinf(out[0, 0, 0, 0]) and np.isfinite(out.flat[1:]).all()


def test_ops_match_torch():
    torch = pytest.importorskip("torch")
    import autodiff as ad
    from autodiff.ops import pool as P
    rng = np.random.default_rng(3)
    for dtype, shape in [(np.float32, (2, 3, 7, 9)), (np.float64, (3, 2, 8, 6)),
                         (np.float32, (1, 1, 2, 2))]:
        x = np.round(rng.standard_normal(shape), 1).astype(dtype)
        x[rng.random(shape) < 0.05] = np.nan
        g = rng.standard_normal((shape[0], shape[1], shape[2] // 2, shape[3] // 2)).astype(dtype)
        for name, kw in [("max_pool2d", {}), ("avg_pool2d", {}),
                         ("avg_pool2d", dict(divisor_override=3))]:
            X = ad.tensor(x, requires_grad=True)
            out = getattr(P, name)(X, 2, **kw)
            out.backward(ad.tensor(g))
            xt = torch.tensor(x, requires_grad=True)
            ot = getattr(torch.nn.functional, name)(xt, 2, **kw)
            ot.backward(torch.tensor(g))
            np.testing.assert_allclose(out._data, ot.detach().numpy(), **tol(dtype))
            np.testing.assert_allclose(X.grad._data, xt.grad.numpy(), **tol(dtype))
        _, idx = P.max_pool2d(ad.tensor(x), 2, return_indices=True)
        _, idx_t = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
        np.testing.assert_array_equal(idx._data, idx_t.numpy())


NOJIT = textwrap.dedent("""
    import numpy as np
    import numba
    assert numba.config.DISABLE_JIT
    from autodiff.kernels import pool as K
    from autodiff.kernels import pool_2x2 as K2x2
    K2 = ((2, 2), (2, 2), (0, 0), (1, 1))
    rng = np.random.default_rng(0)
    for shape in [(2, 3, 5, 7), (1, 2, 4, 4)]:
        x = np.round(rng.standard_normal(shape), 1)
        x[0, 0, 0, 1] = np.nan
        assert K2x2._is_2x2(*K2, shape[2:], (shape[2] // 2, shape[3] // 2))
        out, loc = K.max_pool2d_forward(x, *K2)
        ro, rl = K2x2.max_pool2d_2x2_forward_ref(x)
        assert np.array_equal(out, ro, equal_nan=True) and np.array_equal(loc, rl)
        g = rng.standard_normal(out.shape)
        assert np.array_equal(K.max_pool2d_backward(g, loc, x.shape, *K2),
                              K2x2.max_pool2d_2x2_backward_ref(g, loc, x.shape))
        x = np.nan_to_num(x)
        assert np.allclose(K.avg_pool2d_forward(x, (2, 2), (2, 2)),
                           K2x2.avg_pool2d_2x2_forward_ref(x))
        assert np.allclose(K.avg_pool2d_backward(g, x.shape, (2, 2), (2, 2), divisor_override=3),
                           K2x2.avg_pool2d_2x2_backward_ref(g, x.shape, 3))
    print("ok")
""")


def test_2x2_kernels_run_without_jit():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, NUMBA_DISABLE_JIT="1",
               PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-c", NOJIT], env=env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "ok"
