"""``autodiff.backends.cuda``: no CUDA; ``matmul.allow_tf32`` and friends are plain settings."""
import types


def is_built():
    return False


matmul = types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                               allow_bf16_reduced_precision_reduction=True)


def preferred_linalg_library(backend=None):
    return "default"
