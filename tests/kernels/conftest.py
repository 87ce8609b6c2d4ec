"""Fixtures shared by the kernel tests."""
import numba
import pytest

from autodiff.kernels import _launch


@pytest.fixture(params=["whole", "split"])
def split(request, monkeypatch):
    """Every call splits its images over 2 threads (threshold 0), or none does; True when split.
    A test module that also forces an algorithm overrides this fixture and asks for it."""
    if request.param == "split" and _launch._set_blas_local is None:
        pytest.skip("NumPy's BLAS has no openblas_set_num_threads_local: no split here")
    monkeypatch.setattr(_launch, "PARALLEL_MIN", 0)
    monkeypatch.setattr(_launch, "SPLIT", request.param == "split")
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    return request.param == "split"
