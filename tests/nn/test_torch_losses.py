"""Every loss x every reduction x its options against torch 2.13: values, input gradients and
(for float targets) target gradients, float64 rtol 1e-6; module and functional forms."""
import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional

REDUCTIONS = ["none", "mean", "sum"]
RNG = np.random.default_rng(42)
X = RNG.standard_normal((5, 4))
Y = RNG.standard_normal((5, 4))
P = 1 / (1 + np.exp(-X))                   # probabilities in (0, 1)
T01 = RNG.uniform(0, 1, (5, 4))            # soft binary targets
W4 = RNG.uniform(0.5, 2.0, 4)
CLS = np.array([0, 3, 1, 1, 2])
X3 = RNG.standard_normal((3, 4, 2))         # (N, C, d1)
CLS3 = np.array([[0, 3], [1, 1], [2, 0]])
PROBS = np.exp(Y) / np.exp(Y).sum(1, keepdims=True)


def _run(ours_fn, theirs_fn, arrays, grads):
    """Call both with float64 copies of ``arrays`` (grad where ``grads[i]``), compare value and
    gradients (upstream: ones for a scalar, a fixed random array otherwise)."""
    ours_in = [ad.tensor(a, requires_grad=g) if a.dtype.kind == "f" else ad.tensor(a)
               for a, g in zip(arrays, grads)]
    theirs_in = [torch.tensor(a, requires_grad=g) if a.dtype.kind == "f" else torch.tensor(a)
                 for a, g in zip(arrays, grads)]
    out = ours_fn(*ours_in)
    out_t = theirs_fn(*theirs_in)
    assert tuple(out.shape) == tuple(out_t.shape)
    np.testing.assert_allclose(out._data, out_t.detach().numpy(), rtol=1e-6, atol=1e-12)
    up = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(ad.tensor(up))
    out_t.backward(torch.from_numpy(up))
    for a, b, g in zip(ours_in, theirs_in, grads):
        if g:
            np.testing.assert_allclose(a.grad._data, b.grad.numpy(), rtol=1e-6, atol=1e-12)


def _t(a):
    return None if a is None else torch.tensor(a)


def _a(a):
    return None if a is None else ad.tensor(a)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kw", [("mse_loss", {}), ("l1_loss", {}),
                                     ("huber_loss", {}), ("huber_loss", {"delta": 0.4}),
                                     ("huber_loss", {"delta": 2.5}),
                                     ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.3}),
                                     ("smooth_l1_loss", {"beta": 0.0})])
def test_regression_losses(name, kw, reduction):
    _run(lambda x, y: getattr(F, name)(x, y, reduction=reduction, **kw),
         lambda x, y: getattr(TF, name)(x, y, reduction=reduction, **kw), [X, Y], [True, True])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, W4], ids=["w0", "w"])
def test_binary_cross_entropy(weight, reduction):
    _run(lambda p, t: F.binary_cross_entropy(p, t, weight=_a(weight), reduction=reduction),
         lambda p, t: TF.binary_cross_entropy(p, t, weight=_t(weight), reduction=reduction),
         [P, T01], [True, True])


def test_binary_cross_entropy_clamps_log_at_minus_100():
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-50, 0.5])
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0, 0.3])
    _run(lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
         lambda a, b: TF.binary_cross_entropy(a, b, reduction="none"), [p, t], [True, True])
    assert F.binary_cross_entropy(ad.tensor(p), ad.tensor(t), reduction="none")._data[0] == 100


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight,pos_weight", [(None, None), (W4, None), (None, W4[::-1].copy()),
                                               (W4, W4[::-1].copy())],
                         ids=["plain", "weight", "pos_weight", "both"])
def test_binary_cross_entropy_with_logits(weight, pos_weight, reduction):
    _run(lambda x, t: F.binary_cross_entropy_with_logits(
             x, t, weight=_a(weight), pos_weight=_a(pos_weight), reduction=reduction),
         lambda x, t: TF.binary_cross_entropy_with_logits(
             x, t, weight=_t(weight), pos_weight=_t(pos_weight), reduction=reduction),
         [X * 3, T01], [True, True])


CE_CASES = [
    ("plain", X, CLS, {}),
    ("weight", X, CLS, {"weight": W4}),
    ("ignore", X, np.array([0, 3, -100, 1, 2]), {}),
    ("ignore_custom_weight", X, CLS, {"ignore_index": 1, "weight": W4}),
    ("smoothing", X, CLS, {"label_smoothing": 0.2}),
    ("smoothing_weight_ignore", X, np.array([0, 3, 2, 1, 2]),
     {"label_smoothing": 0.1, "weight": W4, "ignore_index": 2}),
    ("kdim", X3, CLS3, {}),
    ("kdim_weight_smoothing", X3, CLS3, {"weight": W4, "label_smoothing": 0.3}),
    ("unbatched", X[0], np.array(2), {}),
    ("probs", X, PROBS, {}),
    ("probs_weight_smoothing", X, PROBS, {"weight": W4, "label_smoothing": 0.25}),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,x,target,kw", CE_CASES, ids=[c[0] for c in CE_CASES])
def test_cross_entropy(name, x, target, kw, reduction):
    kw_ours = {k: (_a(v) if k == "weight" else v) for k, v in kw.items()}
    kw_theirs = {k: (_t(v) if k == "weight" else v) for k, v in kw.items()}
    grads = [True, target.dtype.kind == "f"]
    _run(lambda a, t: F.cross_entropy(a, t, reduction=reduction, **kw_ours),
         lambda a, t: TF.cross_entropy(a, t, reduction=reduction, **kw_theirs), [x, target],
         grads)
    _run(lambda a, t: nn.CrossEntropyLoss(reduction=reduction, **kw_ours)(a, t),
         lambda a, t: torch.nn.CrossEntropyLoss(reduction=reduction, **kw_theirs)(a, t),
         [x, target], grads)


NLL_CASES = [("plain", X, CLS, {}), ("weight", X, CLS, {"weight": W4}),
             ("ignore_weight", X, CLS, {"weight": W4, "ignore_index": 3}),
             ("kdim", X3, CLS3, {"weight": W4}), ("unbatched", X[1], np.array(0), {})]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,x,target,kw", NLL_CASES, ids=[c[0] for c in NLL_CASES])
def test_nll_loss(name, x, target, kw, reduction):
    kw_ours = {k: (_a(v) if k == "weight" else v) for k, v in kw.items()}
    kw_theirs = {k: (_t(v) if k == "weight" else v) for k, v in kw.items()}
    _run(lambda a, t: F.nll_loss(F.log_softmax(a, 0 if a.ndim == 1 else 1), t,
                                 reduction=reduction, **kw_ours),
         lambda a, t: TF.nll_loss(TF.log_softmax(a, 0 if a.ndim == 1 else 1), t,
                                  reduction=reduction, **kw_theirs), [x, target], [True, False])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("kw", [{}, {"p": 2}, {"margin": 0.5}, {"weight": W4},
                                {"p": 2, "margin": 2.0, "weight": W4}],
                         ids=["plain", "p2", "margin", "weight", "all"])
def test_multi_margin_loss(kw, reduction):
    kw_ours = {k: (_a(v) if k == "weight" else v) for k, v in kw.items()}
    kw_theirs = {k: (_t(v) if k == "weight" else v) for k, v in kw.items()}
    _run(lambda a, t: F.multi_margin_loss(a, t, reduction=reduction, **kw_ours),
         lambda a, t: TF.multi_margin_loss(a, t, reduction=reduction, **kw_theirs), [X, CLS],
         [True, False])
    _run(lambda a, t: nn.MultiMarginLoss(reduction=reduction, **kw_ours)(a, t),
         lambda a, t: torch.nn.MultiMarginLoss(reduction=reduction, **kw_theirs)(a, t),
         [X[2], np.array(1)], [True, False])


MODULES = [
    ("MSELoss", {}, X, Y), ("L1Loss", {}, X, Y), ("HuberLoss", {"delta": 0.7}, X, Y),
    ("SmoothL1Loss", {"beta": 0.5}, X, Y), ("BCELoss", {"weight": W4}, P, T01),
    ("BCEWithLogitsLoss", {"weight": W4, "pos_weight": W4 * 2}, X, T01),
    ("NLLLoss", {"weight": W4, "ignore_index": 0}, X, CLS),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("cls,kw,x,t", MODULES, ids=[m[0] for m in MODULES])
def test_loss_modules(cls, kw, x, t, reduction):
    kw_ours = {k: (_a(v) if k in ("weight", "pos_weight") else v) for k, v in kw.items()}
    kw_theirs = {k: (_t(v) if k in ("weight", "pos_weight") else v) for k, v in kw.items()}
    ours = getattr(nn, cls)(reduction=reduction, **kw_ours)
    theirs = getattr(torch.nn, cls)(reduction=reduction, **kw_theirs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    _run(ours, theirs, [x, t], [True, t.dtype.kind == "f"])
