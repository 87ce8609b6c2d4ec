"""``axis=`` / ``keepdims=`` (NumPy's names, as PyTorch's argument parser accepts them) on the
sorting and scan reductions, as functions and as Tensor methods, against torch 2.13."""
import numpy as np
import pytest

import autodiff as ad

X = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])

# (name, positional args after the tensor, keyword args)
CASES = [("sort", (), {"axis": 0}), ("argsort", (), {"axis": 0}), ("topk", (1,), {"axis": 0}),
         ("diff", (), {"axis": 0}), ("kthvalue", (1,), {"axis": 0, "keepdims": True}),
         ("cumsum", (), {"axis": 1}), ("sum", (), {"axis": 1, "keepdims": True})]


def _arrays(result):
    if isinstance(result, tuple):
        return [np.asarray(r.numpy()) for r in result]
    return [np.asarray(result.numpy())]


@pytest.mark.parametrize("name,args,kwargs", CASES)
def test_axis_names_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    expected = _arrays(getattr(torch.tensor(X), name)(*args, **kwargs))
    t = ad.tensor(X)
    for got in (getattr(t, name)(*args, **kwargs), getattr(ad, name)(t, *args, **kwargs)):
        got = _arrays(got)
        assert len(got) == len(expected)
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(g, e)


def test_axis_and_dim_together_is_a_type_error():
    with pytest.raises(TypeError, match="sort"):
        ad.tensor(X).sort(dim=0, axis=0)
