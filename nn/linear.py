"""``Identity``, ``Linear``, ``Flatten``, ``Unflatten``."""
from __future__ import annotations

import math

import numpy as np

from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter


def _float_dtype(dtype):
    dt = np.dtype(np.float32 if dtype is None else dtype)
    if dt.kind != "f":
        raise TypeError(f"expected a floating point dtype, got {dt}")
    return dt


def _empty_weight_and_bias(module, weight_shape, bias_shape, dtype):
    """Register ``module.weight`` and ``module.bias`` (None when ``bias_shape`` is None) of a
    floating ``dtype``, uninitialised: ``reset_parameters`` fills them."""
    dt = _float_dtype(dtype)
    module.register_parameter("weight", Parameter(np.empty(weight_shape, dtype=dt)))
    module.register_parameter("bias", None if bias_shape is None
                              else Parameter(np.empty(bias_shape, dtype=dt)))


def _reset_weight_and_bias(weight, bias):
    """PyTorch's default for ``Linear`` and the conv layers: ``weight`` kaiming_uniform_
    (a=sqrt(5)), ``bias`` (or None) U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


class Identity(Module):
    """Returns its input unchanged (any constructor arguments are ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """``y = x @ W.T + b``: ``weight`` (out_features, in_features), ``bias`` (out_features,).

    Initialised as PyTorch: weight kaiming_uniform_(a=sqrt(5)), i.e. U(-1/sqrt(in), 1/sqrt(in)),
    bias U(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        _empty_weight_and_bias(self, (out_features, in_features),
                               (out_features,) if bias else None, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input):
        d = self.__dict__
        params = d["_parameters"]
        if (type(self) is Linear and "weight" in params and "bias" in params
                and "weight" not in d and "bias" not in d):
            # what self.weight / self.bias resolve to, without Module.__getattr__
            return F.linear(input, params["weight"], params["bias"])
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Flatten(Module):
    """Flattens dims ``start_dim..end_dim`` (default: all but the batch dim)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dim ``dim`` into ``unflattened_size``."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(dim, int):
            raise TypeError("invalid argument type for dim parameter")
        if not isinstance(unflattened_size, (tuple, list)):
            raise TypeError("unflattened_size must be tuple or list")
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        shape = list(input.shape)
        d = self.dim % len(shape)
        return input.reshape(*shape[:d], *self.unflattened_size, *shape[d + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
