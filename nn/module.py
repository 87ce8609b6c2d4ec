"""``Module``: the base of every layer and model (PyTorch's ``nn.Module`` core).

Parameters, buffers and sub-modules are registered by plain attribute assignment into three
ordered dicts; one walker (``_named_members``) serves ``parameters``, ``buffers`` and their
``named_`` forms. ``state_dict`` keys are dotted paths (``"encoder.0.weight"``), identical to
PyTorch's for the same model, so state exchanged as NumPy arrays loads either way.

``Module`` inherits ``state_dict``/``load_state_dict`` from ``nn/_state_dict.py`` and the
dtype and device methods (``to``, ``float``, ``cpu``, ...) from ``nn/_dtype_device.py``.
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from autodiff import grad_mode
from autodiff.hooks import RemovableHandle
from autodiff.tensor import Tensor

from ._dtype_device import DtypeDeviceMixin
from ._state_dict import StateDictMixin
from .parameter import Buffer, Parameter


def _addindent(s_, num_spaces):
    s = s_.split("\n")
    if len(s) == 1:
        return s_
    first = s.pop(0)
    s = [(num_spaces * " ") + line for line in s]
    return first + "\n" + "\n".join(s)


def _check_name(name, what):
    if not isinstance(name, str):
        raise TypeError(f"{what} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{what} name can\'t contain ".", got: {name}')
    if name == "":
        raise KeyError(f'{what} name can\'t be empty string ""')


class Module(StateDictMixin, DtypeDeviceMixin):
    """Base class of all layers and models.

    Subclasses call ``super().__init__()`` first, assign ``Parameter``s, sub-modules and buffers
    as attributes, and define ``forward``. Calling the module runs the forward pre-hooks,
    ``forward`` inside ``autodiff.grad_mode.name_scope(<name>)`` (so graph drawings can collapse a
    module into one box; the name is the attribute name under which the module was registered
    in its parent, or its class name for a root module) and the forward hooks.
    """

    training: bool
    _version = 1
    # entries that may be absent from a state_dict being loaded (they keep their value):
    # BatchNorm's num_batches_tracked, as PyTorch does for metadata-less state dicts
    _optional_state = ()

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_backward_hooks"] = OrderedDict()
        d["_backward_pre_hooks"] = OrderedDict()
        d["_scope_name"] = None

    # ---- forward -------------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        d = self.__dict__
        if not (d["_forward_pre_hooks"] or d["_forward_hooks"] or d.get("_backward_hooks")
                or d.get("_backward_pre_hooks")):
            # no hooks: name_scope as two calls (one module call per layer per step)
            scope = grad_mode.enter_scope(d["_scope_name"] or type(self).__name__)
            try:
                return self.forward(*args, **kwargs)
            except (ValueError, TypeError, IndexError) as e:  # free unless raised (3.11+)
                _name_module_in_error(e, scope, self)
                raise
            finally:
                grad_mode.exit_scope()
        for hook in list(self._forward_pre_hooks.values()):
            res = hook(self, args)
            if res is not None:
                args = res if isinstance(res, tuple) else (res,)
        bw = None
        if d.get("_backward_hooks") or d.get("_backward_pre_hooks"):
            from ._backward_hooks import BackwardHook
            bw = BackwardHook(self)
            args = bw.setup_input(args)
        with grad_mode.name_scope(self._scope_name or type(self).__name__):
            try:
                out = self.forward(*args, **kwargs)
            except (ValueError, TypeError, IndexError) as e:
                _name_module_in_error(e, grad_mode.current_scope(), self)
                raise
        for hook in list(self._forward_hooks.values()):
            res = hook(self, args, out)
            if res is not None:
                out = res
        if bw is not None:
            out = bw.setup_output(out)
        return out

    def register_forward_pre_hook(self, hook):
        """``hook(module, args) -> None or new args``; returns a handle with ``remove()``."""
        return _add_hook(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook):
        """``hook(module, args, output) -> None or new output``; returns a handle."""
        return _add_hook(self._forward_hooks, hook)

    def register_full_backward_hook(self, hook):
        """``hook(module, grad_input, grad_output) -> None or new grad_input`` once the
        gradients with respect to the module's Tensor inputs are computed (tuples, ``None``
        for inputs without a gradient), as PyTorch; returns a handle with ``remove()``."""
        return _add_hook(self.__dict__.setdefault("_backward_hooks", OrderedDict()), hook)

    def register_full_backward_pre_hook(self, hook):
        """``hook(module, grad_output) -> None or new grad_output`` when the gradients with
        respect to the module's outputs arrive in backward; returns a handle."""
        return _add_hook(self.__dict__.setdefault("_backward_pre_hooks", OrderedDict()), hook)

    # ---- registration --------------------------------------------------------------------------
    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name(name, "parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is None:
            self._parameters[name] = None
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register a Tensor (or None) that is state but not trained, e.g. BatchNorm's
        running mean. Non-persistent buffers are left out of ``state_dict``."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name(name, "buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (Tensor or None required)")
        if isinstance(tensor, (Buffer, Parameter)):
            tensor = Tensor._make(tensor._data)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if not isinstance(name, str):
            raise TypeError(f"module name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError(f'module name can\'t contain ".", got: {name}')
        if name == "":
            raise KeyError('module name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module
        if module is not None:
            module.__dict__["_scope_name"] = name

    register_module = add_module

    def __setattr__(self, name, value):
        d = self.__dict__

        def remove_from(*dicts):
            for dd in dicts:
                if name in dd:
                    del dd[name]

        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            remove_from(d, d["_buffers"], d["_modules"])
            d["_non_persistent_buffers_set"].discard(name)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(nn.Parameter or None expected)")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            modules = d.get("_modules")
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            remove_from(d, d["_parameters"], d["_buffers"])
            d["_non_persistent_buffers_set"].discard(name)
            modules[name] = value
            value.__dict__["_scope_name"] = name
        elif d.get("_modules") is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (nn.Module or None expected)")
            d["_modules"][name] = None
        elif isinstance(value, Buffer):
            if d.get("_buffers") is None:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            remove_from(d, d["_parameters"], d["_modules"])
            self.register_buffer(name, value, value.persistent)
        elif d.get("_buffers") is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                                "(Tensor or None expected)")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        if name in d.get("_parameters", ()):
            del d["_parameters"][name]
        elif name in d.get("_buffers", ()):
            del d["_buffers"][name]
            d["_non_persistent_buffers_set"].discard(name)
        elif name in d.get("_modules", ()):
            del d["_modules"][name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = list(object.__dir__(self))
        keys += list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(set(k for k in keys if not k[:1].isdigit()))

    # ---- walking the tree ----------------------------------------------------------------------
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        """The one walker: ``(dotted name, member)`` for each module's own members."""
        seen = set()
        mods = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        for mod_prefix, mod in mods:
            for k, v in get_members(mod):
                if v is None:
                    continue
                if remove_duplicate:
                    if id(v) in seen:
                        continue
                    seen.add(id(v))
                yield (mod_prefix + ("." if mod_prefix else "") + k, v)

    def named_parameters(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, Parameter)`` of this module's parameters and, when ``recurse``,
        its descendants' (each parameter once unless ``remove_duplicate=False``)."""
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                   remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The Parameters of ``named_parameters``, e.g. for an optimizer."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
                      ) -> Iterator[tuple[str, Tensor]]:
        """``(dotted name, Tensor)`` of the registered buffers (running statistics and
        the like), as ``named_parameters``."""
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                   remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
                      ) -> Iterator[tuple[str, Module]]:
        """Pre-order ``(dotted name, module)`` pairs, this module first (name ``prefix``)."""
        if memo is None:
            memo = set()
        # iterative pre-order walk (deep models never hit the recursion limit)
        stack = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if remove_duplicate:
                if id(mod) in memo:
                    continue
                memo.add(id(mod))
            yield name, mod
            kids = [(name + ("." if name else "") + k, m)
                    for k, m in mod._modules.items() if m is not None]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def get_submodule(self, target):
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if not isinstance(mod, Module) or item not in mod._modules:
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = mod._modules[item]
        return mod

    def get_parameter(self, target):
        """The Parameter at the dotted path ``target``; AttributeError if there is none."""
        return self._get_member(target, "_parameters", "parameter")

    def get_buffer(self, target):
        """The buffer at the dotted path ``target``; AttributeError if there is none."""
        return self._get_member(target, "_buffers", "buffer")

    def _get_member(self, target, registry, what):
        mod_path, _, name = target.rpartition(".")
        mod = self.get_submodule(mod_path)
        members = mod.__dict__[registry]
        if name not in members:
            raise AttributeError(f"{mod._get_name()} has no {what} `{name}`")
        return members[name]

    # ---- modes and bulk operations -------------------------------------------------------------
    def apply(self, fn: Callable[[Module], None]) -> Module:
        """Call ``fn(m)`` on every sub-module (children first) and on self; returns self."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def train(self, mode: bool = True) -> Module:
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for m in self.children():
            m.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            elif p.grad.grad_fn is None and p.grad._data.flags.writeable:
                p.grad._data[...] = 0  # in place, as PyTorch's grad.zero_()
            else:
                p.grad = Tensor._make(np.zeros_like(p.grad._data))

    # ---- printing ------------------------------------------------------------------------------
    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """One line (or several) shown inside this module's parentheses in ``repr``."""
        return ""

    def __repr__(self):
        extra_lines = []
        extra = self.extra_repr()
        if extra:
            extra_lines = extra.split("\n")
        child_lines = []
        for key, module in self._modules.items():
            mod_str = _addindent(repr(module), 2)
            child_lines.append("(" + key + "): " + mod_str)
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __setstate__(self, state):
        self.__dict__.update(state)


def _add_hook(hooks, hook):
    """Add ``hook`` to the ordered dict ``hooks``; return the handle that removes it."""
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def _name_module_in_error(err, scope, module):
    """Append to ``err``'s message which module raised it, as the user knows it: the qualified
    name from the root module's class (``MLP.net.3``, i.e. ``model.net[3]``) and the layer's
    repr. Only the innermost module does it; called on the error path only."""
    if getattr(err, "_autodiff_module", None) is not None:
        return
    where = scope.replace("/", ".")
    text = repr(module)
    if "\n" in text:
        text = module._get_name()
    note = f" [in {where}: {text}]"
    try:
        err._autodiff_module = where
    except AttributeError:  # pragma: no cover - exceptions with __slots__
        return
    if (len(err.args) == 1 and isinstance(err.args[0], str)
            and type(err).__str__ is BaseException.__str__):
        err.args = (err.args[0] + note,)
    else:
        err.add_note(note.strip())
