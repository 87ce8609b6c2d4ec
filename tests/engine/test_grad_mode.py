"""no_grad / enable_grad / set_grad_enabled: context managers, decorators, thread-local."""
import threading

import numpy as np
import pytest

import autodiff as ad


def x64():
    return ad.tensor(np.array([1.0, 2.0]), requires_grad=True)


def test_no_grad_context():
    x = x64()
    with ad.no_grad():
        assert not ad.is_grad_enabled()
        y = x * 2
    assert ad.is_grad_enabled()
    assert y.grad_fn is None and not y.requires_grad


def test_enable_grad_inside_no_grad():
    x = x64()
    with ad.no_grad():
        with ad.enable_grad():
            y = x * 2
        z = x * 2
    assert y.requires_grad and z.grad_fn is None


def test_decorators_with_and_without_parentheses():
    x = x64()

    @ad.no_grad()
    def f1(t):
        return t * 2

    @ad.no_grad
    def f2(t):
        return t * 2

    @ad.enable_grad
    def g(t):
        return t * 2

    assert f1(x).grad_fn is None and f2(x).grad_fn is None
    assert ad.is_grad_enabled()
    with ad.no_grad():
        assert g(x).requires_grad
        assert not ad.is_grad_enabled()
    assert f1.__name__ == "f1"


def test_decorator_restores_mode_on_exception():
    @ad.no_grad()
    def boom():
        raise ValueError("x")

    with pytest.raises(ValueError):
        boom()
    assert ad.is_grad_enabled()


def test_set_grad_enabled_as_function_context_and_decorator():
    x = x64()
    ad.set_grad_enabled(False)
    try:
        assert not ad.is_grad_enabled()
        assert (x * 2).grad_fn is None
    finally:
        ad.set_grad_enabled(True)
    assert ad.is_grad_enabled()

    with ad.set_grad_enabled(False):
        assert not ad.is_grad_enabled()
    assert ad.is_grad_enabled()

    with ad.no_grad():
        with ad.set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not ad.is_grad_enabled()
    assert ad.is_grad_enabled()

    @ad.set_grad_enabled(False)
    def f(t):
        assert not ad.is_grad_enabled()
        return t * 2

    assert ad.is_grad_enabled()  # decorating does not change the mode
    assert f(x).grad_fn is None
    assert ad.is_grad_enabled()


def test_set_grad_enabled_reused_object():
    ctx = ad.set_grad_enabled(False)
    ad.set_grad_enabled(True)
    for _ in range(2):
        with ctx:
            assert not ad.is_grad_enabled()
        assert ad.is_grad_enabled()


def test_nested_same_no_grad_object():
    ng = ad.no_grad()
    with ng:
        with ad.enable_grad():
            with ng:
                assert not ad.is_grad_enabled()
            assert ad.is_grad_enabled()
        assert not ad.is_grad_enabled()
    assert ad.is_grad_enabled()


def test_set_grad_enabled_type_error():
    with pytest.raises(TypeError):
        ad.set_grad_enabled("yes")


def test_grad_mode_is_thread_local():
    x = x64()
    inside = threading.Event()
    release = threading.Event()
    result = {}

    def worker_no_grad():
        with ad.no_grad():
            inside.set()
            release.wait(5)
            result["worker_enabled"] = ad.is_grad_enabled()
            result["worker_y"] = x * 2

    t = threading.Thread(target=worker_no_grad)
    t.start()
    assert inside.wait(5)
    # the other thread is inside no_grad; this one still records
    assert ad.is_grad_enabled()
    y = x * 2
    release.set()
    t.join(5)
    assert y.grad_fn is not None
    assert result["worker_enabled"] is False
    assert result["worker_y"].grad_fn is None

    # a new thread starts with grad enabled even if this one disabled it
    seen = {}
    with ad.no_grad():
        th = threading.Thread(target=lambda: seen.setdefault("mode", ad.is_grad_enabled()))
        th.start()
        th.join(5)
    assert seen["mode"] is True


def test_decorated_generator_runs_each_step_in_the_mode():
    x = x64()

    @ad.no_grad()
    def gen(n):
        for _ in range(n):
            yield ad.is_grad_enabled(), x * 2

    seen = []
    for enabled, y in gen(2):
        seen.append((enabled, y.grad_fn is None, ad.is_grad_enabled()))
    assert seen == [(False, True, True), (False, True, True)]
