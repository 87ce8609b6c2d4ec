"""AdamW: Adam with decoupled weight decay."""

from .adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""AdamW, as ``torch.optim.AdamW``: Adam whose weight decay shrinks the weights
    directly (``p = p * (1 - lr * weight_decay)`` before the Adam update) instead of being
    added to the gradient, so it does not pass through the running averages.

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr (float): learning rate (default: 1e-3).
        betas (tuple[float, float]): running-average coefficients (default: (0.9, 0.999)).
        eps (float): added to the denominator (default: 1e-8).
        weight_decay (float): decoupled weight decay coefficient (default: 1e-2).
        amsgrad (bool): use the running maximum of the second moment (default: False).
        maximize (bool): maximize the objective (default: False).
        foreach, fused, capturable, differentiable: PyTorch's implementation switches, accepted
            and ignored (one implementation here; the values are the same).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
