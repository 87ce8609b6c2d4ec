"""The spin of a waiting ``_handoff`` thread ends at a clock deadline, also when every poll's
``sched_yield`` hands the CPU to busy threads for a whole time slice (a loaded machine)."""
import contextlib
import os
import threading
import time

import numba
import numpy as np
import pytest

from autodiff.kernels import _handoff, _launch

pytestmark = pytest.mark.skipif(numba.config.DISABLE_JIT or _handoff._CLOCK is None,
                                reason="no spin without the JIT or clock_gettime")


@numba.njit(nogil=True)
def _burn(stop):
    """Busy loop without the GIL (no yield) until ``stop[0]`` is set."""
    n = 0
    while _handoff._load_acquire(stop) == 0:
        n += 1
    return n


class _Load:
    """``n`` threads that each keep a CPU busy, more than the machine has cores: a thread
    that yields waits a time slice for the CPU."""

    def __init__(self, n=None):
        self.n = n or 2 * (os.cpu_count() or 1) + 1
        self.stop = np.zeros(1, np.int64)

    def __enter__(self):
        _burn(np.ones(1, np.int64))  # compiled before the threads start
        self.threads = [threading.Thread(target=_burn, args=(self.stop,), daemon=True)
                        for _ in range(self.n)]
        for t in self.threads:
            t.start()
        time.sleep(0.02)
        return self

    def __exit__(self, *exc):
        self.stop[0] = 1
        for t in self.threads:
            t.join(10)
        assert not any(t.is_alive() for t in self.threads)


def _clock_ns_twin():
    return time.clock_gettime_ns(_handoff._CLOCK)


def test_clock_reads_the_same_clock_as_python():
    @numba.njit
    def now(clock):
        return _handoff._clock_ns(clock)

    before = _clock_ns_twin()
    got = now(_handoff._CLOCK)
    after = _clock_ns_twin()
    assert before <= got <= after


@pytest.mark.parametrize("loaded", [False, True])
def test_spin_returns_at_its_deadline(loaded):
    never = np.zeros(1, np.int64)
    ns = 3_000_000
    _handoff._spin(never, 1, _handoff._CLOCK, 0)  # compiled outside the timing
    with _Load() if loaded else contextlib.nullcontext():
        t0 = time.perf_counter()
        seen = _handoff._spin(never, 1, _handoff._CLOCK, ns)
        wall = time.perf_counter() - t0
    assert seen is False
    # at least the budget; at most the budget and one time slice given away (a count of polls
    # calibrated on a quiet machine takes seconds here: each yield waits a slice)
    assert ns * 1e-9 <= wall < ns * 1e-9 + 0.1, f"{wall * 1e3:.1f} ms"


def test_spin_sees_a_post_from_another_thread():
    flag = np.zeros(1, np.int64)
    _handoff._spin(flag, 1, _handoff._CLOCK, 0)
    timer = threading.Timer(0.002, lambda: flag.__setitem__(0, 7))
    timer.start()
    assert _handoff._spin(flag, 7, _handoff._CLOCK, 5_000_000_000) is True
    timer.join()
    assert flag[0] == 7


def _runs_on_cpu(thread):
    """How many times the scheduler has put ``thread`` on a CPU (/proc's schedstat)."""
    with open(f"/proc/self/task/{thread.native_id}/schedstat") as f:
        return int(f.read().split()[2])


@pytest.mark.skipif(not os.path.exists("/proc/self/schedstat"), reason="needs /proc schedstat")
def test_idle_worker_sleeps_soon_after_a_split_on_a_loaded_machine():
    _launch.run_split(lambda k: k, 2)
    worker = _launch._workers[0].thread
    with _Load():
        assert _launch.run_split(lambda k: k, 2) == [0, 1]
        time.sleep(1e-6 * _handoff.SPIN_US + 0.15)  # the deadline and a few slices after it
        runs = _runs_on_cpu(worker)
        time.sleep(0.3)
        runs = _runs_on_cpu(worker) - runs
    # blocked on its lock: never scheduled (a worker still polling runs after every yield)
    assert runs == 0, f"the idle worker ran {runs} times in 0.3 s"
    assert _launch.run_split(lambda k: -k, 2) == [0, -1]  # and wakes for the next split
