"""``autodiff.backends.cudnn``: no cuDNN; the flags scripts set are plain settings."""
enabled = False
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    return False


def version():
    return None
