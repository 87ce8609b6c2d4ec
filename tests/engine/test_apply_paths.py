"""``Function.apply``'s argument paths (written out for one and two arguments, general
otherwise) all record through ``function._record`` and give the same node and gradients."""
import numpy as np

import autodiff as ad
from autodiff.function import Op


class _Ones(Op):
    """out = ones(2) (no arguments)."""

    @staticmethod
    def forward(ctx):
        return np.ones(2)


class _Affine(Op):
    """out = a * s + b, with ``s`` a keyword argument;  da = g s,  db = g"""

    @staticmethod
    def forward(ctx, a, b, s=1.0):
        ctx.s = s
        return a * s + b

    @staticmethod
    def backward(ctx, grad_out):
        return grad_out * ctx.s, grad_out


class _Axpy(Op):
    """out = alpha * x + y (three arguments: the general path)"""

    @staticmethod
    def forward(ctx, alpha, x, y):
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        return alpha * x + y

    @staticmethod
    def backward(ctx, grad_out):
        x, = ctx.saved_tensors
        return None, grad_out * ctx.alpha, grad_out


def test_an_op_of_no_arguments_runs_without_a_node():
    out = _Ones.apply()
    assert out.grad_fn is None and out.tolist() == [1.0, 1.0]


def test_two_argument_path_with_keywords_records_and_differentiates():
    a = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = ad.tensor(np.array([0.5, 0.5]), requires_grad=True)
    out = _Affine.apply(a, b, s=3.0)
    assert out.grad_fn.needs_input_grad == (True, True)
    out.sum().backward()
    np.testing.assert_array_equal(a.grad._data, [3.0, 3.0])
    np.testing.assert_array_equal(b.grad._data, [1.0, 1.0])


def test_general_path_matches_the_two_argument_path():
    x = ad.tensor(np.array([1.0, -1.0]), requires_grad=True)
    y = ad.tensor(np.array([2.0, 4.0]), requires_grad=True)
    three = _Axpy.apply(2.0, x, y)
    two = _Affine.apply(x, y, s=2.0)
    np.testing.assert_array_equal(three._data, two._data)
    assert three.grad_fn.needs_input_grad == (False, True, True)
    assert three.grad_fn.input_meta[1:] == two.grad_fn.input_meta
    gx3, gy3 = ad.grad(three.sum(), [x, y])
    gx2, gy2 = ad.grad(two.sum(), [x, y])
    np.testing.assert_array_equal(gx3._data, gx2._data)
    np.testing.assert_array_equal(gy3._data, gy2._data)


def test_grad_mode_off_records_nothing_on_every_path():
    x = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    with ad.no_grad():
        outs = [x.exp(), x * x, _Axpy.apply(2.0, x, x)]
    assert all(o.grad_fn is None and not o.requires_grad for o in outs)
