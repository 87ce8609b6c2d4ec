"""Fused SGD-momentum update versus its NumPy twin: bit-identical parameters and buffers."""
import numpy as np
import pytest

import autodiff as ad
from autodiff import optim
from autodiff.kernels import optim as K


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(256, 64), (10,), (), (3, 0)])
def test_sgd_momentum_matches_twin_bitwise(dtype, shape):
    rng = np.random.default_rng(0)
    p, buf = rng.standard_normal(shape).astype(dtype), rng.standard_normal(shape).astype(dtype)
    p2, buf2 = p.copy(), buf.copy()
    for _ in range(4):
        g = rng.standard_normal(shape).astype(dtype)
        assert K.sgd_momentum_(p, buf, g, 0.013, 0.9)
        K.sgd_momentum_ref_(p2, buf2, g, 0.013, 0.9)
        np.testing.assert_array_equal(p, p2)
        np.testing.assert_array_equal(buf, buf2)


def test_sgd_momentum_declines_what_it_cannot_do():
    a = np.ones((4, 5), np.float32)
    assert not K.sgd_momentum_(a, a.copy(), np.ones((4, 5)), 0.1, 0.9)          # dtype
    assert not K.sgd_momentum_(a, a.copy(), np.ones((5, 4), np.float32).T, 0.1, 0.9)  # layout
    np.testing.assert_array_equal(a, 1)


@pytest.mark.parametrize("transposed_grad", [False, True])
def test_sgd_steps_equal_the_numpy_sequence(transposed_grad):
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((6, 4)).astype(np.float32)
    w = ad.tensor(w0.copy(), requires_grad=True)
    opt = optim.SGD([w], lr=0.05, momentum=0.9)
    ref, buf = w0.copy(), None
    for _ in range(3):
        g = rng.standard_normal((4, 6) if transposed_grad else (6, 4)).astype(np.float32)
        g = g.T if transposed_grad else g
        w.grad = ad.tensor(g)
        opt.step()
        if buf is None:
            buf = g.copy()
        else:
            buf *= 0.9
            buf += g
        ref -= 0.05 * buf
        np.testing.assert_array_equal(w._data, ref)


def test_sgd_momentum_scalar_cache_follows_lr():
    """The cached dtype scalars follow lr and momentum (a schedule changes lr every step)."""
    rng = np.random.default_rng(11)
    p, buf, g = (rng.standard_normal((8, 16)).astype(np.float32) for _ in range(3))
    q, qbuf = p.copy(), buf.copy()
    for lr, m in ((0.1, 0.9), (0.05, 0.9), (0.1, 0.5), (0.1, 0.9), (1e-3, 0.99)):
        assert K.sgd_momentum_(p, buf, g, lr, m)
        K.sgd_momentum_ref_(q, qbuf, g, lr, m)
        assert np.array_equal(p, q) and np.array_equal(buf, qbuf)
