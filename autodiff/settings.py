"""Process-wide settings PyTorch scripts call: threads, determinism, print options."""
from __future__ import annotations

import sys

__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads",
           "get_num_interop_threads", "use_deterministic_algorithms",
           "are_deterministic_algorithms_enabled", "set_printoptions"]

_deterministic = False
_interop = 1


def set_num_threads(n):
    """Threads of the parallel numba kernels (capped at numba's configured maximum; NumPy's
    BLAS keeps its own setting, e.g. ``OPENBLAS_NUM_THREADS``)."""
    import numba
    n = int(n)
    if n < 1:
        raise RuntimeError(f"set_num_threads: expected a positive number of threads (got {n})")
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))


def get_num_threads():
    import numba
    return numba.get_num_threads()


def set_num_interop_threads(n):
    """Accepted (autodiff runs ops one at a time in the calling thread)."""
    global _interop
    _interop = int(n)


def get_num_interop_threads():
    return _interop


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Accepted: autodiff's CPU ops are deterministic already (same inputs, same bits)."""
    global _deterministic
    _deterministic = bool(mode)


def are_deterministic_algorithms_enabled():
    return _deterministic


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """Tensor printing options, as PyTorch's (``profile``: "default", "short" or "full";
    ``sci_mode`` is accepted and ignored: the notation is chosen per tensor as by default)."""
    from . import printing as P
    if profile is not None:
        presets = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
                   "full": (4, sys.maxsize, 3, 80)}
        if profile not in presets:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}")
        P.PRECISION, P.THRESHOLD, P.EDGEITEMS, P.LINEWIDTH = presets[profile]
    if precision is not None:
        P.PRECISION = int(precision)
    if threshold is not None:
        P.THRESHOLD = int(min(threshold, sys.maxsize))
    if edgeitems is not None:
        P.EDGEITEMS = int(edgeitems)
    if linewidth is not None:
        P.LINEWIDTH = int(linewidth)
