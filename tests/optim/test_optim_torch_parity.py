"""Optimizer trajectories against torch.optim (2.13), step for step, in float64."""

import numpy as np
import pytest
from optim_problems import loss_and_grads, make_params, make_problem, set_grads

from autodiff import optim

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.torch

STEPS = 25
RTOL, ATOL = 1e-10, 1e-12

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.5, maximize=True)),
    ("SGD", dict()),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.5)),
    ("Adagrad", dict(lr=0.3, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.1)),
    ("Adagrad", dict(lr=0.1, eps=1e-3, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-4, weight_decay=0.1)),
    ("Adadelta", dict(maximize=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.02, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, alpha=0.3, centered=True, maximize=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.1)),
    ("Adam", dict(lr=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.1, weight_decay=0.1)),
    ("Adam", dict(lr=0.1, betas=(0.5, 0.9), eps=1e-3, maximize=True)),
    ("Adam", dict(lr=0.1, betas=(0.3, 0.99), amsgrad=True, weight_decay=0.05)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.1)),
    ("AdamW", dict(lr=0.1, weight_decay=0.5, amsgrad=True)),
    ("AdamW", dict(lr=0.05, betas=(0.3, 0.9), maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(lr=0.02, maximize=True)),
]


def _torch_params(w0, b0):
    return (torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True))


def _torch_set_grads(X, Y, tw, tb):
    _, gw, gb = loss_and_grads(X, Y, tw.detach().numpy(), tb.detach().numpy())
    tw.grad = torch.from_numpy(gw)
    tb.grad = torch.from_numpy(gb)


def _assert_close(ours, theirs, where):
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL, err_msg=where)


def _run_pair(name, options, groups=None, steps=STEPS, schedulers=None):
    """Step both libraries `steps` times; compare parameters and state after each step."""
    X, Y, w0, b0 = make_problem()
    w, b = make_params(w0, b0)
    tw, tb = _torch_params(w0, b0)
    if groups is None:
        ours = getattr(optim, name)([w, b], **options)
        theirs = getattr(torch.optim, name)([tw, tb], foreach=False, **options)
    else:
        ours = getattr(optim, name)(
            [dict(params=[w], **groups[0]), dict(params=[b], **groups[1])], **options)
        theirs = getattr(torch.optim, name)(
            [dict(params=[tw], **groups[0]), dict(params=[tb], **groups[1])],
            foreach=False, **options)
    if schedulers is not None:
        our_sched, their_sched = schedulers(optim, ours), schedulers(torch.optim, theirs)
    for step in range(steps):
        set_grads(X, Y, w, b)
        _torch_set_grads(X, Y, tw, tb)
        ours.step()
        theirs.step()
        if schedulers is not None:
            our_sched.step()
            their_sched.step()
            assert our_sched.get_last_lr() == their_sched.get_last_lr()
        _assert_close(w._data, tw.detach().numpy(), f"{name} {options} w, step {step}")
        _assert_close(b._data, tb.detach().numpy(), f"{name} {options} b, step {step}")
    # the optimizer state also matches, key for key
    our_state = ours.state_dict()["state"]
    their_state = theirs.state_dict()["state"]
    assert sorted(our_state) == sorted(their_state)
    for index, values in their_state.items():
        assert sorted(our_state[index]) == sorted(values)
        for key, value in values.items():
            value = value.numpy() if isinstance(value, torch.Tensor) else value
            _assert_close(np.asarray(our_state[index][key]), np.asarray(value),
                          f"{name} state {index}/{key}")
    return w, b, tw, tb


@pytest.mark.parametrize("name,options", CASES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_trajectory_matches_torch(name, options):
    w, b, _, _ = _run_pair(name, options)
    assert not np.allclose(w._data, make_problem()[2])  # the parameters did move


@pytest.mark.parametrize("name,options,groups", [
    ("SGD", dict(lr=0.05), [dict(momentum=0.9), dict(lr=0.2, nesterov=True, momentum=0.5)]),
    ("Adam", dict(lr=0.1), [dict(amsgrad=True), dict(lr=0.01, betas=(0.8, 0.99))]),
    ("RMSprop", dict(), [dict(centered=True), dict(momentum=0.9, lr=0.001)]),
    ("Adagrad", dict(lr=0.2), [dict(lr_decay=0.1), dict(weight_decay=0.3)]),
])
def test_param_groups_match_torch(name, options, groups):
    _run_pair(name, options, groups=groups)


@pytest.mark.parametrize("make_scheduler", [
    lambda lib, opt: lib.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5),
    lambda lib, opt: lib.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=1e-3),
    lambda lib, opt: lib.lr_scheduler.ExponentialLR(opt, gamma=0.9),
], ids=["StepLR", "CosineAnnealingLR", "ExponentialLR"])
def test_optimizer_with_scheduler_matches_torch(make_scheduler):
    _run_pair("Adam", dict(lr=0.1), schedulers=make_scheduler)
    _run_pair("SGD", dict(lr=0.05, momentum=0.9), schedulers=make_scheduler)


def test_closure_steps_match_torch():
    """step(closure) re-evaluates the loss and returns it, for both libraries."""
    X, Y, w0, b0 = make_problem()
    w, b = make_params(w0, b0)
    tw, tb = _torch_params(w0, b0)
    ours = optim.SGD([w, b], lr=0.05, momentum=0.9)
    theirs = torch.optim.SGD([tw, tb], lr=0.05, momentum=0.9, foreach=False)
    for _ in range(5):
        our_loss = ours.step(lambda: set_grads(X, Y, w, b))

        def closure():
            _torch_set_grads(X, Y, tw, tb)
            return loss_and_grads(X, Y, tw.detach().numpy(), tb.detach().numpy())[0]

        assert our_loss == pytest.approx(theirs.step(closure), rel=1e-12)
    _assert_close(w._data, tw.detach().numpy(), "closure")


@pytest.mark.parametrize("name,options", CASES,
                         ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_float32_trajectory_close_to_torch(name, options):
    """float32 parameters stay float32 and follow torch to float32 round-off."""
    X, Y, w0, b0 = (a.astype(np.float32) for a in make_problem())
    w, b = make_params(w0, b0)
    tw, tb = _torch_params(w0, b0)
    ours = getattr(optim, name)([w, b], **options)
    theirs = getattr(torch.optim, name)([tw, tb], foreach=False, **options)
    for _ in range(STEPS):
        set_grads(X, Y, w, b)
        _torch_set_grads(X, Y, tw, tb)
        ours.step()
        theirs.step()
    assert w._data.dtype == np.float32 and b._data.dtype == np.float32
    for state in ours.state.values():
        for key, value in state.items():
            if isinstance(value, np.ndarray):
                assert value.dtype == np.float32, key
    np.testing.assert_allclose(w._data, tw.detach().numpy(), rtol=1e-4, atol=2e-5)
    np.testing.assert_allclose(b._data, tb.detach().numpy(), rtol=1e-4, atol=2e-5)
