"""Adam: bias-corrected running averages of the gradient and of its square."""

import numpy as np

from .optimizer import Optimizer, _check_non_negative, _decay_square_, _lerp_

__all__ = ["Adam"]


class Adam(Optimizer):
    r"""Adam, as ``torch.optim.Adam``.

    With ``t`` the step count and ``g`` the gradient, negated when ``maximize``, plus
    ``weight_decay * p`` (L2 penalty; with ``decoupled_weight_decay``, as AdamW, the
    weights are decayed directly instead: ``p = p * (1 - lr * weight_decay)``)::

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)           (if amsgrad, then used in place of v)
        p = p - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr (float): learning rate (default: 1e-3).
        betas (tuple[float, float]): coefficients of the two running averages, each in
            [0, 1) (default: (0.9, 0.999)).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): L2 penalty (default: 0).
        amsgrad (bool): use the running maximum of ``v`` (default: False).
        maximize (bool): maximize the objective (default: False).
        foreach, fused, capturable, differentiable: PyTorch's implementation switches, accepted
            and ignored (one implementation here; the values are the same).
        decoupled_weight_decay (bool): decay the weights directly, as AdamW (default: False).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False, foreach=None,
                 capturable=False, differentiable=False, fused=None):
        defaults = dict(lr=lr, betas=_pair(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, options):
        if not 0.0 <= options["lr"]:
            raise ValueError(f"Invalid learning rate: {options['lr']}")
        _check_non_negative("eps", options["eps"], "epsilon")
        betas = options["betas"]
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair of floats, got {betas!r}")
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        _check_non_negative("weight_decay", options["weight_decay"])

    def _init_state(self, data, group):
        state = {"exp_avg": np.zeros_like(data), "exp_avg_sq": np.zeros_like(data)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(data)
        return state

    def _update(self, group):
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        decoupled = weight_decay != 0 and group["decoupled_weight_decay"]
        for p, grad, state in self._gradients(group):
            if decoupled:
                p._data *= 1 - lr * weight_decay
            exp_avg = _lerp_(state["exp_avg"], grad, 1 - beta1)
            exp_avg_sq = _decay_square_(state["exp_avg_sq"], grad, beta2)

            step = state["step"]
            step_size = lr / (1 - beta1**step)
            bias_correction2_sqrt = (1 - beta2**step) ** 0.5

            if group["amsgrad"]:
                max_exp_avg_sq = state["max_exp_avg_sq"]
                np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
                denom = np.sqrt(max_exp_avg_sq)
            else:
                denom = np.sqrt(exp_avg_sq)
            denom /= bias_correction2_sqrt
            denom += eps
            p._data += (-step_size * exp_avg) / denom


def _pair(betas):
    return tuple(float(b) for b in betas)
