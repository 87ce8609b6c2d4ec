"""The graph's nodes: ``Node`` (an op's ``ctx`` in forward, its ``grad_fn`` afterwards) and
``AccumulateGrad`` (a leaf's node: backward adds into ``leaf.grad``).

A node holds what backward needs and nothing more: ``_next`` (the input nodes, ``None`` where
no gradient is needed), ``_nr`` (their output numbers), ``input_meta`` (``(shape, dtype)`` of
each input, for the engine to sum and cast gradients to) and ``_saved`` (``saved.Saved``
records). Rarely-set state (hooks, name scope, op attributes such as ``ctx.mask``) lives in the
instance dict only when set.
"""
from __future__ import annotations

import weakref

from . import saved
from .hooks import RemovableHandle

_ref = weakref.ref


class _Freed:
    """Marks a node whose saved state was released by backward."""

    def __repr__(self):
        return "<freed>"


FREED = _Freed()

# node attributes that describe the graph (kept when a node is released; the rest of the
# instance dict is op state such as ``ctx.mask`` and is dropped)
_KEEP = ("n_outputs", "output_meta", "scope", "stack", "_post_hooks", "pre_hooks", "retained",
         "materialize_grads", "_const_args")


class Node:
    """A recorded op: the ``ctx`` of forward and the ``grad_fn`` of its outputs.

    ``next_functions``: one ``(node, output_nr)`` per forward argument (``None`` for arguments
    that need no gradient); ``needs_input_grad``: one bool per forward argument;
    ``input_meta``: ``(shape, dtype)`` of each argument that needs a gradient (the engine sums
    and casts returned gradients to it).

    Storage is compact because a graph has one node per op: ``_next`` holds the input nodes
    (``None`` where no gradient is needed) and ``_nr`` their output numbers; ``_nr``,
    ``needs_input_grad`` and ``input_meta`` are interned (the same few tuples recur op after
    op), so recording an op leaves two new containers (the node and ``_next``) for the
    garbage collector to count.
    """

    __slots__ = ("_next", "_nr", "needs_input_grad", "input_meta", "_saved", "__dict__",
                 "__weakref__")

    # rarely-set state lives in the instance dict only when set; these are the defaults
    fn = None
    n_outputs = 1
    output_meta = None
    pre_hooks = None         # {output_nr: {handle id: hook}} (Tensor.register_hook)
    retained = None          # {output_nr: weakref to Tensor} (Tensor.retain_grad)
    non_differentiable = None
    materialize_grads = True
    scope = None             # name_scope at creation (nn.Module), for draw_graph
    stack = None             # creation stack, recorded in anomaly mode only
    _post_hooks = None

    # ---- the ctx interface (PyTorch names) --------------------------------------------------
    def save_for_backward(self, *items):
        """Save Tensors (or, in ``Op.forward``, arrays) for backward. Inputs and outputs of
        this op come back from ``saved_tensors`` graph-connected; an input modified in place
        afterwards makes ``saved_tensors`` raise."""
        self._saved = items  # resolved by apply once the outputs exist

    def saved(self, arrays=False):
        """What ``save_for_backward`` stored, as Tensors (``arrays=False``: inputs and outputs
        come back graph-connected) or as their arrays (``arrays=True``, for an array-only
        backward). Raises if a saved tensor was modified in place since, or was freed."""
        items = self._saved
        if items is None:
            return ()
        if items is FREED:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to "
                "access saved tensors after they have been freed). Saved intermediate values "
                "of the graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        if items.__class__ is tuple:  # not yet resolved: we are still inside forward
            raise RuntimeError(f"{self.name()}: saved_tensors is only available in backward")
        if arrays:
            return tuple([x.array(self) for x in items])
        return tuple([x.tensor(self) for x in items])

    @property
    def saved_tensors(self):
        """``saved()``: the saved values as Tensors (PyTorch's name)."""
        return self.saved()

    def mark_non_differentiable(self, *outputs):
        """Outputs given here get ``requires_grad=False`` (their gradient in backward is zero)."""
        self.non_differentiable = [id(o._data if isinstance(o, saved.Tensor) else o)
                                   for o in outputs]

    def set_materialize_grads(self, value):
        """``False``: backward receives ``None`` (not zeros) for outputs that got no gradient."""
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors):
        raise NotImplementedError(
            f"{self.name()}: mark_dirty (in-place custom Functions) is not supported; return a "
            "new tensor instead")

    # ---- graph inspection ----------------------------------------------------------------------
    @classmethod
    def name(cls):
        return cls.__name__

    @property
    def next_functions(self):
        """One ``(node, output_nr)`` per forward argument, ``(None, 0)`` where no gradient
        flows (as PyTorch)."""
        return tuple([(None, 0) if n is None else (n, i) for n, i in zip(self._next, self._nr)])

    @property
    def _freed(self):
        return self._saved is FREED

    def register_hook(self, fn):
        """``fn(grad_inputs, grad_outputs)`` after this node's backward (PyTorch's Node hook)."""
        hooks = self._post_hooks
        if hooks is None:
            hooks = self._post_hooks = {}
        handle = RemovableHandle(hooks)
        hooks[handle.id] = fn
        return handle

    def __repr__(self):
        return f"<{self.name()} object at {id(self):#x}>"

    def _release(self):
        """Drop everything saved for backward: arrays, saved tensors, ctx attributes. A node
        that saved nothing stays runnable (as in PyTorch, where only reading a freed saved
        tensor is an error)."""
        d = self.__dict__
        if d:
            keep = [(k, d[k]) for k in _KEEP if k in d]
            if len(keep) != len(d):
                d.clear()
                d.update(keep)
                self._saved = FREED
                return
        if self._saved is not None:
            self._saved = FREED


class AccumulateGrad:
    """The graph node of a leaf that requires grad: backward adds into ``leaf.grad``."""

    __slots__ = ("variable", "__weakref__")
    next_functions = ()
    _next = ()
    n_outputs = 1
    scope = None
    pre_hooks = None
    retained = None
    _freed = False

    def __init__(self, variable):
        self.variable = variable

    @staticmethod
    def name():
        return "AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {id(self):#x}>"


def _accumulator(t):
    """The ``AccumulateGrad`` node of leaf ``t`` (one per leaf while the graph lives)."""
    ref = t._accum
    acc = ref() if ref is not None else None
    if acc is None:
        acc = AccumulateGrad(t)
        t._accum = _ref(acc)
    return acc


# Built-in ops whose PyTorch node name is not ``<op class name>Backward0`` (where PyTorch's
# name depends on the arguments, the most common case is taken: ``Sum`` is ``SumBackward0``
# although PyTorch names a sum over ``dim`` ``SumBackward1``).
