"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

import numpy as np

from .optimizer import Optimizer, _check_non_negative

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad, as ``torch.optim.Adagrad``.

    With ``t`` the step count and ``g`` the gradient, negated when ``maximize``, plus
    ``weight_decay * p`` (L2 penalty)::

        clr = lr / (1 + (t - 1) * lr_decay)
        sum = sum + g * g
        p = p - clr * g / (sqrt(sum) + eps)

    ``sum`` starts at ``initial_accumulator_value``. State is created in the constructor,
    as in PyTorch. (PyTorch fills every group's ``sum`` with the constructor's value;
    here a group's own ``initial_accumulator_value`` is used when it sets one.)

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr (float): learning rate (default: 1e-2).
        lr_decay (float): learning-rate decay (default: 0).
        weight_decay (float): L2 penalty (default: 0).
        initial_accumulator_value (float): starting value of the sum (default: 0).
        eps (float): added to the denominator (default: 1e-10).
        maximize (bool): maximize the objective (default: False).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, *, maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value,
                        maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self._state_of(p, group)

    def _check_hyperparameters(self, options):
        if not 0.0 <= options["lr"]:
            raise ValueError(f"Invalid learning rate: {options['lr']}")
        _check_non_negative("lr_decay", options["lr_decay"])
        _check_non_negative("weight_decay", options["weight_decay"])
        _check_non_negative("initial_accumulator_value", options["initial_accumulator_value"])
        _check_non_negative("eps", options["eps"], "epsilon")

    def _init_state(self, data, group):
        return {"sum": np.full_like(data, group["initial_accumulator_value"])}

    def _update(self, group):
        lr, lr_decay, eps = group["lr"], group["lr_decay"], group["eps"]
        for p, grad, state in self._gradients(group):
            clr = lr / (1 + (state["step"] - 1) * lr_decay)
            state_sum = state["sum"]
            state_sum += grad * grad
            std = np.sqrt(state_sum)
            std += eps
            p._data += (-clr * grad) / std
