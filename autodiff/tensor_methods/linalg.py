"""Tensor methods of linear algebra: matrix products, triangles and diagonals."""
from __future__ import annotations

import numpy as np

from .. import inplace
from ..ops.index import subscript
from ..ops.linalg import diagonals, products
from ._forms import operators


class LinalgMethods:
    """Mixin of ``Tensor`` (no state of its own)."""

    __slots__ = ()

    __matmul__, __rmatmul__ = operators("matmul", products.matmul)
    matmul = products.matmul
    mm = products.mm
    bmm = products.bmm
    dot = products.dot
    outer = products.outer
    addmm = products.addmm
    addmv = products.addmv
    baddbmm = products.baddbmm
    tril = diagonals.tril
    triu = diagonals.triu
    diag = diagonals.diag
    diagonal = diagonals.diagonal
    diag_embed = diagonals.diag_embed
    trace = diagonals.trace

    def fill_diagonal_(self, fill_value, wrap=False):
        """Fill the main diagonal (all dims equal index) in place; ``wrap`` restarts it every
        ``ncols + 1`` rows of a tall matrix, as PyTorch."""
        if self.ndim < 2:
            raise ValueError(f"fill_diagonal_: dimensions must larger than 1 (got shape "
                             f"{tuple(self.shape)})")
        if self.ndim > 2 and len(set(self.shape)) != 1:
            raise ValueError(f"fill_diagonal_: all dimensions of input must be of equal length "
                             f"(got shape {tuple(self.shape)})")
        n = min(self.shape)
        if self.ndim == 2 and wrap and self.shape[0] > self.shape[1] + 1:
            rows = np.arange(self.shape[0])
            rows = rows[rows % (self.shape[1] + 1) < self.shape[1]]
            cols = rows % (self.shape[1] + 1)
            idx = (rows, cols)
        else:
            idx = (np.arange(n),) * self.ndim
        return inplace.inplace(self, subscript.assigned, idx, fill_value)

    def tril_(self, diagonal=0):
        return inplace.inplace(self, diagonals.tril, diagonal)

    def triu_(self, diagonal=0):
        return inplace.inplace(self, diagonals.triu, diagonal)

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        return inplace.inplace(self, _addmm, mat1, mat2, beta, alpha)


def _addmm(t, mat1, mat2, beta, alpha):
    return products.addmm(t, mat1, mat2, beta=beta, alpha=alpha)
