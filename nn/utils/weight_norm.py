"""``nn.utils.weight_norm`` / ``remove_weight_norm``: PyTorch's older (deprecated) form of weight
normalization: parameters ``<name>_g`` and ``<name>_v``, the weight recomputed before each
forward."""
from __future__ import annotations

from ..parameter import Parameter
from .parametrizations import _norm_except_dim

__all__ = ["weight_norm", "remove_weight_norm"]


class _WeightNormHook:
    def __init__(self, name, dim):
        self.name, self.dim = name, -1 if dim is None else dim

    def compute(self, module):
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return v * (g / _norm_except_dim(v, self.dim))

    def __call__(self, module, args):
        object.__setattr__(module, self.name, self.compute(module))


def weight_norm(module, name="weight", dim=0):
    hook = _WeightNormHook(name, dim)
    weight = module._parameters.pop(name)
    module.register_parameter(name + "_g",
                              Parameter(_norm_except_dim(weight, hook.dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    object.__setattr__(module, name, hook.compute(module))
    handle = module.register_forward_pre_hook(hook)
    module.__dict__.setdefault("_weight_norm_hooks", {})[name] = (hook, handle)
    return module


def remove_weight_norm(module, name="weight"):
    hooks = module.__dict__.get("_weight_norm_hooks", {})
    if name not in hooks:
        raise ValueError(f"weight_norm of '{name}' not found in {module}")
    hook, handle = hooks.pop(name)
    handle.remove()
    weight = hook.compute(module).detach()
    del module._parameters[name + "_g"]
    del module._parameters[name + "_v"]
    module.__dict__.pop(name, None)
    module.register_parameter(name, Parameter(weight))
    return module
