"""Elementwise ops: one output element from the matching input elements (broadcasting like
NumPy; the engine sums each gradient back to its input's shape).

Where each op lives (module: functional forms; each op's class, ``Add``, ``Sin``, ..., is in
the same module):

- ``arithmetic``: add, sub, mul, div, true_divide, neg, pow, square, reciprocal, remainder, fmod,
  floor_divide, lerp, cast, copy_from
- ``unary``: exp, exp2, expm1, log, log1p, log2, log10, sqrt, rsqrt,
  abs, erf, erfc
- ``trig``: sin, cos, tan, asin, acos, atan, atan2, arctan2, sinh, cosh, tanh, asinh, acosh, atanh,
  arcsin, arccos, arctan, arcsinh, arccosh, arctanh
- ``rounding``: floor, ceil, trunc, fix, round, sign, frac
- ``activation``: sigmoid, relu, elu, softplus
- ``select``: clamp, clip, clamp_min, clamp_max, maximum, minimum, where, nan_to_num
- ``compare``: eq, ne, lt, le, gt, ge, logical_and, logical_or, logical_xor, logical_not,
  bitwise_and, bitwise_or, bitwise_not, isclose, allclose, equal, isnan, isinf,
  isposinf, isneginf, isfinite, isin
"""
