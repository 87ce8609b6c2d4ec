import pytest


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """These models multiply small matrices: one BLAS thread is faster than two contending
    with the other test worker (the CLI does the same by default)."""
    from autodiff.cli.training import limit_blas_threads
    with limit_blas_threads(1):
        yield
