"""Vision functions: ``pad`` (constant, reflect, replicate, circular; negative amounts crop).
``interpolate`` and ``upsample*`` live in ``autodiff.nn.upsample``."""
from __future__ import annotations

import numpy as np

from autodiff.ops._common import _tensor
from autodiff.ops.shape import joins
from autodiff.tensor import Tensor

_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims: ``pad = (left_last, right_last, left_prev, ...)``.
    Negative amounts crop. Modes: 'constant' (``value``, default 0), 'reflect', 'replicate',
    'circular'."""
    input = _tensor(input, "pad")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > input.ndim:
        raise ValueError(f"pad: padding length {len(pad)} must be even and at most twice the "
                         f"number of dims of the input of shape {tuple(input.shape)}")
    if mode != "constant" and value not in (None, 0):
        raise ValueError(f"pad: padding mode {mode!r} doesn't take in value argument")
    out = input
    for i in range(len(pad) // 2):
        dim = input.ndim - 1 - i
        left, right = pad[2 * i], pad[2 * i + 1]
        if left == 0 and right == 0:
            continue
        n = out.shape[dim]
        # negative amounts crop first
        lo, hi = max(-left, 0), n - max(-right, 0)
        if lo or hi != n:
            if hi <= lo:
                raise ValueError(f"pad: cropping {pad} leaves nothing of input shape "
                                 f"{tuple(input.shape)}")
            out = out[(slice(None),) * dim + (slice(lo, hi),)]
            n = hi - lo
        left, right = max(left, 0), max(right, 0)
        if not left and not right:
            continue
        if mode == "constant":
            parts = []
            shape = list(out.shape)
            fill = 0 if value is None else value
            if left:
                shape[dim] = left
                parts.append(Tensor._make(np.full(shape, fill, dtype=out.dtype)))
            parts.append(out)
            if right:
                shape[dim] = right
                parts.append(Tensor._make(np.full(shape, fill, dtype=out.dtype)))
            out = joins.cat(parts, dim)
        elif mode in _PAD_MODES:
            if mode == "reflect" and (left >= n or right >= n):
                raise ValueError(f"pad: padding size ({left}, {right}) should be less than the "
                                 f"corresponding input dimension {n} for mode 'reflect'")
            if mode == "circular" and (left > n or right > n):
                raise ValueError(f"pad: padding size ({left}, {right}) may not exceed the input "
                                 f"dimension {n} for mode 'circular'")
            index = np.pad(np.arange(n), (left, right), mode=_PAD_MODES[mode])
            out = out[(slice(None),) * dim + (index,)]  # gathers; repeats accumulate gradients
        else:
            raise NotImplementedError(f"pad: mode {mode!r} is not supported (use 'constant', "
                                      "'reflect', 'replicate' or 'circular')")
    return out
