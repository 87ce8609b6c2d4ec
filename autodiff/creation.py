"""Factories: tensor, as_tensor, from_numpy, zeros, ones, full, empty, arange, linspace, eye,
rand, randn, randint, randperm, normal, bernoulli, multinomial and the *_like forms.

Every factory takes PyTorch's keywords ``dtype=``, ``device=`` and ``requires_grad=`` (``device``
must name the CPU: see ``autodiff.device``; ``layout``, ``pin_memory`` and ``memory_format`` are
accepted and ignored). Floats default to float32. Random draws come from the engine's generator
(``ad.manual_seed``) or from the ``ad.Generator`` given as ``generator=``; they are repeatable
but not the same numbers as PyTorch's.
"""
from __future__ import annotations

import numpy as np

from . import random as _random
from .device import check_device
from .tensor import DEFAULT_DTYPE, Tensor, _check_grad_dtype, _to_array
from .types import DTypeLike, Shape, TensorLike


def _shape(size, op="factory"):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if isinstance(s, (bool, float)) or not isinstance(s, (int, np.integer)):
            raise TypeError(f"{op}: size must be a sequence of ints (got {size!r})")
        if s < 0:
            raise RuntimeError(f"{op}: trying to create tensor with negative dimension {s}: "
                               f"{list(size)}")
        out.append(int(s))
    return tuple(out)


def _size_kw(size, kw, op):
    """PyTorch also accepts the shape as ``size=`` (``zeros(size=(2, 3))``)."""
    if not kw:
        return size
    if set(kw) != {"size"}:
        raise TypeError(f"{op}() got an unexpected keyword argument "
                        f"{sorted(set(kw) - {'size'})[0]!r}")
    if size:
        raise TypeError(f"{op}(): the shape was given both positionally and as size=")
    return (tuple(kw["size"]),)


def _finish(arr, requires_grad, device=None):
    check_device(device)
    t = Tensor._make(arr)
    if requires_grad:
        _check_grad_dtype(arr.dtype)
        t._requires_grad = True
    return t


def _float_dtype(dtype, op="factory"):
    if dtype is None:
        return DEFAULT_DTYPE
    return np.dtype(dtype)


def _like_dtype(input, dtype):
    if dtype is not None:
        return np.dtype(dtype)
    return input._data.dtype if isinstance(input, Tensor) else np.asarray(input).dtype


def _like_shape(input):
    return input._data.shape if isinstance(input, Tensor) else np.shape(input)


# ---- from data -----------------------------------------------------------------------------
def tensor(data: TensorLike, dtype: DTypeLike = None, device=None, requires_grad: bool = False,
           pin_memory=False) -> Tensor:
    """A new tensor holding a copy of ``data`` (list, number, ndarray or Tensor)."""
    check_device(device)
    return _finish(_to_array(data, dtype), requires_grad)


def as_tensor(data: TensorLike, dtype: DTypeLike = None, device=None) -> Tensor:
    """``data`` as a tensor, sharing memory when it already is one (or an ndarray) of the
    requested dtype."""
    check_device(device)
    if isinstance(data, Tensor) and (dtype is None or np.dtype(dtype) == data.dtype):
        return data
    return _finish(_to_array(data, dtype, copy=False), False)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (its dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray (got {type(array).__name__})")
    return Tensor._make(array)


# ---- filled --------------------------------------------------------------------------------
def zeros(*size: Shape, out=None, dtype: DTypeLike = None, layout=None, device=None,
          requires_grad: bool = False, **kw) -> Tensor:
    size = _size_kw(size, kw, "zeros")
    return _finish(np.zeros(_shape(size, "zeros"), _float_dtype(dtype)), requires_grad, device)


def ones(*size: Shape, out=None, dtype: DTypeLike = None, layout=None, device=None,
         requires_grad: bool = False, **kw) -> Tensor:
    size = _size_kw(size, kw, "ones")
    return _finish(np.ones(_shape(size, "ones"), _float_dtype(dtype)), requires_grad, device)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None, **kw):
    size = _size_kw(size, kw, "empty")
    return _finish(np.empty(_shape(size, "empty"), _float_dtype(dtype)), requires_grad, device)


def full(size, fill_value, *, out=None, dtype: DTypeLike = None, layout=None, device=None,
         requires_grad: bool = False) -> Tensor:
    """``size`` filled with ``fill_value``; the dtype follows the value (bool, int64 or the
    default float) unless given."""
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        if isinstance(fill_value, (bool, np.bool_)):
            dtype = np.bool_
        elif isinstance(fill_value, (int, np.integer)):
            dtype = np.int64
        else:
            dtype = DEFAULT_DTYPE
    shape = _shape((size,) if isinstance(size, (tuple, list)) else (size,), "full")
    return _finish(np.full(shape, fill_value, dtype), requires_grad, device)


def arange(start=0, end=None, step=1, *, out=None, dtype: DTypeLike = None, layout=None,
           device=None, requires_grad: bool = False) -> Tensor:
    """``[start, end)`` in steps of ``step``: int64 when all three are integers."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("arange: step must be nonzero")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in vals)
        dtype = np.int64 if ints else DEFAULT_DTYPE
    if np.dtype(dtype).kind in "iu":
        arr = np.arange(start, end, step, dtype=np.float64 if not all(
            isinstance(v, (int, np.integer)) for v in vals) else np.int64).astype(dtype)
    else:
        # PyTorch computes the length in double and each value as start + i * step
        n = int(np.ceil((end - start) / step))
        arr = (start + np.arange(max(n, 0), dtype=np.float64) * step).astype(dtype)
    return _finish(arr, requires_grad, device)


def linspace(start, end, steps, *, out=None, dtype: DTypeLike = None, layout=None, device=None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end``, computed as PyTorch does (in
    the output dtype, the first half counted up from ``start``, the rest down from ``end``)."""
    dt = _float_dtype(dtype)
    steps = int(steps)
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative (got {steps})")
    work = dt if dt.kind == "f" else np.dtype(np.float64)
    lo, hi = work.type(start), work.type(end)
    if steps <= 1:
        arr = np.full(steps, lo, dtype=work)
    else:
        step = (hi - lo) / work.type(steps - 1)
        # about one rounding per value, as PyTorch's vectorised kernel (fused multiply-adds)
        wide = np.longdouble
        i = np.arange(steps, dtype=wide)
        half = steps // 2
        lo_w, hi_w, step_w = wide(lo), wide(hi), wide(step)
        arr = np.where(i < half, lo_w + step_w * i, hi_w - step_w * (steps - 1 - i)).astype(work)
    return _finish(arr.astype(dt), requires_grad, device)


def eye(n, m=None, *, out=None, dtype: DTypeLike = None, layout=None, device=None,
        requires_grad: bool = False) -> Tensor:
    return _finish(np.eye(n, m, dtype=_float_dtype(dtype)), requires_grad, device)


# ---- random --------------------------------------------------------------------------------
def rand(*size: Shape, generator=None, out=None, dtype: DTypeLike = None, layout=None,
         device=None, requires_grad: bool = False, pin_memory=False, **kw) -> Tensor:
    """Uniform on [0, 1)."""
    size = _size_kw(size, kw, "rand")
    dt = _float_dtype(dtype)
    rng = _random.resolve(generator, "rand")
    arr = rng.random(_shape(size, "rand"), dtype=np.float64).astype(dt)
    return _finish(arr, requires_grad, device)


def randn(*size: Shape, generator=None, out=None, dtype: DTypeLike = None, layout=None,
          device=None, requires_grad: bool = False, pin_memory=False, **kw) -> Tensor:
    """Standard normal."""
    size = _size_kw(size, kw, "randn")
    dt = _float_dtype(dtype)
    arr = _random.resolve(generator, "randn").standard_normal(_shape(size, "randn")).astype(dt)
    return _finish(arr, requires_grad, device)


def randint(low, high=None, size=None, *, generator: None = None, out=None, dtype: DTypeLike = None,
            layout=None, device=None, requires_grad: bool = False) -> Tensor:
    """Integers uniform on [low, high) (``randint(high, size)`` also works, as PyTorch)."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: missing the 'size' argument (a tuple)")
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"randint: expects 'from' < 'to' (got from={low}, to={high})")
    arr = _random.resolve(generator, "randint").integers(
        low, high, size=_shape(tuple(size), "randint"))
    return _finish(arr.astype(np.int64 if dtype is None else dtype), requires_grad, device)


def randperm(n, *, generator: None = None, out=None, dtype: DTypeLike = None, layout=None,
             device=None, requires_grad: bool = False, pin_memory=False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 unless ``dtype`` is given)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"randperm: n must be a non-negative int (got {n!r})")
    arr = _random.resolve(generator, "randperm").permutation(int(n))
    return _finish(arr.astype(np.int64 if dtype is None else dtype), requires_grad, device)


def normal(mean=0.0, std=1.0, size=None, *, generator: None = None, out=None,
           dtype: DTypeLike = None, layout=None, device=None,
           requires_grad: bool = False) -> Tensor:
    """Draws from N(mean, std**2): ``mean`` and ``std`` are numbers or tensors (broadcast
    together); with two numbers ``size`` is required. Not differentiable (PyTorch's gradient
    with respect to mean and std is zero too)."""
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    tensors = [x._data for x in (mean, std) if isinstance(x, Tensor)]
    if tensors:
        if size is not None:
            raise TypeError("normal: 'size' is only allowed when mean and std are numbers")
        shape = np.broadcast_shapes(*[np.shape(m), np.shape(s)])
        dt = np.result_type(*tensors) if dtype is None else np.dtype(dtype)
        if dt.kind != "f":
            raise RuntimeError(f"normal: expected a floating point mean/std (got {dt})")
    else:
        if size is None:
            raise TypeError("normal: with number mean and std, give 'size'")
        shape = _shape(tuple(size) if isinstance(size, (tuple, list)) else (size,), "normal")
        dt = _float_dtype(dtype)
    if np.any(np.asarray(s) < 0):
        raise RuntimeError("normal: expects all elements of std >= 0.0")
    z = _random.resolve(generator, "normal").standard_normal(shape)
    return _finish((m + s * z).astype(dt), requires_grad, device)


def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 draws: 1 with probability ``input`` (elementwise, in [0, 1]) or ``p`` when given.
    The result has ``input``'s dtype. Not differentiable."""
    x = input._data if isinstance(input, Tensor) else np.asarray(input)
    prob = x if p is None else (p._data if isinstance(p, Tensor) else p)
    prob = np.asarray(prob)
    if np.any((prob < 0) | (prob > 1)) or np.any(np.isnan(prob)):
        raise RuntimeError("bernoulli: expects 0 <= p <= 1")
    u = _random.resolve(generator, "bernoulli").random(x.shape)
    return Tensor._make((u < prob).astype(x.dtype if x.dtype.kind == "f" else DEFAULT_DTYPE))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    """Category indices drawn from the rows of ``input`` (non-negative weights, 1-D ``(C,)``
    or 2-D ``(N, C)``); returns int64 of shape ``(num_samples,)`` or ``(N, num_samples)``."""
    w = input._data if isinstance(input, Tensor) else np.asarray(input)
    if w.ndim not in (1, 2):
        raise ValueError(f"multinomial: prob_dist must be 1 or 2 dim (got shape {w.shape})")
    if w.dtype.kind != "f":
        raise RuntimeError(f"multinomial only supports floating-point dtypes for input (got "
                           f"{w.dtype})")
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample num_samples={num_samples} <= 0 samples")
    rows = w.reshape(-1, w.shape[-1]).astype(np.float64)
    if np.any(rows < 0) or not np.all(np.isfinite(rows)):
        raise RuntimeError("multinomial: probability tensor contains either inf, nan or "
                           "element < 0")
    rng = _random.resolve(generator, "multinomial")
    out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
    for i, r in enumerate(rows):
        total = r.sum()
        if total <= 0:
            raise RuntimeError("multinomial: invalid multinomial distribution (sum of "
                               "probabilities <= 0)")
        if not replacement and num_samples > np.count_nonzero(r):
            raise RuntimeError("multinomial: cannot sample n_sample > prob_dist.size(-1) "
                               "samples without replacement (not enough non-zero categories)")
        out[i] = rng.choice(r.shape[0], size=num_samples, replace=replacement, p=r / total)
    return Tensor._make(out if w.ndim == 2 else out[0])


# ---- *_like --------------------------------------------------------------------------------
def zeros_like(input: Tensor, *, dtype: DTypeLike = None, layout=None, device=None,
               requires_grad: bool = False, memory_format=None) -> Tensor:
    return _finish(np.zeros(_like_shape(input), _like_dtype(input, dtype)), requires_grad,
                   device)


def ones_like(input: Tensor, *, dtype: DTypeLike = None, layout=None, device=None,
              requires_grad: bool = False, memory_format=None) -> Tensor:
    return _finish(np.ones(_like_shape(input), _like_dtype(input, dtype)), requires_grad,
                   device)


def empty_like(input: Tensor, *, dtype: DTypeLike = None, layout=None, device=None,
               requires_grad: bool = False, memory_format=None) -> Tensor:
    return _finish(np.empty(_like_shape(input), _like_dtype(input, dtype)), requires_grad,
                   device)


def full_like(input: Tensor, fill_value, *, dtype: DTypeLike = None, layout=None, device=None,
              requires_grad: bool = False, memory_format=None) -> Tensor:
    return _finish(np.full(_like_shape(input), fill_value, _like_dtype(input, dtype)),
                   requires_grad, device)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None, generator=None):
    return rand(*_like_shape(input), generator=generator, dtype=_like_dtype(input, dtype),
                device=device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None, generator=None):
    return randn(*_like_shape(input), generator=generator, dtype=_like_dtype(input, dtype),
                 device=device, requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None,
                 requires_grad=False, memory_format=None, generator=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(_like_shape(input)), generator=generator,
                   dtype=_like_dtype(input, dtype),
                   device=device, requires_grad=requires_grad)


def get_default_dtype():
    """The dtype of floating-point tensors made from Python floats: ``autodiff.float32``."""
    from .dtypes import wrap
    return wrap(DEFAULT_DTYPE)


def set_default_dtype(d):
    """Only float32 is supported (the engine's promotion rules are written for it); any other
    dtype raises ``NotImplementedError`` rather than half-applying. Use ``dtype=`` per factory
    or ``model.double()`` for float64."""
    if np.dtype(d) != DEFAULT_DTYPE:
        raise NotImplementedError(f"set_default_dtype: autodiff's default float dtype is fixed to "
                                  f"float32 (got {np.dtype(d)}); pass dtype= to the factories or "
                                  "call model.double() instead")
