"""Index arguments out of range raise IndexError naming the op (also a RuntimeError, which is
what PyTorch raises for most of them) where PyTorch raises, instead of wrapping around; the
ops PyTorch lets count from the end (take_along_dim with a dim, index_fill, ``t[idx]``)
still do, with torch's values."""
import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

X = np.arange(6.0).reshape(2, 3)


def _idx(lib, v):
    if lib is ad:
        return ad.tensor(np.array(v, dtype=np.int64))
    return lib.tensor(np.array(v, dtype=np.int64))


def _x(lib):
    return lib.tensor(X.copy()) if lib is not ad else ad.tensor(X.copy())


# name -> (call(lib, F, bad_index_value), torch raises)
CALLS = {
    "gather": lambda lib, F_, i: lib.gather(_x(lib), 1, _idx(lib, [[i, 0]])),
    "index_select": lambda lib, F_, i: lib.index_select(_x(lib), 1, _idx(lib, [i])),
    "scatter": lambda lib, F_, i: _x(lib).scatter(1, _idx(lib, [[i, 0]]),
                                                  lib.ones(1, 2, dtype=lib.float64)),
    "scatter_add": lambda lib, F_, i: _x(lib).scatter_add(1, _idx(lib, [[i, 0]]),
                                                          lib.ones(1, 2, dtype=lib.float64)),
    "scatter_reduce": lambda lib, F_, i: _x(lib).scatter_reduce(
        1, _idx(lib, [[i, 0]]), lib.ones(1, 2, dtype=lib.float64), "sum"),
    "index_add": lambda lib, F_, i: _x(lib).index_add(1, _idx(lib, [i]),
                                                      lib.ones(2, 1, dtype=lib.float64)),
    "index_copy": lambda lib, F_, i: _x(lib).index_copy(1, _idx(lib, [i]),
                                                        lib.ones(2, 1, dtype=lib.float64)),
    "embedding": lambda lib, F_, i: F_.embedding(_idx(lib, [1, i]),
                                                 lib.ones(3, 2, dtype=lib.float64)),
    "take_along_dim_flat": lambda lib, F_, i: lib.take_along_dim(_x(lib), _idx(lib, [i])),
}
BAD = {"negative": -1, "too_big": 3, "far_negative": -7, "far_too_big": 70}
BAD_FLAT = {"negative": -1, "too_big": 6, "far_negative": -7, "far_too_big": 70}


def _torch_f():
    import torch.nn.functional as tF
    return tF


@pytest.mark.parametrize("bad", sorted(BAD))
@pytest.mark.parametrize("name", sorted(CALLS))
def test_out_of_range_raises_index_error_naming_the_op(name, bad):
    i = (BAD_FLAT if name.endswith("flat") else BAD)[bad]
    op = name.replace("_flat", "")
    with pytest.raises(IndexError, match=op) as info:
        CALLS[name](ad, F, i)
    assert isinstance(info.value, IndexError)


@pytest.mark.parametrize("bad", sorted(BAD))
@pytest.mark.parametrize("name", sorted(CALLS))
def test_torch_raises_there_too(name, bad):
    torch = pytest.importorskip("torch")
    i = (BAD_FLAT if name.endswith("flat") else BAD)[bad]
    with pytest.raises((IndexError, RuntimeError)):
        CALLS[name](torch, _torch_f(), i)


def test_error_is_also_a_runtime_error_as_torch_raises():
    with pytest.raises(RuntimeError, match="gather: index -1 is out of bounds for dimension 1 "
                                           "with size 3"):
        ad.gather(ad.tensor(X), 1, ad.tensor(np.array([[-1]])))


@pytest.mark.parametrize("name", sorted(CALLS))
def test_in_range_values_match_torch(name):
    torch = pytest.importorskip("torch")
    for i in (0, 2):
        ours = CALLS[name](ad, F, i)
        theirs = CALLS[name](torch, _torch_f(), i)
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.numpy())


ALLOWED_NEGATIVE = {
    "take_along_dim": lambda lib, i: lib.take_along_dim(_x(lib), _idx(lib, [[i, 0]]), 1),
    "index_fill": lambda lib, i: _x(lib).index_fill(1, _idx(lib, [i]), -5.0),
    "getitem_tensor": lambda lib, i: _x(lib)[:, _idx(lib, [i])],
    "getitem_int": lambda lib, i: _x(lib)[:, i],
}


@pytest.mark.parametrize("name", sorted(ALLOWED_NEGATIVE))
def test_ops_that_count_from_the_end_match_torch(name):
    torch = pytest.importorskip("torch")
    for i in (-1, -3):
        ours = ALLOWED_NEGATIVE[name](ad, i)
        theirs = ALLOWED_NEGATIVE[name](torch, i)
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.numpy())


@pytest.mark.parametrize("name", sorted(ALLOWED_NEGATIVE))
def test_ops_that_count_from_the_end_still_check_the_far_end(name):
    with pytest.raises(IndexError):
        ALLOWED_NEGATIVE[name](ad, -4)
    with pytest.raises(IndexError):
        ALLOWED_NEGATIVE[name](ad, 3)


def test_counting_from_the_end_without_torch():
    x = ad.tensor(X)
    np.testing.assert_array_equal(x.index_fill(1, ad.tensor(np.array([-1])), -5.0).numpy(),
                                  [[0, 1, -5], [3, 4, -5]])
    np.testing.assert_array_equal(ad.take_along_dim(x, ad.tensor(np.array([[-1], [-3]])),
                                                    1).numpy(), [[2], [3]])


def test_embedding_module_rejects_negative_indices():
    emb = nn.Embedding(4, 2)
    with pytest.raises(IndexError, match="embedding"):
        emb(ad.tensor(np.array([0, -1])))
    with pytest.raises(IndexError, match="embedding"):
        emb(ad.tensor(np.array([4])))
    assert emb(ad.tensor(np.array([3, 0]))).shape == (2, 2)


def test_gradient_of_the_in_range_ops_is_unchanged():
    x = ad.tensor(X.copy(), requires_grad=True)
    assert ad.gradcheck(lambda t: ad.gather(t, 1, ad.tensor(np.array([[2, 0], [1, 1]]))), (x,))
    assert ad.gradcheck(lambda t: ad.index_select(t, 1, ad.tensor(np.array([2, 0, 2]))), (x,))
