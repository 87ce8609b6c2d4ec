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

Splitting over Python threads
-----------------------------
A pipeline of numba transforms and mid-sized GEMMs (Winograd's convolution) scales badly when
each step is parallel on its own: on 2 cores a parallel transform ran 1.0-1.45x faster than
serial, a 64x32 @ 32x3136 sgemm 1.9x, and every hand-over between numba's pool and
OpenBLAS's spinning workers costs.  ``run_split(task, S)`` instead runs ``task(0) .. task(S-1)``
on S Python threads at once (the caller runs ``task(0)``, persistent workers of
``_handoff.py`` the rest: they poll briefly without the GIL before they sleep, so the splits
of one step hand over without a thread wake), each with a single-threaded BLAS
(OpenBLAS's thread-local ``openblas_set_num_threads_local``, 0.3.27+) and the serial twins of
``Sized`` kernels (compile those with ``nogil=True`` so the threads really overlap): the
work is split once per pipeline, e.g. by images.  ``split_count(work)`` says how many parts
pay: numba's thread count when ``work >= PARALLEL_MIN`` elements and the split is available
(NumPy's BLAS is an OpenBLAS with the thread-local call; ``SPLIT`` is True), else 1.
"""
from __future__ import annotations

import ctypes
import os
import threading
import types

import numba
import numpy as np

from ._handoff import Worker

__all__ = ["Sized", "PARALLEL_MIN", "SPLIT", "run_split", "split_count"]

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
        # the njit flags of ``kernel`` other than parallel (nogil=True lets the serial twin
        # run on several run_split threads at once)
        self.flags = flags

    def serial(self):
        with _SERIAL_LOCK:  # run_split's threads may ask at once: one copy
            if self.ser is None:
                self.ser = self._serial_copy()
        return self.ser

    def _serial_copy(self):
        py = getattr(self.par, "py_func", None)
        if py is None:  # NUMBA_DISABLE_JIT: the kernel is the plain function
            return self.par
        f = types.FunctionType(py.__code__, py.__globals__, py.__name__ + "_serial",
                               py.__defaults__, py.__closure__)
        f.__qualname__ = py.__qualname__ + "_serial"
        f.__doc__ = py.__doc__
        return numba.njit(cache=True, **self.flags)(f)

    def __call__(self, work, *args):
        if work >= PARALLEL_MIN and numba.get_num_threads() > 1 and not _local.__dict__:
            return self.par(*args)
        return (self.ser or self.serial())(*args)


# --------------------------------------------------------------------------- run_split

SPLIT = True  # False: split_count is always 1 (every kernel and GEMM parallel on its own)
_local = threading.local()  # non-empty inside a run_split task: Sized runs serial twins
_SERIAL_LOCK = threading.Lock()


def _openblas():
    """ctypes library of NumPy's OpenBLAS with ``openblas_set_num_threads_local``, or None
    (another BLAS, an older OpenBLAS, or no /proc/self/maps to find it in)."""
    import numpy as np
    site = os.path.dirname(os.path.dirname(os.path.abspath(np.__file__)))
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split(None, 5)[-1].strip() for line in f if "openblas" in line.lower()}
    except OSError:
        return None
    for path in sorted(paths, key=lambda p: not p.startswith(os.path.join(site, "numpy"))):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        if hasattr(lib, "openblas_set_num_threads_local"):
            return lib
    return None


OPENBLAS = _openblas()  # also gives kernels/_blas.py its GEMMs
_set_blas_local = None if OPENBLAS is None else OPENBLAS.openblas_set_num_threads_local
if _set_blas_local is not None:
    _set_blas_local.argtypes, _set_blas_local.restype = [ctypes.c_int], ctypes.c_int


def split_count(work):
    """Parts to split ``work`` elements of a pipeline into for :func:`run_split`."""
    n = numba.get_num_threads()
    if not SPLIT or n < 2 or work < PARALLEL_MIN or _set_blas_local is None or _local.__dict__:
        return 1
    return n


def _task(task, k):
    if _local.__dict__:  # already inside a split task (a nested run_split running serially)
        return task(k)
    _local.split = True
    try:
        return task(k)
    finally:
        del _local.split


def _run(job):
    return _task(*job)


_workers = []  # _handoff.Worker threads, grown to the most parts a split asked for
_busy = threading.Lock()  # held while a split uses the workers


def _reset_pool():
    """After fork: the child has none of the parent's threads, and a lock one of them held
    stays held, so both start afresh."""
    global _SERIAL_LOCK, _busy
    _workers.clear()
    _steered[0] = None
    _busy = threading.Lock()
    _SERIAL_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_reset_pool)  # a forked child has none of the threads


# Keep the split's workers off the caller's CPU (``_steer``).  This VM's scheduler queues a
# thread woken by the caller (a worker given a job, or waking for the GIL the caller just
# released) on the caller's own vCPU, even with the other one idle, and the two halves of the
# split then take turns on one vCPU for several ms (seen with ``perf sched timehist``; the
# threads' run delay in /proc/<pid>/task/*/schedstat was 0.3-1.1 ms per depthwise s2 step).
# Measured (paired, 2 threads, wall clock, AMD EPYC Zen 3, 2026-12-07), steered / not, fwd+bwd
# steps: depthwise s2 0.91, s1 0.98, grouped g8 0.98, g4 0.99.
STEER = True
try:  # the calling thread's CPU (a vDSO read); None where threads cannot be steered
    _getcpu = ctypes.CDLL(None).sched_getcpu if hasattr(os, "sched_setaffinity") else None
    if _getcpu is not None:
        _getcpu.restype = ctypes.c_int
except (OSError, AttributeError):
    _getcpu = None
_steered = [None]  # the caller's CPU the workers were last steered away from


def _steer(parts):
    """Give the workers every CPU the caller may use except the one it runs on (when there
    are enough CPUs); a system call only when the caller's CPU changed."""
    here = _getcpu() if _getcpu is not None else -1
    if here < 0 or _steered[0] == here:
        return
    cpus = os.sched_getaffinity(0) - {here}
    if len(cpus) < parts - 1:
        return
    try:
        for w in _workers[:parts - 1]:
            os.sched_setaffinity(w.thread.native_id, cpus)
    except OSError:  # a worker gone, or a CPU set the system refuses: leave it
        return
    _steered[0] = here


def run_split(task, parts):
    """[task(0), ..., task(parts - 1)], run on ``parts`` threads at once (this one runs
    task(0)); each runs serial kernels and single-threaded GEMMs.  ``parts == 1``: task(0)
    here, parallel kernels and BLAS as usual.

    The other parts run on persistent workers (``_handoff.Worker``: spin briefly, then block).
    When the workers are busy -- run_split called from inside a task, or from a second user
    thread while another split runs -- the parts run one after the other on the calling thread
    (serial kernels; results the same).  A task's exception reaches the caller once every
    part has ended (task 0's first, then the lowest part's).
    """
    if parts == 1:
        return [task(0)]
    if not _busy.acquire(False):
        return [_task(task, k) for k in range(parts)]
    try:
        while len(_workers) < parts - 1:
            _workers.append(Worker(_run, f"autodiff-split-{len(_workers) + 1}"))
            _steered[0] = None  # a new worker: steer it too
        # One BLAS thread while the tasks run: set once here, as "local" is process-wide in
        # NumPy's (pthreads) OpenBLAS: a task restoring it would hand its still-running
        # siblings a multithreaded BLAS (measured: the two halves then ran one after the other)
        prev = None if _set_blas_local is None else _set_blas_local(1)
        if STEER:
            _steer(parts)
        try:
            for k in range(1, parts):
                _workers[k - 1].start((task, k))
            try:
                first = _task(task, 0)
            finally:
                outs = [w.join() for w in _workers[:parts - 1]]  # no task outlives the call
        finally:
            if prev is not None:
                _set_blas_local(prev)
    finally:
        _busy.release()
    for ok, value in outs:
        if not ok:
            raise value
    return [first, *(value for _, value in outs)]


# --------------------------------------------------------------------------- small products

# OpenBLAS multithreads a GEMM from M*N*K > 2**18 on (its own threshold); up to 2**20 one thread
# ran as fast or faster here: (128, 64) @ (64, 64) 16 us either way, (64, 128) @ (128, 64) 16
# against 23 us, (64, 64) @ (64, 128) 23 against 37 us, while at 2**20 two threads won for some
# shapes (0.64-1.32 of one thread's time); and a woken OpenBLAS worker spins for ~0.1 s on the
# other core after the call. The GAN's epoch (2-64-64-2 MLPs, batch 128) ran 7 % faster with
# one BLAS thread (2 cores, Zen 3, 2026-12-07).
_ONE_THREAD_GEMM = (1 << 18, 1 << 20)


def _outer(a, b):
    """``a`` (M, 1) and ``b`` (1, N), both float32 or both float64 (the cases compared with
    OpenBLAS bit for bit)."""
    dt = a.dtype
    return (a.ndim == 2 and b.ndim == 2 and a.shape[1] == 1 and b.shape[0] == 1
            and dt.char in "fd" and b.dtype is dt)


def matmul(a, b):
    """``np.matmul(a, b)``, with one BLAS thread when ``work`` (= M*N*K: ``a.size *
    b.shape[-1]`` for a 2-D ``b``) is in the range above, where OpenBLAS would use all its
    threads for no gain. The thread count is switched under ``run_split``'s lock, so a split
    running on another thread never sees it changed (the product then runs as usual).

    An inner dimension of 1 (a linear layer with one output: its input gradient ``g @ W``) is
    one broadcast multiply, bit for bit OpenBLAS's result: (128, 1) @ (1, 64) float32 took
    13.7 us in sgemm against ~2 us (2 cores, Zen 3, 2026-12-07)."""
    if _outer(a, b):
        out = np.multiply(a, b)  # (M, 1) @ (1, N): an outer product, no sum
        out += 0  # BLAS adds each product to +0.0: a -0.0 product comes out +0.0
        return out
    work = a.size * b.shape[-1]
    lo, hi = _ONE_THREAD_GEMM
    if not lo < work < hi or _set_blas_local is None or b.ndim != 2:
        return np.matmul(a, b)
    busy = _busy
    if not busy.acquire(False):
        return np.matmul(a, b)
    try:
        prev = _set_blas_local(1)
        try:
            return np.matmul(a, b)
        finally:
            _set_blas_local(prev)
    finally:
        busy.release()
