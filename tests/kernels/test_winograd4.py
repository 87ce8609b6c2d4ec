"""Blocked Winograd F(4x4, 3x3) forward (autodiff/kernels/winograd4.py) against its NumPy
twin ``forward_ref`` and the direct twin of conv.py: in float64 to round-off (blocks that
split the batch and the tile rows, 1 and 2 image ranges, groups, odd sizes, asymmetric
padding) and in float32 against a float64 reference (the error conv_algo.py documents)."""
import numpy as np
import pytest

from autodiff.kernels import conv as K
from autodiff.kernels import winograd4 as W4
from tests.kernels import test_winograd as TW
from tests.kernels.test_winograd import _case

CASES = TW.CASES + [
    (7, 8, 4, 9, 8, (1, 1, 1, 1), 1),
    (4, 6, 9, 8, 5, (2, 0, 0, 1), 3),
    (5, 4, 6, 14, 14, (1, 1, 1, 1), 2),  # 16x16 computed for 14x14
    (3, 5, 4, 10, 13, (0, 2, 1, 1), 1),  # a last tile with 2 and 1 valid rows / columns
]

pytestmark = pytest.mark.skipif(not W4.available(np.float64),
                                reason="NumPy's BLAS is not an OpenBLAS: no blocked path")


@pytest.fixture(params=[(32, 1), (2, 1), (3, 2)], ids=["default", "nb2", "nb3-rb2"])
def blocks(request, monkeypatch):
    """Images and tile rows per block: the defaults and blocks that split both (last
    blocks short)."""
    monkeypatch.setattr(W4, "NB", request.param[0])
    monkeypatch.setattr(W4, "RB", request.param[1])


def test_transform_matrices_compute_a_correlation():
    # A^T [(G g) * (B^T d)] = the 4 outputs of a 3-tap correlation over 6 inputs
    rng = np.random.default_rng(0)
    for _ in range(5):
        d, g = rng.standard_normal(6), rng.standard_normal(3)
        ref = np.array([d[i:i + 3] @ g for i in range(4)])
        np.testing.assert_allclose(W4.AT @ ((W4.G @ g) * (W4.BT @ d)), ref, atol=1e-13)


@pytest.mark.parametrize("c", CASES)
def test_twin_matches_direct_reference(c):
    (x, w, b, _), p, g = _case(c, np.float64)
    ref = K.conv2d_forward_ref(x, w, (1, 1), p, (1, 1), g) + b.reshape(1, -1, 1, 1)
    np.testing.assert_allclose(W4.forward_ref(x, w, p, g, b), ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("parts", [1, 2])
@pytest.mark.parametrize("c", CASES)
def test_float64_matches_twins(blocks, c, parts):
    (x, w, b, _), p, g = _case(c, np.float64)
    ref = K.conv2d_forward_ref(x, w, (1, 1), p, (1, 1), g)
    y = W4.forward(x, w, p, g, b, parts=parts)
    assert y.shape == ref.shape and y.dtype == np.float64
    np.testing.assert_allclose(y, ref + b.reshape(1, -1, 1, 1), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(y, W4.forward_ref(x, w, p, g, b), rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(W4.forward(x, w, p, g, parts=parts), ref, rtol=1e-10,
                               atol=1e-10)  # no bias


def test_weight_transform_matches_einsum():
    w = np.random.default_rng(1).standard_normal((5, 3, 3, 3)).astype(np.float32)
    ref = np.einsum("ak,ockl,bl->aboc", W4.G, w.astype(np.float64), W4.G).reshape(36, 5, 3)
    U = W4.weight_transform(w)
    assert U.dtype == np.float32 and U.shape == (36, 5, 3)
    np.testing.assert_allclose(U, ref, rtol=1e-7, atol=1e-9)  # float64 sums, rounded once


@pytest.mark.parametrize("c", [(64, 32, 64, 14, 14, (1, 1, 1, 1), 1),
                               (8, 64, 64, 28, 28, (1, 1, 1, 1), 1)])
def test_float32_error_against_float64(c):
    # error / sum of |terms| of each output: 2.2e-6 / 2.5e-6 measured on these (conv_algo.py's
    # docstring; F(2x2, 3x3) 1.7e-7 / 1.4e-7, torch 3.3e-7 / 3.2e-7): the transforms'
    # entries reach 8 and 1/24
    (x, w, _, _), p, g = _case(c, np.float32, seed=0)
    geo = ((1, 1), p, (1, 1), g)
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    y = W4.forward(x, w, p, g, parts=2)
    assert y.dtype == np.float32
    err = np.abs(y - K.conv2d_forward_ref(x64, w64, *geo))
    scale = K.conv2d_forward_ref(np.abs(x64), np.abs(w64), *geo)
    assert (err / scale).max() <= 4e-6
