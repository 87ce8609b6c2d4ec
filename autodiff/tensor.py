"""Tensor: an ndarray plus the bookkeeping of reverse-mode autodiff (storage, grad, hooks,
backward, views' version counter, printing).

The op methods are in ``autodiff/tensor_methods/``, one mixin per op family (``arithmetic``:
the operators, ``elementwise``, ``reduce``, ``shape``, ``index``, ``linalg``, ``storage``); they
call ops explicitly (``__mul__`` is ``Mul.apply(self, other)``, ``t.exp`` is
``ops.elementwise.unary.exp``): there is no registration magic. The NumPy array lives in the
``_data`` slot (``numpy()`` gives it to users); ``.data`` is PyTorch's: a detached Tensor sharing
the same memory.
"""
from __future__ import annotations

import sys
import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import engine, function
from .dtypes import wrap as _wrap_dtype
from .hooks import RemovableHandle, run_post_accumulate_hooks
from .node import _accumulator
from .tensor_methods.arithmetic import ArithmeticMethods
from .tensor_methods.elementwise import ElementwiseMethods
from .tensor_methods.index import IndexMethods
from .tensor_methods.linalg import LinalgMethods
from .tensor_methods.reduce import ReduceMethods
from .tensor_methods.shape import ShapeMethods
from .tensor_methods.storage import StorageMethods
from .types import DTypeLike, Number, TensorLike

DEFAULT_DTYPE = np.dtype(np.float32)


def _to_array(data, dtype=None, copy=True):
    """Convert user data to an ndarray with the library's dtype rules."""
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, np.ndarray):
        arr = np.array(data, copy=copy) if dtype is None else np.array(data, dtype=dtype, copy=copy)
        return arr
    if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in _flat(data)):
        data = _untensor(data)
    arr = np.array(data)
    if dtype is not None:
        return arr.astype(dtype, copy=False)
    if arr.dtype == np.float64 and not isinstance(data, np.generic):
        arr = arr.astype(DEFAULT_DTYPE)
    elif arr.dtype.kind in "USO":
        raise TypeError(f"tensor: cannot make a tensor from data of type {type(data).__name__}"
                        f" (got dtype {arr.dtype})")
    return arr


def _flat(x):
    for v in x:
        if isinstance(v, (list, tuple)):
            yield from _flat(v)
        else:
            yield v


def _untensor(x):
    if isinstance(x, Tensor):
        return x._data
    if isinstance(x, (list, tuple)):
        return [_untensor(v) for v in x]
    return x


def _check_grad_dtype(dtype):
    if np.dtype(dtype).kind not in "fc":
        raise RuntimeError(f"only Tensors of floating point dtype can require gradients "
                           f"(got {np.dtype(dtype)})")


class Tensor(ArithmeticMethods, ElementwiseMethods, ReduceMethods, ShapeMethods, IndexMethods,
             LinalgMethods, StorageMethods):
    """A multi-dimensional array that records the ops applied to it.

    ``Tensor(data, requires_grad=False, dtype=None)``: ``data`` is a nested list, a number, an
    ndarray (copied) or a Tensor. Python floats become float32; a float64 ndarray stays float64;
    integers become int64.
    """

    # State every tensor sets lives in slots; rarely-set state (hooks, the leaf's grad
    # accumulator, retain_grad, user attributes) is a class default overridden in the instance
    # __dict__, which CPython creates only when first written: _make stays short.
    __slots__ = ("_data", "_grad", "_requires_grad", "grad_fn", "_output_nr", "__dict__",
                 "__weakref__")
    __array_priority__ = 1000  # ndarray (op) Tensor defers to the Tensor's reflected op
    _hooks = None
    _post_acc_hooks = None
    _accum = None
    _retains_grad = False
    _vc = None    # the version counter: a one-item list, shared by a tensor and its views
    _base = None  # for a view (reshape, permute, basic indexing...): the tensor it views
    _view_chain = None  # for a view: the steps that remake it from _base (ops.shape.views._view)

    def __getstate__(self):
        """Pickle state without the weak references a view's version counter keeps to its
        views (they only serve in-place writes within this process)."""
        state = object.__getstate__(self)
        d, slots = state if isinstance(state, tuple) else (state, None)
        if d and isinstance(d.get("_vc"), list) and len(d["_vc"]) > 1:
            d = dict(d)
            d["_vc"] = [d["_vc"][0]]
        return (d, slots) if slots is not None else d

    @property
    def data(self):
        """PyTorch's ``.data``: a tensor that shares this tensor's memory, without its graph.

        It never requires grad, and writes through it are not recorded by autograd (nor seen
        by the version counter), so ``p.data.add_(p.grad, alpha=-lr)`` updates a parameter the
        way hand-written SGD does. The NumPy array itself is ``t.numpy()`` (``t._data`` inside
        the library)."""
        return Tensor._make(self._data)

    @data.setter
    def data(self, value):
        """``t.data = other`` makes ``t`` hold ``other``'s memory (shape and dtype may change,
        as in PyTorch); an ndarray is accepted as well."""
        if isinstance(value, Tensor):
            value = value._data
        elif not isinstance(value, np.ndarray):
            raise TypeError(f"Tensor.data: expected a Tensor (got {type(value).__name__})")
        if self._requires_grad:
            _check_grad_dtype(value.dtype)
        self._data = value

    @property
    def _version(self):
        """How many in-place writes this tensor's memory has seen (shared with its views, so
        a write through a view invalidates what was saved of the base, and the reverse)."""
        vc = self._vc
        return 0 if vc is None else vc[0]

    @_version.setter
    def _version(self, value):
        vc = self._vc
        if vc is None:
            self._vc = [value]
        else:
            vc[0] = value

    def __init__(self, data: TensorLike, requires_grad: bool = False, dtype: DTypeLike = None):
        self._data = _to_array(data, dtype)
        self._grad = None
        self.grad_fn = None
        self._output_nr = 0
        self._requires_grad = False
        if requires_grad:
            _check_grad_dtype(self._data.dtype)
            self._requires_grad = True

    @classmethod
    def _make(cls, array, requires_grad=False, grad_fn=None, output_nr=0):
        t = object.__new__(cls)
        t._data = array
        t._grad = None
        t._requires_grad = requires_grad
        t.grad_fn = grad_fn
        t._output_nr = output_nr
        return t

    # ---- autograd state ------------------------------------------------------------------------
    @property
    def grad(self):
        """The accumulated gradient (a Tensor of this tensor's shape and dtype) or None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value is self:
                raise RuntimeError("can't assign Variable as its own grad")
            d, s = value._data, self._data
            if d.shape != s.shape:
                raise RuntimeError(f"assigned grad has data of a different size: attempting to "
                                   f"assign a gradient of size {list(d.shape)} to a tensor of "
                                   f"size {list(s.shape)}")
            if d.dtype != s.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: attempting to "
                                   f"assign a gradient with dtype {d.dtype} to a tensor with "
                                   f"dtype {s.dtype}")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        if self.grad_fn is not None and not value:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. "
                               "Use detach() to get a tensor that does not require grad.")
        if value:
            _check_grad_dtype(self._data.dtype)
        self._requires_grad = bool(value)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    def detach(self) -> Tensor:
        """A Tensor sharing this one's data (and version counter), cut from the graph."""
        t = Tensor._make(self._data)
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        t._vc = vc
        return t

    def detach_(self) -> Tensor:
        self.grad_fn = None
        self._requires_grad = False
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for a non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        node = self.grad_fn
        if node.retained is None:
            node.retained = {}
        node.retained[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    @property
    def retains_grad(self):
        return self._retains_grad

    def register_hook(self, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
        """``hook(grad) -> Tensor or None`` runs when this tensor's gradient is computed; a
        returned Tensor replaces the gradient. Returns a handle with ``remove()``."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = {}
            store = self._hooks
        else:
            node = self.grad_fn
            if node.pre_hooks is None:
                node.pre_hooks = {}
            store = node.pre_hooks.setdefault(self._output_nr, {})
        handle = RemovableHandle(store)
        store[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor)`` runs after backward has accumulated this leaf's gradient into
        ``.grad`` (e.g. to step an optimizer per parameter during backward); returns a handle
        with ``remove()``. Leaves that require grad only, as PyTorch."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = {}
        handle = RemovableHandle(self._post_acc_hooks)
        self._post_acc_hooks[handle.id] = hook
        return handle

    def _grad_accumulator(self):
        if self.grad_fn is not None:
            return self.grad_fn
        if not self._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn")
        return _accumulator(self)

    def _accumulate_grad(self, g, create_graph):
        if self.grad is None:
            # own copy: a gradient array may be shared with other tensors' gradients
            self.grad = (g if create_graph
                         else Tensor._make(np.array(g._data, dtype=self._data.dtype)))
        elif create_graph:
            self.grad = self.grad + g
        else:
            self.grad = Tensor._make(np.asarray(self.grad._data + g._data))

    def backward(self, gradient: TensorLike | None = None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs: Tensor | Sequence[Tensor] | None = None
                 ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad``.

        ``gradient`` is required unless ``self`` has one element. ``retain_graph`` defaults to
        ``create_graph``; without it the graph's saved arrays are freed as the pass goes.
        """
        if gradient is None:
            if self._data.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs "
                                   f"(got a tensor of shape {tuple(self.shape)}); pass "
                                   "gradient=... to backward()")
            gradient = Tensor._make(np.ones_like(self._data))
        elif not isinstance(gradient, Tensor):
            gradient = Tensor._make(np.asarray(gradient, dtype=self._data.dtype))
        # (the arrays' shapes: a Scalar's .data is a float, its .shape is ())
        if ((gradient._data.shape if gradient.__class__ is Tensor else gradient.shape)
                != (self._data.shape if self.__class__ is Tensor else self.shape)):
            raise RuntimeError(f"backward: gradient has shape {tuple(gradient.shape)} but the "
                               f"tensor has shape {tuple(self.shape)}")
        if not self._requires_grad:
            raise RuntimeError("element 0 of tensors does not require grad and does not have a "
                               "grad_fn")
        if retain_graph is None:
            retain_graph = create_graph
        if inputs is not None:
            inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
            grads = engine.run_backward([self], [gradient], retain_graph, create_graph,
                                        inputs=inputs, allow_unused=True)
            for t, g in zip(inputs, grads):
                if g is not None:
                    t._accumulate_grad(g, create_graph)
                    if t._post_acc_hooks and t.grad_fn is None:
                        run_post_accumulate_hooks(t)
            return
        engine.run_backward([self], [gradient], retain_graph, create_graph)

    # ---- basic attributes ----------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._data.shape)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def dtype(self):
        """The element type: an ``autodiff.dtype`` (prints as ``autodiff.float32``; equal to,
        and usable as, the NumPy dtype)."""
        return _wrap_dtype(self._data.dtype)

    @property
    def T(self):
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def size(self, dim: int | None = None) -> Size | int:
        return Size(self._data.shape) if dim is None else self._data.shape[dim]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return int(self._data.size)

    def nelement(self):
        return int(self._data.size)

    def element_size(self):
        return self._data.itemsize

    def item(self) -> Number:
        if self._data.size != 1:
            raise ValueError(f"item: only one-element tensors can be converted to Python "
                             f"scalars (got shape {tuple(self.shape)})")
        return self._data.item()

    def tolist(self) -> Any:
        return self._data.tolist()

    def numpy(self, force: bool = False) -> np.ndarray:
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        return self._data if dtype is None else self._data.astype(dtype, copy=False)

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous "
                               f"(shape {tuple(self.shape)})")
        return bool(self._data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self._data)

    def __hash__(self):
        return id(self)

    def __repr__(self):
        from .printing import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, spec):
        """As PyTorch: a 0-d tensor formats its ``item()`` (``f"{loss:.4f}"``); any other
        tensor formats as ``str(t)`` and rejects a non-empty spec with TypeError."""
        if self._data.ndim == 0:
            return self._data.item().__format__(spec)
        return object.__format__(self, spec)



class Size(tuple):
    """A tuple of dimensions, printed like PyTorch's ``torch.Size``: ``autodiff.Size([2, 3])``."""

    def __repr__(self):
        return f"autodiff.Size({list(self)})"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n


function.bind_tensor(Tensor)
# the mixins' annotations (and those of the methods _forms makes) name Tensor:
# typing.get_type_hints resolves them in their modules
for _mixin in Tensor.__mro__[1:-1]:
    sys.modules[_mixin.__module__].Tensor = Tensor
sys.modules["autodiff.tensor_methods._forms"].Tensor = Tensor
