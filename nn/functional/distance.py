"""Distance functions: ``cosine_similarity`` and ``pairwise_distance``."""
from __future__ import annotations

from autodiff.ops.reduce import sums


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (broadcast together), each
    norm clamped below at ``eps``: ``sum((x1 / ||x1||) * (x2 / ||x2||), dim)``, as PyTorch."""
    n1 = sums.norm(x1, 2, dim, True).clamp(min=eps)
    n2 = sums.norm(x2, 2, dim, True).clamp(min=eps)
    return sums.sum((x1 / n1) * (x2 / n2), dim)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """``||x1 - x2 + eps||_p`` over the last dimension, as PyTorch."""
    return sums.norm(x1 - x2 + eps, p, -1, keepdim)
