"""MultiStepLR, ConstantLR, LinearLR, CosineAnnealingWarmRestarts and OneCycleLR: the same lr
(and momentum) trajectories as torch 2.13, step for step."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from autodiff import nn, optim

CASES = {
    "multistep": (lambda S, o: S.MultiStepLR(o, milestones=[2, 5, 5, 8], gamma=0.5), 12, None),
    "constant": (lambda S, o: S.ConstantLR(o, factor=0.25, total_iters=4), 8, None),
    "linear": (lambda S, o: S.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=6),
               10, None),
    "warm_restarts": (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                 eta_min=0.01), 20, None),
    "warm_restarts_fractional": (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2),
                                 12, "fractional"),
    "onecycle_sgd": (lambda S, o: S.OneCycleLR(o, max_lr=0.5, total_steps=25), 25, None),
    "onecycle_adam_linear3": (lambda S, o: S.OneCycleLR(o, max_lr=[0.01], epochs=3,
                                                        steps_per_epoch=5,
                                                        anneal_strategy="linear",
                                                        three_phase=True), 15, "adam"),
}


def _trajectory(lib_nn, lib_optim, make, steps, mode):
    model = lib_nn.Linear(2, 1)
    if mode == "adam":
        opt = lib_optim.Adam(model.parameters(), lr=0.1)
    else:
        opt = lib_optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = make(lib_optim.lr_scheduler, opt)
    out = []
    for i in range(steps):
        opt.step()
        if mode == "fractional":
            sched.step(i * 0.4)
        else:
            sched.step()
        g = opt.param_groups[0]
        out.append((g["lr"], g.get("momentum"), g.get("betas", (None,))[0]))
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_schedule_as_torch(name):
    torch = pytest.importorskip("torch")
    make, steps, mode = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _trajectory(torch.nn, torch.optim, make, steps, mode)
        ours = _trajectory(nn, optim, make, steps, mode)
    for a, b in zip(ours, theirs):
        for x, y in zip(a, b):
            assert (x is None) == (y is None)
            if x is not None:
                np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-15)


def test_implementation_switches_are_accepted():
    torch = pytest.importorskip("torch")
    kw = dict(foreach=False, fused=None, differentiable=False)
    for cls in ("SGD", "Adam", "AdamW"):
        extra = dict(kw, capturable=False) if cls != "SGD" else kw
        getattr(torch.optim, cls)(torch.nn.Linear(2, 1).parameters(), lr=0.1, **extra)
        opt = getattr(optim, cls)(nn.Linear(2, 1).parameters(), lr=0.1, **extra)
        assert opt.param_groups[0]["lr"] == 0.1
