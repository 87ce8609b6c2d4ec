"""einsum over random equations (repeated letters, letters summed in one operand only,
implicit outputs, ellipses): values and gradients against PyTorch and central differences."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
from tests.torch_parity import values_and_grads

SIZES = dict(a=2, b=3, c=4, d=2, e=3)


def _equations(n=24, seed=0):
    rng = np.random.default_rng(seed)
    letters = list(SIZES)
    out = []
    while len(out) < n:
        k = int(rng.integers(1, 4))
        terms = ["".join(rng.choice(letters, size=int(rng.integers(1, 4)))) for _ in range(k)]
        used = sorted(set("".join(terms)))
        style = rng.integers(0, 3)
        if style == 0:
            eq = ",".join(terms)  # implicit output
        else:
            m = int(rng.integers(0, len(used) + 1))
            rhs = "".join(rng.permutation(used)[:m])
            eq = ",".join(terms) + "->" + rhs
        if rng.random() < 0.25:  # a leading broadcast dim on every operand
            eq = ",".join("..." + t for t in eq.split("->")[0].split(",")) + (
                "->..." + eq.split("->")[1] if "->" in eq else "")
        out.append(eq)
    return out


EQUATIONS = _equations()


def _operands(eq, seed):
    rng = np.random.default_rng(seed)
    lhs = eq.split("->")[0]
    arrays = []
    for t in lhs.split(","):
        lead = (2,) if t.startswith("...") else ()
        arrays.append(rng.standard_normal(lead + tuple(SIZES[c] for c in t.replace("...", ""))))
    return arrays


@pytest.mark.parametrize("eq", EQUATIONS)
def test_einsum_random_equations(eq):
    arrays = _operands(eq, 1)
    xs = [ad.tensor(a, requires_grad=True) for a in arrays]
    assert ad.gradcheck(lambda *t: ad.einsum(eq, *t), xs)
    np.testing.assert_allclose(ad.einsum(eq, *xs)._data, np.einsum(eq, *arrays), rtol=1e-12,
                               atol=1e-12)
    torch = pytest.importorskip("torch")
    values_and_grads(lambda *x: ad.einsum(eq, *x), lambda *t: torch.einsum(eq, *t), arrays, torch)


def test_einsum_second_derivatives_and_errors():
    rng = np.random.default_rng(0)
    a = ad.tensor(rng.standard_normal((3, 3)), requires_grad=True)
    b = ad.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert ad.gradgradcheck(lambda x, y: ad.einsum("ii,ij->j", x, y) * ad.einsum("ij->i", y).sum(),
                            (a, b))
    with pytest.raises(ValueError, match="operand"):
        ad.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match="dimensions"):
        ad.einsum("ijk->i", a)
    with pytest.raises(ValueError, match="broadcast"):
        ad.einsum("ij,ij->i", a, b)
    with pytest.raises(ValueError, match="output"):
        ad.einsum("ij->k", a)
    with pytest.raises(TypeError):
        ad.einsum(a, [0, 1])
