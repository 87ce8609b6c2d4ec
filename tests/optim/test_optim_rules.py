"""Each update rule against its formula written out in NumPy, and convergence on a
quadratic. Runs without torch."""

import numpy as np
import pytest

import autodiff as ad
from autodiff import optim

# three fixed gradients for a 4-element parameter, with sign changes for Rprop
P0 = np.array([0.5, -1.0, 2.0, 0.0])
GRADS = [np.array([0.3, -0.2, 1.0, 0.0]),
         np.array([-0.1, -0.4, 0.5, 0.2]),
         np.array([0.2, 0.3, 0.5, -0.6])]


def run(opt_class, **options):
    """Apply the three gradients with an autodiff optimizer; return the 3 iterates."""
    p = ad.Tensor(P0.copy(), requires_grad=True)
    opt = opt_class([p], **options)
    out = []
    for g in GRADS:
        p.grad = ad.Tensor(g.copy())
        opt.step()
        out.append(p._data.copy())
    return out


def check(ours, expected):
    assert len(ours) == len(expected) == 3
    for step, (a, e) in enumerate(zip(ours, expected)):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=1e-14, err_msg=f"step {step}")


def test_sgd_plain_formula():
    p, expected = P0.copy(), []
    for g in GRADS:
        p = p - 0.1 * g
        expected.append(p)
    check(run(optim.SGD, lr=0.1), expected)


@pytest.mark.parametrize("nesterov,dampening", [(False, 0.0), (False, 0.25), (True, 0.0)])
def test_sgd_momentum_formula(nesterov, dampening):
    lr, mu, wd = 0.1, 0.9, 0.01
    p, buf, expected = P0.copy(), None, []
    for g in GRADS:
        g = g + wd * p
        buf = g.copy() if buf is None else mu * buf + (1 - dampening) * g
        step = g + mu * buf if nesterov else buf
        p = p - lr * step
        expected.append(p)
    check(run(optim.SGD, lr=lr, momentum=mu, dampening=dampening, nesterov=nesterov,
              weight_decay=wd), expected)


def test_sgd_maximize_goes_uphill():
    ours = run(optim.SGD, lr=0.1, maximize=True)
    np.testing.assert_allclose(ours[0], P0 + 0.1 * GRADS[0], rtol=1e-14)


def test_adagrad_formula():
    lr, lr_decay, wd, init, eps = 0.1, 0.5, 0.1, 0.2, 1e-10
    p, acc, expected = P0.copy(), np.full(4, init), []
    for t, g in enumerate(GRADS, start=1):
        g = g + wd * p
        acc = acc + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(acc) + eps)
        expected.append(p)
    check(run(optim.Adagrad, lr=lr, lr_decay=lr_decay, weight_decay=wd,
              initial_accumulator_value=init, eps=eps), expected)


def test_adadelta_formula():
    lr, rho, eps, wd = 1.0, 0.9, 1e-6, 0.05
    p, v, u, expected = P0.copy(), np.zeros(4), np.zeros(4), []
    for g in GRADS:
        g = g + wd * p
        v = rho * v + (1 - rho) * g**2
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta**2
        p = p - lr * delta
        expected.append(p)
    check(run(optim.Adadelta, lr=lr, rho=rho, eps=eps, weight_decay=wd), expected)


@pytest.mark.parametrize("centered,momentum", [(False, 0.0), (True, 0.0), (True, 0.9),
                                               (False, 0.5)])
def test_rmsprop_formula(centered, momentum):
    lr, alpha, eps, wd = 0.01, 0.99, 1e-8, 0.1
    p, v, m, buf, expected = P0.copy(), np.zeros(4), np.zeros(4), np.zeros(4), []
    for g in GRADS:
        g = g + wd * p
        v = alpha * v + (1 - alpha) * g**2
        if centered:
            m = alpha * m + (1 - alpha) * g
            avg = np.sqrt(v - m**2) + eps
        else:
            avg = np.sqrt(v) + eps
        if momentum > 0:
            buf = momentum * buf + g / avg
            p = p - lr * buf
        else:
            p = p - lr * g / avg
        expected.append(p)
    check(run(optim.RMSprop, lr=lr, alpha=alpha, eps=eps, weight_decay=wd,
              centered=centered, momentum=momentum), expected)


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("decoupled", [False, True])
def test_adam_and_adamw_formula(amsgrad, decoupled):
    lr, b1, b2, eps, wd = 0.1, 0.8, 0.9, 1e-8, 0.1
    p, m, v, vmax, expected = P0.copy(), np.zeros(4), np.zeros(4), np.zeros(4), []
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        vmax = np.maximum(vmax, v)
        v_hat = (vmax if amsgrad else v) / (1 - b2**t)
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v_hat) + eps)
        expected.append(p)
    opt_class = optim.AdamW if decoupled else optim.Adam
    check(run(opt_class, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd, amsgrad=amsgrad),
          expected)


def test_adamw_default_weight_decay_is_decoupled():
    opt = optim.AdamW([ad.Tensor(P0.copy(), requires_grad=True)])
    group = opt.param_groups[0]
    assert group["weight_decay"] == 0.01 and group["decoupled_weight_decay"] is True
    assert optim.Adam([ad.Tensor(P0.copy(), requires_grad=True)]).param_groups[0][
        "weight_decay"] == 0


def test_rprop_formula():
    lr, eta_minus, eta_plus, smin, smax = 0.1, 0.5, 1.2, 1e-6, 0.15
    p, prev, size, expected = P0.copy(), np.zeros(4), np.full(4, lr), []
    for g in GRADS:
        g = g.copy()
        s = np.sign(g * prev)
        size = np.clip(size * np.where(s > 0, eta_plus, np.where(s < 0, eta_minus, 1.0)),
                       smin, smax)
        g[s < 0] = 0
        p = p - np.sign(g) * size
        prev = g
        expected.append(p)
    ours = run(optim.Rprop, lr=lr, etas=(eta_minus, eta_plus), step_sizes=(smin, smax))
    check(ours, expected)
    # coordinate 0 changed sign between steps 1 and 2: it does not move at step 2
    assert ours[1][0] == ours[0][0]


def test_defaults_are_pytorch_defaults():
    p = ad.Tensor(P0.copy(), requires_grad=True)
    expect = {
        optim.SGD: dict(lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                        maximize=False),
        optim.Adagrad: dict(lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                            eps=1e-10, maximize=False),
        optim.Adadelta: dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False),
        optim.RMSprop: dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                            centered=False, maximize=False),
        optim.Adam: dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                         amsgrad=False, maximize=False),
        optim.AdamW: dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                          amsgrad=False, maximize=False),
        optim.Rprop: dict(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), maximize=False),
    }
    for opt_class, defaults in expect.items():
        group = opt_class([p]).param_groups[0]
        for key, value in defaults.items():
            assert group[key] == value, (opt_class.__name__, key)


QUADRATIC_A = np.diag([1.0, 3.0, 10.0])
QUADRATIC_TARGET = np.array([1.0, -2.0, 0.5])


@pytest.mark.parametrize("opt_class,options,steps", [
    (optim.SGD, dict(lr=0.05), 300),
    (optim.SGD, dict(lr=0.02, momentum=0.9, nesterov=True), 300),
    (optim.Adagrad, dict(lr=0.5), 500),
    (optim.Adadelta, dict(lr=10.0), 600),
    (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5), 600),
    (optim.Adam, dict(lr=0.05), 600),
    (optim.AdamW, dict(lr=0.05, weight_decay=0.0), 600),
    (optim.Rprop, dict(lr=0.1), 200),
])
def test_converges_on_quadratic(opt_class, options, steps):
    """f(x) = (x - c)' A (x - c) / 2 has its minimum at c."""
    x = ad.Tensor(np.zeros(3), requires_grad=True)
    opt = opt_class([x], **options)
    for _ in range(steps):
        opt.zero_grad()
        x.grad = ad.Tensor(QUADRATIC_A @ (x._data - QUADRATIC_TARGET))
        opt.step()
    np.testing.assert_allclose(x._data, QUADRATIC_TARGET, atol=2e-2)


def test_float32_parameters_stay_float32():
    for opt_class in (optim.SGD, optim.Adagrad, optim.Adadelta, optim.RMSprop, optim.Adam,
                      optim.AdamW, optim.Rprop):
        p = ad.Tensor(P0.astype(np.float32), requires_grad=True)
        data = p._data
        opt = opt_class([p], lr=0.1)
        p.grad = ad.Tensor(GRADS[0].astype(np.float32))
        opt.step()
        assert p._data is data and p._data.dtype == np.float32, opt_class.__name__
        assert not np.array_equal(p._data, P0.astype(np.float32)), opt_class.__name__
