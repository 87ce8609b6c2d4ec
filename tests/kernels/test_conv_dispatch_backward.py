"""kernels/conv_algo.py: when Winograd's pipeline splits and a conv has 64+ input channels per
group, its forward stays Winograd while both gradients choose im2col (measured at 2 threads:
the blocked backward lost there); below 64 channels, or unsplit, the gradients follow the
forward.  Values through the ops: the same as with every pass forced to im2col."""
import numba
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import _launch
from autodiff.kernels import conv_algo as A
from autodiff.kernels import winograd as Wn
from autodiff.ops.conv import Geometry, conv2d

GEOM = Geometry((1, 1), (1, 1, 1, 1), (1, 1), 1, None)


@pytest.fixture(params=[True, False], ids=["split", "whole"])
def split(request, monkeypatch):
    if request.param and (_launch._set_blas_local is None or numba.config.NUMBA_NUM_THREADS < 2):
        pytest.skip("no thread split here (one core, or no thread-local OpenBLAS call)")
    monkeypatch.setattr(_launch, "SPLIT", request.param)
    monkeypatch.setattr(A, "FORCE", None)
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    return request.param


@pytest.mark.parametrize("xs, ws, bwd_split", [
    ((16, 64, 14, 14), (64, 64, 3, 3), A.IM2COL),
    ((8, 128, 16, 16), (128, 128, 3, 3), A.IM2COL),
    ((64, 32, 14, 14), (64, 32, 3, 3), A.WINOGRAD),  # 32 channels: Winograd both ways
])
def test_gradients_choose_im2col_from_64_channels_when_split(split, xs, ws, bwd_split):
    assert (Wn.chunks(xs, ws, (xs[2], xs[3])) > 1) == split
    fwd = A.choose(xs, ws, GEOM)
    assert fwd == A.WINOGRAD
    assert A.choose(xs, ws, GEOM, backward=True) == (bwd_split if split else fwd)


def test_mixed_step_matches_im2col(split, monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 64, 14, 14))
    w = rng.standard_normal((64, 64, 3, 3))
    b = rng.standard_normal(64)
    go = rng.standard_normal((16, 64, 14, 14))

    def step():
        X, W, B = (ad.tensor(a, requires_grad=True) for a in (x, w, b))
        out = conv2d(X, W, B, padding=1)
        out.backward(ad.tensor(go))
        return out._data, X.grad._data, W.grad._data, B.grad._data
    got = step()
    monkeypatch.setattr(A, "FORCE", A.IM2COL)
    for a, r in zip(got, step()):
        np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-10)
