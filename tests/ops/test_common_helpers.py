"""The helpers of ops/_common.py that replaced copies with different behaviour: each case is
one where the copies disagreed; the behaviour kept is PyTorch's (checked against torch)."""
import warnings

import numpy as np
import pytest

import autodiff as ad
import nn.functional as F


@pytest.mark.parametrize("call, op", [
    (lambda a: ad.einsum("ij->i", a), "einsum"),     # matrix.py's copy converted arrays
    (lambda a: ad.diag(a), "diag"),
    (lambda a: F.relu(a), "relu"),                    # nn/functional's converted arrays, lists
    (lambda a: F.log_softmax(a, 1), "log_softmax"),  # loss.py's converted arrays
    (lambda a: ad.exp2(a), "exp2"),
    (lambda a: ad.exp(a), "exp"),                     # elementwise.exp took anything
])
@pytest.mark.parametrize("value", [np.ones((2, 2), np.float32), [[1.0, 2.0], [3.0, 4.0]]])
def test_non_tensor_argument_is_a_type_error_naming_the_op(call, op, value):
    with pytest.raises(TypeError, match=rf"^{op}: expected a Tensor"):
        call(value)
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError):
        torch.exp2(value)


@pytest.mark.parametrize("size_average, reduce, expected", [
    (None, None, "mean"), (False, None, "sum"), (True, False, "none"), (False, False, "none"),
    (None, True, "mean")])
def test_legacy_reduction_arguments(size_average, reduce, expected):
    x = ad.tensor([[1.0, -2.0], [0.5, 3.0]])
    t = ad.tensor([[0.0, 1.0], [1.0, 1.0]])
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        got = F.mse_loss(x, t, size_average=size_average, reduce=reduce)
    want = F.mse_loss(x, t, reduction=expected)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    legacy = size_average is not None or reduce is not None
    assert any("size_average and reduce" in str(m.message) for m in w) == legacy
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tt = torch.nn.functional.mse_loss(torch.tensor(x.numpy()), torch.tensor(t.numpy()),
                                          size_average=size_average, reduce=reduce)
    np.testing.assert_allclose(got.numpy(), tt.numpy(), rtol=1e-6)


@pytest.mark.parametrize("fn", ["maximum", "minimum", "remainder", "fmod", "atan2", "eq", "lt"])
def test_zero_dim_float64_operand_does_not_promote(fn):
    """A 0-d float64 tensor against a float32 one gives float32 (PyTorch's result_type); the
    copies without the 0-d rule gave float64."""
    a = ad.tensor([0.5, -1.5, 2.0])
    b = ad.tensor(1.25, dtype=ad.float64)
    out = getattr(ad, fn)(a, b)
    torch = pytest.importorskip("torch")
    ref = getattr(torch, fn)(torch.tensor(a.numpy()), torch.tensor(1.25, dtype=torch.float64))
    assert str(out.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    np.testing.assert_allclose(out.numpy().astype(np.float64), ref.numpy().astype(np.float64),
                               rtol=1e-6)


@pytest.mark.parametrize("fn, op", [(ad.exp2, "exp2"), (ad.tan, "tan"), (ad.asinh, "asinh"),
                                    (ad.log10, "log10"), (ad.erf, "erf"), (ad.reciprocal,
                                                                            "reciprocal")])
def test_every_unary_op_names_itself_when_numpy_refuses(fn, op):
    """The ops of mathx.py called NumPy without the error block: NumPy's message leaked."""
    bad = ad.Tensor._make(np.array(["a", "b"]))
    with pytest.raises((TypeError, ValueError), match=rf"^{op}: "):
        fn(bad)


@pytest.mark.parametrize("fn, name", [(ad.lt, "lt"), (ad.eq, "eq"), (ad.logical_and,
                                                                      "logical_and")])
def test_comparisons_name_the_op_not_the_numpy_function(fn, name):
    with pytest.raises(ValueError, match=rf"^{name}: shapes \(3,\) and \(4,\)"):
        fn(ad.ones(3), ad.ones(4))
