"""Schedules that multiply the lr by a factor: a function of the epoch (LambdaLR), every
``step_size`` epochs or at milestones (StepLR, MultiStepLR), every epoch (ExponentialLR), or
through a warm-up (ConstantLR, LinearLR)."""

import bisect
import collections
import types

from .scheduler import LRScheduler


class _MultiplicativeLR(LRScheduler):
    """A schedule whose step multiplies each group's current lr by ``_factor()``, the
    factor for epoch ``self.last_epoch`` (1: the lr stays as it is).  This is the chainable
    form (it composes with other changes to the lr); ``_get_closed_form_lr`` gives the lr
    at an epoch directly, for ``step(epoch)``."""

    def get_lr(self):
        self._warn_if_called_outside_step()
        factor = self._factor()
        return self._current_lrs() if factor == 1 else self._lrs_times(factor)

    def _factor(self):
        raise NotImplementedError


class LambdaLR(LRScheduler):
    """Set each group's lr to ``initial_lr * lr_lambda(epoch)``.

    Args:
        lr_lambda (callable or list of callables): epoch -> factor, one per group or one
            for all.

    ``state_dict`` stores, for each lambda that is a callable object (not a plain
    function), a copy of its ``__dict__``; plain functions are stored as None.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.optimizer = optimizer
        if not isinstance(lr_lambda, (list, tuple)):
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        else:
            if len(lr_lambda) != len(optimizer.param_groups):
                raise ValueError(
                    f"Expected {len(optimizer.param_groups)} lr_lambdas, but got "
                    f"{len(lr_lambda)}"
                )
            self.lr_lambdas = list(lr_lambda)
        super().__init__(optimizer, last_epoch)

    def state_dict(self):
        state = {key: value for key, value in self.__dict__.items()
                 if key not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else fn.__dict__.copy()
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        lr_lambdas = state_dict.pop("lr_lambdas")
        self.__dict__.update(state_dict)
        for fn, saved in zip(self.lr_lambdas, lr_lambdas):
            if saved is not None:
                fn.__dict__.update(saved)

    def get_lr(self):
        self._warn_if_called_outside_step()
        return [base_lr * fn(self.last_epoch)
                for fn, base_lr in zip(self.lr_lambdas, self.base_lrs)]


class StepLR(_MultiplicativeLR):
    """Multiply each group's lr by ``gamma`` every ``step_size`` epochs.

    Args:
        step_size (int): period of the decay, in epochs.
        gamma (float): multiplicative factor (default: 0.1).
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _factor(self):
        if self.last_epoch > 0 and self.last_epoch % self.step_size == 0:
            return self.gamma
        return 1

    def _get_closed_form_lr(self):
        return self._base_lrs_times(self.gamma ** (self.last_epoch // self.step_size))


class MultiStepLR(_MultiplicativeLR):
    """Multiply each group's lr by ``gamma`` at each epoch in ``milestones`` (as PyTorch)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = collections.Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _factor(self):
        if self.last_epoch not in self.milestones:
            return 1
        return self.gamma ** self.milestones[self.last_epoch]

    def _get_closed_form_lr(self):
        ms = sorted(self.milestones.elements())
        return self._base_lrs_times(self.gamma ** bisect.bisect_right(ms, self.last_epoch))


class ExponentialLR(_MultiplicativeLR):
    """Multiply each group's lr by ``gamma`` every epoch.

    Args:
        gamma (float): multiplicative factor.
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def _factor(self):
        return 1 if self._is_initial else self.gamma

    def _get_closed_form_lr(self):
        return self._base_lrs_times(self.gamma**self.last_epoch)


class ConstantLR(_MultiplicativeLR):
    """Each group's lr times ``factor`` until epoch ``total_iters``, then the lr itself."""

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def _factor(self):
        if self.last_epoch == 0:
            return self.factor
        return 1.0 / self.factor if self.last_epoch == self.total_iters else 1

    def _get_closed_form_lr(self):
        return self._base_lrs_times(self.factor + (self.last_epoch >= self.total_iters)
                                    * (1 - self.factor))


class LinearLR(_MultiplicativeLR):
    """The lr factor goes linearly from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs (PyTorch's recursive form, so the values equal its own)."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and "
                             "less or equal to 1.")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def _factor(self):
        if self.last_epoch == 0:
            return self.start_factor
        if self.last_epoch > self.total_iters:
            return 1
        slope = self.end_factor - self.start_factor
        return 1.0 + slope / (self.total_iters * self.start_factor
                              + (self.last_epoch - 1) * slope)

    def _get_closed_form_lr(self):
        return self._base_lrs_times(self.start_factor + (self.end_factor - self.start_factor)
                                    * min(self.total_iters, self.last_epoch) / self.total_iters)
