"""Optimizers driven by the engine's own backward pass (``loss.backward()``)."""

import numpy as np
import pytest
from optim_problems import (
    logistic_loss,
    loss_and_grads,
    make_logistic,
    make_params,
    make_problem,
    set_grads,
)

import autodiff as ad
from autodiff import optim

OPTIMIZERS = [
    ("SGD", dict(lr=0.5, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("Adagrad", dict(lr=0.3, lr_decay=0.01)),
    ("Adadelta", dict(lr=10.0, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True, momentum=0.5)),
    ("Adam", dict(lr=0.1, amsgrad=True, weight_decay=0.01)),
    ("AdamW", dict(lr=0.1)),
    ("Rprop", dict(lr=0.05)),
]
IDS = [name for name, _ in OPTIMIZERS]


def _autodiff_run(name, options, steps):
    X, y, w0, b0 = make_logistic()
    Xt, yt = ad.Tensor(X), ad.Tensor(y)
    w = ad.Tensor(w0.copy(), requires_grad=True)
    b = ad.Tensor(b0.copy(), requires_grad=True)
    opt = getattr(optim, name)([w, b], **options)
    for _ in range(steps):
        opt.zero_grad()
        loss = logistic_loss(ad, Xt, yt, w, b)
        loss.backward()
        opt.step()
        yield loss.item(), w._data.copy(), b._data.copy()


@pytest.mark.torch
@pytest.mark.parametrize("name,options", OPTIMIZERS, ids=IDS)
def test_backward_driven_trajectory_matches_torch(name, options):
    """25 steps of logistic regression, each library computing its own gradients."""
    torch = pytest.importorskip("torch")
    X, y, w0, b0 = make_logistic()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    tw = torch.tensor(w0, requires_grad=True)
    tb = torch.tensor(b0, requires_grad=True)
    theirs = getattr(torch.optim, name)([tw, tb], foreach=False, **options)
    for step, (loss, w, b) in enumerate(_autodiff_run(name, options, 25)):
        theirs.zero_grad()
        their_loss = logistic_loss(torch, Xt, yt, tw, tb)
        their_loss.backward()
        theirs.step()
        assert loss == pytest.approx(their_loss.item(), rel=1e-10), step
        np.testing.assert_allclose(w, tw.detach().numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=f"{name} w, step {step}")
        np.testing.assert_allclose(b, tb.detach().numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=f"{name} b, step {step}")


@pytest.mark.parametrize("name,options", OPTIMIZERS, ids=IDS)
def test_backward_driven_training_lowers_the_loss(name, options):
    losses = [loss for loss, _, _ in _autodiff_run(name, options, 40)]
    assert losses[-1] < 0.8 * losses[0]


def test_backward_gradients_give_the_same_steps_as_the_formula():
    """Least squares through the engine equals the hand-written gradient trajectory."""
    X, Y, w0, b0 = make_problem()
    Xt, Yt = ad.Tensor(X), ad.Tensor(Y)
    w, b = make_params(w0, b0)
    w_ref, b_ref = make_params(w0, b0)
    opt = optim.Adam([w, b], lr=0.1)
    opt_ref = optim.Adam([w_ref, b_ref], lr=0.1)
    for _ in range(10):
        opt.zero_grad()
        ((Xt @ w + b - Yt) ** 2).mean().backward()
        opt.step()
        set_grads(X, Y, w_ref, b_ref)
        opt_ref.step()
    np.testing.assert_allclose(w._data, w_ref._data, rtol=1e-12)
    np.testing.assert_allclose(b._data, b_ref._data, rtol=1e-12)


def test_step_records_no_graph_and_closure_backward_works():
    X, Y, w0, b0 = make_problem()
    Xt, Yt = ad.Tensor(X), ad.Tensor(Y)
    w, b = make_params(w0, b0)
    opt = optim.SGD([w, b], lr=0.05, momentum=0.9)

    def closure():
        opt.zero_grad()
        loss = ((Xt @ w + b - Yt) ** 2).mean()
        loss.backward()
        return loss

    first = opt.step(closure).item()
    for _ in range(20):
        last = opt.step(closure).item()
    assert last < 0.5 * first
    assert first == pytest.approx(loss_and_grads(X, Y, w0, b0)[0], rel=1e-12)
    assert w.is_leaf and w.grad_fn is None and w.requires_grad
