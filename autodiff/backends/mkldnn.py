"""``autodiff.backends.mkldnn``: not used (NumPy's BLAS does the matmuls)."""
enabled = False


def is_available():
    return False
