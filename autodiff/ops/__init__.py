"""Differentiable ops, filed by family. Each op is an ``Op`` class with its forward and backward
side by side, plus a lowercase functional form; each family's ``__init__`` lists where its ops
live.

- ``elementwise/``: arithmetic, unary (exp, log, sqrt, abs, erf), trig, rounding, activation,
  select (clamp, maximum, where), compare
- ``reduce/``: sums (sum, mean, prod, logsumexp, norm), statistics (var, std), extremes (max, min,
  argmax), cumulative, sorting, counting
- ``shape/``: views (reshape, permute, expand, ...), joins (cat, stack, split), rearrange (repeat,
  flip, roll, pad)
- ``index/``: subscript (``t[idx]``), gather_scatter, masked
- ``linalg/``: products (matmul, linear, einsum, addmm, cdist), diagonals
- ``conv.py``, ``pool.py``, ``loss.py``, ``recurrent.py``: the fused kernel-backed ops
- ``_common.py``: the helpers shared by the families (argument checks, dtype promotion, the
  error an op raises, the table-made elementwise ops)
"""
