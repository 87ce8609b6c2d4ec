"""nn.utils: gradient clipping (values vs NumPy formulas, torch where installed),
parameters <-> vector, grad_norms."""
import math

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn
from autodiff.nn import utils


def _params_with_grads(grads):
    ps = []
    for g in grads:
        p = nn.Parameter(ad.zeros(*np.shape(g), dtype=ad.float64))
        p.grad = ad.tensor(np.array(g, dtype=np.float64))
        ps.append(p)
    return ps


GRADS = [np.array([[3.0, -4.0], [1.0, 2.0]]), np.array([12.0, -0.5, 0.25])]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_formula(norm_type, max_norm):
    ps = _params_with_grads(GRADS)
    flat = np.concatenate([g.ravel() for g in GRADS])
    total = np.max(np.abs(flat)) if norm_type == math.inf else \
        np.sum(np.abs(flat) ** norm_type) ** (1 / norm_type)
    out = utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
    assert isinstance(out, ad.Tensor) and out.ndim == 0
    assert float(out) == pytest.approx(total, rel=1e-12)
    coef = min(max_norm / (total + 1e-6), 1.0)
    for p, g in zip(ps, GRADS):
        np.testing.assert_allclose(p.grad._data, g * coef, rtol=1e-12)


def test_clip_grad_norm_nonfinite_and_empty():
    ps = _params_with_grads([np.array([1.0, np.inf])])
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(ps[0].grad._data, [1.0, np.inf])  # untouched on error
    assert float(utils.clip_grad_norm_([nn.Parameter(ad.zeros(2))], 1.0)) == 0.0
    single = _params_with_grads([np.array([3.0, 4.0])])[0]
    assert float(utils.clip_grad_norm_(single, 1.0)) == pytest.approx(5.0)
    np.testing.assert_allclose(single.grad._data, [0.6, 0.8], rtol=1e-5)


def test_clip_grad_value():
    ps = _params_with_grads(GRADS)
    utils.clip_grad_value_(ps, 1.5)
    for p, g in zip(ps, GRADS):
        np.testing.assert_array_equal(p.grad._data, np.clip(g, -1.5, 1.5))


def test_clip_grad_norm_torch_parity():
    torch = pytest.importorskip("torch")
    for norm_type in (2.0, 1.0, math.inf, 0.5):
        ps = _params_with_grads(GRADS)
        tps = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in GRADS]
        for tp, g in zip(tps, GRADS):
            tp.grad = torch.tensor(g)
        ours = utils.clip_grad_norm_(ps, 2.0, norm_type=norm_type)
        theirs = torch.nn.utils.clip_grad_norm_(tps, 2.0, norm_type=norm_type)
        assert float(ours) == pytest.approx(float(theirs), rel=1e-12)
        for p, tp in zip(ps, tps):
            np.testing.assert_allclose(p.grad._data, tp.grad.numpy(), rtol=1e-12)


def test_parameters_to_vector_and_back():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    v = utils.parameters_to_vector(m.parameters())
    assert v.shape == (3 * 2 + 2 + 2 + 1,)
    np.testing.assert_array_equal(v._data[:6], m[0].weight._data.ravel())
    w = m[0].weight
    utils.vector_to_parameters(ad.arange(11, dtype=ad.float32), m.parameters())
    assert m[0].weight is w
    np.testing.assert_array_equal(m[0].weight._data.ravel(), np.arange(6))
    np.testing.assert_array_equal(m[1].bias._data, [10])
    with pytest.raises(ValueError):
        utils.vector_to_parameters(ad.zeros(5), m.parameters())
    # differentiable
    (utils.parameters_to_vector(m.parameters()) ** 2).sum().backward()
    np.testing.assert_allclose(m[1].bias.grad._data, [20.0])


def test_grad_norms_by_name():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    m(ad.randn(4, 3)).sum().backward()
    norms = utils.grad_norms(m)
    assert list(norms) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    for name, p in m.named_parameters():
        assert norms[name] == pytest.approx(float(np.linalg.norm(p.grad._data)), rel=1e-6)
    assert norms["1.bias"] == pytest.approx(4.0)
    m.zero_grad()
    assert utils.grad_norms(m) == {}
