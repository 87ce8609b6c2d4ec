"""Exact references (tests/fuzz/exact.py) for the op-table specs whose results depend on the
order of a floating-point sum: sum, mean, var, std, the matmul family, dot, mlp_like, and the
norms and products (see their notes below).

``REFS[name](arrays, params, weights)`` returns ``(values, grads)``: per output an object
array of ``Bounded``, per input the gradient of ``sum(out * w)`` (``weights`` are the w), or
None where the gradient does not depend on an order (sum's and mean's are w, broadcast) and
the plain comparison with torch stays the judge.
"""

from __future__ import annotations

import numpy as np

from tests.fuzz.exact import INF, _finite, as_bounded, lift


def _map(f):
    """f elementwise over an object array (0-d included), as an object array."""
    ufunc = np.frompyfunc(lambda b: f(as_bounded(b)), 1, 1)
    return lambda a: _obj(ufunc(a))


_sqrt = _map(lambda b: b.sqrt())
_tanh = _map(lambda b: b.tanh())
_abs = _map(abs)


def _obj(x):
    return x if isinstance(x, np.ndarray) else np.array(x, object)


def _axes(dim, nd):
    if dim is None:
        return tuple(range(nd))
    dims = dim if isinstance(dim, tuple) else (dim,)
    return tuple(sorted(d % max(nd, 1) for d in dims)) if nd else ()


def _reduce(X, axes, keepdim):
    if not X.ndim:
        return X.copy()
    return _obj(np.sum(X, axis=axes, keepdims=keepdim))


def _count(shape, axes):
    return int(np.prod([shape[a] for a in axes])) if shape else 1


def _kept(W, shape, axes):
    """w of a reduced output, reshaped with the reduced dims as 1 (broadcasts over x)."""
    return W.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))


def ref_sum(arrays, params, weights):
    X = lift(arrays[0])
    dim = params["dim"]
    keep = params["keepdim"] if dim is not None else False
    return [_reduce(X, _axes(dim, X.ndim), keep)], [None]


def ref_mean(arrays, params, weights):
    X = lift(arrays[0])
    dim = params["dim"]
    axes = _axes(dim, X.ndim)
    keep = params["keepdim"] if dim is not None else False
    return [_obj(_reduce(X, axes, keep) / _count(X.shape, axes))], [None]


def _var(arrays, params, weights, std):
    X = lift(arrays[0])
    axes = _axes(params["dim"], X.ndim)
    n = _count(X.shape, axes)
    c = params.get("correction", 1 if params.get("unbiased", True) else 0)
    mu = _reduce(X, axes, True) / n
    d = X - mu
    var = _reduce(d * d, axes, True) / (n - c)
    out = _sqrt(var) if std else var
    W = _kept(lift(weights[0]), X.shape, axes)
    grad = d * W / ((n - c) * out) if std else 2 * d * W / (n - c)
    value = out if params["keepdim"] else out.reshape(np.asarray(weights[0]).shape)
    return [_obj(value)], [_obj(grad)]


def ref_var(arrays, params, weights):
    return _var(arrays, params, weights, std=False)


def ref_std(arrays, params, weights):
    return _var(arrays, params, weights, std=True)


def _unbroadcast(g, shape):
    while g.ndim > len(shape):
        g = _obj(np.sum(g, axis=0))
    for i, n in enumerate(shape):
        if n == 1 and g.shape[i] != 1:
            g = _obj(np.sum(g, axis=i, keepdims=True))
    return g


def ref_matmul(arrays, params, weights):
    """x @ y with NumPy's matmul rules (1-D operands promoted, batch dims broadcast);
    dx = w @ y^T and dy = x^T @ w summed over the broadcast batch dims."""
    X, Y = lift(arrays[0]), lift(arrays[1])
    Xp = X[None, :] if X.ndim == 1 else X
    Yp = Y[:, None] if Y.ndim == 1 else Y
    out = _obj(np.matmul(Xp, Yp))
    W = lift(weights[0]).reshape(out.shape)
    dX = _unbroadcast(_obj(np.matmul(W, np.swapaxes(Yp, -1, -2))), Xp.shape)
    dY = _unbroadcast(_obj(np.matmul(np.swapaxes(Xp, -1, -2), W)), Yp.shape)
    value = out.reshape(np.asarray(weights[0]).shape)
    return [value], [dX.reshape(X.shape), dY.reshape(Y.shape)]


def ref_dot(arrays, params, weights):
    X, Y = lift(arrays[0]), lift(arrays[1])
    W = lift(weights[0]).reshape(())[()]
    return [_obj(np.sum(X * Y))], [_obj(X * 0 + W * Y), _obj(Y * 0 + W * X)]


def ref_mlp_like(arrays, params, weights):
    """(x @ w).tanh().sum(-1): dh = w_out (1 - t^2); dx = dh @ w^T, dw = x^T @ dh."""
    X, Wt = lift(arrays[0]), lift(arrays[1])
    t = _tanh(_obj(np.matmul(X, Wt)))
    out = _obj(np.sum(t, axis=-1))
    dh = lift(weights[0])[:, None] * (1 - t * t)
    return [out], [_obj(np.matmul(dh, Wt.T)), _obj(np.matmul(X.T, dh))]


def ref_norm(arrays, params, weights):
    """The p-norm (sum |x|^p)^(1/p) for p not 0 or +-inf (those have no order to depend on).
    As torch, a norm over one element per output is |x| exactly (no intermediate |x|^p to
    overflow or underflow), except a 0-d input with an explicit dim, where torch evaluates
    the formula (|1e300|^3 overflows: inf) and autodiff keeps |x| (the exact answer, a
    documented difference): the formula's reference admits both."""
    p = params.get("p", "fro")
    p = 2.0 if p == "fro" else float(p)
    X = lift(arrays[0])
    dim = params.get("dim")
    if p in (0.0, 1.0, INF, -INF):
        return [None], [None]
    axes = _axes(dim, X.ndim)
    W = _kept(lift(weights[0]), X.shape, axes)
    kept_shape = tuple(1 if i in axes else n for i, n in enumerate(X.shape))
    exact = _abs(X).reshape(kept_shape)
    if _count(X.shape, axes) == 1 and not (X.ndim == 0 and dim is not None):
        value, grad = exact, _norm_grad(arrays[0], X, W, exact, p)
    else:
        S = _reduce(_map(lambda b: b.pow(p))(X), axes, True)
        N = _map(lambda b: b.pow(1.0 / p))(S)
        value, grad = N, _norm_grad(arrays[0], X, W, N, p)
        if X.ndim == 0:  # torch's formula or autodiff's exact |x|
            value = _either(N, exact)
            grad = _either(grad, _norm_grad(arrays[0], X, W, exact, p))
    if not (params.get("keepdim", False) and dim is not None):
        value = value.reshape(np.asarray(weights[0]).shape)
    return [_obj(value)], [_obj(grad)]


def _norm_grad(x, X, W, N, p):
    """w sign(x) |x|^(p-1) / N^(p-1) in torch's association (x / N first for p = 2); 0 where
    the norm is exactly 0, or x is 0 (p < 1: torch masks those)."""
    if p == 2.0:
        grad = X / N * W
    else:
        powq = _map(lambda b: b.pow(p - 1))
        grad = lift(np.sign(x)) * (powq(X) / powq(N)) * W
    zero = _map(lambda b: _finite(b.v) and b.v == 0 and not b.err)(N).astype(bool)
    return np.where(zero | (np.asarray(x) == 0), lift(np.zeros(np.shape(x))), grad)


def _either(a, b):
    out = np.empty(np.broadcast_shapes(a.shape, b.shape), dtype=object)
    for i in np.ndindex(out.shape):
        out[i] = (np.broadcast_to(a, out.shape)[i], np.broadcast_to(b, out.shape)[i])
    return out


def ref_prod(arrays, params, weights):
    """The product, and the gradient as torch's formula w * (out / x) (the division is where
    an underflowed product loses everything); with a zero input torch builds the products of
    the others instead, judged by the plain comparison."""
    X = lift(arrays[0])
    dim = params["dim"]
    axes = _axes(dim, X.ndim)
    P = _obj(np.prod(X, axis=axes, keepdims=True)) if X.ndim else X.copy()
    value = P.reshape(np.asarray(weights[0]).shape)
    if not X.ndim or np.any(np.asarray(arrays[0]) == 0):
        return [_obj(value)], [None]
    W = _kept(lift(weights[0]), X.shape, axes)
    return [_obj(value)], [_obj(W * (P / X))]


REFS = {
    "sum": ref_sum,
    "mean": ref_mean,
    "var": ref_var,
    "std": ref_std,
    "matmul": ref_matmul,
    "matmul_fn": ref_matmul,
    "mm": ref_matmul,
    "bmm": ref_matmul,
    "dot": ref_dot,
    "mlp_like": ref_mlp_like,
    "norm": ref_norm,
    "norm_fn": ref_norm,
    "prod": ref_prod,
}
