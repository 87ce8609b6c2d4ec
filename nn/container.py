"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList``,
``ParameterDict``."""
from __future__ import annotations

import operator
from collections import OrderedDict
from itertools import islice

from .module import Module, _addindent


class _ModuleSequence(Module):
    """What ``Sequential`` and ``ModuleList`` share: sub-modules kept in order, named
    ``"0"``, ``"1"``, ... (renumbered after a deletion, as PyTorch). Subclasses define
    ``_key_at(idx)``, the name of the module at position ``idx``."""

    def __delitem__(self, idx):
        if isinstance(idx, slice):
            for key in list(self._modules.keys())[idx]:
                delattr(self, key)
        else:
            delattr(self, self._key_at(idx))
        str_indices = [str(i) for i in range(len(self._modules))]
        self.__dict__["_modules"] = OrderedDict(zip(str_indices, self._modules.values()))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def _shift_in(self, index, module):
        """Put ``module`` at ``index`` (0 <= index <= len), moving the later ones up."""
        for i in range(len(self._modules), index, -1):
            self._modules[str(i)] = self._modules[str(i - 1)]
        self._modules[str(index)] = module
        module.__dict__["_scope_name"] = str(index)

    def pop(self, key):
        v = self[key]
        del self[key]
        return v


class Sequential(_ModuleSequence):
    """Modules called in order, the output of one the input of the next.

    ``Sequential(m1, m2, ...)`` names the children ``"0"``, ``"1"``, ...;
    ``Sequential(OrderedDict([("fc", m1), ...]))`` uses the given names.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], (OrderedDict, dict)):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for idx, module in enumerate(args):
                self.add_module(str(idx), module)

    def _get_item_by_idx(self, iterator, idx):
        size = len(self)
        idx = operator.index(idx)
        if not -size <= idx < size:
            raise IndexError(f"index {idx} is out of range")
        idx %= size
        return next(islice(iterator, idx, None))

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(OrderedDict(list(self._modules.items())[idx]))
        return self._get_item_by_idx(iter(self._modules.values()), idx)

    def _key_at(self, idx):
        return self._get_item_by_idx(iter(self._modules.keys()), idx)

    def __setitem__(self, idx, module):
        setattr(self, self._key_at(idx), module)

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise ValueError("add operator supports only objects of Sequential class, but "
                             f"{type(other)} is given.")
        ret = Sequential()
        for layer in self:
            ret.append(layer)
        for layer in other:
            ret.append(layer)
        return ret

    def extend(self, sequential):
        for layer in sequential:
            self.append(layer)
        return self

    def insert(self, index, module):
        if not isinstance(module, Module):
            raise AssertionError(f"module should be of type: {Module}")
        n = len(self._modules)
        if not (-n <= index <= n):
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += n
        self._shift_in(index, module)
        return self

    def forward(self, input):
        for module in self:
            input = module(input)
        return input


class ModuleList(_ModuleSequence):
    """A list of sub-modules, registered (so their parameters are found) and indexable."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _key_at(self, idx):
        idx = operator.index(idx)
        if not (-len(self) <= idx < len(self)):
            raise IndexError(f"index {idx} is out of range")
        if idx < 0:
            idx += len(self)
        return str(idx)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__(list(self._modules.values())[idx])
        return self._modules[self._key_at(idx)]

    def __setitem__(self, idx, module):
        setattr(self, self._key_at(idx), module)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        combined = ModuleList()
        for i, m in enumerate(list(self) + list(other)):
            combined.add_module(str(i), m)
        return combined

    def extend(self, modules):
        offset = len(self)
        for i, module in enumerate(modules):
            self.add_module(str(offset + i), module)
        return self

    def insert(self, index, module):
        self._shift_in(index, module)

    def __repr__(self):
        """Repeated identical entries are compressed (``(0-2): 3 x Linear(...)``), as PyTorch."""
        reprs = [repr(item) for item in self]
        if not reprs:
            return self._get_name() + "()"
        spans = [[0, 0]]
        blocks = [reprs[0]]
        for i, r in enumerate(reprs[1:], 1):
            if r == blocks[-1]:
                spans[-1][1] += 1
                continue
            spans.append([i, i])
            blocks.append(r)
        lines = []
        for (start, end), b in zip(spans, blocks):
            local = f"({start}): {b}"
            if start != end:
                local = f"({start}-{end}): {end - start + 1} x {b}"
            lines.append(_addindent(local, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList is a container: it has no forward()")


class _DictContainer(Module):
    """The dict interface of ModuleDict and ParameterDict: a view of one of the module's own
    registries (``_registry``: ``"_modules"`` or ``"_parameters"``). Subclasses define
    ``__setitem__``, which registers the value."""

    _registry = ""

    @property
    def _entries(self):
        return self.__dict__[self._registry]

    def __getitem__(self, key):
        return self._entries[key]

    def __delitem__(self, key):
        del self._entries[key]

    def __len__(self):
        return len(self._entries)

    def __iter__(self):
        return iter(self._entries)

    def __contains__(self, key):
        return key in self._entries

    def clear(self):
        self._entries.clear()

    def pop(self, key):
        """Remove ``key`` and return its value."""
        value = self._entries[key]
        del self._entries[key]
        return value

    def keys(self):
        return self._entries.keys()

    def items(self):
        return self._entries.items()

    def values(self):
        return self._entries.values()

    def update(self, values):
        """Add the ``(key, value)`` pairs of a mapping or of an iterable of pairs."""
        if hasattr(values, "items"):
            values = values.items()
        for j, kv in enumerate(values):
            if len(kv) != 2:
                raise ValueError(f"{type(self).__name__} update sequence element #{j} has "
                                 f"length {len(kv)}; 2 is required")
            self[kv[0]] = kv[1]


class ModuleDict(_DictContainer):
    """An ordered dict of sub-modules, registered under their keys."""

    _registry = "_modules"

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict is a container: it has no forward()")


class ParameterList(Module):
    """A list of Parameters registered as ``"0"``, ``"1"``, ... (Tensors are wrapped)."""

    def __init__(self, values=None):
        super().__init__()
        self._size = 0
        if values is not None:
            self.extend(values)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self.__class__([self[i] for i in range(self._size)[idx]])
        idx = operator.index(idx)
        if not -self._size <= idx < self._size:
            raise IndexError(f"index {idx} is out of range")
        return self._parameters[str(idx % self._size)]

    def __setitem__(self, idx, param):
        idx = operator.index(idx) % self._size
        self.register_parameter(str(idx), _as_parameter(param))

    def __len__(self):
        return self._size

    def __iter__(self):
        return iter(self[i] for i in range(self._size))

    def append(self, value):
        self.register_parameter(str(self._size), _as_parameter(value))
        self._size += 1
        return self

    def extend(self, values):
        for v in values:
            self.append(v)
        return self

    def __iadd__(self, values):
        return self.extend(values)

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]

    def extra_repr(self):
        return _parameter_lines(self._parameters)


class ParameterDict(_DictContainer):
    """An ordered dict of Parameters registered under their keys."""

    _registry = "_parameters"

    def __setitem__(self, key, value):
        self.register_parameter(key, _as_parameter(value))

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def get(self, key, default=None):
        return self._parameters[key] if key in self._parameters else default

    def popitem(self):
        """Remove and return the last inserted ``(key, Parameter)``."""
        k = next(reversed(self._parameters))
        return k, self.pop(k)

    def setdefault(self, key, default=None):
        if key not in self._parameters:
            self[key] = default
        return self._parameters[key]

    def copy(self):
        """A new ParameterDict holding the same Parameters (not copies of them)."""
        return ParameterDict(list(self._parameters.items()))

    def fromkeys(self, keys, default=None):
        return ParameterDict((k, default) for k in keys)

    def __reversed__(self):
        return reversed(list(self._parameters))

    def __or__(self, other):
        out = self.copy()
        out.update(other)
        return out

    def __ror__(self, other):
        out = ParameterDict(other)
        out.update(self)
        return out

    def __ior__(self, other):
        self.update(other)
        return self

    def extra_repr(self):
        return _parameter_lines(self._parameters)


def _parameter_lines(parameters):
    """``(key): Parameter containing: [dtype of size AxB]``, a line per parameter."""
    return "\n".join(f"({k}): Parameter containing: [{p.dtype} of size "
                     f"{'x'.join(str(s) for s in p.shape)}]" for k, p in parameters.items())


def _as_parameter(value):
    from autodiff.tensor import Tensor

    from .parameter import Parameter
    if isinstance(value, Parameter) or value is None:
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"expected a Parameter or Tensor, got {type(value).__name__}")
