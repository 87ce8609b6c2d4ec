"""What the functional modules share: ``_composed``, which records a composed function as one
op for ``draw_graph``."""
from __future__ import annotations

import functools

from autodiff.grad_mode import op_scope


def _composed(name):
    """Record the decorated function's ops as one op ``name``: ``draw_graph`` draws one box
    named as the user wrote the call (``SELU``, not ``Elu`` and ``Mul``)."""
    def wrap(fn):
        @functools.wraps(fn)
        def composed(*args, **kwargs):
            with op_scope(name):
                return fn(*args, **kwargs)
        return composed
    return wrap
