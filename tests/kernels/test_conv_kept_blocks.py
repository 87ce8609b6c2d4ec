"""Kept columns of image-innermost blocks (kernels/conv_inner.py ``block_columns``): each block
holds its own contiguous range of the kept matrix, blocks one after the other.  The layout
against the NumPy twin (``inner_order`` of ``im2col_ref`` per block), a kept matrix of several
blocks serving the weight gradient (split and not), and torch parity through the ops with
double backward when the forward keeps several blocks."""
import numpy as np
import pytest

from autodiff.kernels import conv as K
from autodiff.kernels import conv_algo as A
from autodiff.kernels import conv_inner as I
from tests.ops.conv_parity import assert_conv_matches_torch

GEO = ((2, 2), (1, 1, 1, 1), (1, 1), 1)


@pytest.fixture
def blocks(split, monkeypatch):
    """im2col passes in image-innermost blocks of 8 images (16 rows x 16 columns x 8 images
    per block); split over 2 threads or not (conftest.py's ``split``)."""
    monkeypatch.setattr(A, "FORCE", A.IM2COL)
    monkeypatch.setattr(K, "INNER_MIN_IMAGES", 8)
    monkeypatch.setattr(K, "COLS_BLOCK", 36 * 16 * 8)
    return split


def test_block_columns_is_the_blocks_contiguous_range():
    cols = np.arange(6 * 20.0).reshape(6, 20)
    b = I.block_columns(cols, 8, 4)
    assert b.shape == (6, 4) and np.shares_memory(b, cols) and b.flags.c_contiguous
    np.testing.assert_array_equal(b.ravel(), cols.ravel()[48:72])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kept_layout_matches_the_twin(blocks, dtype):
    """Block k (8 images) of the kept columns = inner_order of im2col_ref of its images, in
    memory range [k, k + 1) x rows x 8 images' columns; the kept matrix gives the weight
    gradient of the twin."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((32, 4, 8, 8)).astype(dtype)
    w = rng.standard_normal((5, 4, 3, 3)).astype(dtype)
    g = rng.standard_normal((32, 5, 4, 4)).astype(dtype)
    r = K.conv2d_pass(x.shape, w.shape, *GEO, w=w, x=x, y=True, keep=True)
    R, L = 36, 16
    assert r.cols.shape == (R, 32 * L)
    for k in range(4):
        ref = I.inner_order(K.im2col_ref(x[8 * k:8 * (k + 1)], (3, 3), *GEO[:3]), 8)
        np.testing.assert_array_equal(r.cols.ravel()[R * 8 * L * k:R * 8 * L * (k + 1)],
                                      ref.ravel())
    np.testing.assert_allclose(r.y, K.conv2d_forward_ref(x, w, *GEO), rtol=1e-5, atol=1e-5)
    dw = K.conv2d_pass(x.shape, w.shape, *GEO, x=x[:0], g=g, cols=r.cols, dw=True).dw  # x unread
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(dw, K.conv2d_backward_weight_ref(x, g, w.shape, *GEO),
                               rtol=tol, atol=tol)


def test_ops_match_torch_with_double_backward(blocks, monkeypatch):
    """The stride-2 conv through the ops, its forward keeping 4 blocks for the weight
    gradient, against torch with double backward."""
    kept = []
    real = K.conv2d_pass

    def spy(*args, **kw):
        r = real(*args, **kw)
        kept.append(r.cols is not None)
        return r
    monkeypatch.setattr(K, "conv2d_pass", spy)
    rng = np.random.default_rng(3)
    assert_conv_matches_torch("conv2d", rng.standard_normal((32, 4, 8, 8)),
                              rng.standard_normal((5, 4, 3, 3)), rng.standard_normal(5),
                              dict(stride=2, padding=1), rtol=1e-10, atol=1e-10)
    assert any(kept)
