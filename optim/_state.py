"""The optimizer's state: ``_ParamState`` (per-parameter state keyed by the parameter) and
the conversions ``state_dict`` / ``load_state_dict`` apply to its values."""

from __future__ import annotations

import copy

import numpy as np

import autodiff as ad


class _ParamState:
    """Per-parameter state, keyed by parameter identity.

    A ``defaultdict(dict)`` keyed by the tensor itself would need ``Tensor.__hash__``;
    tensors compare elementwise, so the key here is ``id(param)`` and the parameter is kept
    alive beside its state. ``state[p]`` creates an empty dict on first access.
    """

    def __init__(self):
        self._entries = {}  # id(param) -> (param, dict)

    def __getitem__(self, param):
        entry = self._entries.get(id(param))
        if entry is None:
            entry = self._entries[id(param)] = (param, {})
        return entry[1]

    def __setitem__(self, param, value):
        self._entries[id(param)] = (param, value)

    def __delitem__(self, param):
        del self._entries[id(param)]

    def __contains__(self, param):
        return id(param) in self._entries

    def __len__(self):
        return len(self._entries)

    def __iter__(self):
        return (p for p, _ in self._entries.values())

    def __deepcopy__(self, memo):
        # ids of the copied parameters differ: re-key through the copies
        new = _ParamState()
        for param, state in self._entries.values():
            new[copy.deepcopy(param, memo)] = copy.deepcopy(state, memo)
        return new

    def get(self, param, default=None):
        entry = self._entries.get(id(param))
        return default if entry is None else entry[1]

    def keys(self):
        return list(iter(self))

    def values(self):
        return [s for _, s in self._entries.values()]

    def items(self):
        return list(self._entries.values())

    def __repr__(self):
        return f"_ParamState({len(self)} parameters)"


def _plain(value):
    """A copy of ``value`` made of dicts, lists, numbers, strings, None and ndarrays."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, ad.Tensor):
        return np.array(value._data, copy=True)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _python_scalars(value):
    """Group options as Python values: a file round trip may give 0-d arrays or NumPy
    scalars for numbers and arrays for lists."""
    if isinstance(value, np.ndarray):
        return value.item() if value.ndim == 0 else value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list):
        return [_python_scalars(v) for v in value]
    return value


def _as_index(key):
    # an .npz round trip may turn integer keys into strings
    return int(key) if isinstance(key, (str, np.integer)) else key


def _cast_state_value(param, name, value, index):
    if isinstance(value, ad.Tensor):
        value = value._data
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        if name == "step":
            return value.item() if value.ndim == 0 else value.copy()
        if value.shape != tuple(param._data.shape):
            raise ValueError(
                f"state {name!r} of parameter {index} has shape {value.shape}, "
                f"but the parameter has shape {tuple(param._data.shape)}"
            )
        if np.issubdtype(param._data.dtype, np.floating):
            return np.array(value, dtype=param._data.dtype, copy=True)
        return value.copy()
    if isinstance(value, dict):
        return {k: _cast_state_value(param, k, v, index) for k, v in value.items()}
    if isinstance(value, list):
        return [_cast_state_value(param, None, v, index) for v in value]
    return value
