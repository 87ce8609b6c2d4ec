"""``autodiff.utils.checkpoint``: activation checkpointing, as an exact no-op.

``checkpoint(function, *args, use_reentrant=None, **kwargs)`` returns ``function(*args,
**kwargs)`` with the graph recorded as usual: the gradients are the same as PyTorch's
checkpointed ones, but the memory saving (recomputing the forward during backward) is not
implemented. ``checkpoint_sequential(functions, segments, input)`` likewise runs the modules
in order.
"""

from __future__ import annotations

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(
    function,
    *args,
    use_reentrant=None,
    context_fn=None,
    determinism_check="default",
    debug=False,
    preserve_rng_state=True,
    **kwargs,
):
    return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    mods = (
        list(functions.children())
        if hasattr(functions, "children") and not isinstance(functions, (list, tuple))
        else list(functions)
    )
    for f in mods:
        input = f(input)
    return input
