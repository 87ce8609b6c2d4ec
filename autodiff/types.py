"""Type aliases used in the public signatures (``autodiff`` ships ``py.typed``).

    from autodiff.types import TensorLike
    def scale(x: TensorLike, k: float) -> ad.Tensor: ...
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Union

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

if TYPE_CHECKING:  # pragma: no cover
    from .tensor import Tensor

Number = Union[int, float, bool]
#: what an op accepts as an operand: a Tensor, an ndarray or anything NumPy turns into one
TensorLike = Union["Tensor", np.ndarray, Number, Sequence[Any]]
#: a dimension argument: one axis, several, or None for all
Dim = Union[int, tuple[int, ...], None]
#: a shape given as separate ints or one sequence: ``zeros(2, 3)`` / ``zeros((2, 3))``
Shape = Union[int, Sequence[int]]

__all__ = ["ArrayLike", "DTypeLike", "Dim", "Number", "Shape", "TensorLike"]
