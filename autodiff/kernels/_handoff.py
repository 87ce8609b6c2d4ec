"""Persistent worker threads for ``_launch.run_split``: hand a task over without a thread wake.

A split hands its second half to another thread and later waits for it.  With a
``ThreadPoolExecutor`` each hand-over is a futex wake of a sleeping thread, and on this kind of
VM a vCPU that has been idle for ~2 ms takes 0.3-0.5 ms to come back (measured last session),
while a conv training step makes 2-4 splits a few ms apart.  So both sides wait in two stages,
the way OpenMP runtimes do:

1. spin for at most ``SPIN_US`` microseconds in a ``nogil`` numba loop polling a flag in an
   int64 array (with the CPU's ``pause`` hint): the thread keeps its vCPU awake but holds no
   GIL, so the other thread's Python code runs at full speed (a spin in Python would hold the
   GIL for up to 5 ms switch intervals and slow the caller);
2. then block on a ``_thread`` lock (one futex) until the other side posts.

A thread that is idle therefore burns at most ``SPIN_US`` of CPU, then sleeps.  The worker is a
daemon thread: it never holds the interpreter at exit.  ``reset()`` (registered by
``_launch`` with ``os.register_at_fork``) forgets the workers in a forked child, which has none
of its parent's threads.
"""
from __future__ import annotations

import _thread
import ctypes
import platform
import threading
import time

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

__all__ = ["SPIN_US", "Signal", "Worker"]

SPIN_US = 200.0  # the longest a waiting thread polls before it blocks (microseconds)

_PAUSE = "llvm.x86.sse2.pause" if platform.machine() in ("x86_64", "AMD64", "i686") else None


@intrinsic
def _load_acquire(typingctx, flag):
    """``flag[0]`` read with an atomic acquire load: re-read from memory on every call (a plain
    load in a polling loop may be hoisted out of it) and ordered before the reads after it."""
    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, value=args[0])
        return builder.load_atomic(ary.data, "acquire", 8)
    return types.int64(flag), codegen


@intrinsic
def _cpu_relax(typingctx):
    """The CPU's spin-wait hint (x86 ``pause``: frees the pipeline for the other hyperthread
    and saves power); nothing on other CPUs."""
    def codegen(context, builder, signature, args):
        if _PAUSE is not None:
            fn = cgutils.get_or_insert_function(builder.module,
                                                ir.FunctionType(ir.VoidType(), []), _PAUSE)
            builder.call(fn, [])
        return context.get_dummy_value()
    return types.void(), codegen


_libc = ctypes.CDLL(None)
_sched_yield = _libc.sched_yield
_sched_yield.restype, _sched_yield.argtypes = ctypes.c_int, []


@numba.njit(nogil=True, cache=True)
def _spin_yield(flag, want, rounds):
    for _ in range(rounds):
        if _load_acquire(flag) == want:
            return True
        _sched_yield()
    return _load_acquire(flag) == want


YIELD = False


@numba.njit(nogil=True, cache=True)
def _spin(flag, want, rounds):
    """Poll ``flag[0] == want`` up to ``rounds`` times without the GIL; True when seen."""
    for _ in range(rounds):
        if _load_acquire(flag) == want:
            return True
        _cpu_relax()
    return _load_acquire(flag) == want


_rounds_per_us = None  # calibrated on first use: a pause costs 10-150 cycles by CPU


def _rounds(us):
    global _rounds_per_us
    if us <= 0 or numba.config.DISABLE_JIT:
        return 0
    if _rounds_per_us is None:
        never = np.zeros(1, np.int64)
        sp = _spin_yield if YIELD else _spin
        sp(never, 1, 10)  # compile or load from the cache
        n, best = 20000, float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            sp(never, 1, n)
            best = min(best, time.perf_counter() - t0)
        _rounds_per_us = n / max(best * 1e6, 1.0)
    return max(1, int(us * _rounds_per_us))


class Signal:
    """A flag one thread posts (``post(seq)``, seq = 1, 2, ...) and one other thread waits for
    (``wait(seq)``): first spinning (``SPIN_US``, without the GIL), then blocked on a lock."""

    __slots__ = ("flag", "mutex", "sleeper", "sleeping")

    def __init__(self):
        self.flag = np.zeros(1, np.int64)  # the last posted sequence number
        self.mutex = _thread.allocate_lock()  # guards ``sleeping`` against a post in between
        self.sleeper = _thread.allocate_lock()  # held while a waiter sleeps; post releases it
        self.sleeping = False

    def post(self, seq):
        self.flag[0] = seq
        with self.mutex:
            if self.sleeping:
                self.sleeping = False
                self.sleeper.release()

    def wait(self, seq):
        if (_spin_yield if YIELD else _spin)(self.flag, seq, _rounds(SPIN_US)):
            return
        while True:
            with self.mutex:
                if self.flag[0] == seq:
                    self.sleeping = False
                    return
                self.sleeper.acquire(False)  # free after an interrupted wait: hold it again
                self.sleeping = True
            self.sleeper.acquire()


class Worker:
    """A daemon thread running ``run(job)`` for each job given to ``start``; ``join`` waits for
    it and returns ``(True, result)`` or ``(False, exception)``."""

    def __init__(self, run, name):
        self.run, self.seq, self.job, self.out = run, 0, None, None
        self.go, self.done = Signal(), Signal()
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self.thread.start()

    def start(self, job):
        self.job = job
        self.seq += 1
        self.go.post(self.seq)

    def join(self):
        """The job's outcome, once it has ended (an interrupt while waiting, e.g. Ctrl-C, waits
        on and is raised after: no job outlives its caller)."""
        interrupted = None
        while True:
            try:
                self.done.wait(self.seq)
                break
            except BaseException as e:  # noqa: BLE001  (re-raised below)
                interrupted = e
        out, self.out = self.out, None
        if interrupted is not None:
            raise interrupted
        return out

    def _loop(self):
        seq = 0
        while True:
            seq += 1
            self.go.wait(seq)
            job, self.job = self.job, None
            try:
                self.out = (True, self.run(job))
            except BaseException as e:  # noqa: BLE001  (handed to the caller)
                self.out = (False, e)
            job = None
            self.done.post(seq)
