"""``Parameter``: a Tensor that a ``Module`` registers as trainable when assigned to it."""
from __future__ import annotations

import numpy as np

from autodiff.tensor import Tensor, _to_array


class Parameter(Tensor):
    """A leaf Tensor with ``requires_grad=True`` by default, registered by ``Module.__setattr__``.

    ``Parameter(data=None, requires_grad=True)``: a Tensor's array is shared (not copied), like
    PyTorch; other data (lists, ndarrays) is converted as ``ad.tensor`` does.
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            arr = np.empty((0,), dtype=np.float32)
        elif isinstance(data, Tensor):
            arr = data._data
        else:
            arr = _to_array(data, copy=False)
        super().__init__(arr, requires_grad=False)
        self._data = arr  # share: Tensor.__init__ copies
        if requires_grad:
            self.requires_grad = True

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (Parameter, (self._data, self.requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(self._data.copy(), self.requires_grad)
        if self.grad is not None:
            p.grad = Tensor._make(self.grad._data.copy())
        memo[id(self)] = p
        return p


class Buffer(Tensor):
    """Marks a Tensor to be registered as a buffer when assigned to a Module (PyTorch's
    ``nn.Buffer``): ``self.running_mean = nn.Buffer(zeros(3))``."""

    def __init__(self, data, persistent=True):
        arr = data._data if isinstance(data, Tensor) else _to_array(data, copy=False)
        super().__init__(arr)
        self._data = arr
        self.persistent = persistent
