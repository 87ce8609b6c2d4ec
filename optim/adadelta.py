"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

import numpy as np

from .optimizer import Optimizer, _check_non_negative, _decay_square_

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""Adadelta, as ``torch.optim.Adadelta``.

    Two running averages per coordinate, ``v`` of the squared gradients and ``u`` of the
    squared updates. With ``g`` the gradient, negated when ``maximize``, plus
    ``weight_decay * p`` (L2 penalty)::

        v = rho * v + (1 - rho) * g * g
        delta = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta * delta
        p = p - lr * delta

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr (float): scales delta before it is applied (default: 1.0).
        rho (float): running-average coefficient, in [0, 1] (default: 0.9).
        eps (float): added inside the square roots (default: 1e-6).
        weight_decay (float): L2 penalty (default: 0).
        maximize (bool): maximize the objective (default: False).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *,
                 maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, options):
        if not 0.0 <= options["lr"]:
            raise ValueError(f"Invalid learning rate: {options['lr']}")
        if not 0.0 <= options["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {options['rho']}")
        _check_non_negative("eps", options["eps"], "epsilon")
        _check_non_negative("weight_decay", options["weight_decay"])

    def _init_state(self, data, group):
        return {"square_avg": np.zeros_like(data), "acc_delta": np.zeros_like(data)}

    def _update(self, group):
        lr, rho, eps = group["lr"], group["rho"], group["eps"]
        for p, grad, state in self._gradients(group):
            square_avg, acc_delta = state["square_avg"], state["acc_delta"]
            std = np.sqrt(_decay_square_(square_avg, grad, rho) + eps)
            delta = np.sqrt(acc_delta + eps)
            delta /= std
            delta *= grad
            _decay_square_(acc_delta, delta, rho)
            p._data += -lr * delta
