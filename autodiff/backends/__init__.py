"""``autodiff.backends``: the switches scripts set, as CPU-only answers.

``backends.mps.is_available()`` and ``backends.cuda.is_built()`` are False;
``backends.cuda.matmul.allow_tf32``, ``backends.cudnn.benchmark`` / ``deterministic`` /
``allow_tf32`` and the like can be read and set (``import autodiff.backends.cudnn as cudnn``
works) and have no effect: autodiff computes float32 matmuls in float32 on the CPU.
"""
from __future__ import annotations

from . import cpu, cuda, cudnn, mkldnn, mps, openmp

__all__ = ["cpu", "cuda", "cudnn", "mkldnn", "mps", "openmp"]
