"""``nn.utils.parametrizations``: ``weight_norm`` as a parametrization, as PyTorch's.

``weight_norm(module, name="weight", dim=0)``: ``weight = g * v / ||v||`` with the norm over
every dimension but ``dim`` (all of them for ``dim=None``); ``g`` and ``v`` are the parameters
``parametrizations.weight.original0`` and ``original1``, initialised so that the weight is
unchanged.
"""
from __future__ import annotations

from .. import module as _module
from .parametrize import register_parametrization

__all__ = ["weight_norm"]


def _norm_except_dim(v, dim):
    if dim is None or dim == -1:
        return v.norm()
    dims = tuple(d for d in range(v.ndim) if d != dim % v.ndim)
    return (v * v).sum(dim=dims, keepdim=True).sqrt()


class _WeightNorm(_module.Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / _norm_except_dim(weight_v, self.dim))

    def right_inverse(self, weight):
        return _norm_except_dim(weight, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Reparametrize ``module.<name>`` as ``g * v / ||v||`` (see the module docstring)."""
    return register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
