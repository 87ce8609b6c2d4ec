"""Fused optimizer updates: one pass over a parameter instead of 3-4 NumPy ufunc calls.

``sgd_momentum_(p, buf, g, lr, momentum)`` does ``buf = buf * momentum + g; p -= lr * buf``
with the same roundings as the NumPy sequence (``buf *= m; buf += g; p -= lr * buf``): each
product and sum is rounded to the array dtype in the same order (numba does not contract
them into FMAs without fastmath).  The NumPy twin is ``sgd_momentum_ref_``.
"""
import numba

__all__ = ["sgd_momentum_", "sgd_momentum_ref_"]


@numba.njit(cache=True)
def _sgd_momentum_kernel(p, buf, g, lr, momentum):
    for i in range(p.size):
        b = buf[i] * momentum
        b = b + g[i]
        buf[i] = b
        p[i] = p[i] - lr * b


_SCALARS = {}


def sgd_momentum_(p, buf, g, lr, momentum):
    """In place: ``buf = buf * momentum + g``, ``p -= lr * buf``; returns False (doing nothing)
    when the arrays are not all C-contiguous float32/float64 arrays of one shape and dtype
    (float16 is left to NumPy: numba cannot compile it)."""
    dt = p.dtype
    if not (dt.char in "fd" and buf.dtype == dt and g.dtype == dt and p.shape == buf.shape
            == g.shape):
        return False
    fp = p.flags
    if not (fp.c_contiguous and fp.writeable and buf.flags.c_contiguous
            and g.flags.c_contiguous):
        return False
    # scalars in the array dtype, as NumPy's weak Python-float scalars behave (cached: the
    # conversions cost more than the kernel call on a bias)
    if lr.__class__ is float and momentum.__class__ is float and lr != 0.0:  # (not -0.0)
        key = (dt, lr, momentum)
        sc = _SCALARS.get(key)
        if sc is None:
            if len(_SCALARS) > 256:  # e.g. a learning-rate schedule
                _SCALARS.clear()
            sc = _SCALARS[key] = (dt.type(lr), dt.type(momentum))
    else:
        sc = (dt.type(lr), dt.type(momentum))
    _sgd_momentum_kernel(p.reshape(-1), buf.reshape(-1), g.reshape(-1), sc[0], sc[1])
    return True


def sgd_momentum_ref_(p, buf, g, lr, momentum):
    buf *= momentum
    buf += g
    p -= lr * buf
