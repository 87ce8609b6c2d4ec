"""``autodiff.multiprocessing`` and ``nn.Module.share_memory()``: children started with fork or
spawn update the parent's parameters in place (Hogwild), as with ``torch.multiprocessing``."""
from __future__ import annotations

import multiprocessing
import pickle

import numpy as np
import pytest

import autodiff as ad
import autodiff.multiprocessing as mp
from autodiff import nn
from tests.multiprocessing import hogwild_worker


def test_is_the_standard_library_module():
    assert mp.Process is multiprocessing.Process
    assert mp.set_start_method is multiprocessing.set_start_method
    assert mp.get_context is multiprocessing.get_context
    assert callable(mp.Queue) and callable(mp.spawn)
    assert ad.multiprocessing is mp


def test_share_memory_keeps_objects_and_values_and_pickle_copies():
    model = nn.Linear(3, 2)
    before = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    params = list(model.parameters())
    assert model.share_memory() is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(p.is_shared() for p in params)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy(), before[k])
    # plain pickle still copies (only multiprocessing's pickler shares)
    w = pickle.loads(pickle.dumps(model.weight))
    assert not w.is_shared()
    np.testing.assert_array_equal(w.detach().numpy(), before["weight"])


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_hogwild_two_processes_update_the_parents_parameters(method):
    ctx = mp.get_context(method)
    ad.manual_seed(0)
    model = nn.Linear(3, 1, bias=False)
    model.share_memory()
    w0 = model.weight.detach().numpy().copy()
    queue = ctx.Queue()
    procs = [ctx.Process(target=hogwild_worker.train, args=(rank, model, 20, queue))
             for rank in range(2)]
    for p in procs:
        p.start()
    seen = dict(queue.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    w = model.weight.detach().numpy()
    # the parent's weights moved (towards the target weights [1, 1, 1]) ...
    assert not np.allclose(w, w0)
    assert np.abs(w - 1).sum() < np.abs(w0 - 1).sum()
    # ... and the process that finished last saw exactly the parent's final weights
    assert any(np.array_equal(v, w) for v in seen.values())


def test_a_tensor_sent_through_a_queue_shares_memory():
    ctx = mp.get_context("fork")
    t = ad.zeros(4).share_memory_()
    q = ctx.Queue()
    p = ctx.Process(target=hogwild_worker.add_from_queue, args=(q,))
    p.start()
    q.put(t)  # pickled by multiprocessing: the child rebuilds it on the same segment
    p.join(timeout=120)
    assert p.exitcode == 0
    np.testing.assert_array_equal(t.numpy(), np.full(4, 3.0, np.float32))
