"""Shared fixtures for the optim tests: a small float64 least-squares problem.

Gradients come from a NumPy formula so that both libraries see exactly the same gradient
for the same parameter values; the difference between trajectories is then only the
optimizers' own rounding.
"""

import numpy as np

import autodiff as ad

N_IN, N_OUT, N_ROWS = 5, 3, 20


def make_problem(seed=0):
    """Return (X, Y, w0, b0): inputs (20, 5), targets (20, 3), initial w (5, 3), b (3,)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N_ROWS, N_IN))
    true_w = rng.standard_normal((N_IN, N_OUT))
    Y = X @ true_w + 0.1 * rng.standard_normal((N_ROWS, N_OUT))
    w0 = rng.standard_normal((N_IN, N_OUT))
    b0 = rng.standard_normal(N_OUT)
    return X, Y, w0, b0


def loss_and_grads(X, Y, w, b):
    """mean((X @ w + b - Y)**2) and its gradients with respect to w and b."""
    r = X @ w + b - Y
    scale = 2.0 / r.size
    return float(np.mean(r * r)), scale * (X.T @ r), scale * r.sum(axis=0)


def make_params(w0, b0):
    w = ad.Tensor(w0.copy(), requires_grad=True)
    b = ad.Tensor(b0.copy(), requires_grad=True)
    return w, b


def set_grads(X, Y, w, b):
    """Set ``.grad`` of autodiff tensors w, b from the formula; return the loss."""
    loss, gw, gb = loss_and_grads(X, Y, w.data, b.data)
    w.grad = ad.Tensor(gw)
    b.grad = ad.Tensor(gb)
    return loss
