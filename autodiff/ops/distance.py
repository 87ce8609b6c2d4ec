"""Pairwise distances: ``cdist`` (differentiable, composed from elementwise ops)."""
from __future__ import annotations

from . import reduce as R


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    """p-norm distances between the rows of ``x1`` ``(*, P, M)`` and of ``x2`` ``(*, R, M)``:
    ``(*, P, R)``. Computed from the differences (``compute_mode`` is accepted; PyTorch's
    matrix-multiply shortcut for large inputs gives the same values up to round-off)."""
    if x1.ndim < 2 or x2.ndim < 2:
        raise ValueError(f"cdist: expected at least 2-D inputs (got shapes {tuple(x1.shape)} "
                         f"and {tuple(x2.shape)})")
    if x1.shape[-1] != x2.shape[-1]:
        raise ValueError(f"cdist: x1 and x2 must have the same number of columns (got "
                         f"{x1.shape[-1]} and {x2.shape[-1]})")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return R.norm(diff, p, -1, False)
