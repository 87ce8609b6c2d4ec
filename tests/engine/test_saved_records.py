"""Saved values (``autodiff.saved.Saved``: one version check for every op) and the array-only
backward an op may offer (``backward_arrays``: used only when the pass is not recorded)."""
import numpy as np
import pytest

import autodiff as ad
from autodiff import saved as SV
from autodiff.function import Op


class _Scale(Op):
    """out = a * 3, saving the input; counts which backward ran."""

    calls = []

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * 3.0

    @staticmethod
    def backward(ctx, grad_out):
        a, = ctx.saved_tensors
        _Scale.calls.append("tensors")
        return grad_out * 3.0 + a * 0.0

    @staticmethod
    def backward_arrays(ctx, grad_out):
        a, = ctx.saved(arrays=True)
        assert isinstance(grad_out, np.ndarray) and isinstance(a, np.ndarray)
        _Scale.calls.append("arrays")
        return grad_out * 3.0


def test_array_backward_runs_only_without_create_graph():
    x = ad.tensor(np.array([1.0, -2.0]), requires_grad=True)
    _Scale.calls.clear()
    _Scale.apply(x).sum().backward()
    assert _Scale.calls == ["arrays"]
    np.testing.assert_array_equal(x.grad._data, [3.0, 3.0])
    assert x.grad._data.dtype == np.float64

    _Scale.calls.clear()
    g, = ad.grad(_Scale.apply(x).sum(), x, create_graph=True)
    assert _Scale.calls == ["tensors"]
    assert g.requires_grad  # recorded: differentiable again
    np.testing.assert_array_equal(g._data, [3.0, 3.0])


def test_relu_and_linear_array_backward_match_the_differentiable_one():
    rng = np.random.default_rng(0)
    x = ad.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    w = ad.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    b = ad.tensor(rng.standard_normal(3), requires_grad=True)
    import nn.functional as F
    plain = ad.grad((F.relu(F.linear(x, w, b)) ** 2).sum(), [x, w, b])
    recorded = ad.grad((F.relu(F.linear(x, w, b)) ** 2).sum(), [x, w, b], create_graph=True)
    for p, r in zip(plain, recorded):
        assert not p.requires_grad and r.requires_grad
        np.testing.assert_allclose(p._data, r._data, rtol=1e-12)


@pytest.mark.parametrize("create_graph", [False, True])
def test_saved_input_modified_in_place_raises_in_both_backwards(create_graph):
    x = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 1.0
    out = _Scale.apply(y)
    y.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*an input"):
        ad.grad(out.sum(), x, create_graph=create_graph)


def test_saved_output_modified_in_place_raises_even_after_the_output_is_dropped():
    x = ad.tensor(np.array([0.5, 1.0]), requires_grad=True)
    y = x.exp()                      # saves its output
    z = y + 1.0                      # (Add saves nothing)
    y.mul_(2.0)
    del y                            # the weak reference alone would now see nothing
    with pytest.raises(RuntimeError, match="output 0 of ExpBackward0"):
        z.sum().backward()


def test_saved_record_check_and_values():
    x = ad.tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x * 2.0
    rec = SV.Saved(SV.INPUT, y, y._version)
    node = y.grad_fn
    assert rec.tensor(node) is y and rec.array(node) is y._data
    y._version += 1
    with pytest.raises(RuntimeError, match="saved at version 0 and is now at version 1"):
        rec.check(node)
    const = SV.Saved(SV.CONST, np.array(2.5))
    const.check(node)
    assert float(const.tensor(node)._data) == 2.5 and const.array(node).shape == ()
    assert SV.Saved(SV.CONST, None).tensor(node) is None


def test_saved_output_is_rebuilt_pointing_at_its_node():
    x = ad.tensor(np.array([0.0, 1.0]), requires_grad=True)
    y = x.exp()
    entry, = y.grad_fn._saved
    assert entry.kind is SV.OUTPUT and entry.value is y._data and entry.nr == 0
    t, = y.grad_fn.saved()
    assert t is not y and t._data is y._data and t.grad_fn is y.grad_fn
    a, = y.grad_fn.saved(arrays=True)
    assert a is y._data
