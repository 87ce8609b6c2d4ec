"""``%`` / remainder / fmod are differentiable as PyTorch's (da = g, db = -g floor(a/b) or
-g trunc(a/b)); ``//`` and floor_divide record a node whose backward raises, as PyTorch's;
div with a rounding mode has a zero gradient."""
import numpy as np
import pytest

import autodiff as ad

A = np.array([5.5, -5.5, 5.5, -5.5, 3.0, 0.0, 7.25, -0.5])
B = np.array([2.0, 2.0, -2.0, -2.0, 0.0, 1.0, 0.75, 3.0])

BINARY = {
    "remainder": lambda lib, a, b: lib.remainder(a, b),
    "mod_operator": lambda lib, a, b: a % b,
    "fmod": lambda lib, a, b: lib.fmod(a, b),
    "mod_python_divisor": lambda lib, a, b: a % 1.5,
    "remainder_negative_python_divisor": lambda lib, a, b: lib.remainder(a, -2.5),
    "fmod_python_divisor": lambda lib, a, b: lib.fmod(a, -1.25),
    "div_floor": lambda lib, a, b: lib.div(a, b, rounding_mode="floor"),
    "div_trunc": lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"),
}


@pytest.mark.parametrize("name", sorted(BINARY))
def test_value_and_grad_match_torch(name):
    torch = pytest.importorskip("torch")
    fn = BINARY[name]
    a, b = ad.tensor(A, requires_grad=True), ad.tensor(B, requires_grad=True)
    out = fn(ad, a, b)
    w = np.linspace(0.5, 2.0, A.size)
    (out * ad.tensor(w)).sum().backward()
    at, bt = torch.tensor(A, requires_grad=True), torch.tensor(B, requires_grad=True)
    outt = fn(torch, at, bt)
    (outt * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), outt.detach().numpy())
    assert out.requires_grad == outt.requires_grad
    for g, gt in ((a.grad, at.grad), (b.grad, bt.grad)):
        if gt is None:
            assert g is None
        else:
            np.testing.assert_array_equal(g.detach().numpy(), gt.numpy())


@pytest.mark.parametrize("name", ["remainder", "fmod"])
def test_gradcheck_away_from_the_jumps(name):
    rng = np.random.RandomState(0)
    a = rng.uniform(-9, 9, 12)
    b = rng.uniform(0.6, 3, 12) * rng.choice([-1.0, 1.0], 12)
    q = a / b  # keep a / b off integers, where the function jumps
    a = np.where(np.abs(q - np.round(q)) < 0.05, a + 0.2 * np.abs(b), a)
    fn = getattr(ad, name)
    assert ad.gradcheck(fn, (ad.tensor(a, requires_grad=True), ad.tensor(b, requires_grad=True)))
    assert ad.gradgradcheck(fn, (ad.tensor(a, requires_grad=True),
                                 ad.tensor(b, requires_grad=True)))


def test_remainder_grads_by_hand():
    a = ad.tensor(np.array([5.5, -5.5]), requires_grad=True)
    b = ad.tensor(np.array([2.0, 2.0]), requires_grad=True)
    (a % b).sum().backward()
    np.testing.assert_array_equal(a.grad.detach().numpy(), [1.0, 1.0])
    np.testing.assert_array_equal(b.grad.detach().numpy(), [-2.0, 3.0])


@pytest.mark.parametrize("fn", [lambda a, b: a // b, lambda a, b: 7.0 // b,
                                lambda a, b: ad.floor_divide(a, 2.0),
                                lambda a, b: 7.0 % b])
def test_floor_divide_and_scalar_dividend_remainder_raise_in_backward_as_torch(fn):
    a = ad.tensor(np.array([5.5, -5.5]), requires_grad=True)
    b = ad.tensor(np.array([2.0, 3.0]), requires_grad=True)
    out = fn(a, b)
    assert out.requires_grad          # as torch: the node exists, its derivative does not
    with pytest.raises(RuntimeError, match="derivative for (floor_divide|remainder) is not "
                                           "implemented"):
        (out * 1.0).sum().backward()


def test_floor_divide_raises_in_torch_too():
    torch = pytest.importorskip("torch")
    a = torch.tensor([5.5, -5.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="not implemented"):
        (a // 2).sum().backward()


def test_integer_remainder_has_no_grad_and_keeps_its_dtype():
    a = ad.tensor(np.array([7, -7]))
    out = a % 3
    assert out.dtype == np.int64 and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), [1, 2])
    np.testing.assert_array_equal(ad.fmod(a, 3).numpy(), [1, -1])
