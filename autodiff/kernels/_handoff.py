"""Persistent worker threads for ``_launch.run_split``: hand a task over without a thread wake.

A split hands its second half to another thread and later waits for it.  With a
``ThreadPoolExecutor`` each hand-over is a futex wake of a sleeping thread; on this kind of VM
a vCPU idle for a few ms takes 0.1-0.5 ms to come back, and the scheduler may even queue the
woken worker behind the caller on the caller's vCPU (measured: after a 3 ms sleep, the two 1 ms
halves of a split ran one after the other).  A conv training step makes 2-4 splits 0.1-1.5 ms
apart.  So both sides wait in two stages, the way OpenMP runtimes do:

1. spin without the GIL: a ``nogil`` numba loop polls a flag in an int64 array and calls
   ``sched_yield()`` between polls, until a deadline ``SPIN_US`` microseconds away on the
   monotonic clock (read with ``clock_gettime``, a vDSO call of ~40 ns here; a count of polls
   calibrated once would spin for seconds on a loaded machine, where each yield can give the
   CPU away for a whole time slice).  The thread
   holds no GIL, so the other thread's Python code runs at full speed (a spin in Python would
   compete for the GIL in 5 ms switch intervals); the yield hands the vCPU to any thread that
   wants it (the very thread being waited for, when the scheduler put it there: with the
   x86 ``pause`` hint instead, that case waited out the whole spin);
2. then block on a ``_thread`` lock (one futex) until the other side posts.

A thread that is idle therefore polls for at most about ``SPIN_US`` of wall time (so at
most that much CPU), then sleeps.  The
worker is a daemon thread: it never holds the interpreter at exit.  ``_launch`` forgets the
workers in a forked child (``os.register_at_fork``), which has none of its parent's threads.

Measured (Zen 3 VM, 2 vCPUs, ``run_split`` of two trivial tasks back to back): 88 us per call
with the ThreadPoolExecutor, 35-50 us here; on the split conv / LSTM rows 0-15 % faster at
2 threads (bench numbers in the commit that set ``SPIN_US``).
"""
from __future__ import annotations

import _thread
import threading
import time

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

__all__ = ["SPIN_US", "Signal", "Worker"]

# the time a waiting thread polls for before it blocks (microseconds): covers the gaps
# between the splits of a step (0.1-1.5 ms in a conv fwd+bwd, ~0.7 ms in the LSTM) and between
# steps; 200 us measured 0-5 % slower than 3000 on the split rows
SPIN_US = 3000.0


@intrinsic
def _load_acquire(typingctx, flag):
    """``flag[0]`` read with an atomic acquire load: re-read from memory on every call (a plain
    load in a polling loop may be hoisted out of it) and ordered before the reads after it."""
    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, value=args[0])
        return builder.load_atomic(ary.data, "acquire", 8)
    return types.int64(flag), codegen


@intrinsic
def _sched_yield(typingctx):
    """libc's ``sched_yield()``: any other thread waiting for this CPU runs first."""
    def codegen(context, builder, signature, args):
        fn = cgutils.get_or_insert_function(builder.module,
                                            ir.FunctionType(ir.IntType(32), []), "sched_yield")
        builder.call(fn, [])
        return context.get_dummy_value()
    return types.void(), codegen


@intrinsic
def _clock_ns(typingctx, clock):
    """libc's ``clock_gettime(clock)`` in nanoseconds (CLOCK_MONOTONIC: a vDSO read of ~20-50
    ns, no system call, against ~1 us for the ``sched_yield`` of each poll)."""
    def codegen(context, builder, signature, args):
        i64 = ir.IntType(64)
        spec = cgutils.alloca_once(builder, ir.ArrayType(i64, 2))  # struct timespec (LP64)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.IntType(32), [ir.IntType(32), spec.type]),
            "clock_gettime")
        builder.call(fn, [builder.trunc(args[0], ir.IntType(32)), spec])
        sec = builder.load(cgutils.gep_inbounds(builder, spec, 0, 0))
        nsec = builder.load(cgutils.gep_inbounds(builder, spec, 0, 1))
        return builder.add(builder.mul(sec, i64(1_000_000_000)), nsec)
    return types.int64(clock), codegen


@numba.njit(nogil=True, cache=True)
def _spin(flag, want, clock, ns):
    """Poll ``flag[0] == want`` for ``ns`` nanoseconds of ``clock`` without the GIL, yielding
    the CPU between polls; True when seen.  The end is a clock deadline, not a poll count:
    on a loaded machine a yield can hand the CPU away for a whole time slice, so a count
    calibrated on a quiet one would spin far longer."""
    end = _clock_ns(clock) + ns
    while True:
        if _load_acquire(flag) == want:
            return True
        if _clock_ns(clock) >= end:
            return _load_acquire(flag) == want
        _sched_yield()


# the clock of the spin's deadline (time.CLOCK_MONOTONIC's value differs between systems);
# None where Python has no clock_gettime: waits then block at once
_CLOCK = getattr(time, "CLOCK_MONOTONIC", None)


def spin_ns(us):
    """``us`` microseconds as the spin's nanoseconds; 0 (no spin) without the JIT or the clock."""
    if us <= 0 or numba.config.DISABLE_JIT or _CLOCK is None:
        return 0
    return int(us * 1000)


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
        ns = spin_ns(SPIN_US)
        if ns and _spin(self.flag, seq, _CLOCK, ns):
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
        if spin_ns(SPIN_US):  # compile (or load from the cache) here rather than in a wait
            _spin(self.go.flag, 1, _CLOCK, 0)
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self.thread.start()

    def start(self, job):
        self.job = job
        self.seq += 1
        self.go.post(self.seq)

    def join(self):
        """The job's outcome, once it has ended.  An interrupt (Ctrl-C) while waiting is
        returned as ``(False, KeyboardInterrupt)`` after the job ended: no job outlives its
        caller, and the worker is free for the next one."""
        interrupted = None
        while True:
            try:
                self.done.wait(self.seq)
                break
            except BaseException as e:  # noqa: BLE001  (returned below)
                interrupted = e
        out, self.out = self.out, None
        return out if interrupted is None else (False, interrupted)

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
