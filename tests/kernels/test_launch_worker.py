"""run_split's persistent workers (kernels/_handoff.py): results, errors, nesting, concurrent
callers, the BLAS thread count, no busy thread left behind, fork and interpreter exit."""
import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from autodiff.kernels import _handoff, _launch


@pytest.fixture(params=["spin", "block"])
def spin(request, monkeypatch):
    """Waits that spin first (the default), or that block at once (SPIN_US 0: the lock path)."""
    if request.param == "block":
        monkeypatch.setattr(_handoff, "SPIN_US", 0.0)
    return request.param


@pytest.mark.parametrize("parts", [2, 3])
def test_results_in_part_order_over_many_calls(spin, parts):
    for i in range(200):
        assert _launch.run_split(lambda k, i=i: (i, k), parts) == [(i, k) for k in range(parts)]


def test_parts_run_at_once_on_distinct_threads(spin):
    barrier = threading.Barrier(2, timeout=10)  # fails unless both parts run concurrently

    def task(k):
        barrier.wait()
        return threading.get_ident()

    a, b = _launch.run_split(task, 2)
    assert a == threading.get_ident() and b != a


@pytest.mark.parametrize("failing", [0, 1])
def test_error_reaches_the_caller_after_every_part_ended(spin, failing):
    ended = []

    def task(k):
        if k != failing:
            time.sleep(0.05)  # the other part is still running when the failing one raises
            ended.append(k)
            return k
        raise ValueError(f"part {k} failed")

    with pytest.raises(ValueError, match=f"part {failing} failed"):
        _launch.run_split(task, 2)
    assert ended == [1 - failing]
    assert _launch.run_split(lambda k: -k, 2) == [0, -1]  # the worker is free again


def test_error_in_both_parts_raises_part_0s():
    def task(k):
        raise KeyError(k)

    with pytest.raises(KeyError) as info:
        _launch.run_split(task, 2)
    assert info.value.args == (0,)


def test_nested_split_runs_serially_with_right_results(spin):
    inside = []

    def outer(k):
        inner = _launch.run_split(lambda j: 10 * k + j, 2)
        inside.append(bool(_launch._local.__dict__))  # still marked as a split task
        return inner

    assert _launch.run_split(outer, 2) == [[0, 1], [10, 11]]
    assert inside == [True, True]
    assert not _launch._local.__dict__


def test_concurrent_callers_get_their_own_results(spin):
    errors, out = [], {}

    def user(u):
        try:
            rng = np.random.default_rng(u)
            for _ in range(100):
                a = rng.standard_normal(64)
                got = _launch.run_split(lambda k: a[k * 32:(k + 1) * 32].sum(), 2)
                np.testing.assert_allclose(sum(got), a.sum(), rtol=1e-12)
            out[u] = True
        except BaseException as e:  # noqa: BLE001  (checked below)
            errors.append(e)

    users = [threading.Thread(target=user, args=(u,)) for u in range(4)]
    for t in users:
        t.start()
    for t in users:
        t.join(60)
    assert not errors and sorted(out) == [0, 1, 2, 3]


def _blas_threads():
    """OpenBLAS's thread count now (set and put back: the library has no portable getter)."""
    n = _launch._set_blas_local(1)
    _launch._set_blas_local(n)
    return n


def test_blas_is_single_threaded_inside_and_restored_after():
    if _launch._set_blas_local is None:
        pytest.skip("NumPy's BLAS has no openblas_set_num_threads_local: no split here")
    outside = _launch._set_blas_local(2)
    try:
        assert _launch.run_split(lambda k: _blas_threads(), 2) == [1, 1]
        assert _blas_threads() == 2
        with pytest.raises(RuntimeError, match="x"):
            _launch.run_split(lambda k: (_ for _ in ()).throw(RuntimeError("x")), 2)
        assert _blas_threads() == 2
    finally:
        _launch._set_blas_local(outside)


def _cpu_seconds(threads):
    """CPU time (user + system) the given threads have used: /proc's per-thread counters, so
    what other threads of this process do (a pytest worker's own) does not count."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for t in threads:
        with open(f"/proc/self/task/{t.native_id}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks


@pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs Linux's /proc")
def test_no_thread_keeps_burning_cpu_after_a_split():
    _launch.run_split(lambda k: k, 2)
    threads = threading.active_count()
    for _ in range(20):
        _launch.run_split(lambda k: k, 2)
    assert threading.active_count() == threads  # the same workers every time
    workers = [w.thread for w in _launch._workers]
    time.sleep(2e-6 * _handoff.SPIN_US + 0.05)  # the spins after the last split have ended
    cpu0, wall0 = _cpu_seconds(workers), time.perf_counter()
    time.sleep(0.5)
    cpu, wall = _cpu_seconds(workers) - cpu0, time.perf_counter() - wall0
    assert cpu < 0.1 * wall, f"{cpu:.3f} s of CPU over {wall:.3f} s idle"


def _run_child(code):
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120, env=env, cwd=os.getcwd())


def test_interpreter_exits_while_the_worker_spins_or_sleeps():
    r = _run_child("""
        import time
        from autodiff.kernels import _launch
        assert _launch.run_split(lambda k: k, 2) == [0, 1]
        print("spinning")
        """)
    assert r.returncode == 0 and "spinning" in r.stdout, r.stderr
    r = _run_child("""
        import time
        from autodiff.kernels import _launch
        assert _launch.run_split(lambda k: k, 2) == [0, 1]
        time.sleep(0.1)
        print("sleeping")
        """)
    assert r.returncode == 0 and "sleeping" in r.stdout, r.stderr


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_forked_child_splits_on_fresh_workers():
    r = _run_child("""
        import os, sys, threading
        from autodiff.kernels import _launch
        assert _launch.run_split(lambda k: k, 2) == [0, 1]
        gate = threading.Event()
        def long_task(k):  # the parent is inside a split (busy workers) when it forks
            if k == 1:
                gate.wait(10)
            return k
        t = threading.Thread(target=_launch.run_split, args=(long_task, 2))
        t.start()
        pid = os.fork()
        if pid == 0:
            ok = _launch.run_split(lambda k: threading.get_ident(), 2)
            os._exit(0 if ok[0] != ok[1] and not _launch._busy.locked() else 3)
        gate.set()
        t.join()
        _, status = os.waitpid(pid, 0)
        sys.exit(os.waitstatus_to_exitcode(status))
        """)
    assert r.returncode == 0, r.stderr
