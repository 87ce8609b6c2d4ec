"""SGD: stochastic gradient descent with optional momentum, Nesterov and weight decay."""

from typing import Any

import numpy as np

from autodiff.kernels import optim as _K
from autodiff.tensor import Tensor

from ._state import _ParamState
from .optimizer import Closure, Optimizer, _evaluate_closure, _grad_array, _step_without_grad

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, as ``torch.optim.SGD``.

    For each parameter with gradient ``g`` (negated when ``maximize``)::

        g = g + weight_decay * p                    (if weight_decay != 0)
        b = g                    at the first step  (if momentum != 0)
        b = momentum * b + (1 - dampening) * g     afterwards
        g = g + momentum * b     if nesterov, else  g = b
        p = p - lr * g

    The buffer starts as the first gradient (not zeros), so dampening applies from the
    second step on, as in PyTorch.

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr (float): learning rate (default: 1e-3).
        momentum (float): momentum factor (default: 0).
        dampening (float): dampening for momentum (default: 0).
        weight_decay (float): L2 penalty (default: 0).
        nesterov (bool): Nesterov momentum; needs momentum > 0 and dampening == 0.
        maximize (bool): maximize the objective instead of minimizing (default: False).
        foreach, fused, capturable, differentiable: PyTorch's implementation switches, accepted
            and ignored (one implementation here; the values are the same).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, options):
        if options["lr"] < 0.0:
            raise ValueError(f"Invalid learning rate: {options['lr']}")
        if options["momentum"] < 0.0:
            raise ValueError(f"Invalid momentum value: {options['momentum']}")
        if options["weight_decay"] < 0.0:
            raise ValueError(f"Invalid weight_decay value: {options['weight_decay']}")
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    @_step_without_grad
    def step(self, closure: Closure | None = None) -> Any:
        """Perform one optimization step; return the closure's loss if one is given."""
        loss = _evaluate_closure(closure)
        fused = _K.sgd_momentum_
        entries = self.state._entries if self.state.__class__ is _ParamState else None
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            plain = (momentum != 0 and not (dampening or nesterov or weight_decay != 0
                                            or group["maximize"]))
            for p in group["params"]:
                grad = p.grad
                if grad is None:
                    continue
                grad = grad._data if grad.__class__ is Tensor else _grad_array(p)
                if plain:  # the common case: buf = m buf + g; p -= lr buf in one pass
                    if entries is not None:  # self.state[p] without creating an entry
                        entry = entries.get(id(p))
                        buf = None if entry is None else entry[1].get("momentum_buffer")
                    else:
                        buf = self.state[p].get("momentum_buffer")
                    if buf is not None and fused(p._data, buf, grad, lr, momentum):
                        continue
                if group["maximize"]:
                    grad = -grad
                if weight_decay != 0:
                    grad = grad + weight_decay * p._data
                if momentum != 0:
                    state = self.state[p]
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = np.array(grad, copy=True)
                    elif not (dampening or nesterov) and _K.sgd_momentum_(
                            p._data, buf, grad, lr, momentum):
                        continue  # buf = m buf + g; p -= lr buf in one pass, same roundings
                    else:
                        buf *= momentum
                        if dampening:
                            buf += (1 - dampening) * grad
                        else:  # (1 - 0) * g == g exactly: skip the temporary
                            buf += grad
                    grad = grad + momentum * buf if nesterov else buf
                p._data -= lr * grad
        return loss
