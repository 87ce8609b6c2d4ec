"""``autodiff.multiprocessing``: the standard library's ``multiprocessing``, plus tensors in
shared memory (PyTorch's ``torch.multiprocessing``).

Everything of ``multiprocessing`` is here under the same name (``Process``, ``Queue``, ``Pool``,
``set_start_method``, ``get_context``, ...). ``Tensor.share_memory_()`` (and
``nn.Module.share_memory()``) moves a tensor's array into a POSIX shared-memory segment; a
child process started with ``fork`` inherits it, and one started with ``spawn`` or
``forkserver`` (or a tensor sent through a ``Queue``) receives a tensor backed by the same
segment, because this module registers a reduction with ``multiprocessing``'s pickler, as
PyTorch does. In-place updates in a child (``optimizer.step()``, ``p.data.add_(...)``) are then
seen by the parent: Hogwild training works. Ordinary ``pickle`` still copies the values.

The parent that created a segment unlinks it at exit; gradients are not shared (PyTorch
allocates them lazily in each process too). ``spawn(fn, args, nprocs)`` runs
``fn(i, *args)`` in ``nprocs`` processes, as ``torch.multiprocessing.spawn``.
"""
from __future__ import annotations

import atexit
import multiprocessing as _mp
import os
import sys
from multiprocessing import *  # noqa: F401,F403  (PyTorch re-exports the whole module)
from multiprocessing import reduction as _reduction
from multiprocessing import shared_memory as _shm

import numpy as np

__all__ = list(getattr(_mp, "__all__", [])) + [
    "spawn", "get_sharing_strategy", "set_sharing_strategy", "get_all_sharing_strategies"]

_SEGMENTS = {}  # name -> SharedMemory, kept open while this process lives
_RANGES = []    # (start address, size, name) of every segment mapped in this process
_REGISTERED = set()
_OWNER_PID = {}  # name -> pid of the process that created (and will unlink) the segment


def get_all_sharing_strategies():
    return {"file_system"}


def get_sharing_strategy():
    return "file_system"


def set_sharing_strategy(new_strategy):
    if new_strategy not in get_all_sharing_strategies():
        raise ValueError(f"set_sharing_strategy: unknown strategy {new_strategy!r}; autodiff "
                         "shares tensors through POSIX shared memory ('file_system')")


def _address(arr):
    return arr.__array_interface__["data"][0]


def _map(shm):
    buf = np.frombuffer(shm.buf, dtype=np.uint8)
    _SEGMENTS[shm.name] = shm
    _RANGES.append((_address(buf), shm.size, shm.name))
    return buf


def share_array(arr):
    """A copy of ``arr`` (C-contiguous) in a new shared-memory segment."""
    arr = np.ascontiguousarray(arr)
    shm = _shm.SharedMemory(create=True, size=max(arr.nbytes, 1))
    _OWNER_PID[shm.name] = os.getpid()
    buf = _map(shm)
    out = buf[:arr.nbytes].view(arr.dtype).reshape(arr.shape)
    out[...] = arr
    return out


def segment_of(arr):
    """``(name, byte offset)`` of the shared segment holding ``arr``'s memory, or None."""
    if not _RANGES:
        return None
    addr = _address(arr)
    for start, size, name in _RANGES:
        if start <= addr < start + size:
            return name, addr - start
    return None


def _attach(name):
    shm = _SEGMENTS.get(name)
    if shm is None:
        kwargs = {"track": False} if sys.version_info >= (3, 13) else {}
        shm = _shm.SharedMemory(name=name, **kwargs)
        _map(shm)
    return shm


def share_tensor_(t):
    """Move ``t``'s array (and its gradient's) into shared memory, in place; returns ``t``."""
    register(type(t))
    if segment_of(t._data) is None:
        t._data = share_array(t._data)
    if t.grad is not None and segment_of(t.grad._data) is None:
        t.grad._data = share_array(t.grad._data)
    return t


def _rebuild_shared(cls, name, offset, shape, dtype, strides, requires_grad, attrs):
    shm = _attach(name)
    arr = np.ndarray(shape, dtype=np.dtype(dtype), buffer=shm.buf, offset=offset,
                     strides=strides)
    t = cls._make(arr, bool(requires_grad))
    for k, v in attrs.items():
        setattr(t, k, v)
    return t


def _reduce_tensor(t):
    seg = segment_of(t._data)
    if seg is None:
        return t.__reduce_ex__(_reduction.ForkingPickler._HIGHEST_PROTOCOL
                               if hasattr(_reduction.ForkingPickler, "_HIGHEST_PROTOCOL")
                               else 4)
    a = t._data
    attrs = {k: v for k, v in getattr(t, "__dict__", {}).items() if not k.startswith("_")}
    return (_rebuild_shared, (type(t), seg[0], seg[1], a.shape, a.dtype.str, a.strides,
                              t._requires_grad and t.grad_fn is None, attrs))


def register(cls):
    """Send instances of the Tensor class ``cls`` through shared memory when they are
    pickled by ``multiprocessing`` (done for every class that ``share_memory_`` sees)."""
    if cls not in _REGISTERED:
        _REGISTERED.add(cls)
        _reduction.ForkingPickler.register(cls, _reduce_tensor)


@atexit.register
def _cleanup():
    pid = os.getpid()
    for name, shm in list(_SEGMENTS.items()):
        try:
            shm.close()
        except BufferError:
            pass  # arrays still point into it; the mapping goes with the process
        if _OWNER_PID.get(name) == pid:
            try:
                shm.unlink()
            except FileNotFoundError:
                pass


def _spawn_entry(fn, i, args, error_queue):
    try:
        fn(i, *args)
    except BaseException as e:  # noqa: BLE001 (reported to the parent)
        import traceback
        error_queue.put((i, f"{type(e).__name__}: {e}\n{traceback.format_exc()}"))
        raise


class ProcessRaisedException(Exception):
    """A process started by ``spawn`` raised; the message carries its traceback."""


class ProcessContext:
    """What ``spawn(..., join=False)`` returns: ``processes``, ``join()``, ``pids()``."""

    def __init__(self, processes, error_queue):
        self.processes = processes
        self.error_queue = error_queue

    def pids(self):
        return [p.pid for p in self.processes]

    def join(self, timeout=None):
        for p in self.processes:
            p.join(timeout)
        if not self.error_queue.empty():
            i, msg = self.error_queue.get()
            raise ProcessRaisedException(f"process {i} terminated with an exception:\n{msg}")
        for i, p in enumerate(self.processes):
            if p.exitcode not in (0, None):
                raise ProcessRaisedException(f"process {i} terminated with exit code "
                                             f"{p.exitcode}")
        return all(p.exitcode is not None for p in self.processes)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    ctx = _mp.get_context(start_method)
    error_queue = ctx.SimpleQueue()
    procs = []
    for i in range(nprocs):
        p = ctx.Process(target=_spawn_entry, args=(fn, i, args, error_queue), daemon=daemon)
        p.start()
        procs.append(p)
    context = ProcessContext(procs, error_queue)
    if not join:
        return context
    context.join()
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Run ``fn(i, *args)`` for ``i`` in ``range(nprocs)`` in new processes (PyTorch's
    ``torch.multiprocessing.spawn``); with ``join`` wait and raise if one failed."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
