"""Optimizer: the base class every algorithm in ``optim`` derives from.

It holds the parameter groups and the per-parameter state and implements the parts that
do not depend on the update rule: ``zero_grad``, ``add_param_group``, ``state_dict`` and
``load_state_dict``. Semantics follow ``torch.optim.Optimizer``; the differences are stated
in the docstrings (``state_dict`` returns a snapshot, per-group hyper-parameters are
validated too).
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

import autodiff as ad
from autodiff.grad_mode import no_grad
from autodiff.tensor import Tensor

from ._state import _as_index, _cast_state_value, _ParamState, _plain, _python_scalars

#: ``step(closure)``: re-evaluates the model and returns the loss
Closure = Callable[[], Any]

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Singleton marking a default that every parameter group must set itself."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _typename(obj):
    return type(obj).__module__ + "." + type(obj).__qualname__


def _step_without_grad(step):
    """Decorator for ``step``: run the update with grad mode off (no graph is recorded)
    and note that the optimizer has stepped (the schedulers check the calling order)."""

    step_no_grad = no_grad()(step)

    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        self._opt_called = True
        return step_no_grad(self, *args, **kwargs)

    wrapper._sets_opt_called = True
    return wrapper


def _evaluate_closure(closure):
    """Re-evaluate the model under grad mode, as ``step(closure)`` does in PyTorch."""
    if closure is None:
        return None
    with ad.enable_grad():
        return closure()


def _grad_array(param):
    """The gradient of ``param`` as an ndarray, or None if it has none."""
    grad = param.grad
    if grad is None:
        return None
    return grad._data if isinstance(grad, ad.Tensor) else np.asarray(grad)


def _lerp_(start, end, weight):
    """In place ``start += weight * (end - start)``, rounded as ``torch.lerp`` on CPU.

    PyTorch switches to ``end - (end - start) * (1 - weight)`` for ``|weight| >= 0.5`` to
    keep the result exact at ``weight == 1``.
    """
    diff = end - start
    if abs(weight) < 0.5:
        diff *= weight
        start += diff
    else:
        diff *= 1 - weight
        np.subtract(end, diff, out=start)
    return start


def _decay_square_(avg, grad, decay):
    """In place ``avg = decay * avg + (1 - decay) * grad * grad``, the running average of
    squared gradients (rounded as ``avg.mul_(decay).addcmul_(grad, grad, 1 - decay)``)."""
    avg *= decay
    avg += (1 - decay) * grad * grad
    return avg


def _check_non_negative(name, value, label=None):
    if not 0.0 <= value:
        raise ValueError(f"Invalid {label or name} value: {value}")


class Optimizer:
    """Base class for optimizers.

    Args:
        params: an iterable of ``Tensor`` (e.g. ``model.parameters()``), of
            ``(name, Tensor)`` pairs (``model.named_parameters()``), or of dicts, each a
            parameter group: ``{"params": [...], "lr": ..., ...}``. Options missing from a
            group take the optimizer's defaults.
        defaults (dict): the default value of every option.

    Subclasses implement ``step`` and may override ``_check_hyperparameters(options)``,
    which is called on the defaults and on every parameter group so a bad value (negative
    lr, beta outside [0, 1), ...) raises ``ValueError`` naming it. (PyTorch checks only the
    constructor's arguments; checking groups too is a deliberate difference.)
    """

    def __init__(self, params: Iterable[Tensor] | Iterable[dict[str, Any]],
                 defaults: dict[str, Any]):
        self.defaults = defaults
        if isinstance(params, ad.Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors "
                "or dicts, but got " + _typename(params)
            )
        self._check_hyperparameters(defaults)
        self.state = _ParamState()
        self.param_groups = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def _check_hyperparameters(self, options):
        """Raise ValueError for an invalid option value. Overridden per algorithm."""

    def __repr__(self):
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group.keys()):
                if key not in ("params", "param_names"):
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    @_step_without_grad
    def step(self, closure: Closure | None = None) -> Any:
        """Perform one optimization step; return the closure's loss (None without one).

        The built-in algorithms implement ``_update(group)``, called for each parameter
        group; a custom optimizer may override ``step`` itself, as in PyTorch.
        """
        loss = _evaluate_closure(closure)
        for group in self.param_groups:
            self._update(group)
        return loss

    def _update(self, group):
        """Apply the update rule to the parameters of ``group``. Overridden per algorithm."""
        raise NotImplementedError

    def _init_state(self, data, group):
        """The state entries a parameter whose array is ``data`` starts with, besides
        ``"step"``: a dict of arrays shaped like ``data``. Overridden per algorithm."""
        return {}

    def _state_of(self, param, group):
        """``self.state[param]``, set up on first use: ``"step"`` 0, then ``_init_state``."""
        state = self.state[param]
        if len(state) == 0:
            state["step"] = 0.0
            state.update(self._init_state(param._data, group))
        return state

    def _gradients(self, group):
        """Yield ``(param, grad, state)`` for each parameter of ``group`` with a gradient,
        prepared as every update rule here starts (``torch.optim``'s order).

        ``grad`` is an ndarray, negated when ``maximize``, plus ``weight_decay * param``
        when the group has an L2 ``weight_decay`` (not when it decays the weights directly,
        ``decoupled_weight_decay``, as AdamW). It may be the ``.grad`` array itself: do not
        write into it. ``state`` is the parameter's state with its ``"step"`` incremented.
        """
        maximize = group.get("maximize", False)
        weight_decay = 0 if group.get("decoupled_weight_decay") else group.get("weight_decay", 0)
        for p in group["params"]:
            grad = _grad_array(p)
            if grad is None:
                continue
            state = self._state_of(p, group)
            state["step"] += 1
            if maximize:
                grad = -grad
            if weight_decay != 0:
                grad = grad + weight_decay * p._data
            yield p, grad, state

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized tensors.

        Args:
            set_to_none (bool): set ``.grad`` to None (default) instead of filling it with
                zeros. Optimizers skip parameters whose ``.grad`` is None.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if getattr(p.grad, "grad_fn", None) is not None:
                        p.grad = p.grad.detach()
                    if p.grad._data.flags.writeable:
                        p.grad._data[...] = 0
                    else:  # e.g. a broadcast view: replace it
                        p.grad = ad.Tensor(np.zeros_like(p.grad._data))

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group (a dict with ``"params"`` and optional options).

        Useful when fine tuning: frozen layers can be made trainable and added as training
        progresses. Options the group does not set take the optimizer's defaults.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {_typename(param_group)}")
        param_group = dict(param_group)
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry")

        params = param_group["params"]
        if isinstance(params, ad.Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs. "
                "Please use a list instead."
            )
        else:
            params = list(params)

        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. "
                    "Some param names are missing"
                )
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, ad.Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + _typename(param)
                )
            if not (getattr(param, "is_leaf", True) or getattr(param, "retains_grad", False)):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)
        self._check_hyperparameters(param_group)

        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error",
                stacklevel=3,
            )

        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if not seen.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")

        self.param_groups.append(param_group)

    def state_dict(self) -> dict[str, Any]:
        """Return the optimizer state as a dict of plain values.

        ``{"state": {index: {name: value}}, "param_groups": [{option: value, "params":
        [index, ...]}]}``: parameters are replaced by their position across all groups, as
        in PyTorch. Values are dicts, lists, numbers, strings, None and NumPy arrays (tuple
        options such as ``betas`` become lists), so ``nn.save`` can write it.

        Unlike PyTorch, arrays are copies: the result is a snapshot that later steps do not
        change.
        """
        index_of = {}
        start = 0
        packed_groups = []
        for group in self.param_groups:
            packed = {k: _plain(v) for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index_of.setdefault(id(p), i)
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            start += len(packed["params"])
            packed_groups.append(packed)

        packed_state = {}
        for param, values in self.state.items():
            if id(param) in index_of:
                packed_state[index_of[id(param)]] = {k: _plain(v) for k, v in values.items()}
        return {"state": packed_state, "param_groups": packed_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state made by ``state_dict`` (possibly from another optimizer instance).

        Groups are matched in order and parameters by position. Arrays are copied and cast
        to their parameter's floating dtype (``step`` is kept as saved); a state array whose
        shape differs from its parameter's raises ValueError.
        """
        groups = self.param_groups
        saved_groups = copy.deepcopy(list(state_dict["param_groups"]))
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for g, s in zip(groups, saved_groups):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the "
                    "size of optimizer's group"
                )

        id_map = {}
        for g, s in zip(groups, saved_groups):
            for saved_index, param in zip(list(s["params"]), g["params"]):
                id_map[_as_index(saved_index)] = param

        state = _ParamState()
        for key, values in state_dict["state"].items():
            index = _as_index(key)
            if index not in id_map:
                continue
            param = id_map[index]
            state[param] = {
                name: _cast_state_value(param, name, value, index)
                for name, value in values.items()
            }

        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved = {key: _python_scalars(value) for key, value in saved.items()}
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for key, value in group.items():
                # options that are tuples (betas, etas, step_sizes) come back as lists
                if isinstance(value, tuple) and isinstance(saved.get(key), list):
                    saved[key] = tuple(saved[key])
            new_groups.append(saved)
        self.state = state
        self.param_groups = new_groups
