"""``autodiff.backends.mps``: no Apple GPU."""


def is_available():
    return False


def is_built():
    return False
