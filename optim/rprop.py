"""Rprop: resilient backpropagation, per-coordinate step sizes from gradient signs."""

import numpy as np

from .optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Rprop, as ``torch.optim.Rprop``.

    Each coordinate keeps a step size ``s`` (starting at ``lr``) and the previous gradient
    ``g_prev``. With ``g`` the gradient (negated when ``maximize``)::

        s = clip(s * etaplus,  step_size_min, step_size_max)  where g * g_prev > 0
        s = clip(s * etaminus, step_size_min, step_size_max)  where g * g_prev < 0
                                                   (and g is taken as 0 there)
        p = p - sign(g) * s;   g_prev = g

    Args:
        params: iterable of Tensors or of parameter-group dicts.
        lr (float): initial step size (default: 1e-2).
        etas (tuple[float, float]): (etaminus, etaplus) with 0 < etaminus < 1 < etaplus
            (default: (0.5, 1.2)).
        step_sizes (tuple[float, float]): (min, max) step size (default: (1e-6, 50)).
        maximize (bool): maximize the objective (default: False).
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 maximize=False):
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes),
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_hyperparameters(self, options):
        if not 0.0 <= options["lr"]:
            raise ValueError(f"Invalid learning rate: {options['lr']}")
        etaminus, etaplus = options["etas"]
        if not 0.0 < etaminus < 1.0 < etaplus:
            raise ValueError(f"Invalid eta values: {etaminus}, {etaplus}")
        step_size_min, step_size_max = options["step_sizes"]
        if not 0.0 <= step_size_min <= step_size_max:
            raise ValueError(f"Invalid step_sizes values: {step_size_min}, {step_size_max}")

    def _init_state(self, data, group):
        return {"prev": np.zeros_like(data), "step_size": np.full_like(data, group["lr"])}

    def _update(self, group):
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        for p, grad, state in self._gradients(group):
            prev, step_size = state["prev"], state["step_size"]
            sign = np.sign(grad * prev)
            factor = np.where(sign > 0, etaplus, np.where(sign < 0, etaminus, 1.0))
            step_size *= factor.astype(step_size.dtype, copy=False)
            np.clip(step_size, step_size_min, step_size_max, out=step_size)

            grad = np.where(sign < 0, 0, grad)  # a new array: grad may be p.grad's own
            p._data += (-1 * np.sign(grad)) * step_size
            prev[...] = grad
