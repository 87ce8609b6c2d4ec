"""Memory: saved arrays are released by backward, kept with retain_graph, never saved under
no_grad; a training loop stays flat; graphs are freed by reference counting alone."""
import gc
import tracemalloc
import weakref

import numpy as np
import pytest

import autodiff as ad

N_BIG = 12_500_000  # float64 elements: 100 MB


@pytest.fixture
def traced():
    gc.collect()
    tracemalloc.start()
    yield
    tracemalloc.stop()


def _mb():
    return tracemalloc.get_traced_memory()[0] / 1e6


def _loss_with_big_intermediate(w, n):
    big = w * ad.ones(n, dtype=ad.float64)   # n float64: an intermediate saved by the next Mul
    return (big * big).sum()


def test_backward_releases_100mb_intermediate_while_loss_alive(traced):
    w = ad.tensor(np.array([1.5]), requires_grad=True)
    base = _mb()
    loss = _loss_with_big_intermediate(w, N_BIG)
    held = _mb() - base
    assert held > 190          # big and the ones, saved for backward
    loss.backward()
    after = _mb() - base
    assert loss.grad_fn is not None     # the loss (and its graph structure) is still alive
    assert after < 1.0, f"{after:.1f} MB still held after backward"
    np.testing.assert_allclose(w.grad._data, [2 * 1.5 * N_BIG])


def test_retain_graph_keeps_saved_arrays(traced):
    n = N_BIG // 10
    w = ad.tensor(np.array([1.5]), requires_grad=True)
    base = _mb()
    loss = _loss_with_big_intermediate(w, n)
    loss.backward(retain_graph=True)
    assert _mb() - base > 15    # 2 x 10 MB still saved
    loss.backward()
    assert _mb() - base < 1.0
    np.testing.assert_allclose(w.grad._data, [2 * 2 * 1.5 * n])


def test_no_grad_saves_nothing(traced):
    n = N_BIG // 10
    w = ad.tensor(np.array([1.5]), requires_grad=True)
    base = _mb()
    with ad.no_grad():
        loss = _loss_with_big_intermediate(w, n)
    assert loss.grad_fn is None
    assert _mb() - base < 1.0


def test_ctx_attributes_are_released():
    class Stash(ad.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mask = np.ones(1000)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            assert ctx.mask.shape == (1000,)
            return g * 2

    x = ad.tensor([1.0], requires_grad=True)
    y = Stash.apply(x)
    y.sum().backward()
    assert not hasattr(y.grad_fn, "mask")


def _mlp_params(rng):
    return [ad.tensor(rng.randn(4, 8) * 0.5, requires_grad=True),
            ad.tensor(np.zeros(8), requires_grad=True),
            ad.tensor(rng.randn(8, 1) * 0.5, requires_grad=True)]


def _step(params, x, y):
    w1, b1, w2 = params
    out = (x @ w1 + b1).tanh() @ w2
    loss = ((out - y) ** 2).mean()
    for p in params:
        p.grad = None
    loss.backward()
    with ad.no_grad():
        for p in params:
            p -= 0.05 * p.grad
    return loss.item()


@pytest.mark.slow
def test_training_loop_memory_is_flat_over_1000_steps(traced):
    rng = np.random.RandomState(0)
    x = ad.tensor(rng.randn(16, 4))
    y = ad.tensor(rng.randn(16, 1))
    params = _mlp_params(rng)
    first = None
    for i in range(1000):
        loss = _step(params, x, y)
        if i == 0:
            first = loss
        if i == 99:
            gc.collect()
            mid = tracemalloc.get_traced_memory()[0]
    gc.collect()
    end = tracemalloc.get_traced_memory()[0]
    assert loss < first
    assert end - mid < 20_000, f"grew {end - mid} bytes over 900 steps"


def _graph_refs(x, w):
    h = x @ w
    a = h.tanh()
    b = a.exp() * h          # ExpBackward saves its output
    c = b.sum()
    refs = [weakref.ref(t) for t in (h, a, b, c)]
    refs += [weakref.ref(t.grad_fn) for t in (h, a, b, c)]
    refs.append(weakref.ref(h.grad_fn.next_functions[1][0]))   # w's AccumulateGrad
    return c, refs


@pytest.mark.parametrize("do_backward", [False, True, "retain", "create_graph"])
def test_graph_freed_by_refcounting_alone(do_backward):
    rng = np.random.RandomState(1)
    x = ad.tensor(rng.randn(3, 4))
    w = ad.tensor(rng.randn(4, 2), requires_grad=True)
    gc.collect()
    gc.disable()
    try:
        loss, refs = _graph_refs(x, w)
        if do_backward is True:
            loss.backward()
        elif do_backward == "retain":
            loss.backward(retain_graph=True)
        elif do_backward == "create_graph":
            g, = ad.grad(loss, w, create_graph=True)
            g.sum().backward()
            del g
        del loss
        alive = [r for r in refs if r() is not None]
        assert not alive, f"kept alive without the GC: {[r() for r in alive]}"
    finally:
        gc.enable()


def test_retain_grad_hooks_and_custom_function_graph_freed_without_gc():
    class Sq(ad.Function):
        @staticmethod
        def forward(ctx, x):
            out = x * x
            ctx.save_for_backward(x, out)
            return out

        @staticmethod
        def backward(ctx, g):
            x, out = ctx.saved_tensors
            return g * 2 * x

    w = ad.tensor(np.ones(3), requires_grad=True)
    gc.collect()
    gc.disable()
    try:
        h = Sq.apply(w * 2)
        h.retain_grad()
        h.register_hook(lambda g: g * 1)
        loss = h.sum()
        refs = [weakref.ref(h), weakref.ref(h.grad_fn), weakref.ref(loss.grad_fn)]
        loss.backward()
        del h, loss
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_scalar_graph_freed_without_gc():
    from autodiff.scalar import Scalar
    a, b = Scalar(2.0), Scalar(-1.0)
    gc.collect()
    gc.disable()
    try:
        n = (a * b + 1.0).tanh()
        refs = [weakref.ref(n), weakref.ref(n.grad_fn)]
        n.backward()
        del n
        assert all(r() is None for r in refs)
    finally:
        gc.enable()
