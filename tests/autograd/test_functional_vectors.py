"""``autograd.functional``: the vector ``v`` is checked the same way by vjp, jvp and vhp."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from autodiff.autograd import functional as AF


def _f(x):
    return (x * x).sum()


@pytest.mark.parametrize("fn", [AF.jvp, AF.vhp, AF.hvp])
def test_v_must_have_the_inputs_shape(fn):
    x = ad.tensor(np.arange(3.0))
    with pytest.raises(RuntimeError, match=r"v has shape \(2,\) but the input has shape \(3,\)"):
        fn(_f, x, ad.tensor(np.ones(2)))


def test_vjp_v_must_have_the_outputs_shape():
    x = ad.tensor(np.arange(3.0))
    with pytest.raises(RuntimeError, match=r"v has shape \(2,\) but the function's output"):
        AF.vjp(lambda t: t * 2, x, ad.tensor(np.ones(2)))


@pytest.mark.parametrize("fn", [AF.jvp, AF.vhp])
def test_v_may_be_omitted_for_one_single_element_input_only(fn):
    out, res = fn(_f, ad.tensor([3.0]))
    assert out.item() == 9.0
    # jvp: J v, shaped as the output (); vhp: v H, shaped as the input (1,)
    assert res.numpy().tolist() == (6.0 if fn is AF.jvp else [2.0])
    with pytest.raises(RuntimeError, match="can only be None if the input to the user-provided"):
        fn(_f, ad.tensor(np.arange(3.0)))


def test_vhp_returns_the_output_and_v_times_the_hessian():
    x = ad.tensor(np.array([1.0, 2.0]))
    out, res = AF.vhp(lambda t: (t ** 3).sum(), x, ad.tensor(np.array([1.0, -1.0])))
    assert out.item() == 9.0
    np.testing.assert_allclose(res.numpy(), [6.0, -12.0])
    assert not out.requires_grad and not res.requires_grad
