"""Tensor methods of the shape ops: views and reshapes, joins and splits, rearranging copies."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..ops.shape import joins, rearrange, views
from ..types import Shape

if TYPE_CHECKING:
    from ..tensor import Tensor


class ShapeMethods:
    """Mixin of ``Tensor`` (no state of its own)."""

    __slots__ = ()

    def reshape(self, *shape: Shape) -> Tensor:
        return views.reshape(self, *shape)


    def view(self, *shape: Shape) -> Tensor:
        if len(shape) == 1 and not isinstance(shape[0], (int, np.integer, tuple, list)):
            return self.to(shape[0])  # view(dtype) is a reinterpretation in PyTorch; see docs
        return views.view(self, *shape)

    flatten = views.flatten
    squeeze = views.squeeze
    unsqueeze = views.unsqueeze
    transpose = views.transpose
    permute = views.permute
    expand = views.expand
    repeat = rearrange.repeat
    split = joins.split
    chunk = joins.chunk

    def flip(self, *dims):
        return rearrange.flip(self, dims[0] if len(dims) == 1 else dims)

    unbind = joins.unbind
    narrow = views.narrow
    movedim = views.movedim

    def expand_as(self, other):
        return views.expand(self, other.shape)

    def view_as(self, other):
        return views.reshape(self, other.shape)

    def reshape_as(self, other):
        return views.reshape(self, other.shape)

    def swapaxes(self, axis0, axis1):
        return views.transpose(self, axis0, axis1)

    def clone(self, *, memory_format=None):
        return rearrange.clone(self)

    def contiguous(self, memory_format=None):
        return rearrange.contiguous(self)

    t = views.t
    swapdims = views.transpose
    moveaxis = views.movedim

    def ravel(self):
        return views.reshape(self, (-1,))

    unflatten = views.unflatten
    roll = rearrange.roll

    def tile(self, *dims):
        return rearrange.tile(self, dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list))
                       else dims)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        return rearrange.repeat_interleave(self, repeats, dim)
