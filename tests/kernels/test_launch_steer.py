"""run_split keeps its workers off the caller's CPU (kernels/_launch._steer)."""
import os

import pytest

from autodiff.kernels import _launch


def _allowed():
    if not hasattr(os, "sched_getaffinity") or _launch._getcpu is None:
        pytest.skip("no sched_getcpu / sched_setaffinity on this system")
    cpus = os.sched_getaffinity(0)
    if len(cpus) < 2:
        pytest.skip("one CPU: nothing to steer to")
    return cpus


@pytest.fixture
def restore():
    yield
    for w in _launch._workers:
        os.sched_setaffinity(w.thread.native_id, os.sched_getaffinity(0))
    _launch._steered[0] = None


def test_worker_gets_every_cpu_but_the_callers(monkeypatch, restore):
    cpus = _allowed()
    for here in sorted(cpus)[:2]:
        monkeypatch.setattr(_launch, "_getcpu", lambda here=here: here)
        _, mask = _launch.run_split(lambda k: os.sched_getaffinity(0), 2)
        assert mask == cpus - {here}


def test_off_leaves_the_workers_alone(monkeypatch, restore):
    cpus = _allowed()
    _launch.run_split(lambda k: k, 2)  # the worker exists
    for w in _launch._workers:
        os.sched_setaffinity(w.thread.native_id, cpus)
    _launch._steered[0] = None
    monkeypatch.setattr(_launch, "STEER", False)
    monkeypatch.setattr(_launch, "_getcpu", lambda: min(cpus))
    _, mask = _launch.run_split(lambda k: os.sched_getaffinity(0), 2)
    assert mask == cpus


def test_too_few_cpus_for_the_parts(monkeypatch, restore):
    cpus = _allowed()
    parts = len(cpus) + 1  # more workers than the CPUs left: nothing changes
    _launch.run_split(lambda k: k, parts)
    for w in _launch._workers:
        os.sched_setaffinity(w.thread.native_id, cpus)
    _launch._steered[0] = None
    monkeypatch.setattr(_launch, "_getcpu", lambda: min(cpus))
    masks = _launch.run_split(lambda k: os.sched_getaffinity(0), parts)
    assert all(m == cpus for m in masks[1:])
