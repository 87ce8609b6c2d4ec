"""Parallel kernels with a serial twin for small work.

A ``parallel=True`` kernel pays a fixed launch cost on numba's workqueue thread pool: ~0.1 ms
on a quiet 2-core machine, measured at 0.2-0.4 ms when the cores are shared.  On the small
arrays of the CLI models (e.g. a (32, 16, 8, 8) conv input) that launch cost is most of the
kernel's time: im2col of 74K elements took 0.25 ms parallel against 0.15 ms serial, and the
launch alone (a (1, 1, 1, 1) input) 0.23 ms.  ``Sized(kernel)`` therefore runs the same code
compiled without ``parallel=True`` (``prange`` is then ``range``) when the work is below
``PARALLEL_MIN`` elements or numba has one thread.

The serial copy is compiled from a copy of the Python function under another qualified name:
numba's on-disk cache keys on the name, not on the compile flags (shared PERF-NOTES), so two
``cache=True`` dispatchers of one function would load each other's machine code.
"""
from __future__ import annotations

import types

import numba

__all__ = ["Sized", "PARALLEL_MIN"]

# elements moved by a kernel call below which the serial copy runs: at ~0.3 ns per element
# per thread a copy of 2**19 elements takes ~0.15 ms, where halving it on 2 threads starts
# to pay for the launch
PARALLEL_MIN = 1 << 19


class Sized:
    """``k(work, *args)`` runs ``kernel(*args)`` in parallel when ``work >= PARALLEL_MIN``
    and numba has more than one thread, else its serial twin (compiled on first use)."""

    __slots__ = ("par", "ser", "flags")

    def __init__(self, kernel, **flags):
        self.par = kernel
        self.ser = None
        self.flags = flags  # the njit flags of ``kernel`` other than parallel

    def serial(self):
        if self.ser is None:
            py = getattr(self.par, "py_func", None)
            if py is None:  # NUMBA_DISABLE_JIT: the kernel is the plain function
                self.ser = self.par
            else:
                f = types.FunctionType(py.__code__, py.__globals__, py.__name__ + "_serial",
                                       py.__defaults__, py.__closure__)
                f.__qualname__ = py.__qualname__ + "_serial"
                f.__doc__ = py.__doc__
                self.ser = numba.njit(cache=True, **self.flags)(f)
        return self.ser

    def __call__(self, work, *args):
        if work >= PARALLEL_MIN and numba.get_num_threads() > 1:
            return self.par(*args)
        return (self.ser or self.serial())(*args)
