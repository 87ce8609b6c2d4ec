"""Engine smoke tests: the backward pass on small graphs, freed graphs, deep chains."""
import numpy as np
import pytest

import autodiff as ad


def test_mul_add_grad():
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = ad.tensor([4.0, 5.0, 6.0], requires_grad=True)
    (x * y + x).sum().backward()
    np.testing.assert_allclose(x.grad._data, [5.0, 6.0, 7.0])
    np.testing.assert_allclose(y.grad._data, [1.0, 2.0, 3.0])


def test_diamond_and_reuse_accumulate():
    x = ad.tensor(3.0, dtype=ad.float64, requires_grad=True)
    a = x * 2
    b = x * x
    out = a * b + b  # 2x^3 + x^2 -> 6x^2 + 2x = 60
    out.backward()
    assert x.grad.item() == pytest.approx(60.0)


def test_broadcast_grad_summed_to_shape():
    a = ad.ones(3, 4, requires_grad=True)
    b = ad.ones(4, requires_grad=True)
    (a * b).sum().backward()
    assert b.grad.shape == (4,)
    np.testing.assert_allclose(b.grad._data, 3.0)


def test_deep_chain_no_recursion():
    x = ad.tensor(0.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward()
    assert x.grad.item() == 1.0
    assert y.item() == 100_000.0


def test_second_backward_raises_and_retain_graph_allows():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad._data, [4.0, 8.0])
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_nonscalar_backward_needs_gradient():
    x = ad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar"):
        (x * 2).backward()


def test_no_grad_records_nothing():
    x = ad.tensor([1.0], requires_grad=True)
    with ad.no_grad():
        y = x * 2
    assert y.grad_fn is None and not y.requires_grad


def test_double_backward_cubic():
    x = ad.tensor([1.0, 2.0], dtype=ad.float64, requires_grad=True)
    g, = ad.grad((x ** 3).sum(), x, create_graph=True)
    np.testing.assert_allclose(g._data, [3.0, 12.0])
    h, = ad.grad(g.sum(), x)
    np.testing.assert_allclose(h._data, [6.0, 12.0])


def test_integer_tensor_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        ad.tensor([1, 2], requires_grad=True)


def test_dtype_rules():
    assert ad.tensor([1.5]).dtype == np.float32
    assert ad.tensor(np.zeros(2)).dtype == np.float64
    assert ad.tensor([1, 2]).dtype == np.int64
    assert (ad.ones(2) * ad.ones(2, dtype=ad.float64)).dtype == np.float64
    assert (ad.ones(2) * 2.5).dtype == np.float32


def test_matmul_shape_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"matmul.*\(3, 4\).*\(5, 2\)"):
        ad.ones(3, 4) @ ad.ones(5, 2)
