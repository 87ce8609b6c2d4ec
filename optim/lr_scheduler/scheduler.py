"""LRScheduler, the base class of the schedulers, and the helpers they share.

The base class keeps ``last_epoch`` and ``base_lrs``, checks that ``optimizer.step()`` runs
before ``scheduler.step()`` (wrapping a custom optimizer's ``step`` to notice it, as PyTorch
does), and writes the values a schedule computes into the parameter groups.
"""

import functools
import math
import warnings
import weakref

from ..optimizer import Optimizer

EPOCH_DEPRECATION_WARNING = (
    "The epoch parameter in `scheduler.step()` was not necessary and is being "
    "deprecated where possible. Please use `scheduler.step()` to step the "
    "scheduler. During the deprecation, if epoch is different from None, the "
    "closed form is used instead of the new chainable form, where available."
)


def _group_values(optimizer, key):
    return [group[key] for group in optimizer.param_groups]


def _checked_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
    return optimizer


def _per_group(value, groups):
    """``value`` as a list with one entry per group (a list or tuple is taken as it is)."""
    return list(value) if isinstance(value, (list, tuple)) else [value] * len(groups)


def _cosine(base_lr, eta_min, t, period):
    """The cosine-annealed lr at ``t`` of ``period``: from ``base_lr`` (t=0) to ``eta_min``."""
    return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / period)) / 2


def _step_is_tracked(optimizer):
    step = optimizer.step
    return getattr(step, "_sets_opt_called", False) or getattr(step, "_wrapped_by_lr_sched",
                                                               False)


def _track_step_called(optimizer):
    """Make ``optimizer.step`` record that it ran, so the scheduler can warn when it is
    stepped first. The built-in optimizers do it themselves; any other ``step`` is wrapped
    on the instance, as PyTorch does."""
    if _step_is_tracked(optimizer):
        return
    step = optimizer.step
    opt_ref = weakref.ref(optimizer)
    func = getattr(step, "__func__", None)

    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        opt = opt_ref()
        opt._opt_called = True
        if func is None:  # step was already replaced by a plain callable
            return step(*args, **kwargs)
        return func.__get__(opt, opt.__class__)(*args, **kwargs)

    wrapper._wrapped_by_lr_sched = True
    optimizer.step = wrapper


class LRScheduler:
    """Base class of learning-rate schedulers.

    Subclasses implement ``get_lr()`` (the chainable form, computed from the current group
    lrs) and may implement ``_get_closed_form_lr()`` (used by the deprecated
    ``step(epoch)``).

    Args:
        optimizer (Optimizer): the optimizer whose learning rates are scheduled.
        last_epoch (int): index of the last epoch; -1 (default) starts afresh. Resuming
            with ``last_epoch >= 0`` needs ``initial_lr`` in every group.

    Attributes:
        base_lrs (list[float]): each group's ``initial_lr``.
        last_epoch (int): number of ``step()`` calls since epoch 0.
    """

    _get_lr_called_within_step = False
    _is_initial = False

    def __init__(self, optimizer, last_epoch=-1):
        self.optimizer = _checked_optimizer(optimizer)

        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        "resuming scheduler with last_epoch >= 0 (load the optimizer's "
                        "state first, or start with last_epoch=-1)"
                    )
        self.base_lrs = _group_values(optimizer, "initial_lr")
        self.last_epoch = last_epoch

        _track_step_called(optimizer)
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def state_dict(self):
        """The scheduler's attributes except the optimizer, as a dict of plain values."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore attributes saved by ``state_dict``."""
        self.__dict__.update(state_dict)

    def get_last_lr(self):
        """The learning rate of each group after the last ``step()``."""
        return self._last_lr

    def get_lr(self):
        """The chainable form of the schedule: each group's lr for ``self.last_epoch``."""
        raise NotImplementedError

    def step(self, epoch=None):
        """Advance one epoch and set each group's lr."""
        if self._step_count == 1:
            if not _step_is_tracked(self.optimizer):
                warnings.warn(
                    "Seems like `optimizer.step()` has been overridden after learning rate "
                    "scheduler initialization. Please, make sure to call `optimizer.step()` "
                    "before `lr_scheduler.step()`.",
                    UserWarning,
                    stacklevel=2,
                )
            elif not getattr(self.optimizer, "_opt_called", False):
                warnings.warn(
                    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. "
                    "Call them in the opposite order: `optimizer.step()` before "
                    "`lr_scheduler.step()`, or the first value of the learning rate "
                    "schedule is skipped.",
                    UserWarning,
                    stacklevel=2,
                )
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            self._set_lrs(self.get_lr)
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            self.last_epoch = epoch
            self._set_lrs(getattr(self, "_get_closed_form_lr", self.get_lr))

    def _set_lrs(self, compute):
        """Set each group's lr to the values ``compute()`` (``get_lr`` or the closed form)
        returns, called as from inside ``step`` (no warning), and keep them as the last."""
        self._get_lr_called_within_step = True
        try:
            values = compute()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = _group_values(self.optimizer, "lr")

    def _current_lrs(self):
        return _group_values(self.optimizer, "lr")

    def _lrs_times(self, factor):
        """Each group's current lr times ``factor``."""
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _base_lrs_times(self, factor):
        """Each group's ``initial_lr`` times ``factor`` (for the closed forms)."""
        return [base_lr * factor for base_lr in self.base_lrs]

    def _warn_if_called_outside_step(self):
        if not self._get_lr_called_within_step:
            warnings.warn(
                "To get the last learning rate computed by the scheduler, please use "
                "`get_last_lr()`.",
                UserWarning,
                stacklevel=3,
            )
