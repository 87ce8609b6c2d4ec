"""kernels/conv_algo.py's dispatch table when Winograd's pipeline splits over threads
(``winograd.chunks`` > 1): the thresholds measured at 2 threads, and each side of them."""
import numba
import pytest

from autodiff.kernels import _launch
from autodiff.kernels import conv_algo as A
from autodiff.kernels import winograd as Wn
from autodiff.ops.conv import Geometry

GEOM = Geometry((1, 1), (1, 1, 1, 1), (1, 1), 1, None)


@pytest.fixture(params=[True, False], ids=["split", "whole"])
def split(request, monkeypatch):
    if request.param and (_launch._set_blas_local is None or numba.config.NUMBA_NUM_THREADS < 2):
        pytest.skip("no thread split here (one core, or no thread-local OpenBLAS call)")
    monkeypatch.setattr(_launch, "SPLIT", request.param)
    monkeypatch.setattr(A, "FORCE", None)
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    return request.param


@pytest.mark.parametrize("xs, ws, when_split, whole", [
    ((64, 32, 7, 7), (64, 32, 3, 3), A.WINOGRAD, A.IM2COL),  # 8x8 for 7x7: waste 1.31
    ((64, 8, 14, 14), (8, 8, 3, 3), A.WINOGRAD, A.IM2COL),  # 8 channels
    ((64, 4, 14, 14), (8, 4, 3, 3), A.DIRECT, A.DIRECT),  # 4 channels, dense: direct
    ((64, 32, 5, 5), (64, 32, 3, 3), A.IM2COL, A.IM2COL),  # 6x6 for 5x5: waste 1.44
    ((64, 32, 14, 14), (64, 32, 3, 3), A.WINOGRAD, A.WINOGRAD),
    ((8, 32, 14, 14), (32, 32, 3, 3), A.IM2COL, A.IM2COL),  # 392 tiles
])
def test_thresholds(split, xs, ws, when_split, whole):
    if when_split != whole:  # between the two tables: the split decides
        assert (Wn.chunks(xs, ws, (xs[2], xs[3])) > 1) == split
    assert A.choose(xs, ws, GEOM) == (when_split if split else whole)


def test_small_work_is_not_split(split):
    # below PARALLEL_MIN elements nothing splits, so the 1-thread table applies (8 channels:
    # Winograd only when split, with enough tiles and long enough runs here)
    xs, ws = (16, 8, 14, 14), (8, 8, 3, 3)
    assert Wn.chunks(xs, ws, (14, 14)) == 1
    assert A.choose(xs, ws, GEOM) == A.IM2COL
