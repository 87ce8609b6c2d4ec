"""Grad modes, anomaly detection and name scopes: the per-thread switches that ops read.

Everything here is thread-local state plus the context managers that set it; nothing here
imports the rest of the engine, so ``function``, ``engine`` and ``tensor`` can all import it.

Documented interface for ``nn`` and ``optim`` (hot paths that cannot afford a ``with`` block):
``is_grad_enabled()``, ``enter_scope(name)`` / ``exit_scope()`` (what ``name_scope`` does, as
two calls) and the decorators ``no_grad()(fn)`` / ``enable_grad()(fn)``.
"""
from __future__ import annotations

import functools
import inspect
import os
import threading
import traceback

import numpy as np


class _State(threading.local):
    """Per-thread engine state. ``extra`` is true when a name scope or anomaly mode is active,
    so ``Function.apply`` checks one flag instead of two on its hot path."""

    def __init__(self):
        self.grad_enabled = True
        self.anomaly = False
        self.anomaly_check_nan = True
        self.scope = []
        self.extra = False


_state = _State()


def _update_extra():
    _state.extra = bool(_state.scope) or _state.anomaly


# ---------------------------------------------------------------------------------------------
# grad modes


def is_grad_enabled():
    """Whether ops record the graph in this thread."""
    return _state.grad_enabled


class _GradMode:
    """Sets grad mode (thread-local) as a context manager or a decorator; like PyTorch it also
    works as a decorator without parentheses (``@ad.no_grad``)."""

    _mode = True

    def __new__(cls, orig_func=None):
        if orig_func is None:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments (got {orig_func!r})")
        return cls()(orig_func)

    def __init__(self, orig_func=None):
        self._prev = []

    def __enter__(self):
        self._prev.append(_state.grad_enabled)
        _state.grad_enabled = self._mode
        return self

    def __exit__(self, *exc):
        _state.grad_enabled = self._prev.pop()
        return False

    def __call__(self, fn):
        if not callable(fn):
            raise TypeError(f"{type(self).__name__}: can only decorate a callable (got "
                            f"{type(fn).__name__})")
        mode = self._mode
        if inspect.isgeneratorfunction(fn):
            return _wrap_generator(fn, mode)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            st = _state
            prev = st.grad_enabled
            st.grad_enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                st.grad_enabled = prev
        return wrapper

    def clone(self):
        return self.__class__()


def _wrap_generator(fn, mode):
    """A decorated generator function runs each step of its body in ``mode`` (as PyTorch)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        gen = fn(*args, **kwargs)
        send = None
        while True:
            prev = _state.grad_enabled
            _state.grad_enabled = mode
            try:
                value = gen.send(send)
            except StopIteration as stop:
                return stop.value
            finally:
                _state.grad_enabled = prev
            send = yield value
    return wrapper


class no_grad(_GradMode):
    """Disable recording: ops run on values only (``with ad.no_grad():``, ``@ad.no_grad()`` or
    ``@ad.no_grad``). Thread-local, like PyTorch's."""
    _mode = False


class inference_mode(_GradMode):
    """``inference_mode(mode=True)``: as ``no_grad`` when ``mode`` is true (context manager or
    decorator, with or without parentheses), a no-op otherwise. Deliberate difference: tensors
    made inside are ordinary tensors (PyTorch's "inference tensors" refuse later autograd use;
    here they simply have no graph, as under ``no_grad``)."""

    def __new__(cls, mode=True):
        if callable(mode) and not isinstance(mode, bool):
            return cls()(mode)
        return object.__new__(cls)

    def __init__(self, mode=True):
        self._prev = []
        self._mode = not bool(mode)

    def clone(self):
        return self.__class__(not self._mode)


class enable_grad(_GradMode):
    """Enable recording (inside a ``no_grad`` block); context manager or decorator."""
    _mode = True


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(mode)``: called as a function it sets the mode at once (like PyTorch);
    as a context manager it restores the mode that was active when it was created; as a
    decorator it sets ``mode`` for each call of the function only."""

    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        if not isinstance(mode, (bool, int, np.bool_)):
            raise TypeError(f"set_grad_enabled: mode must be a bool (got {type(mode).__name__})")
        self._mode = bool(mode)
        self._prev = _state.grad_enabled
        _state.grad_enabled = self._mode

    def __enter__(self):
        _state.grad_enabled = self._mode
        return self

    def __exit__(self, *exc):
        _state.grad_enabled = self._prev
        return False

    def __call__(self, fn):
        # used as a decorator: undo the immediate effect of __init__
        _state.grad_enabled = self._prev
        return super().__call__(fn)

    def clone(self):
        prev = _state.grad_enabled
        obj = set_grad_enabled(self._mode)
        obj._prev = _state.grad_enabled = prev
        return obj


# ---------------------------------------------------------------------------------------------
# anomaly detection


class detect_anomaly:
    """Inside this block every recorded op remembers where it was created, and a NaN or inf
    produced by a backward function raises ``RuntimeError`` naming the op and that line
    (``check_nan=False`` records the stacks without checking). Also a decorator."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self._prev = []

    def __enter__(self):
        self._prev.append((_state.anomaly, _state.anomaly_check_nan))
        _state.anomaly = True
        _state.anomaly_check_nan = self.check_nan
        _update_extra()
        return self

    def __exit__(self, *exc):
        _state.anomaly, _state.anomaly_check_nan = self._prev.pop()
        _update_extra()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


def set_detect_anomaly(mode, check_nan=True):
    """Turn anomaly mode on or off for this thread (also a context manager restoring the
    previous mode)."""
    return _SetAnomaly(mode, check_nan)


class _SetAnomaly:
    def __init__(self, mode, check_nan):
        self._prev = (_state.anomaly, _state.anomaly_check_nan)
        _state.anomaly = bool(mode)
        _state.anomaly_check_nan = bool(check_nan)
        _update_extra()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state.anomaly, _state.anomaly_check_nan = self._prev
        _update_extra()
        return False


def is_anomaly_enabled():
    return _state.anomaly


def is_anomaly_check_nan_enabled():
    return _state.anomaly and _state.anomaly_check_nan


_LIB_DIRS = None


def creation_stack():
    """The user's stack at op creation (frames inside autodiff/, nn/ and optim/ removed),
    innermost last; the whole stack if every frame is inside the library."""
    global _LIB_DIRS
    if _LIB_DIRS is None:
        from ._aliases import source_dirs
        _LIB_DIRS = source_dirs()
    frames = traceback.extract_stack()[:-1]
    user = [f for f in frames if not os.path.abspath(f.filename).startswith(_LIB_DIRS)]
    return user or frames


# ---------------------------------------------------------------------------------------------
# name scopes (nn.Module.__call__ pushes its qualified name; draw_graph collapses by them)


def enter_scope(name):
    """Open the name scope ``name`` (nested in the current one) and return its qualified name:
    ``name_scope`` without the context-manager object, for ``nn.Module.__call__`` (one call
    per layer per step). Pair with ``exit_scope()``."""
    st = _state
    stack = st.scope
    qualified = f"{stack[-1]}/{name}" if stack else name
    stack.append(qualified)
    st.extra = True
    return qualified


def exit_scope():
    """Close the innermost name scope opened by ``enter_scope``."""
    st = _state
    stack = st.scope
    stack.pop()
    st.extra = bool(stack) or st.anomaly


def current_scope():
    """The qualified name of the innermost name scope, or None outside any."""
    stack = _state.scope
    return stack[-1] if stack else None


class name_scope:
    """Record ``name`` on every node created inside the block (used to collapse modules)."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        enter_scope(self.name)
        return self

    def __exit__(self, *exc):
        exit_scope()
        return False


class op_scope(name_scope):
    """Ops composed inside the block form one op named ``name`` (e.g. ``"LeakyReLU"``):
    ``draw_graph`` draws them as one box, as the user wrote the call. Recorded as the scope
    component ``name + "()"``."""

    def __init__(self, name):
        self.name = name + "()"
