"""``ad.compile``: PyTorch's ``torch.compile`` as the identity."""
from __future__ import annotations


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False):
    """Return ``model`` (a module or function) unchanged: autodiff has no graph compiler, so
    ``model = ad.compile(model)``, ``@ad.compile`` and ``@ad.compile(mode="max-autotune")`` are
    accepted and run eagerly (a deliberate difference: the numbers are the same, only the
    speed-up of PyTorch's compiler is missing)."""
    if model is None:
        def decorate(fn):
            return fn
        return decorate
    if not callable(model):
        raise RuntimeError(f"compile: expected a callable (a Module or a function), got "
                           f"{type(model).__name__}")
    return model


_matmul_precision = "highest"


def set_float32_matmul_precision(precision):
    """Accepted for PyTorch scripts (``"highest"``, ``"high"``, ``"medium"``); float32 matmuls
    always run in float32 here (no TF32 or bfloat16 passes)."""
    global _matmul_precision
    if precision not in ("highest", "high", "medium"):
        raise RuntimeError(f"set_float32_matmul_precision: invalid precision {precision!r} "
                           "(expected 'highest', 'high' or 'medium')")
    _matmul_precision = precision


def get_float32_matmul_precision():
    return _matmul_precision
