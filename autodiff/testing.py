"""``autodiff.testing``: ``assert_close`` as PyTorch's ``torch.testing.assert_close``.

Tensors, ndarrays, numbers and (nested) sequences or mappings of them are compared element by
element: ``|actual - expected| <= atol + rtol * |expected|``, with PyTorch's default
tolerances per dtype (float32: rtol 1.3e-6, atol 1e-5; float64: 1e-7, 1e-7; float16: 1e-3,
1e-5; integers and bools: exact). Shapes and (with ``check_dtype``) dtypes must match; NaNs
are equal only with ``equal_nan=True``. A mismatch raises ``AssertionError`` naming the number
of mismatched elements and the greatest absolute and relative differences.
"""
from __future__ import annotations

import collections.abc as cabc
import warnings

import numpy as np

__all__ = ["assert_close", "assert_allclose"]

_TOLS = {np.dtype(np.float16): (1e-3, 1e-5), np.dtype(np.float32): (1.3e-6, 1e-5),
         np.dtype(np.float64): (1e-7, 1e-7), np.dtype(np.complex64): (1.3e-6, 1e-5),
         np.dtype(np.complex128): (1e-7, 1e-7)}


def _array(x):
    from .tensor import Tensor
    if isinstance(x, Tensor):
        return np.asarray(x._data), "Tensor"
    if isinstance(x, np.ndarray):
        return x, "ndarray"
    if isinstance(x, (bool, int, float, complex, np.generic)):
        return np.asarray(x), "number"
    return None, None


def _fail(msg, path):
    where = f" at {path}" if path else ""
    return AssertionError(f"{msg}{where}")


def _compare(actual, expected, rtol, atol, equal_nan, check_dtype, allow_subclasses, path, msg):
    a, ka = _array(actual)
    e, ke = _array(expected)
    if a is None or e is None:
        if isinstance(expected, cabc.Mapping) and isinstance(actual, cabc.Mapping):
            if set(actual) != set(expected):
                raise _fail(f"The keys of the mappings do not match: {sorted(map(str, actual))}"
                            f" != {sorted(map(str, expected))}", path)
            for k in expected:
                _compare(actual[k], expected[k], rtol, atol, equal_nan, check_dtype,
                         allow_subclasses, f"{path}[{k!r}]", msg)
            return
        if (isinstance(expected, cabc.Sequence) and isinstance(actual, cabc.Sequence)
                and not isinstance(expected, str) and not isinstance(actual, str)):
            if len(actual) != len(expected):
                raise _fail(f"The length of the sequences mismatch: {len(actual)} != "
                            f"{len(expected)}", path)
            for i, (x, y) in enumerate(zip(actual, expected)):
                _compare(x, y, rtol, atol, equal_nan, check_dtype, allow_subclasses,
                         f"{path}[{i}]", msg)
            return
        if actual == expected:
            return
        raise _fail(f"No comparison for inputs of type {type(actual).__name__} and "
                    f"{type(expected).__name__}", path)
    if ka != ke and not (allow_subclasses and {ka, ke} <= {"Tensor", "ndarray"}) \
            and not (ka == ke == "number"):
        raise _fail(f"Type mismatch: {type(actual).__name__} vs {type(expected).__name__}",
                    path)
    if a.shape != e.shape:
        raise _fail(f"The values for attribute 'shape' do not match: {a.shape} != {e.shape}.",
                    path)
    if check_dtype and ka != "number" and a.dtype != e.dtype:
        raise _fail(f"The values for attribute 'dtype' do not match: autodiff.{a.dtype} != "
                    f"autodiff.{e.dtype}.", path)
    if rtol is None:
        rtol, atol = max(_TOLS.get(a.dtype, (0.0, 0.0)), _TOLS.get(e.dtype, (0.0, 0.0)))
    if a.dtype.kind in "biu" and e.dtype.kind in "biu":
        bad = a != e
    else:
        af = a.astype(np.complex128 if "c" in a.dtype.kind + e.dtype.kind else np.float64)
        ef = e.astype(af.dtype)
        with np.errstate(invalid="ignore", over="ignore"):
            close = np.abs(af - ef) <= atol + rtol * np.abs(ef)
            close |= af == ef  # infinities of the same sign
            if equal_nan:
                close |= np.isnan(af) & np.isnan(ef)
        bad = ~close
    n_bad = int(np.count_nonzero(bad))
    if n_bad:
        kind = "Scalars" if a.ndim == 0 else "Tensor-likes"
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN differences
            diff = np.abs(a.astype(np.float64) - e.astype(np.float64))
            rel = diff / np.abs(e.astype(np.float64))
            idx = np.unravel_index(int(np.argmax(np.where(np.isnan(diff), np.inf, diff))),
                                   a.shape) if a.ndim else ()
            text = (f"{kind} are not close!\n\nMismatched elements: {n_bad} / {a.size} "
                    f"({100.0 * n_bad / max(a.size, 1):.1f}%)\n"
                    f"Greatest absolute difference: {np.nanmax(diff)} at index "
                    f"{tuple(int(i) for i in idx)} (up to {atol} allowed)\n"
                    f"Greatest relative difference: {np.nanmax(rel)} (up to {rtol} allowed)")
        if msg is not None:
            text = msg(text) if callable(msg) else msg
        raise _fail(text, path)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close (see the module
    docstring). ``rtol`` and ``atol`` must be given together."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    _compare(actual, expected, rtol, atol, equal_nan, check_dtype, allow_subclasses, "", msg)


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """PyTorch's deprecated ``assert_allclose`` (no dtype check, NaNs equal)."""
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan,
                 check_dtype=False, msg=msg or None)
