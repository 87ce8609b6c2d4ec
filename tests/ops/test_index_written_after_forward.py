"""An index tensor written in place between forward and backward must not change the gradient
(it did, silently, for x[idx], index_select, embedding, gather, scatter_add, index_add): the ops
keep a copy of the indices, so backward uses the ones the forward used. (PyTorch raises here;
we give the gradient of the forward that was computed.)"""
import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F

CASES = {
    "getitem": lambda x, i: x[i],
    "getitem_tuple": lambda x, i: x[i, 1:],
    "index_select": lambda x, i: ad.index_select(x, 0, i),
    "embedding": lambda x, i: F.embedding(i, x),
    "gather": lambda x, i: ad.gather(x, 0, i[:, None].expand(3, 4)),
    "scatter_add": lambda x, i: ad.zeros(5, 4, dtype=ad.float64).scatter_add(
        0, i[:, None].expand(3, 4), x[:3]),
    "index_add": lambda x, i: ad.zeros(5, 4, dtype=ad.float64).index_add(0, i, x[:3]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_uses_the_forwards_indices(name):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((5, 4))
    g_out = None

    def run(mutate):
        x = ad.tensor(w, requires_grad=True)
        idx = ad.tensor([4, 0, 4])
        out = CASES[name](x, idx)
        nonlocal g_out
        if g_out is None:
            g_out = rng.standard_normal(tuple(out.shape))
        if mutate:
            idx.fill_(1)  # the user reuses the index buffer
        (out * ad.tensor(g_out)).sum().backward()
        return x.grad.numpy()

    expected = run(False)
    assert np.abs(expected).sum() > 0
    np.testing.assert_array_equal(run(True), expected)
