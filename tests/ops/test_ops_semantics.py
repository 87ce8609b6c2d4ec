"""Op-level semantics that the table cannot express: dtype promotion, error messages,
gradient accumulation of repeated indices, reflected operators with ndarrays, the
(values, indices) results, stability, and gradcheck/gradgradcheck themselves."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.gradcheck import GradcheckError


def f64(x, requires_grad=True):
    return ad.tensor(np.asarray(x, dtype=np.float64), requires_grad=requires_grad)


# ---------------------------------------------------------------------------------------------
# dtype promotion


@pytest.mark.parametrize("op", [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
    lambda a, b: a ** b, lambda a, b: ad.maximum(a, b), lambda a, b: ad.minimum(a, b),
    lambda a, b: a @ b.T, lambda a, b: ad.where(a > 0, a, b)])
def test_float32_with_float64_promotes_to_float64(op):
    a = ad.rand(2, 2, requires_grad=True)
    b = ad.rand(2, 2, dtype=ad.float64, requires_grad=True)
    out = op(a, b)
    assert out.dtype == np.float64
    assert op(b, a).dtype == np.float64
    out.sum().backward()
    # each gradient comes back in its own input's dtype
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_python_and_numpy_scalars_keep_the_tensor_dtype():
    a = ad.ones(3)
    for out in (a + 2.5, 2.5 * a, a / np.float64(3), a ** 2, 2.0 ** a, a - np.float64(1)):
        assert out.dtype == np.float32


def test_integer_tensors_promote_like_torch():
    i = ad.tensor([1, 2, 3])
    assert (i + 1).dtype == np.int64
    assert (i * 2.5).dtype == np.float32          # NumPy would give float64
    assert (i / i).dtype == np.float32            # true division of ints
    assert (i + ad.ones(3)).dtype == np.float32   # int with float32 stays float32
    assert (i + ad.ones(3, dtype=ad.float64)).dtype == np.float64
    assert i.exp().dtype == np.float32 and i.sqrt().dtype == np.float32
    assert i.sigmoid().dtype == np.float32
    np.testing.assert_allclose((i / i)._data, 1.0)
    assert i.sum().dtype == np.int64 and i.prod().dtype == np.int64


def test_comparisons_and_integer_ops_have_no_grad():
    x = ad.tensor([1.5, -2.0, 3.0], requires_grad=True)
    for out in (x > 0, x == 1.5, x <= 0, x != 3.0):
        assert not out.requires_grad and out.grad_fn is None
    # as PyTorch: // records a node whose backward raises; % is differentiable (issue 16)
    assert (x // 2).requires_grad and (x % 2).requires_grad
    np.testing.assert_array_equal((x // 2)._data, [0.0, -1.0, 1.0])
    np.testing.assert_array_equal((x % 2)._data, [1.5, 0.0, 1.0])
    np.testing.assert_array_equal((x > 0)._data, [True, False, True])


# ---------------------------------------------------------------------------------------------
# errors


def test_matmul_error_names_op_and_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) do not fit"):
        ad.ones(3, 4) @ ad.ones(5, 2)
    with pytest.raises(ValueError, match=r"matmul.*\(2, 3, 4\).*\(5, 4, 2\)"):
        ad.ones(2, 3, 4) @ ad.ones(5, 4, 2)
    with pytest.raises(ValueError, match=r"matmul.*\(\).*\(3,\)"):
        ad.matmul(ad.tensor(1.0), ad.ones(3))


@pytest.mark.parametrize("name,op", [
    ("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / b), ("pow", lambda a, b: a ** b),
    ("maximum", ad.maximum), ("minimum", ad.minimum)])
def test_broadcast_error_names_op_and_shapes(name, op):
    with pytest.raises(ValueError, match=rf"{name}: shapes \(2, 3\) and \(4,\)"):
        op(ad.ones(2, 3), ad.ones(4))


def test_type_errors():
    t = ad.ones(3)
    with pytest.raises(TypeError, match="add"):
        t + "a"
    with pytest.raises(TypeError, match="mul"):
        t * None
    with pytest.raises(TypeError, match="matmul"):
        ad.matmul(ad.ones(3), "abc")
    with pytest.raises(TypeError, match="gather"):
        ad.gather(ad.ones(3), 0, ad.tensor([0.5]))
    with pytest.raises(TypeError, match="cat"):
        ad.cat(ad.ones(3))
    with pytest.raises(TypeError, match="masked_fill"):
        ad.ones(3).masked_fill(ad.tensor([1, 0, 1]), 0.0)


@pytest.mark.parametrize("call,match", [
    (lambda: ad.ones(2, 3).reshape(4, 2), r"reshape.*\(4, 2\).*\(2, 3\)"),
    (lambda: ad.ones(2, 3).expand(4, 3), r"expand.*\(2, 3\).*\(4, 3\)"),
    (lambda: ad.cat([ad.ones(2, 3), ad.ones(2, 4)], 0), r"cat.*\(2, 3\).*\(2, 4\)"),
    (lambda: ad.stack([ad.ones(2), ad.ones(3)]), r"stack.*\(2,\).*\(3,\)"),
    (lambda: ad.ones(2, 3).split([1, 1], 1), r"split"),
    (lambda: ad.ones(2, 3).repeat(2), r"repeat.*\(2, 3\)"),
    (lambda: ad.pad(ad.ones(3), (1, 1, 1)), r"pad.*\(3,\)"),
    (lambda: ad.pad(ad.ones(1, 3), (3, 0), mode="reflect"), r"pad.*reflect"),
    (lambda: ad.pad(ad.ones(1, 3), (1, 0), mode="wrap"), r"pad.*mode"),
    (lambda: ad.where(ad.tensor([True, False]), ad.ones(3), 0.0), r"where"),
    (lambda: ad.ones(0).max(), r"max"),
    (lambda: ad.gather(ad.ones(2, 3), 1, ad.tensor([0, 1])), r"gather.*\(2,\).*\(2, 3\)"),
    (lambda: ad.gather(ad.ones(2, 3), 1, ad.tensor([[0], [1], [0]])), r"gather.*\(3, 1\)"),
    (lambda: ad.take_along_dim(ad.ones(2, 3), ad.tensor([[0], [1], [2]]), 1),
     r"take_along_dim.*\(2, 3\).*\(3, 1\)"),
    (lambda: ad.norm(ad.ones(3), p="nuc"), r"norm"),
])
def test_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_index_errors():
    with pytest.raises(IndexError):
        ad.ones(2, 3)[5]
    with pytest.raises(IndexError):
        ad.ones(2, 3).sum(dim=2)
    with pytest.raises(IndexError):
        ad.gather(ad.ones(2, 3), 1, ad.tensor([[0, 3]]))


# ---------------------------------------------------------------------------------------------
# indexing gradients


def test_repeated_integer_indices_accumulate():
    x = f64([1.0, 2.0, 3.0, 4.0])
    y = x[[0, 0, 2, 0, -1]]
    (y * f64([1.0, 2.0, 3.0, 4.0, 5.0], False)).sum().backward()
    np.testing.assert_array_equal(x.grad._data, [7.0, 0.0, 3.0, 5.0])


def test_repeated_index_tensor_2d_and_mixed_accumulate():
    x = f64(np.arange(12.0).reshape(3, 4))
    idx = ad.tensor([[1, 1], [2, 1]])
    x[idx].sum().backward()  # rows 1 (x3) and 2 (x1)
    np.testing.assert_array_equal(x.grad._data, [[0] * 4, [3] * 4, [1] * 4])
    x.grad = None
    x[:, [3, 3, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad._data, [[1, 0, 0, 2]] * 3)
    x.grad = None
    x[[0, 0, 2], [1, 1, 3]].sum().backward()
    want = np.zeros((3, 4))
    want[0, 1], want[2, 3] = 2, 1
    np.testing.assert_array_equal(x.grad._data, want)


def test_boolean_mask_and_none_ellipsis_indexing():
    x = f64(np.arange(6.0).reshape(2, 3) - 2)
    m = x > 0
    y = x[m]
    np.testing.assert_array_equal(y._data, [1.0, 2.0, 3.0])
    (y * y).sum().backward()
    np.testing.assert_array_equal(x.grad._data, [[0, 0, 0], [2, 4, 6]])
    z = x[None, ..., 1]
    assert z.shape == (1, 2)
    np.testing.assert_array_equal(z._data, [[-1.0, 2.0]])


def test_scatter_add_and_gather_accumulate_repeats():
    x = f64(np.zeros((2, 3)))
    src = f64([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    idx = ad.tensor([[0, 0, 2], [1, 1, 1]])
    out = x.scatter_add(1, idx, src)
    np.testing.assert_array_equal(out._data, [[3.0, 0.0, 3.0], [0.0, 15.0, 0.0]])
    w = f64([[1.0, 10.0, 100.0], [1.0, 10.0, 100.0]], False)
    (out * w).sum().backward()
    np.testing.assert_array_equal(src.grad._data, [[1, 1, 100], [10, 10, 10]])
    np.testing.assert_array_equal(x.grad._data, w._data)
    a = f64([[1.0, 2.0], [3.0, 4.0]])
    g = a.gather(1, ad.tensor([[0, 0, 1], [1, 0, 1]]))
    np.testing.assert_array_equal(g._data, [[1, 1, 2], [4, 3, 4]])
    g.sum().backward()
    np.testing.assert_array_equal(a.grad._data, [[2, 1], [1, 2]])


def test_setitem_records_gradients():
    x = f64([1.0, 2.0, 3.0])
    v = f64([10.0])
    y = x * 2
    y[1] = v * 3
    y.sum().backward()
    np.testing.assert_array_equal(x.grad._data, [2.0, 0.0, 2.0])
    np.testing.assert_array_equal(v.grad._data, [3.0])


# ---------------------------------------------------------------------------------------------
# reflected operators with ndarrays


def test_ndarray_on_the_left_gives_tensors():
    x = f64([1.0, 2.0, 4.0])
    a = np.array([2.0, 3.0, 4.0])
    for out, want in ((a + x, a + x._data), (a - x, a - x._data), (a * x, a * x._data),
                      (a / x, a / x._data), (a ** x, a ** x._data)):
        assert isinstance(out, ad.Tensor)
        np.testing.assert_allclose(out._data, want)
    m = np.ones((2, 3))
    out = m @ x
    assert isinstance(out, ad.Tensor) and out.shape == (2,)
    (a * x + a - x).sum().backward()
    np.testing.assert_allclose(x.grad._data, a - 1)


# ---------------------------------------------------------------------------------------------
# max / min results


def test_max_dim_returns_values_and_indices():
    x = f64([[1.0, 5.0, 3.0], [7.0, 2.0, 7.0]])
    r = x.max(1)
    values, indices = r
    assert r.values is values and r.indices is indices
    np.testing.assert_array_equal(values._data, [5.0, 7.0])
    assert indices.dtype == np.int64
    np.testing.assert_array_equal(indices._data, [1, 0])
    r2 = ad.min(x, dim=0, keepdim=True)
    assert r2.values.shape == (1, 3) and r2.indices.shape == (1, 3)
    np.testing.assert_array_equal(r2.indices._data, [[0, 1, 0]])
    assert "values=" in repr(r)
    values.sum().backward()
    np.testing.assert_array_equal(x.grad._data, [[0, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(ad.max(x, x * 2)._data, (x * 2)._data)
    np.testing.assert_array_equal(x.argmax(1)._data, [1, 0])
    np.testing.assert_array_equal(ad.argmin(x)._data, 0)


# ---------------------------------------------------------------------------------------------
# numerics


def test_logsumexp_is_stable():
    x = ad.tensor([[1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4, -1e4]], requires_grad=True)
    out = x.logsumexp(1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out._data, [1e4 + np.log1p(np.exp(-1.0)),
                                          -1e4 + np.log(3.0)], rtol=1e-6)
    out.sum().backward()
    assert np.all(np.isfinite(x.grad._data))
    # float32 spacing at 1e4 is 1e-3: the softmax weights are good to about that
    np.testing.assert_allclose(x.grad._data.sum(1), [1.0, 1.0], rtol=1e-3)
    y = ad.tensor([-np.inf, 0.0], dtype=ad.float64)
    np.testing.assert_allclose(y.logsumexp(0)._data, 0.0)
    np.testing.assert_allclose(ad.logsumexp(ad.full((2,), -np.inf), 0)._data, -np.inf)


@pytest.mark.parametrize("correction", [0, 1, 2])
def test_var_std_match_numpy_ddof(correction):
    a = np.random.default_rng(0).standard_normal((4, 5))
    x = f64(a, False)
    np.testing.assert_allclose(x.var(1, correction=correction)._data,
                               a.var(1, ddof=correction))
    np.testing.assert_allclose(x.std(0, correction=correction, keepdim=True)._data,
                               a.std(0, ddof=correction, keepdims=True))
    np.testing.assert_allclose(x.var(unbiased=False)._data, a.var())
    np.testing.assert_allclose(x.std()._data, a.std(ddof=1))


def test_prod_exact_with_zeros():
    a = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 5.0], [1.5, 2.0, 4.0]])
    x = f64(a)
    out = x.prod(1)
    np.testing.assert_array_equal(out._data, [0.0, 0.0, 12.0])
    out.sum().backward()
    # one zero: only the zero's gradient is nonzero; two zeros: all gradients are zero
    np.testing.assert_array_equal(x.grad._data, [[0, 6, 0], [0, 0, 0], [8, 6, 3]])
    assert ad.gradgradcheck(lambda t: t.prod(1), (x,))
    assert ad.gradgradcheck(lambda t: t.prod(), (f64([[2.0, 0.0], [3.0, 0.5]]),))


# ---------------------------------------------------------------------------------------------
# gradcheck and gradgradcheck can fail


class WrongGrad(ad.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * x * 2.5  # should be 2 x


class DetachedGrad(ad.Function):
    """Right first derivative, computed outside the graph (not differentiable)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return ad.tensor(g._data * 3 * x._data ** 2, dtype=ad.float64)


def test_gradcheck_reports_the_worst_element():
    x = f64([[1.0, 2.0], [3.0, -1.0]])
    with pytest.raises(GradcheckError) as e:
        ad.gradcheck(WrongGrad.apply, (x,))
    msg = str(e.value)
    assert "input 0" in msg and "input index (1, 0)" in msg and "output index (1, 0)" in msg
    assert "analytic 7.5" in msg and "numeric 6.0" in msg
    assert isinstance(e.value, RuntimeError)
    assert ad.gradcheck(WrongGrad.apply, (x,), raise_exception=False) is False
    y = f64([1.0, 2.0])
    with pytest.raises(GradcheckError, match="input 1"):
        ad.gradcheck(lambda a, b: a + WrongGrad.apply(b), (f64([1.0, 1.0]), y))
    assert ad.gradcheck(lambda a: a * a, (x,))


def test_gradgradcheck_catches_a_non_differentiable_backward():
    x = f64([0.5, -1.5, 2.0])
    assert ad.gradcheck(DetachedGrad.apply, (x,))
    with pytest.raises(GradcheckError, match="second derivative.*does not require grad"):
        ad.gradgradcheck(DetachedGrad.apply, (x,))
    assert ad.gradgradcheck(DetachedGrad.apply, (x,), raise_exception=False) is False
    assert ad.gradgradcheck(lambda a: a * a * a, (x,))


def test_gradcheck_needs_an_input_requiring_grad():
    with pytest.raises(ValueError, match="require grad"):
        ad.gradcheck(lambda a: a * 2, (f64([1.0], False),))


# ---------------------------------------------------------------------------------------------
# pad on any dims (PyTorch limits the non-constant modes to 1-3 trailing dims; NumPy does not)


@pytest.mark.parametrize("mode,np_mode", [("constant", "constant"), ("reflect", "reflect"),
                                          ("replicate", "edge"), ("circular", "wrap")])
@pytest.mark.parametrize("shape,pad", [((5,), (2, 3)), ((3, 4), (1, 2, 2, 0)),
                                       ((2, 3, 4), (0, 1, 1, 1, 1, 0)), ((4,), (3, 3))])
def test_pad_matches_numpy_and_gradchecks(mode, np_mode, shape, pad):
    a = np.random.default_rng(0).standard_normal(shape)
    x = f64(a)
    widths = [(0, 0)] * len(shape)
    for i in range(len(pad) // 2):
        widths[len(shape) - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    out = ad.pad(x, pad, mode=mode)
    np.testing.assert_array_equal(out._data, np.pad(a, widths, mode=np_mode))
    assert ad.gradcheck(lambda t: ad.pad(t, pad, mode=mode), (x,))
    assert ad.gradgradcheck(lambda t: ad.pad(t, pad, mode=mode), (x,))


def test_constant_pad_value_and_crop():
    x = f64(np.arange(6.0).reshape(2, 3))
    out = ad.pad(x, (1, -1), value=9.0)
    np.testing.assert_array_equal(out._data, [[9, 0, 1], [9, 3, 4]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad._data, [[1, 1, 0], [1, 1, 0]])


def test_fast_mode_passes_and_fails_like_full_mode():
    x = f64(np.random.default_rng(0).standard_normal((6, 5)))
    assert ad.gradcheck(lambda t: (t @ t.T).tanh(), (x,), fast_mode=True)
    assert ad.gradgradcheck(lambda t: (t @ t.T).tanh(), (x,), fast_mode=True)
    with pytest.raises(GradcheckError, match="input 0 .fast mode"):
        ad.gradcheck(WrongGrad.apply, (x,), fast_mode=True)
    with pytest.raises(GradcheckError, match="does not require grad"):
        ad.gradgradcheck(DetachedGrad.apply, (x,), fast_mode=True)


# ---------------------------------------------------------------------------------------------
# views share the version counter of their base


def test_inplace_through_a_view_invalidates_the_saved_base():
    b = ad.tensor([1.0, 2.0, 3.0])
    w = f64([1.0, 1.0, 1.0])
    z = (b * w).sum()          # Mul saved b for w's gradient
    b[0:2].mul_(3)             # writes b's memory through a view
    np.testing.assert_array_equal(b._data, [3.0, 6.0, 3.0])
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_inplace_on_the_base_invalidates_a_saved_view():
    c = ad.tensor([1.0, 2.0, 3.0])
    v = c.reshape(3, 1).transpose(0, 1)
    w = f64([[1.0, 1.0, 1.0]])
    z = (v * w).sum()
    c.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()
    d = c.detach()
    d.add_(1.0)                # detach shares memory and the version counter
    assert c._version == d._version == 2


def test_inplace_on_views_of_tensors_that_require_grad():
    x = f64([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        x[0].add_(1.0)
    with ad.no_grad():
        x[0].add_(1.0)         # allowed without grad, and writes through the 0-d view
    np.testing.assert_array_equal(x.detach().numpy(), [2.0, 2.0, 3.0])
    h = x * 2
    h[1:].mul_(2.0)            # recorded on the base, as PyTorch's CopySlices
    h[1] = x[0] * 10           # index assignment on the base is recorded
    h.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [12.0, 0.0, 4.0])


def test_writing_a_grad_value_into_a_view_is_recorded_on_the_base():
    b = ad.zeros(3, dtype=ad.float64)
    w = f64([2.0])
    b[0:2][0] = w[0]
    assert b.requires_grad
    (b * 3).sum().backward()
    np.testing.assert_array_equal(w.grad.detach().numpy(), [3.0])


def test_element_indexing_gives_a_writable_0d_view():
    y = ad.zeros(2, 3)
    y[1, 2].fill_(5.0)
    y[0][1] = 7.0
    np.testing.assert_array_equal(y._data, [[0, 7, 0], [0, 0, 5]])
    assert y[1, 2].shape == ()
