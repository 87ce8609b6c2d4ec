"""A custom Function whose backward returns something that is not a gradient gets a
TypeError naming the Function and the type it returned (also a RuntimeError, as PyTorch's
"expected Variable or None (got str)")."""
import numpy as np
import pytest

import autodiff as ad


def _fn(ret):
    """``Twice.apply(*xs)`` is ``2 * sum(xs)``; its backward returns ``ret``."""
    class Twice(ad.Function):
        @staticmethod
        def forward(ctx, *xs):
            return sum(xs) * 2

        @staticmethod
        def backward(ctx, g):
            return ret
    return Twice


@pytest.mark.parametrize("ret,name", [("abc", "str"), ([1.0, 2.0, 3.0], "list"),
                                      ({"g": 1}, "dict"), (object(), "object"),
                                      ((lambda: 0), "function"), (b"x", "bytes")])
def test_non_gradient_from_backward_names_function_and_type(ret, name):
    x = ad.tensor(np.ones(3), requires_grad=True)
    y = _fn(ret).apply(x).sum()
    with pytest.raises(TypeError, match=rf"Twice\.backward returned a gradient of type {name} "
                                        r"at index 0; expected a Tensor or None") as info:
        y.backward()
    assert isinstance(info.value, RuntimeError)   # what torch raises
    assert x.grad is None


def test_torch_raises_for_a_str_too():
    torch = pytest.importorskip("torch")

    class Twice(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return "abc"

    with pytest.raises(RuntimeError, match="got str"):
        Twice.apply(torch.ones(3, requires_grad=True)).sum().backward()


@pytest.mark.parametrize("ret", [np.full(3, 2.0), None])
def test_arrays_numbers_and_none_are_still_accepted(ret):
    # (arrays: an extension over PyTorch, which the built-in ops may use)
    x = ad.tensor(np.ones(3), requires_grad=True)
    _fn(ret).apply(x).sum().backward()
    if ret is None:
        assert x.grad is None
    else:
        np.testing.assert_array_equal(x.grad.numpy(), [2.0] * 3)


@pytest.mark.parametrize("ret,error,message", [
    ((np.ones(2), "oops"), TypeError,
     r"Twice\.backward returned a gradient of type str at index 1"),
    (np.ones(2), RuntimeError,
     r"TwiceBackward.*incorrect number of gradients \(expected 2, got 1\)"),
])
def test_message_names_the_function_and_the_bad_gradient(ret, error, message):
    a = ad.tensor(np.ones(2), requires_grad=True)
    b = ad.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(error, match=message):
        _fn(ret).apply(a, b).sum().backward()
