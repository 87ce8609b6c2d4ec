"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

import numpy as np

from .optimizer import Optimizer, _check_non_negative, _decay_square_, _lerp_

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, as ``torch.optim.RMSprop``.

    With ``g`` the gradient, negated when ``maximize``, plus ``weight_decay * p``
    (L2 penalty)::

        v = alpha * v + (1 - alpha) * g * g
        m = alpha * m + (1 - alpha) * g                (if centered)
        avg = sqrt(v - m * m) + eps   if centered, else  sqrt(v) + eps
        b = momentum * b + g / avg;  p = p - lr * b    (if momentum > 0)
        p = p - lr * g / avg                           (otherwise)

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr (float): learning rate (default: 1e-2).
        alpha (float): smoothing constant (default: 0.99).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): L2 penalty (default: 0).
        momentum (float): momentum factor (default: 0).
        centered (bool): normalise by an estimate of the gradient's variance (default: False).
        maximize (bool): maximize the objective (default: False).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, maximize=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, options):
        if not 0.0 <= options["lr"]:
            raise ValueError(f"Invalid learning rate: {options['lr']}")
        _check_non_negative("eps", options["eps"], "epsilon")
        _check_non_negative("momentum", options["momentum"])
        _check_non_negative("weight_decay", options["weight_decay"])
        _check_non_negative("alpha", options["alpha"])

    def _init_state(self, data, group):
        state = {"square_avg": np.zeros_like(data)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(data)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(data)
        return state

    def _update(self, group):
        lr, alpha, eps, momentum = group["lr"], group["alpha"], group["eps"], group["momentum"]
        for p, grad, state in self._gradients(group):
            square_avg = _decay_square_(state["square_avg"], grad, alpha)
            if group["centered"]:
                grad_avg = _lerp_(state["grad_avg"], grad, 1 - alpha)
                avg = np.sqrt(square_avg + (-1 * grad_avg) * grad_avg)
            else:
                avg = np.sqrt(square_avg)
            avg += eps

            if momentum > 0:
                buf = state["momentum_buffer"]
                buf *= momentum
                buf += grad / avg
                p._data += -lr * buf
            else:
                p._data += (-lr * grad) / avg
