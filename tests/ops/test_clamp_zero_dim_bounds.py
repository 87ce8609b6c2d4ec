"""clamp follows PyTorch's promotion: a 0-d bound (or a 0-d input against a dimensioned bound)
of the same or a lower category does not promote the result; an integer tensor with a float
number bound gives float32."""
import numpy as np
import pytest

import autodiff as ad

# (input dtype, input shape, bound dtype, bound shape, which bounds, result dtype as torch 2.13)
CASES = [
    ("float32", (3,), "float64", (), "min", "float32"),
    ("float32", (3,), "float64", (), "max", "float32"),
    ("float32", (3,), "float64", (), "both", "float32"),
    ("float64", (), "float32", (3,), "min", "float32"),
    ("float32", (3,), "float64", (3,), "min", "float64"),
    ("int32", (3,), "int64", (), "min", "int32"),
    ("int64", (3,), "float64", (), "min", "float64"),
]


def _clamp(lib, x, lo, hi, which):
    return lib.clamp(x, lo if which != "max" else None, hi if which != "min" else None)


@pytest.mark.parametrize("xdt,xshape,bdt,bshape,which,expected", CASES)
def test_clamp_tensor_bound_dtype_and_values(xdt, xshape, bdt, bshape, which, expected):
    xv = np.resize(np.array([1.0, 4.0, 9.0]), xshape).astype(xdt)
    lov = np.resize(np.array([2.5, 2.0, 3.0]), bshape).astype(bdt)
    hiv = np.resize(np.array([6.5, 7.0, 8.0]), bshape).astype(bdt)
    out = _clamp(ad, ad.tensor(xv), ad.tensor(lov), ad.tensor(hiv), which)
    assert out.dtype == np.dtype(expected)
    lo = lov if which != "max" else None
    hi = hiv if which != "min" else None
    ref = np.clip(xv.astype(np.float64), lo, hi).astype(expected)
    np.testing.assert_array_equal(out._data, ref)


def test_clamp_zero_dim_float64_bound_matches_torch_with_grads():
    torch = pytest.importorskip("torch")
    xv = np.array([0.1, 0.4, 0.9], np.float32)
    x = ad.tensor(xv, requires_grad=True)
    lo = ad.tensor(0.2, dtype=ad.float64, requires_grad=True)
    hi = ad.tensor(0.6, dtype=ad.float64, requires_grad=True)
    out = ad.clamp(x, lo, hi)
    (out * ad.tensor([1.0, 2.0, 3.0])).sum().backward()

    tx = torch.tensor(xv, requires_grad=True)
    tlo = torch.tensor(0.2, dtype=torch.float64, requires_grad=True)
    thi = torch.tensor(0.6, dtype=torch.float64, requires_grad=True)
    tout = torch.clamp(tx, tlo, thi)
    (tout * torch.tensor([1.0, 2.0, 3.0])).sum().backward()

    assert str(out.dtype).split(".")[-1] == str(tout.dtype).split(".")[-1] == "float32"
    np.testing.assert_array_equal(out._data, tout.detach().numpy())
    for ours, theirs in ((x, tx), (lo, tlo), (hi, thi)):
        assert ours.grad._data.dtype == np.dtype(str(theirs.grad.dtype).split(".")[-1])
        np.testing.assert_array_equal(ours.grad._data, theirs.grad.numpy())


@pytest.mark.parametrize("xdt,lo,hi,expected", [
    ("int64", 2.5, None, "float32"), ("int32", 2, 7, "int32"), ("int64", None, 7.5, "float32"),
    ("float32", 2, None, "float32"), ("float64", 2.5, None, "float64")])
def test_clamp_number_bound_dtype(xdt, lo, hi, expected):
    xv = np.array([1, 5, 9], dtype=xdt)
    out = ad.clamp(ad.tensor(xv), lo, hi)
    assert out.dtype == np.dtype(expected)
    ref = np.clip(xv.astype(np.float64), lo, hi).astype(expected)
    np.testing.assert_array_equal(out._data, ref)
