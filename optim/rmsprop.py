"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from typing import Any

import numpy as np

from .optimizer import (Closure, Optimizer, _check_non_negative, _evaluate_closure, _grad_array,
                        _lerp_, _step_without_grad)

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop, as ``torch.optim.RMSprop``.

    With ``g`` the gradient (negated when ``maximize``)::

        g = g + weight_decay * p                       (if weight_decay != 0)
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

    @_step_without_grad
    def step(self, closure: Closure | None = None) -> Any:
        """Perform one optimization step; return the closure's loss if one is given."""
        loss = _evaluate_closure(closure)
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            weight_decay, momentum = group["weight_decay"], group["momentum"]
            centered = group["centered"]
            for p in group["params"]:
                grad = _grad_array(p)
                if grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0.0
                    state["square_avg"] = np.zeros_like(p._data)
                    if momentum > 0:
                        state["momentum_buffer"] = np.zeros_like(p._data)
                    if centered:
                        state["grad_avg"] = np.zeros_like(p._data)
                state["step"] += 1
                if group["maximize"]:
                    grad = -grad
                if weight_decay != 0:
                    grad = grad + weight_decay * p._data

                square_avg = state["square_avg"]
                square_avg *= alpha
                square_avg += (1 - alpha) * grad * grad
                if centered:
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
        return loss
