"""``state_dict`` and ``load_state_dict`` of ``Module`` (the ``StateDictMixin`` it inherits).

Keys are dotted paths (``"encoder.0.weight"``), identical to PyTorch's for the same model;
values are the parameters and persistent buffers. Loading checks every entry before it
changes anything.
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Mapping
from typing import Any

import numpy as np

from autodiff.tensor import Tensor


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """``(missing_keys, unexpected_keys)`` returned by ``load_state_dict``."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"_IncompatibleKeys(missing_keys={self.missing_keys}, "
                f"unexpected_keys={self.unexpected_keys})")


class StateDictMixin:
    """``Module``'s state methods; they use only its registries (``_parameters``,
    ``_buffers``, ``_non_persistent_buffers_set``) and ``named_modules``."""

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, *args: Any, destination: dict | None = None, prefix: str = "",
                   keep_vars: bool = False) -> OrderedDict[str, Tensor]:
        """An ordered dict ``dotted name -> Tensor`` of parameters and persistent buffers
        (detached, sharing memory with the module unless ``keep_vars``)."""
        if args:  # PyTorch's legacy positional form state_dict(destination, prefix, keep_vars)
            destination = args[0]
            if len(args) > 1:
                prefix = args[1]
            if len(args) > 2:
                keep_vars = args[2]
        if destination is None:
            destination = OrderedDict()
        for mod_prefix, mod in self.named_modules(prefix=prefix.rstrip(".") if prefix else "",
                                                  remove_duplicate=False):
            p = mod_prefix + "." if mod_prefix else ""
            mod._save_to_state_dict(destination, p, keep_vars)
        return destination

    def _state_entries(self):
        """``key -> (module, kind, name)`` for every entry ``state_dict`` would hold."""
        out = OrderedDict()
        for mod_prefix, mod in self.named_modules(remove_duplicate=False):
            p = mod_prefix + "." if mod_prefix else ""
            for name, v in mod._parameters.items():
                if v is not None:
                    out[p + name] = (mod, "_parameters", name)
            for name, v in mod._buffers.items():
                if v is not None and name not in mod._non_persistent_buffers_set:
                    out[p + name] = (mod, "_buffers", name)
        return out

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True,
                        assign: bool = False) -> _IncompatibleKeys:
        """Copy ``state_dict`` (values: Tensors, ndarrays, numbers or nested lists) into this
        module's parameters and buffers, in place (``assign=True``: replace their arrays).

        Atomic: every entry is checked first (names; shapes; a value convertible to the
        target's dtype: numbers into float tensors, integers and bools into integer ones,
        never strings, objects or floats into integers), and every problem is reported in one
        ``RuntimeError``, PyTorch's type for it; the module changes only if all entries are
        good. ``strict=False`` ignores missing and unexpected keys (other problems still raise)
        and returns ``(missing_keys, unexpected_keys)``."""
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        entries = self._state_entries()
        missing = [k for k, (mod, _, name) in entries.items()
                   if k not in state_dict and name not in mod._optional_state]
        unexpected = [k for k in state_dict if k not in entries]
        errors = []
        staged = []
        for key, (mod, kind, name) in entries.items():
            if key not in state_dict:
                continue
            target = getattr(mod, kind)[name]
            arr, problem = _state_value(key, state_dict[key], target._data, assign)
            if problem:
                errors.append(problem)
            else:
                staged.append((target, arr))
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {self._get_name()}:\n\t"
                               + "\n\t".join(errors))
        # every value was checked (numbers, same shape, writable target): the copies cannot fail
        for target, arr in staged:
            if assign:
                target._data = arr
            else:
                target._data[...] = arr
            target._version += 1
        return _IncompatibleKeys(missing, unexpected)


def _state_value(key, value, current, assign):
    """``(array, None)``: ``value`` as an array of ``current``'s shape that can be copied into
    it (converted to its dtype, a new array, when ``assign``); or ``(None, message)`` saying
    why it cannot be loaded into ``current``."""
    where = f'While copying the parameter named "{key}"'
    try:
        if isinstance(value, Tensor):
            arr = value._data
        elif isinstance(value, (np.ndarray, np.generic, int, float, list, tuple, bool)):
            arr = np.asarray(value)
        elif hasattr(value, "detach") and hasattr(value, "numpy"):  # e.g. a torch.Tensor
            arr = np.asarray(value.detach().numpy())
        else:
            return None, (f"{where}, expected Tensor or ndarray, got {type(value).__name__}.")
    except Exception as e:  # a ragged list, a tensor NumPy cannot hold (torch.bfloat16) ...
        return None, f"{where}: cannot read it as an array ({type(e).__name__}: {e})."
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biufc":
        dtype = getattr(arr, "dtype", type(arr).__name__)
        return None, (f"{where}: values of dtype {dtype} are not numbers; "
                      f"cannot copy them into a {current.dtype} tensor.")
    if arr.shape != current.shape:
        return None, (f"size mismatch for {key}: copying a param with shape "
                      f"{_fmt_shape(arr.shape)} from checkpoint, the shape in current "
                      f"model is {_fmt_shape(current.shape)}.")
    target_kind = current.dtype.kind
    if (arr.dtype.kind == "c" and target_kind != "c") or (
            arr.dtype.kind in "fc" and target_kind not in "fc"):
        return None, (f"{where}: cannot copy {arr.dtype} values into a {current.dtype} "
                      "tensor.")
    if assign:
        return np.array(arr, dtype=current.dtype, copy=True), None
    if not current.flags.writeable:
        return None, f"{where}: the module's array is read-only."
    return arr, None  # numbers into a writable array of the same shape: the copy cannot fail


def _fmt_shape(shape):
    return f"Size({list(shape)})"
