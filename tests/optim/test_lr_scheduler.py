"""Learning-rate schedulers: sequences against torch (exact), closed forms, state_dict."""

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff import optim
from autodiff.optim.lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    ReduceLROnPlateau,
    StepLR,
)

EPOCHS = 30

# a metric that improves, stalls, improves by less than the threshold, then worsens
METRICS = [1.0, 0.9, 0.8, 0.8, 0.8, 0.79999, 0.8, 0.7, 0.71, 0.72, 0.73, 0.74, 0.6, 0.6,
           0.6, 0.6, 0.6, 0.59, 0.59, 0.59, 0.9, 0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.5, 0.5,
           0.5]


def _our_optimizer(lrs=(0.1, 0.01)):
    params = [ad.Tensor(np.zeros(2), requires_grad=True) for _ in lrs]
    return optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)], lr=0.5)


def _epochs(optimizer, scheduler, metrics=None, epochs=EPOCHS):
    """PyTorch's calling order: optimizer.step() then scheduler.step(); record lrs."""
    seen = [scheduler.get_last_lr()]
    for epoch in range(epochs):
        optimizer.step()
        if metrics is None:
            scheduler.step()
        else:
            scheduler.step(metrics[epoch])
        seen.append(list(scheduler.get_last_lr()))
        assert seen[-1] == [g["lr"] for g in optimizer.param_groups]
    return seen


SCHEDULES = {
    "StepLR": lambda lib, opt: lib.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
    "StepLR-default-gamma": lambda lib, opt: lib.lr_scheduler.StepLR(opt, 7),
    "ExponentialLR": lambda lib, opt: lib.lr_scheduler.ExponentialLR(opt, gamma=0.9),
    "CosineAnnealingLR": lambda lib, opt: lib.lr_scheduler.CosineAnnealingLR(opt, T_max=10),
    "CosineAnnealingLR-eta_min": lambda lib, opt: lib.lr_scheduler.CosineAnnealingLR(
        opt, T_max=7, eta_min=1e-3),
    "LambdaLR": lambda lib, opt: lib.lr_scheduler.LambdaLR(opt, lambda e: 0.95**e / (1 + e)),
    "LambdaLR-per-group": lambda lib, opt: lib.lr_scheduler.LambdaLR(
        opt, [lambda e: 1 / (1 + e), lambda e: min(1.0, (e + 1) / 5)]),
}

PLATEAUS = {
    "default": dict(patience=2),
    "rel-cooldown": dict(factor=0.5, patience=1, cooldown=2, threshold=0.01),
    "abs-min_lr": dict(factor=0.3, patience=0, threshold=0.05, threshold_mode="abs",
                       min_lr=[0.005, 0.002]),
    "max": dict(mode="max", factor=0.5, patience=1),
    "max-abs-eps": dict(mode="max", threshold_mode="abs", patience=0, factor=0.5, eps=0.004,
                        min_lr=0.001),
}


def _torch_optimizer(torch):
    """torch's twin of _our_optimizer: two parameter groups, lr 0.1 and 0.01."""
    return torch.optim.SGD([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr}
                            for lr in (0.1, 0.01)], lr=0.5)


def _run_against_torch(make, metrics=None):
    """Run the schedule ``make(lib.optim, optimizer)`` with ours and torch's optimizers for
    EPOCHS epochs: the same lrs each epoch, changing; returns (ours, theirs) schedulers."""
    torch = pytest.importorskip("torch")
    ours, theirs = _our_optimizer(), _torch_optimizer(torch)
    ours_sched, theirs_sched = make(optim, ours), make(torch.optim, theirs)
    ours_seen = _epochs(ours, ours_sched, metrics)
    assert ours_seen == _epochs(theirs, theirs_sched, metrics)
    assert len(set(map(tuple, ours_seen))) > 2  # the schedule did change the lr
    return ours_sched, theirs_sched


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedule_matches_torch_exactly(name):
    _run_against_torch(SCHEDULES[name])


@pytest.mark.torch
@pytest.mark.parametrize("name", sorted(PLATEAUS))
def test_reduce_on_plateau_matches_torch_exactly(name):
    options = PLATEAUS[name]
    metrics = METRICS if options.get("mode") != "max" else [-m for m in METRICS]
    ours_sched, theirs_sched = _run_against_torch(
        lambda lib, opt: lib.lr_scheduler.ReduceLROnPlateau(opt, **options), metrics)
    for key in ("best", "num_bad_epochs", "cooldown_counter", "last_epoch"):
        assert getattr(ours_sched, key) == getattr(theirs_sched, key), key


def test_step_lr_sequence():
    opt = _our_optimizer((1.0,))
    seen = _epochs(opt, StepLR(opt, step_size=3, gamma=0.5), epochs=9)
    assert [lr for (lr,) in seen] == [1.0] * 3 + [0.5] * 3 + [0.25] * 3 + [0.125]


def test_exponential_lr_sequence():
    opt = _our_optimizer((0.2,))
    seen = _epochs(opt, ExponentialLR(opt, gamma=0.5), epochs=4)
    assert [lr for (lr,) in seen] == [0.2, 0.1, 0.05, 0.025, 0.0125]


def test_cosine_annealing_recursive_form_follows_closed_form():
    T_max, eta_min, base = 10, 0.01, 0.1
    opt = _our_optimizer((base,))
    seen = _epochs(opt, CosineAnnealingLR(opt, T_max=T_max, eta_min=eta_min), epochs=25)
    for epoch, (lr,) in enumerate(seen):
        closed = eta_min + (base - eta_min) * (1 + math.cos(math.pi * epoch / T_max)) / 2
        assert lr == pytest.approx(closed, rel=1e-12, abs=1e-15), epoch
    assert seen[T_max][0] == pytest.approx(eta_min, rel=1e-12)
    assert seen[2 * T_max][0] == pytest.approx(base, rel=1e-12)  # back up after 2 * T_max


def test_lambda_lr_sequence_and_per_group_lambdas():
    opt = _our_optimizer((0.1, 1.0))
    seen = _epochs(opt, LambdaLR(opt, [lambda e: 1 / (e + 1), lambda e: 2.0**-e]), epochs=3)
    assert seen == [[0.1, 1.0], [0.05, 0.5], [0.1 / 3, 0.25], [0.025, 0.125]]
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        LambdaLR(opt, [lambda e: 1.0])


def test_reduce_on_plateau_by_hand():
    opt = _our_optimizer((1.0,))
    sched = ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1, min_lr=0.2)
    lrs = []
    for metric in [5, 4, 4, 4, 4, 4, 4, 4, 4, 4]:
        sched.step(metric)
        lrs.append(sched.get_last_lr()[0])
    # 2 bad epochs -> halve; a cooldown epoch; 2 more bad epochs -> halve; floor at 0.2
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2]
    assert sched.last_epoch == 10


def test_initial_lr_and_base_lrs():
    opt = _our_optimizer((0.1, 0.01))
    sched = StepLR(opt, step_size=2)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert sched.base_lrs == [0.1, 0.01] and sched.last_epoch == 0
    _epochs(opt, sched, epochs=4)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert sched.last_epoch == 4


def test_resuming_needs_initial_lr():
    opt = _our_optimizer()
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(opt, step_size=2, last_epoch=3)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_scheduler_state_dict_round_trip(name):
    opt = _our_optimizer()
    sched = SCHEDULES[name](optim, opt)
    _epochs(opt, sched, epochs=7)
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    assert "optimizer" not in saved_sched

    opt2 = _our_optimizer()
    opt2.load_state_dict(saved_opt)
    sched2 = SCHEDULES[name](optim, opt2)
    sched2.load_state_dict(saved_sched)
    assert sched2.last_epoch == 7 and sched2.get_last_lr() == sched.get_last_lr()
    assert _epochs(opt2, sched2, epochs=10)[1:] == _epochs(opt, sched, epochs=10)[1:]


def test_reduce_on_plateau_state_dict_round_trip():
    opt = _our_optimizer()
    sched = ReduceLROnPlateau(opt, patience=1, cooldown=1)
    _epochs(opt, sched, METRICS[:10], epochs=10)
    saved = sched.state_dict()
    opt2 = _our_optimizer()
    opt2.load_state_dict(opt.state_dict())
    sched2 = ReduceLROnPlateau(opt2)
    sched2.load_state_dict(saved)
    assert sched2.patience == 1 and sched2.best == sched.best
    rest = METRICS[10:]
    assert _epochs(opt2, sched2, rest, len(rest)) == _epochs(opt, sched, rest, len(rest))


def test_scheduler_warnings_and_errors():
    opt = _our_optimizer()
    sched = StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(6)
    assert sched.get_last_lr() == [0.1 * 0.1**3, 0.01 * 0.1**3]  # closed form at epoch 6
    with pytest.raises(TypeError, match="is not an Optimizer"):
        StepLR(object(), step_size=2)
    with pytest.raises(TypeError, match="is not an Optimizer"):
        ReduceLROnPlateau(object())
    with pytest.raises(ValueError, match="Factor should be < 1.0"):
        ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode average is unknown"):
        ReduceLROnPlateau(opt, mode="average")
    with pytest.raises(ValueError, match="threshold mode sqrt is unknown"):
        ReduceLROnPlateau(opt, threshold_mode="sqrt")
    with pytest.raises(ValueError, match="expected 2 min_lrs, got 3"):
        ReduceLROnPlateau(opt, min_lr=[0, 0, 0])


def test_reduce_on_plateau_accepts_a_scalar_tensor_metric():
    opt = _our_optimizer((1.0,))
    sched = ReduceLROnPlateau(opt, patience=0)
    sched.step(ad.Tensor(np.array(2.0)))
    sched.step(ad.Tensor(np.array(3.0)))
    assert sched.best == 2.0 and sched.get_last_lr() == [0.1]


def test_custom_optimizer_step_is_tracked_and_deepcopy_is_independent():
    import copy

    class Halver(optim.Optimizer):
        def __init__(self, params, lr=1.0):
            super().__init__(params, dict(lr=lr))

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p._data *= 0.5

    p = ad.Tensor(np.ones(2), requires_grad=True)
    opt = Halver([p])
    sched = StepLR(opt, step_size=1, gamma=0.5)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt.step()
    sched.step()
    assert opt._opt_called and sched.get_last_lr() == [0.25]

    q = ad.Tensor(np.ones(2), requires_grad=True)
    ours = optim.SGD([q], lr=0.5)
    StepLR(ours, step_size=1)
    clone = copy.deepcopy(ours)
    q_clone = clone.param_groups[0]["params"][0]
    q_clone.grad = ad.Tensor(np.ones(2))
    clone.step()
    assert np.all(q_clone._data == 0.5) and np.all(q._data == 1.0)
