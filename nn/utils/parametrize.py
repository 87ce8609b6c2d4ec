"""``nn.utils.parametrize``: a module's tensor computed from other parameters, as PyTorch's.

``register_parametrization(module, "weight", P)`` replaces the parameter ``weight`` by a
property that returns ``P(original)`` (``original`` is the old parameter, kept as
``module.parametrizations.weight.original``); when ``P`` has ``right_inverse`` returning a
tuple, the originals are ``original0``, ``original1``, ... (``weight_norm``'s ``g`` and ``v``).
Assigning ``module.weight = w`` stores ``right_inverse(w)``. State-dict keys are PyTorch's
(``parametrizations.weight.original0``), so checkpoints exchange. ``cached()`` is accepted (the
value is recomputed at each access).
"""
from __future__ import annotations

import contextlib

from autodiff.tensor import Tensor

from ..container import ModuleDict, ModuleList
from ..parameter import Parameter

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized", "cached",
           "ParametrizationList"]


class ParametrizationList(ModuleList):
    """The chain of parametrizations of one tensor, holding its original parameter(s)."""

    def __init__(self, modules, original, unsafe=False):
        super().__init__(modules)
        self.unsafe = unsafe
        first = modules[0]
        new = original
        if hasattr(first, "right_inverse"):
            new = first.right_inverse(original)
        if isinstance(new, Tensor):
            self.is_tensor = True
            self.ntensors = 1
            self.register_parameter("original", _param(new, original))
        else:
            self.is_tensor = False
            self.ntensors = len(new)
            for i, t in enumerate(new):
                self.register_parameter(f"original{i}", _param(t, original))

    def right_inverse(self, value):
        for m in reversed(list(self)[1:]):
            if hasattr(m, "right_inverse"):
                value = m.right_inverse(value)
        first = self[0]
        new = first.right_inverse(value) if hasattr(first, "right_inverse") else value
        from autodiff.grad_mode import no_grad
        with no_grad():
            if self.is_tensor:
                self.original.copy_(new)
            else:
                for i, t in enumerate(new):
                    getattr(self, f"original{i}").copy_(t)

    def forward(self):
        if self.is_tensor:
            x = self[0](self.original)
        else:
            x = self[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for m in list(self)[1:]:
            x = m(x)
        return x


def _param(t, like):
    if isinstance(t, Parameter):
        return t
    return Parameter(t.detach() if t.requires_grad else t,
                     requires_grad=getattr(like, "requires_grad", True))


def _inject_class(module):
    cls = module.__class__
    new_cls = type(f"Parametrized{cls.__name__}", (cls,), {"__module__": cls.__module__})
    new_cls._orig_class = cls
    module.__class__ = new_cls


def _inject_property(module, name):
    def getter(self):
        return self.parametrizations[name]()

    def setter(self, value):
        self.parametrizations[name].right_inverse(value)

    setattr(module.__class__, name, property(getter, setter))


def is_parametrized(module, tensor_name=None):
    p = module.__dict__.get("_modules", {}).get("parametrizations")
    if p is None or not isinstance(p, ModuleDict):
        return False
    return len(p) > 0 if tensor_name is None else tensor_name in p


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Make ``module.<tensor_name>`` the output of ``parametrization`` (see the module
    docstring); returns ``module``."""
    if is_parametrized(module, tensor_name):
        module.parametrizations[tensor_name].append(parametrization)
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a "
                         f"parametrized element with name '{tensor_name}'")
    original = getattr(module, tensor_name)
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    module._parameters.pop(tensor_name, None)
    module._buffers.pop(tensor_name, None)
    if not is_parametrized(module):
        _inject_class(module)
        module.parametrizations = ModuleDict()
    _inject_property(module, tensor_name)
    module.parametrizations[tensor_name] = plist
    return module


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Undo ``register_parametrization``: ``tensor_name`` becomes a plain Parameter again,
    holding the parametrized value (``leave_parametrized``) or the original."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if leave_parametrized:
        from autodiff.grad_mode import no_grad
        with no_grad():
            value = getattr(module, tensor_name).detach()
    else:
        if not plist.is_tensor:
            raise ValueError("remove_parametrizations: cannot leave unparametrized a tensor "
                             "parametrized in terms of several tensors")
        value = plist.original.detach()
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    module.register_parameter(tensor_name, Parameter(value.clone()))
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__._orig_class
    return module


@contextlib.contextmanager
def cached():
    """Accepted for PyTorch scripts; parametrized tensors are recomputed at each access."""
    yield
