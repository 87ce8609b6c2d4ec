"""Device and layout predicates (all False but is_cpu) and ``format()`` of tensors, against
torch 2.13."""
from __future__ import annotations

import pytest

import autodiff as ad

PREDICATES = ["is_cuda", "is_xpu", "is_mps", "is_meta", "is_sparse", "is_sparse_csr",
              "is_quantized", "is_mkldnn", "is_vulkan", "is_ipu", "is_xla", "is_hpu",
              "is_mtia", "is_maia", "is_nested", "is_cpu"]


def test_predicates_match_torch():
    torch = pytest.importorskip("torch")
    t, tt = ad.ones(2, 3), torch.ones(2, 3)
    for name in PREDICATES:
        if hasattr(tt, name):
            assert getattr(t, name) is getattr(tt, name), name
    assert t.is_cpu and not t.is_cuda and not t.is_xpu
    assert t.device.type == tt.device.type == "cpu"
    for method in ("is_complex", "is_signed", "is_inference", "is_conj", "is_neg",
                   "is_floating_point"):
        for dtype in ("float32", "int64", "bool"):
            a = ad.ones(2, dtype=getattr(ad, dtype))
            b = torch.ones(2, dtype=getattr(torch, dtype))
            assert getattr(a, method)() == getattr(b, method)(), (method, dtype)


@pytest.mark.parametrize("spec", ["{:+.2f}", "{:.4f}", "{:8.3e}", "{}", "{:>10}", "{:d}"])
@pytest.mark.parametrize("value,dtype", [(1.5, "float32"), (-0.123456, "float64"),
                                         (7, "int64"), (True, "bool")])
def test_format_of_0d_tensor_is_format_of_item(spec, value, dtype):
    torch = pytest.importorskip("torch")
    t = ad.tensor(value, dtype=getattr(ad, dtype))
    tt = torch.tensor(value, dtype=getattr(torch, dtype))
    try:
        expected = spec.format(tt)
    except (TypeError, ValueError) as e:
        with pytest.raises(type(e)):
            spec.format(t)
        return
    assert spec.format(t) == expected
    assert spec.format(ad.tensor([[value]], dtype=getattr(ad, dtype))[0, 0]) == expected


def test_format_of_nonscalar_tensor_as_torch():
    torch = pytest.importorskip("torch")
    # PyTorch formats only 0-d tensors with a spec; a one-element 1-d tensor raises
    with pytest.raises(TypeError):
        f"{torch.tensor([1.5]):.2f}"
    with pytest.raises(TypeError):
        f"{ad.tensor([1.5]):.2f}"
    assert f"{ad.tensor([1.5, 2.0])}" == str(ad.tensor([1.5, 2.0]))
    assert f"{ad.tensor(0.25):.3f}" == "0.250"
