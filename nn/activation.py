"""Activation modules: thin wrappers over ``nn.functional`` with PyTorch's ``extra_repr``."""
from __future__ import annotations

import numpy as np

from . import functional as F
from .module import Module
from .parameter import Parameter


class _Functional(Module):
    """A module whose ``forward(input)`` is ``function(input)``, its ``nn.functional`` form,
    named by a class keyword: ``class Tanh(_Functional, function=F.tanh)``.  Subclasses with
    options pass them in their own ``forward``."""

    def __init_subclass__(cls, function=None, **kwargs):
        super().__init_subclass__(**kwargs)
        if function is not None:
            cls._function = staticmethod(function)

    def forward(self, input):
        return self._function(input)


class _InplaceActivation(_Functional):
    """An activation whose only option is PyTorch's ``inplace``: accepted and shown by
    ``extra_repr``, but the result is always a new tensor."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class _AlongDim(_Functional):
    """A normalisation along ``dim`` (None: PyTorch's implicit choice, with a warning)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return self._function(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class ReLU(_InplaceActivation, function=F.relu):
    """max(x, 0)."""


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """x if x > 0 else alpha * (exp(x) - 1)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input):
        return F.elu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class SELU(_InplaceActivation, function=F.selu):
    """scale * (x if x > 0 else alpha * (exp(x) - 1)), the self-normalising constants."""


class GELU(Module):
    """x * Phi(x), Phi the standard normal CDF (``approximate="tanh"``: its tanh form)."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Sigmoid(_Functional, function=F.sigmoid):
    """1 / (1 + exp(-x))."""


class Tanh(_Functional, function=F.tanh):
    """tanh(x)."""


class SiLU(_InplaceActivation, function=F.silu):
    """x * sigmoid(x)."""


class LogSigmoid(_Functional, function=F.logsigmoid):
    """log(sigmoid(x))."""


class Softplus(Module):
    """log(1 + exp(beta * x)) / beta (x itself where beta * x > threshold)."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(_AlongDim, function=F.softmax):
    """exp(x) / sum(exp(x)) along ``dim``."""


class LogSoftmax(_AlongDim, function=F.log_softmax):
    """x - logsumexp(x) along ``dim``."""


class Hardtanh(Module):
    """clamp(x, min_val, max_val)."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self):
        return (f"min_val={self.min_val}, max_val={self.max_val}"
                + (", inplace=True" if self.inplace else ""))


class ReLU6(Hardtanh):
    """min(max(x, 0), 6)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Threshold(Module):
    """x if x > threshold else value."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value)

    def extra_repr(self):
        return (f"threshold={self.threshold}, value={self.value}"
                + (", inplace=True" if self.inplace else ""))


class PReLU(Module):
    """x if x > 0 else a * x with a learnable ``weight`` (num_parameters,) initialised to
    ``init``."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters = num_parameters
        self.init = init
        self.weight = Parameter(np.full((num_parameters,), init,
                                        dtype=np.dtype(dtype or np.float32)))

    def reset_parameters(self):
        self.weight._data[...] = self.init

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Softsign(_Functional, function=F.softsign):
    """x / (1 + |x|)."""


class Mish(_InplaceActivation, function=F.mish):
    """x * tanh(softplus(x))."""


class Hardsigmoid(_InplaceActivation, function=F.hardsigmoid):
    """clamp(x / 6 + 1 / 2, 0, 1)."""

    def extra_repr(self):
        return ""  # PyTorch does not show ``inplace`` here


class Hardswish(_InplaceActivation, function=F.hardswish):
    """x * hardsigmoid(x)."""

    def extra_repr(self):
        return ""  # PyTorch does not show ``inplace`` here


class Softmin(_AlongDim, function=F.softmin):
    """softmax(-x) along ``dim``."""
