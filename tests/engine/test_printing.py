"""Tensor.__repr__ in PyTorch's format, with dtype and (when truncated) shape."""
import numpy as np
import pytest

import autodiff as ad


def test_leaf_requires_grad():
    x = ad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2., 3.], requires_grad=True)"


def test_grad_fn_and_four_decimals():
    x = ad.tensor([1.5, 2.0, 3.0], requires_grad=True)
    assert repr(x * 2) == "tensor([3., 4., 6.], grad_fn=<MulBackward0>)"
    assert repr(x * 1.25) == "tensor([1.8750, 2.5000, 3.7500], grad_fn=<MulBackward0>)"


def test_matrix_layout_and_negative_padding():
    t = ad.tensor([[1.0, -2.5], [30.25, 4.0]])
    assert repr(t) == "tensor([[ 1.0000, -2.5000],\n        [30.2500,  4.0000]])"


def test_scientific_when_range_is_wide():
    assert repr(ad.tensor([1e-5, 1.0])) == "tensor([1.0000e-05, 1.0000e+00])"


def test_non_default_dtype_shown():
    assert repr(ad.tensor(np.array([1.0, 2.0]))) == "tensor([1., 2.], dtype=autodiff.float64)"
    assert repr(ad.tensor([1, 2], dtype=ad.int32)) == "tensor([1, 2], dtype=autodiff.int32)"
    assert repr(ad.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(ad.tensor([True, False])) == "tensor([True, False])"


def test_zero_dim_and_empty():
    assert repr(ad.tensor(0.5)) == "tensor(0.5000)"
    assert repr(ad.tensor(3)) == "tensor(3)"
    assert repr(ad.tensor([])) == "tensor([])"
    assert repr(ad.zeros(0, 3)) == "tensor([], size=(0, 3))"


def test_nan_inf():
    assert repr(ad.tensor([float("nan"), 1.5, -float("inf")])) == "tensor([   nan, 1.5000,   -inf])"


def test_large_tensor_truncated_with_shape():
    r = repr(ad.zeros(20, 100))
    assert "..." in r and "shape=(20, 100)" in r
    assert r.count("\n") < 12
    assert "shape=" not in repr(ad.zeros(10, 100))   # 1000 elements: printed in full


def test_matches_torch_format():
    torch = pytest.importorskip("torch")
    rng = np.random.RandomState(0)
    for arr in (rng.randn(2, 3, 4).astype(np.float32), np.array([0.1, 200.0], np.float32),
                np.array([[1.0, 2.0], [3.0, 4.0]], np.float32), np.array(7.25, np.float32),
                rng.randn(3, 5).astype(np.float32) * 1e6):
        assert repr(ad.tensor(arr)) == repr(torch.tensor(arr))
