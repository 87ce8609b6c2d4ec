"""Edge arguments of shape ops, indexing and reductions behave as PyTorch 2.13: where torch
returns a result (empty index lists, 0 in_features, reductions over empty dims) autodiff
returns the same value and gradient; where torch raises (a size of -2, a dim given twice, a
list inside cat) autodiff raises ValueError/TypeError/IndexError naming the op, never a raw
NumPy error."""
import warnings

import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

X = np.arange(6.0).reshape(2, 3) - 2.5
E = np.zeros((2, 0))


def _t(lib, v, grad=False):
    return lib.tensor(np.array(v, dtype=np.float64), requires_grad=grad)


# name -> fn(lib, x) where x is X as a tensor; each must raise in both libraries
RAISES = {
    "reshape": lambda lib, x: x.reshape(-2, 3),
    "reshape_two_inferred": lambda lib, x: x.reshape(-1, -1),
    "view": lambda lib, x: x.view(-2, 3),
    "flip": lambda lib, x: x.flip(0, 0),
    "flip_same_dim_twice_negative": lambda lib, x: x.flip(0, -2),
    "permute": lambda lib, x: x.permute(0, 0),
    "sum": lambda lib, x: x.sum(dim=(0, 0)),
    "mean": lambda lib, x: x.mean(dim=(1, -1)),
    "var": lambda lib, x: x.var(dim=(0, 0)),
    "std": lambda lib, x: x.std(dim=(1, 1)),
    "prod": lambda lib, x: lib.prod(x, dim=(0, 0)) if lib is ad else x.prod(dim=(0, 0)),
    "amax": lambda lib, x: x.amax(dim=(0, 0)),
    "logsumexp": lambda lib, x: x.logsumexp(dim=(0, -2)),
    "movedim": lambda lib, x: lib.movedim(x, (0, 0), (0, 1)),
    "cat": lambda lib, x: lib.cat([x[0], [1.0, 2.0]]),
    "cat_ndarray": lambda lib, x: lib.cat([x[0], np.array([1.0, 2.0])]),
    "stack": lambda lib, x: lib.stack([x[0], [1.0, 2.0, 3.0]]),
    "argmax": lambda lib, x: lib.zeros(2, 0).argmax(dim=1),
    "argmin": lambda lib, x: lib.zeros(2, 0).argmin(),
    "max": lambda lib, x: lib.zeros(2, 0).max(dim=1),
    "amin": lambda lib, x: lib.zeros(2, 0).amin(dim=1),
    "narrow": lambda lib, x: x.narrow(1, 0, -1),
    "chunk": lambda lib, x: x.chunk(0),
    "split": lambda lib, x: x.split(0),
    "repeat": lambda lib, x: x.repeat(-1, 1),
    "norm_fro_three_dims": lambda lib, x: x.reshape(1, 2, 3).norm("fro", dim=(0, 1, 2)),
}


@pytest.mark.parametrize("name", sorted(RAISES))
def test_raises_naming_the_op(name):
    op = name.split("_")[0]
    with pytest.raises((ValueError, TypeError, IndexError, RuntimeError), match=op) as info:
        RAISES[name](ad, _t(ad, X))
    # no raw NumPy wording
    assert "array" not in str(info.value).split(":")[0]


@pytest.mark.parametrize("name", sorted(RAISES))
def test_torch_raises_too(name):
    torch = pytest.importorskip("torch")
    with pytest.raises((ValueError, TypeError, IndexError, RuntimeError)):
        RAISES[name](torch, _t(torch, X))


# name -> fn(lib, x) -> tensor; value and gradient (w.r.t. x, when it flows) equal torch's
RESULTS = {
    "getitem_empty_list": (X, lambda lib, x: x[[]]),
    "getitem_empty_list_in_tuple": (X, lambda lib, x: x[[], ]),
    "getitem_empty_list_second_dim": (X, lambda lib, x: x[:, []]),
    "reshape_infer": (X, lambda lib, x: x.reshape(-1, 2)),
    "flip_two_dims": (X, lambda lib, x: x.flip(0, 1)),
    "sum_two_dims": (X, lambda lib, x: x.sum(dim=(0, -1))),
    "sum_empty_all": (E, lambda lib, x: x.sum()),
    "sum_empty_dim1": (E, lambda lib, x: x.sum(dim=1)),
    "sum_empty_dim0": (E, lambda lib, x: x.sum(dim=0)),
    "mean_empty_dim1": (E, lambda lib, x: x.mean(dim=1)),
    "mean_empty_all": (E, lambda lib, x: x.mean()),
    "prod_empty_dim1": (E, lambda lib, x: x.prod(dim=1)),
    "var_empty_dim1": (E, lambda lib, x: x.var(dim=1)),
    "std_empty_dim0": (E, lambda lib, x: x.std(dim=0)),
    "logsumexp_empty_dim1": (E, lambda lib, x: x.logsumexp(dim=1)),
    "norm_empty": (E, lambda lib, x: x.norm()),
    "amax_empty_dim0": (E, lambda lib, x: x.amax(dim=0)),
    "max_empty_dim0": (E, lambda lib, x: x.max(dim=0)[0]),
    "argmax_empty_dim0": (E, lambda lib, x: x.argmax(dim=0)),
    "cumsum_empty": (np.zeros((0, 3)), lambda lib, x: x.cumsum(0)),
    "matmul_empty_inner": (E, lambda lib, x: x @ lib.ones(0, 3, dtype=lib.float64)),
}


def _run(lib, v, fn):
    x = _t(lib, v, grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # torch warns for var/std of empty slices
        out = fn(lib, x)
        if out.requires_grad:
            (out * 1.0).sum().backward()
    g = None if x.grad is None else np.asarray(x.grad.detach().numpy() if lib is ad
                                               else x.grad.numpy())
    return np.asarray(out.detach().numpy()), g, out.shape


@pytest.mark.parametrize("name", sorted(RESULTS))
def test_result_matches_torch(name):
    torch = pytest.importorskip("torch")
    v, fn = RESULTS[name]
    val, g, shape = _run(ad, v, fn)
    valt, gt, shapet = _run(torch, v, fn)
    assert tuple(shape) == tuple(shapet)
    np.testing.assert_array_equal(val, valt)
    if gt is None:
        assert g is None or not g.size or not g.any()
    else:
        np.testing.assert_array_equal(g, gt)


def test_empty_index_list_without_torch():
    x = _t(ad, X, grad=True)
    y = x[[]]
    assert y.shape == (0, 3) and y.dtype == np.float64
    (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))


@pytest.mark.parametrize("n_in,n_out", [(0, 4), (3, 0), (0, 0)])
def test_linear_with_zero_features(n_in, n_out):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # "Initializing zero-element tensors is a no-op"
        m = nn.Linear(n_in, n_out)
    x = ad.ones(5, n_in, requires_grad=True)
    out = m(x)
    assert out.shape == (5, n_out)
    out.sum().backward()
    np.testing.assert_array_equal(m.bias.grad.numpy(), np.full(n_out, 5.0))
    assert m.weight.grad.shape == (n_out, n_in) and x.grad.shape == (5, n_in)
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((5, n_in)))
    out2 = m(ad.ones(2, 7, n_in))        # leading dims too
    assert out2.shape == (2, 7, n_out)


def test_linear_with_zero_in_features_matches_torch():
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m, mt = nn.Linear(0, 4), torch.nn.Linear(0, 4)
    mt.bias._data = torch.from_numpy(m.bias.detach().numpy().astype(np.float32).copy())
    m(ad.ones(3, 0)).sum().backward()
    mt(torch.ones(3, 0)).sum().backward()
    np.testing.assert_array_equal(m(ad.ones(3, 0)).detach().numpy(),
                                  mt(torch.ones(3, 0)).detach().numpy())
    np.testing.assert_array_equal(m.bias.grad.numpy(), mt.bias.grad.numpy())
    assert tuple(m.weight.grad.shape) == tuple(mt.weight.grad.shape)
