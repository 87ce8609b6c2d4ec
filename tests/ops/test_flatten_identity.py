"""flatten with nothing to flatten returns its input, as PyTorch does (no Reshape recorded)."""
import numpy as np
import pytest

import autodiff as ad


@pytest.mark.parametrize("shape, start, end", [((3, 4), 1, -1), ((5,), 0, -1), ((3, 4, 1), 2, 2),
                                               ((2, 3, 4), -2, 1)])
def test_single_dim_is_the_input(shape, start, end):
    x = ad.randn(*shape, requires_grad=True)
    y = ad.flatten(x, start, end)
    assert y is x
    assert x.flatten(start, end) is x
    (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(shape, 2.0, dtype=np.float32))


@pytest.mark.parametrize("shape, start, end, want", [((), 0, -1, (1,)), ((3, 4, 1), 1, -1, (3, 4)),
                                                     ((2, 3, 4), 0, 1, (6, 4))])
def test_real_flatten_is_a_new_tensor(shape, start, end, want):
    x = ad.randn(*shape, requires_grad=True)
    y = ad.flatten(x, start, end)
    assert y is not x and tuple(y.shape) == want
    assert y.grad_fn is not None
    (y * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(shape, 3.0, dtype=np.float32))


def test_matches_torch_identity():
    torch = pytest.importorskip("torch")
    for shape, start, end in [((3, 4), 1, -1), ((3, 4, 1), 1, -1), ((3, 4, 1), 2, 2), ((), 0, -1)]:
        t = torch.zeros(shape)
        a = ad.zeros(*shape)
        assert (torch.flatten(t, start, end) is t) == (ad.flatten(a, start, end) is a)
