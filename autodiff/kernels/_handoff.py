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
def _store_seq_cst(typingctx, cell, i, value):
    """``cell[i] = value`` as a sequentially consistent atomic store (x86: ``xchg``): no later
    load of this thread is ordered before it."""
    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, value=args[0])
        builder.store_atomic(args[2], builder.gep(ary.data, [args[1]]), "seq_cst", 8)
        return context.get_dummy_value()
    return types.void(cell, i, value), codegen


@intrinsic
def _load_seq_cst(typingctx, cell, i):
    """``cell[i]`` read with a sequentially consistent atomic load."""
    def codegen(context, builder, signature, args):
        ary = context.make_array(signature.args[0])(context, builder, value=args[0])
        return builder.load_atomic(builder.gep(ary.data, [args[1]]), "seq_cst", 8)
    return types.int64(cell, i), codegen


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


@numba.njit(nogil=True, cache=True)
def _post(cell, seq):
    """Post ``seq`` in ``cell[0]``; True when the waiter has said (``cell[1]``) it sleeps on the
    lock, which the poster then releases.  Both sides store, then load the other's word, all
    sequentially consistent: a waiter that misses the post is seen asleep (no lost wake-up)."""
    _store_seq_cst(cell, 0, seq)
    return _load_seq_cst(cell, 1) != 0


@numba.njit(nogil=True, cache=True)
def _asleep_unless(cell, seq):
    """The waiter's half of ``_post``: say it sleeps (``cell[1] = 1``), then True when ``seq``
    was posted after all (it then does not sleep)."""
    _store_seq_cst(cell, 1, 1)
    return _load_seq_cst(cell, 0) == seq


@numba.njit(nogil=True, cache=True)
def _post_and_spin(posted, seq, awaited, want, clock, ns):
    """``_post(posted, seq)``, then ``_spin(awaited, want, clock, ns)``, in one call without the
    GIL: the worker hands its result back and waits for the next job without taking the GIL in
    between, so the caller, woken by the post, finds the GIL free.  -> 0: the post's waiter
    sleeps (wake it, then wait), 1: ``want`` seen, 2: the deadline passed."""
    if _post(posted, seq):
        return 0
    return 1 if _spin(awaited, want, clock, ns) else 2


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

    __slots__ = ("cell", "sleeper")

    def __init__(self):
        # [0]: the last posted sequence number; [1]: 1 while the waiter sleeps (or is about to)
        self.cell = np.zeros(2, np.int64)
        self.sleeper = _thread.allocate_lock()  # held while the waiter sleeps; post releases it

    def post(self, seq):
        if spin_ns(1.0):
            asleep = _post(self.cell, seq)
        else:  # no JIT (so no spin): under the GIL, plain stores and loads are ordered
            self.cell[0] = seq
            asleep = self.cell[1] != 0
        if asleep:
            self.sleeper.release()

    def wait(self, seq):
        ns = spin_ns(SPIN_US)
        if not (ns and _spin(self.cell, seq, _CLOCK, ns)):
            self.sleep(seq)

    def sleep(self, seq):
        """Block on the lock until ``seq`` is posted."""
        cell = self.cell
        try:
            while True:
                self.sleeper.acquire(False)  # held (a wake-up left it free): post releases it
                if spin_ns(1.0):
                    seen = _asleep_unless(cell, seq)
                else:
                    cell[1] = 1
                    seen = cell[0] == seq
                if seen:
                    return
                self.sleeper.acquire()
                cell[1] = 0
        finally:
            cell[1] = 0


class Worker:
    """A daemon thread running ``run(job)`` for each job given to ``start``; ``join`` waits for
    it and returns ``(True, result)`` or ``(False, exception)``."""

    def __init__(self, run, name):
        self.run, self.seq, self.job, self.out = run, 0, None, None
        self.go, self.done = Signal(), Signal()
        if spin_ns(SPIN_US):  # compile (or load from the cache) here rather than in a wait
            _post_and_spin(np.zeros(2, np.int64), 1, self.go.cell, 1, _CLOCK, 0)
            _asleep_unless(np.zeros(2, np.int64), 1)
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
        seq = 1
        self.go.wait(seq)
        while True:
            job, self.job = self.job, None
            try:
                self.out = (True, self.run(job))
            except BaseException as e:  # noqa: BLE001  (handed to the caller)
                self.out = (False, e)
            job = None
            seq += 1
            if not self._hand_back(seq - 1, seq):
                self.go.wait(seq)

    def _hand_back(self, done, go):
        """Post ``done`` and wait for the job of ``go`` without taking the GIL in between:
        True when that job has come within the spin."""
        ns = spin_ns(SPIN_US)
        if not ns:
            self.done.post(done)
            return False
        got = _post_and_spin(self.done.cell, done, self.go.cell, go, _CLOCK, ns)
        if got == 0:  # the caller sleeps on the lock
            self.done.sleeper.release()
        return got == 1
