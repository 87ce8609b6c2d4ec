"""Findings of the fuzz suite's exact oracle (issue 16): each as torch 2.13 gives it.

* norm over one element per output is |x| exactly (torch's answer; we computed
  sqrt(x * x): inf for 1e300, 0 for a denormal), and the 2-norm's gradient is
  g * (x / norm) (we computed x * (g / norm): inf at a denormal, where it is g * sign(x)).
* prod(dim) of a slice with two zeros and a NaN has the products of the others as gradient
  ([nan, nan, 0]); the all-zero shortcut is torch's for prod() without a dim only.
* adaptive average pools refuse an empty non-batch dim (but for an output of 1s).
* max pools over windows entirely in the padding: -inf and a zero gradient.
"""

import numpy as np
import pytest

import autodiff as ad
import nn.functional as F


def _norm(x, **kw):
    t = ad.tensor(np.array(x, dtype=np.float64), requires_grad=True)
    out = t.norm(**kw)
    out.sum().backward()
    return out.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("p", [2, 3, 1.5, 0.5, 1, "fro"])
@pytest.mark.parametrize("value", [1e300, -1e300, 5e-324, 1e-200])
def test_norm_of_one_element_is_its_magnitude(p, value):
    for shape, dim in [((1,), None), ((1,), 0), ((2, 1), 1), ((1, 1), None)]:
        out, _ = _norm(np.full(shape, value), p=p, dim=dim)
        assert np.all(out == abs(value)), (p, value, shape, dim, out)


def test_two_norm_gradient_at_a_denormal_is_the_sign():
    for x in [np.array(5e-324), np.array([5e-324]), np.array([-1e-310])]:
        _, g = _norm(x)
        np.testing.assert_array_equal(g, np.sign(x))


def test_two_norm_of_two_huge_elements_still_overflows_as_torch():
    out, _ = _norm(np.array([1e300, 1e300]))
    assert out == np.inf


def test_norm_edge_cases_match_torch():
    torch = pytest.importorskip("torch")
    cases = [
        (np.array([1e300]), 2, None),
        (np.array([[5e-324], [2.0]]), 2, 1),
        (np.array([-1e300]), 3, 0),
        (np.array([5e-324]), 1.5, None),
        (np.array([1e300, 1.0]), 2, None),
        (np.array([1e-310, 3.0]), 2, 0),
    ]
    for x, p, dim in cases:
        out, g = _norm(x, p=p, dim=dim)
        t = torch.tensor(x, requires_grad=True)
        tout = torch.linalg.vector_norm(t, p, dim)
        tout.sum().backward()
        np.testing.assert_array_equal(
            out, tout.detach().numpy(), err_msg=f"{x} {p} {dim}"
        )
        np.testing.assert_allclose(
            g, t.grad.numpy(), rtol=1e-15, err_msg=f"{x} {p} {dim}"
        )


def test_prod_with_a_dim_keeps_the_products_of_the_others():
    x = ad.tensor(np.array([0.0, 0.0, np.nan]), requires_grad=True)
    x.prod(-1).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [np.nan, np.nan, 0.0])
    y = ad.tensor(np.array([0.0, 0.0, np.nan]), requires_grad=True)
    y.prod().backward()  # no dim: torch's shortcut, every gradient 0
    np.testing.assert_array_equal(y.grad.numpy(), [0.0, 0.0, 0.0])


def test_prod_zeros_match_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[0.0, 0.0, np.nan], [0.0, 2.0, 0.0], [1.0, 0.0, np.inf]])
    for dim in [None, 0, 1, -1]:
        a = ad.tensor(x, requires_grad=True)
        t = torch.tensor(x, requires_grad=True)
        (a.prod() if dim is None else a.prod(dim)).sum().backward()
        (t.prod() if dim is None else t.prod(dim)).sum().backward()
        np.testing.assert_array_equal(a.grad.numpy(), t.grad.numpy(), err_msg=str(dim))


@pytest.mark.parametrize(
    "fn, shape, size",
    [
        (F.adaptive_avg_pool1d, (0, 1, 0), 2),
        (F.adaptive_avg_pool1d, (2, 1, 0), 2),
        (F.adaptive_avg_pool1d, (1, 0), 2),
        (F.adaptive_avg_pool2d, (1, 1, 3, 0), (1, 2)),
        (F.adaptive_avg_pool2d, (0, 1, 0, 0), (1, 2)),
    ],
)
def test_adaptive_pool_of_an_empty_dim_is_an_error(fn, shape, size):
    with pytest.raises(ValueError, match="adaptive_avg_pool"):
        fn(ad.zeros(*shape), size)


def test_adaptive_pool_empty_cases_torch_accepts():
    torch = pytest.importorskip("torch")
    for fn, tfn, shape, size in [
        (F.adaptive_avg_pool1d, torch.nn.functional.adaptive_avg_pool1d, (0, 2), 2),
        (
            F.adaptive_avg_pool2d,
            torch.nn.functional.adaptive_avg_pool2d,
            (0, 3, 2, 2),
            1,
        ),
        (F.adaptive_avg_pool1d, torch.nn.functional.adaptive_avg_pool1d, (2, 3, 0), 1),
    ]:
        ours = fn(ad.zeros(*shape), size).detach().numpy()
        theirs = tfn(torch.zeros(*shape), size).numpy()
        assert ours.shape == theirs.shape
        np.testing.assert_array_equal(ours, theirs)


def test_max_pool_windows_entirely_in_the_padding():
    """-inf out and a zero gradient (torch 2.13 gives the same values, but its backward
    writes outside its buffer for these windows: the kernel fuzz then checks against its
    forward indices, tests/fuzz/test_fuzz_kernels.py)."""
    for shape, k, p, d, s in [((1, 1, 2, 2), 2, 1, 3, None), ((1, 1, 1, 3), 2, 1, 2, 1)]:
        x = ad.tensor(np.random.default_rng(0).standard_normal(shape), requires_grad=True)
        out = F.max_pool2d(x, k, s, p, d)
        out.sum().backward()
        assert np.all(out.detach().numpy() == -np.inf)
        np.testing.assert_array_equal(x.grad.numpy(), np.zeros(shape))


def test_nll_loss_ignored_rows_are_zero_even_at_nan():
    torch = pytest.importorskip("torch")
    x = np.array([[np.nan, 1.0, np.inf], [0.5, 0.2, -1.0]])
    t = np.array([0, 1])
    for red in ["sum", "none", "mean"]:
        ours = F.nll_loss(ad.tensor(x), ad.tensor(t), ignore_index=0, reduction=red)
        theirs = torch.nn.functional.nll_loss(
            torch.tensor(x), torch.tensor(t), ignore_index=0, reduction=red
        )
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.numpy(), err_msg=red)


def test_norm_gradient_at_nan_uses_torch_sign():
    torch = pytest.importorskip("torch")
    x = np.array([1.0, np.nan, -2.0])
    for p in [1, 3, float("inf"), 2]:
        a = ad.tensor(x, requires_grad=True)
        a.norm(p).backward()
        t = torch.tensor(x, requires_grad=True)
        torch.linalg.vector_norm(t, p).backward()
        np.testing.assert_array_equal(a.grad.numpy(), t.grad.numpy(), err_msg=str(p))
