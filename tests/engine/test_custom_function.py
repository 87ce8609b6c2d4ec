"""Custom ops: subclassing ad.Function (PyTorch's autograd.Function semantics)."""
import numpy as np
import pytest
from custom_functions import TwoOutputs

import autodiff as ad


def t64(x, rg=True):
    return ad.tensor(np.asarray(x, dtype=np.float64), requires_grad=rg)


class MyReLU(ad.Function):
    """Verbatim the PyTorch tutorial's custom ReLU."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return input.clamp(min=0)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        grad_input = grad_output.clone()
        grad_input[input < 0] = 0
        return grad_input


def test_pytorch_style_relu_works_unchanged():
    x = t64([-1.0, 0.5, 2.0, -3.0])
    y = MyReLU.apply(x)
    np.testing.assert_array_equal(y._data, [0.0, 0.5, 2.0, 0.0])
    assert type(y.grad_fn).__name__ == "MyReLUBackward"
    (y * t64([1.0, 2.0, 3.0, 4.0], rg=False)).sum().backward()
    np.testing.assert_array_equal(x.grad._data, [0.0, 2.0, 3.0, 0.0])


def test_pytorch_style_relu_matches_torch():
    torch = pytest.importorskip("torch")

    class TReLU(torch.autograd.Function):
        forward = MyReLU.forward
        backward = MyReLU.backward

    v = np.random.RandomState(0).randn(5, 3)
    x = t64(v)
    (MyReLU.apply(x) ** 2).sum().backward()
    tx = torch.tensor(v, requires_grad=True)
    (TReLU.apply(tx) ** 2).sum().backward()
    np.testing.assert_allclose(x.grad._data, tx.grad.numpy(), rtol=0, atol=1e-15)


class MulAdd(ad.Function):
    """out1 = a * b + k, out2 = a - b: two inputs, a non-tensor argument, two outputs."""

    @staticmethod
    def forward(ctx, a, b, k):
        ctx.save_for_backward(a, b)
        ctx.k = k
        ctx.seen_needs = ctx.needs_input_grad
        return a * b + k, a - b

    @staticmethod
    def backward(ctx, g1, g2):
        a, b = ctx.saved_tensors
        ga = g1 * b + g2 if ctx.needs_input_grad[0] else None
        gb = g1 * a - g2 if ctx.needs_input_grad[1] else None
        return ga, gb, None


def test_multiple_inputs_outputs_and_non_tensor_argument():
    a, b = t64([1.0, 2.0]), t64([3.0, -1.0])
    o1, o2 = MulAdd.apply(a, b, 5.0)
    np.testing.assert_array_equal(o1._data, [8.0, 3.0])
    np.testing.assert_array_equal(o2._data, [-2.0, 3.0])
    assert o1.grad_fn is o2.grad_fn and o2._output_nr == 1
    (o1.sum() * 2 + (o2 * o2).sum()).backward()
    # d/da = 2 b + 2 (a - b); d/db = 2 a - 2 (a - b)
    np.testing.assert_allclose(a.grad._data, 2 * np.array([3.0, -1.0]) + 2 * np.array([-2.0, 3.0]))
    np.testing.assert_allclose(b.grad._data, 2 * np.array([1.0, 2.0]) - 2 * np.array([-2.0, 3.0]))


def test_needs_input_grad_visible_in_forward_and_backward():
    a, b = t64([1.0]), t64([2.0], rg=False)
    o1, _ = MulAdd.apply(a, b, 0.0)
    assert o1.grad_fn.needs_input_grad == (True, False, False)
    assert o1.grad_fn.seen_needs == (True, False, False)
    o1.sum().backward()
    assert a.grad.item() == 2.0 and b.grad is None


def test_unused_output_gets_zero_gradient_materialized():
    x = t64([1.0, 1.0])
    y1, _ = TwoOutputs.apply(x)
    y1.sum().backward()   # backward computes g1 * 2 + g2 * 3: g2 is zeros, not None
    np.testing.assert_array_equal(x.grad._data, [2.0, 2.0])


def test_set_materialize_grads_false_passes_none():
    seen = {}

    class Two(ad.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen["g2"] = g2
            return g1 * 2 if g2 is None else g1 * 2 + g2 * 3

    x = t64([1.0])
    y1, _ = Two.apply(x)
    y1.sum().backward()
    assert seen["g2"] is None
    assert x.grad.item() == 2.0


def test_mark_non_differentiable():
    class SortWithIndex(ad.Function):
        @staticmethod
        def forward(ctx, x):
            idx = np.argsort(x._data)
            out = ad.Tensor(x._data[idx])
            ind = ad.Tensor(idx.astype(np.float64))
            ctx.mark_non_differentiable(ind)
            ctx.idx = idx
            return out, ind

        @staticmethod
        def backward(ctx, g, g_ind):
            assert np.all(g_ind._data == 0)
            res = np.zeros_like(g._data)
            res[ctx.idx] = g._data
            return ad.Tensor(res)

    x = t64([3.0, 1.0, 2.0])
    out, ind = SortWithIndex.apply(x)
    assert out.requires_grad and not ind.requires_grad and ind.grad_fn is None
    (out * t64([1.0, 10.0, 100.0], rg=False)).sum().backward()
    np.testing.assert_array_equal(x.grad._data, [100.0, 1.0, 10.0])


def test_none_gradient_for_a_tensor_input():
    class OnlyFirst(ad.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, None

    a, b = t64([1.0]), t64([2.0])
    OnlyFirst.apply(a, b).sum().backward()
    assert a.grad.item() == 1.0 and b.grad is None


def test_forward_runs_with_grad_disabled_and_returns_arrays_ok():
    class Sq(ad.Function):
        @staticmethod
        def forward(ctx, x):
            assert not ad.is_grad_enabled()
            ctx.save_for_backward(x)
            return x._data ** 2          # a plain ndarray is accepted

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 2 * x

    x = t64([3.0])
    y = Sq.apply(x)
    assert ad.is_grad_enabled()
    y.backward(ad.tensor(np.ones(1)))
    assert x.grad.item() == 6.0


def test_saved_output_is_graph_connected_for_double_backward():
    class Exp(ad.Function):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)
            return out

        @staticmethod
        def backward(ctx, g):
            out, = ctx.saved_tensors
            return g * out

    x = t64([0.5, -1.0])
    y = Exp.apply(x).sum()
    g, = ad.grad(y, x, create_graph=True)
    g2, = ad.grad(g.sum(), x)
    np.testing.assert_allclose(g2._data, np.exp([0.5, -1.0]), rtol=1e-15)


def _with_backward(name, backward):
    """A Function named ``name`` computing ``a * 2`` whose backward is ``backward(ctx, g)``."""
    return type(name, (ad.Function,), {"forward": staticmethod(lambda ctx, a: a * 2),
                                       "backward": staticmethod(backward)})


def test_wrong_shape_of_gradient_names_the_function():
    BadShape = _with_backward("BadShape", lambda ctx, g: ad.tensor(np.ones((2, 3))))
    a = t64([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(RuntimeError, match=r"BadShape.*invalid gradient at index 0.*\(2, 3\).*"
                                           r"\(4,\)"):
        BadShape.apply(a).sum().backward()


def test_broadcastable_gradient_is_summed_like_pytorch():
    # a (2, 3) gradient is expandable from the input's (3,): summed, as PyTorch does
    Wide = _with_backward("Wide", lambda ctx, g: ad.tensor(np.ones((2, 3))))
    a = t64([1.0, 2.0, 3.0])
    Wide.apply(a).sum().backward()
    np.testing.assert_array_equal(a.grad._data, [2.0, 2.0, 2.0])


def test_extra_trailing_none_gradients_are_allowed():
    Extra = _with_backward("Extra", lambda ctx, g: (g * 3, None))
    a = t64([1.0])
    Extra.apply(a).sum().backward()
    assert a.grad.item() == 3.0


# a backward returning a str (or another non-gradient), or too few gradients:
# tests/engine/test_backward_return_types.py


def test_no_node_without_grad():
    a = t64([1.0], rg=False)
    y = MyReLU.apply(a)
    assert y.grad_fn is None and not y.requires_grad
    with ad.no_grad():
        y = MyReLU.apply(t64([1.0]))
    assert y.grad_fn is None and not y.requires_grad


def test_saved_tensors_in_forward_raise():
    class Peek(ad.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            ctx.saved_tensors
            return a

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="only available in backward"):
        Peek.apply(t64([1.0]))


def _cube(base):
    """``MyCube``: x ** 3, its backward 3 x ** 2 g, subclassing ``base`` (autodiff's Function
    or torch's)."""
    class MyCube(base):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g
    return MyCube


def test_custom_function_node_name_as_torch():
    torch = pytest.importorskip("torch")
    ours = _cube(ad.autograd.Function).apply(ad.tensor([2.0], requires_grad=True))
    theirs = _cube(torch.autograd.Function).apply(torch.tensor([2.0], requires_grad=True))
    assert type(ours.grad_fn).__name__ == type(theirs.grad_fn).__name__ == "MyCubeBackward"


def test_gradcheck_of_custom_function():
    Cube = _cube(ad.Function)
    v = np.random.RandomState(2).randn(4)
    x = t64(v)
    y = Cube.apply(x)
    y.backward(t64(np.ones(4), rg=False))
    eps = 1e-6
    num = ((v + eps) ** 3 - (v - eps) ** 3) / (2 * eps)
    np.testing.assert_allclose(x.grad._data, num, rtol=1e-8)
