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
    loss, gw, gb = loss_and_grads(X, Y, w._data, b._data)
    w.grad = ad.Tensor(gw)
    b.grad = ad.Tensor(gb)
    return loss


def make_logistic(seed=1):
    """Return (X, y, w0, b0): inputs (40, 4), labels in {-1, 1} (40,), w (4,), b ()."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((40, 4))
    y = np.sign(X @ rng.standard_normal(4) + 0.5 * rng.standard_normal(40))
    return X, y, 0.5 * rng.standard_normal(4), np.array(0.1)


def logistic_loss(lib, X, y, w, b):
    """mean(log(1 + exp(-y * (X @ w + b)))) written with tensor ops of `lib` (autodiff or
    torch): the gradient comes from that library's own backward pass."""
    z = X @ w + b
    return (1 + (-(y * z)).exp()).log().mean()
