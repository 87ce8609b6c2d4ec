"""What a node saved for backward: one ``Saved`` record per value, with the in-place check.

``ctx.save_for_backward(*items)`` stores the items as given; once the op's outputs exist,
``resolve`` turns each into a ``Saved``: an ``INPUT`` Tensor (kept with the version it had),
an ``OUTPUT`` (only its array and output number: the node never holds its own output Tensor,
which would make a reference cycle; a weak reference serves the in-place check) or a
``CONST`` array. ``Saved.check`` is the one place that raises when a saved tensor was
modified in place after the op recorded it.
"""
from __future__ import annotations

import weakref

import numpy as np

Tensor = None  # set by function.bind_tensor (avoids an import cycle)
_data_slot = None  # Tensor's ``_data`` slot descriptor, set with it

_ref = weakref.ref
_ndarray = np.ndarray
_PY_NUMBERS = (float, int)

CONST, INPUT, OUTPUT = "const", "input", "output"


class Saved:
    """One saved value: ``kind`` (``INPUT``, ``OUTPUT`` or ``CONST``), ``value`` (the input
    Tensor, the output's array, or the constant array or None), ``version`` (an input's
    version when saved), ``nr`` (an output's number) and ``ref`` (a weak reference to the
    output Tensor, or ``_Overwritten`` once it was written in place)."""

    __slots__ = ("kind", "value", "version", "nr", "ref")

    def __init__(self, kind, value, version=0, nr=0, ref=None):
        self.kind = kind
        self.value = value
        self.version = version
        self.nr = nr
        self.ref = ref

    def check(self, node):
        """Raise ``RuntimeError`` if the saved tensor was modified in place since."""
        kind = self.kind
        if kind is INPUT:
            t = self.value
            if t._version != self.version:
                raise RuntimeError(_inplace_msg(node, t, self.version, "an input"))
        elif kind is OUTPUT and self.ref is not None:
            t = self.ref()
            if t is not None and t._version != 0:
                raise RuntimeError(_inplace_msg(node, t, 0, f"output {self.nr}"))

    def tensor(self, node):
        """The saved value as a Tensor (an output is rebuilt pointing at ``node``)."""
        self.check(node)
        kind = self.kind
        if kind is INPUT:
            return self.value
        if kind is OUTPUT:
            return Tensor._make(self.value, True, node, self.nr)
        return None if self.value is None else Tensor._make(self.value)

    def array(self, node):
        """The saved value's array (None for a saved None)."""
        self.check(node)
        return self.value._data if self.kind is INPUT else self.value


def array_of(t):
    """The array a Tensor holds (a Scalar's ``.data`` is a float; the engine wants the 0-d
    array behind it)."""
    d = t._data
    if d.__class__ is _ndarray:
        return d
    global _data_slot
    if _data_slot is None:
        _data_slot = Tensor.__dict__["_data"]
    return _data_slot.__get__(t)


def _inplace_msg(node, t, expected, what):
    return (f"one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: {what} of {node.name()} (shape {tuple(t.shape)}, dtype "
            f"{t.dtype}) was saved at version {expected} and is now at version "
            f"{t._version}. Hint: replace the in-place operation by an out-of-place one, "
            "or clone() the tensor before modifying it.")


class _Overwritten:
    """Stands in for the weak reference of a saved output that was written in place: the
    output Tensor may be gone by the time backward runs, and the check must still fire."""

    __slots__ = ("shape", "dtype", "_version")

    def __init__(self, t):
        self.shape, self.dtype, self._version = tuple(t.shape), t.dtype, t._version

    def __call__(self):
        return self


def note_inplace(t):
    """Called by the in-place ops right after writing into ``t``'s array (before ``t`` is
    re-pointed at a new node): if ``t``'s node saved that array as its output, remember the
    write there, so its backward raises even when ``t`` itself was dropped meanwhile (the weak
    reference alone would then see nothing)."""
    saved = getattr(t.grad_fn, "_saved", None)
    if saved.__class__ is not list:
        return
    arr = t._data
    for s in saved:
        if s.kind is OUTPUT and s.value is arr:
            s.ref = _Overwritten(t)


def resolve(items, args, arrays, outs, raws):
    """Turn what forward passed to ``save_for_backward`` into ``Saved`` records. An item is
    matched by identity to an argument, then to an output (the array, or the object forward
    returned: a NumPy scalar or a Tensor made into the array); anything else is a constant."""
    if len(items) == 1 and items[0] is arrays[0] and len(arrays) == 1:
        # exp, tanh, sigmoid, sqrt, relu: the one output
        out = outs[0]
        return [Saved(OUTPUT, arrays[0], 0, 0, _ref(out) if out.grad_fn is not None else None)]
    T = Tensor
    saved = []
    for x in items:
        if x is None:
            saved.append(Saved(CONST, None))
            continue
        xd = array_of(x) if isinstance(x, T) else x
        for a in args:
            if isinstance(a, T):
                ad = a._data
                if ad.__class__ is not _ndarray:  # (array_of inline: one call less per arg)
                    ad = array_of(a)
                if x is a or xd is ad:
                    saved.append(Saved(INPUT, a, a._version))
                    break
        else:
            for i, o in enumerate(arrays):
                if xd is o or (raws is not None and (xd is raws[i] or x is raws[i])):
                    out = outs[i]
                    saved.append(Saved(OUTPUT, o, 0, i,
                                       _ref(out) if out.grad_fn is not None else None))
                    break
            else:
                if xd.__class__ in _PY_NUMBERS and arrays and arrays[0].dtype.kind in "fc":
                    # a Python number is a weak scalar (PyTorch): backward computes with it in
                    # the op's float dtype (grad * 0.1f), not in float64
                    saved.append(Saved(CONST, np.asarray(xd, dtype=arrays[0].dtype)))
                else:
                    saved.append(Saved(CONST, np.asarray(xd)))
    return saved
