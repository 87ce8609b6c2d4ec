"""Losses without torch: every loss x every reduction against NumPy formulas, gradients by
ad.gradcheck (float64), double backward for the smooth ones, argument errors."""
import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

RNG = np.random.default_rng(1)
X = RNG.standard_normal((4, 3))
Y = RNG.standard_normal((4, 3))
P = 1 / (1 + np.exp(-X))
T01 = RNG.uniform(0, 1, (4, 3))
W3 = np.array([0.5, 2.0, 1.5])
CLS = np.array([2, 0, 1, 2])
REDUCTIONS = ["none", "mean", "sum"]


def _reduce(v, reduction):
    return {"none": v, "mean": v.mean(), "sum": v.sum()}[reduction]


def _t(a, grad=True):
    return ad.tensor(np.array(a, dtype=np.float64), requires_grad=grad)


def _huber(d, delta):
    return np.where(np.abs(d) < delta, 0.5 * d * d, delta * (np.abs(d) - 0.5 * delta))


def _log_softmax(x):
    m = x.max(1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(1, keepdims=True))


REFS = {
    "mse_loss": (lambda x, y, **k: (x - y) ** 2, {}),
    "l1_loss": (lambda x, y, **k: np.abs(x - y), {}),
    "huber_loss": (lambda x, y, delta=1.0: _huber(x - y, delta), {"delta": 0.6}),
    "smooth_l1_loss": (lambda x, y, beta=1.0: _huber(x - y, beta) / beta, {"beta": 0.6}),
}


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", list(REFS))
def test_regression_losses(name, reduction):
    ref, kw = REFS[name]
    for options in ({}, kw):
        x, y = _t(X), _t(Y)
        out = getattr(F, name)(x, y, reduction=reduction, **options)
        np.testing.assert_allclose(out._data, _reduce(ref(X, Y, **options), reduction),
                                   rtol=1e-12)
        assert ad.gradcheck(lambda a, b: getattr(F, name)(a, b, reduction=reduction, **options),
                            (x, y), atol=1e-7, rtol=1e-5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, W3], ids=["w0", "w"])
def test_bce(weight, reduction):
    w = 1.0 if weight is None else weight
    ref = -w * (T01 * np.log(P) + (1 - T01) * np.log(1 - P))
    p, t = _t(P), _t(T01)
    wt = None if weight is None else ad.tensor(weight)
    out = F.binary_cross_entropy(p, t, weight=wt, reduction=reduction)
    np.testing.assert_allclose(out._data, _reduce(ref, reduction), rtol=1e-12)
    assert ad.gradcheck(lambda a, b: F.binary_cross_entropy(a, b, wt, reduction=reduction),
                        (p, t), atol=1e-7, rtol=1e-5)
    np.testing.assert_allclose(nn.BCELoss(wt, reduction=reduction)(p, t)._data, out._data)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight,pos_weight", [(None, None), (W3, None), (None, W3[::-1].copy()),
                                               (W3, W3[::-1].copy())])
def test_bce_with_logits(weight, pos_weight, reduction):
    w = 1.0 if weight is None else weight
    pw = 1.0 if pos_weight is None else pos_weight
    s = 1 / (1 + np.exp(-X))
    ref = -w * (pw * T01 * np.log(s) + (1 - T01) * np.log(1 - s))
    x, t = _t(X), _t(T01)
    wt = None if weight is None else ad.tensor(weight)
    pwt = None if pos_weight is None else ad.tensor(pos_weight)

    def f(a, b):
        return F.binary_cross_entropy_with_logits(a, b, wt, reduction=reduction,
                                                  pos_weight=pwt)
    np.testing.assert_allclose(f(x, t)._data, _reduce(ref, reduction), rtol=1e-10)
    assert ad.gradcheck(f, (x, t), atol=1e-7, rtol=1e-5)
    assert ad.gradgradcheck(f, (x, t), atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight,ignore_index,smoothing", [
    (None, -100, 0.0), (W3, -100, 0.0), (None, 0, 0.0), (W3, 1, 0.2), (None, -100, 0.3)])
def test_cross_entropy_and_nll(weight, ignore_index, smoothing, reduction):
    ls = _log_softmax(X)
    w = np.ones(3) if weight is None else weight
    keep = CLS != ignore_index
    nll = -w[CLS] * ls[np.arange(4), CLS] * keep
    smooth = -(ls * w).sum(1) / 3 * keep
    per = (1 - smoothing) * nll + smoothing * smooth
    if reduction == "mean":
        ref = per.sum() / (w[CLS] * keep).sum()
    else:
        ref = _reduce(per, reduction)
    x = _t(X)
    wt = None if weight is None else ad.tensor(weight)
    out = F.cross_entropy(x, ad.tensor(CLS), weight=wt, ignore_index=ignore_index,
                          reduction=reduction, label_smoothing=smoothing)
    np.testing.assert_allclose(out._data, ref, rtol=1e-10)
    assert ad.gradcheck(lambda a: F.cross_entropy(a, ad.tensor(CLS), weight=wt,
                                                  ignore_index=ignore_index,
                                                  reduction=reduction,
                                                  label_smoothing=smoothing), (x,),
                        atol=1e-7, rtol=1e-5)
    if smoothing == 0.0:
        out = F.nll_loss(F.log_softmax(x, 1), ad.tensor(CLS), weight=wt,
                         ignore_index=ignore_index, reduction=reduction)
        np.testing.assert_allclose(out._data, ref, rtol=1e-10)
        mod = nn.NLLLoss(wt, ignore_index=ignore_index, reduction=reduction)
        np.testing.assert_allclose(mod(F.log_softmax(x, 1), ad.tensor(CLS))._data, ref,
                                   rtol=1e-10)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,margin,weight", [(1, 1.0, None), (2, 1.0, None), (1, 0.3, W3),
                                             (2, 2.0, W3)])
def test_multi_margin(p, margin, weight, reduction):
    w = np.ones(3) if weight is None else weight
    xy = X[np.arange(4), CLS][:, None]
    z = np.maximum(0, margin - xy + X) ** p * w[CLS][:, None]
    z[np.arange(4), CLS] = 0
    ref = _reduce(z.sum(1) / 3, reduction)
    x = _t(X)
    wt = None if weight is None else ad.tensor(weight)

    def f(a):
        return F.multi_margin_loss(a, ad.tensor(CLS), p=p, margin=margin, weight=wt,
                                   reduction=reduction)
    np.testing.assert_allclose(f(x)._data, ref, rtol=1e-12)
    assert ad.gradcheck(f, (x,), atol=1e-7, rtol=1e-5)
    mod = nn.MultiMarginLoss(p=p, margin=margin, weight=wt, reduction=reduction)
    np.testing.assert_allclose(mod(x, ad.tensor(CLS))._data, ref, rtol=1e-12)


def test_loss_argument_errors():
    x = ad.randn(3, 2)
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="reduction"):
        nn.L1Loss(reduction="max")
    with pytest.raises(ValueError, match=r"\(3, 1\).*\(3, 2\)"):
        F.binary_cross_entropy(F.sigmoid(x), ad.ones(3, 1))
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(x * 10, ad.ones(3, 2))
    with pytest.raises(ValueError):
        F.multi_margin_loss(x, ad.tensor([0, 1, 0]), p=3)
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(4, 2\)"):
        F.mse_loss(x, ad.randn(4, 2))
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(x, ad.randn(3, 1))
    # legacy size_average/reduce map to reduction as PyTorch
    a, b = _t(X), _t(Y)
    np.testing.assert_allclose(F.mse_loss(a, b, size_average=False)._data, ((X - Y) ** 2).sum())
    assert F.l1_loss(a, b, reduce=False).shape == (4, 3)


def test_smooth_l1_beta_zero_is_l1():
    a, b = _t(X), _t(Y)
    np.testing.assert_allclose(F.smooth_l1_loss(a, b, beta=0.0)._data, np.abs(X - Y).mean())
