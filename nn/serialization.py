"""``nn.save`` / ``nn.load``: the same functions as ``autodiff.save`` / ``autodiff.load``
(``.npz`` checkpoints without pickle; see ``autodiff.serialization``)."""
from __future__ import annotations

from autodiff.serialization import load, save

__all__ = ["save", "load"]
