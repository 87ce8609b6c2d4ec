"""Exact references with rigorous error bounds: the fuzz oracle for order-dependent results.

A sum of floats depends on the order of its additions (``1e300 + 1.6 - 1e300`` is 0.0 in one
order, 1.6 in another), and so does everything made of sums: matmul, mean, var, norms. Two
correct libraries can then disagree completely on an ill-conditioned input, so on those inputs
autodiff and torch are each judged against the truth instead of against each other.

``Bounded`` is a number computed exactly (a ``Fraction``; IEEE's inf/NaN kept as floats)
together with a bound ``err`` on how far any floating-point evaluation of the same
expression, in ANY order of its sums and with or without fused multiply-adds, can be from it.
The bound is the standard a-priori one, |fl(sum t_i) - sum t_i| <= (n - 1) u sum|t_i| with
u = 2**-53, propagated through each operation (Higham, Accuracy and Stability of Numerical
Algorithms, 3.1 and 4.2), with a factor 2 of slack; ``mag`` carries sum|t_i|. Where a
floating-point intermediate can overflow (a partial sum or product of magnitude above the
largest double), or where an inf meets a quantity whose sign or zero-ness the rounding
decides, the result is marked ``wild``: any inf or NaN is then an acceptable answer (the exact
one stays acceptable too). Subnormal results add 2**-1074 per product.

``admits(ref, x)`` says whether the float ``x`` is an acceptable evaluation of ``ref``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

U = Fraction(1, 2**53)
TINY = Fraction(1, 2**1074)
BIG = Fraction(np.finfo(np.float64).max)
INF = float("inf")


def _finite(v):
    return isinstance(v, Fraction)


def _show(x):
    try:
        return f"{float(x):.17g}"
    except OverflowError:
        a = abs(x)
        return f"{'-' if x < 0 else ''}2**{a.numerator.bit_length() - a.denominator.bit_length()}"


def _sign(v):
    return 1.0 if v > 0 else (-1.0 if v < 0 else 0.0)


def _binary(op):
    """The method ``op(a, b)`` of a Bounded ``a`` with ``b`` lifted to a Bounded; an ndarray
    ``b`` is left to NumPy (NotImplemented), which applies the op element by element."""
    def method(self, other):
        if isinstance(other, np.ndarray):
            return NotImplemented
        return op(self, Bounded.lift(other))
    method.__name__, method.__doc__ = op.__name__, op.__doc__
    return method


class Bounded:
    """An exact value (Fraction, or a float inf/NaN), an error bound ``err`` for its float
    evaluations, the magnitude ``mag`` (sum of |terms|), the number of summed terms ``n``,
    and ``wild`` (any inf/NaN acceptable). Works in NumPy object arrays (np.sum, np.matmul)."""

    __slots__ = ("err", "mag", "n", "v", "wild")

    def __init__(self, v, err=Fraction(0), mag=None, n=1, wild=False):
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            v = Fraction(v)
        self.v, self.err, self.n, self.wild = v, err, n, wild
        self.mag = (abs(v) if _finite(v) else INF) if mag is None else mag

    def __repr__(self):
        return f"Bounded({_show(self.v)} +- {_show(self.err)}{', wild' if self.wild else ''})"

    @staticmethod
    def lift(x):
        return x if isinstance(x, Bounded) else Bounded(x)

    def _around_zero(self):
        return _finite(self.v) and abs(self.v) <= self.err

    # -- arithmetic
    @_binary
    def __add__(a, b):
        wild = a.wild or b.wild
        if not (_finite(a.v) and _finite(b.v)):
            fa = a.v if not _finite(a.v) else 0.0
            fb = b.v if not _finite(b.v) else 0.0
            return Bounded(fa + fb, Fraction(0), INF, a.n + b.n, wild)
        n, mag = a.n + b.n, a.mag + b.mag
        err = a.err + b.err + U * n * (mag + a.err + b.err)
        wild = wild or mag + a.err + b.err >= BIG
        return Bounded(a.v + b.v, err, mag, n, wild)

    __radd__ = __add__

    def __neg__(self):
        return Bounded(-self.v, self.err, self.mag, self.n, self.wild)

    @_binary
    def __sub__(a, b):
        return a + (-b)

    @_binary
    def __rsub__(a, b):
        return b + (-a)

    @_binary
    def __mul__(a, b):
        wild = a.wild or b.wild
        if not (_finite(a.v) and _finite(b.v)):
            if _finite(a.v):
                a, b = b, a
            if not _finite(b.v):
                return Bounded(a.v * b.v, Fraction(0), INF, 1, wild)
            if b._around_zero() and (b.err or b.wild):
                return Bounded(
                    math.nan, Fraction(0), INF, 1, True
                )  # 0 or not: rounding decides
            return Bounded(
                a.v * _sign(b.v) if b.v else math.nan, Fraction(0), INF, 1, wild
            )
        v = a.v * b.v
        hi_a, hi_b = abs(a.v) + a.err, abs(b.v) + b.err
        err = (
            abs(a.v) * b.err
            + abs(b.v) * a.err
            + a.err * b.err
            + 2 * U * hi_a * hi_b
            + TINY
        )
        wild = wild or a.mag * b.mag >= BIG or hi_a * hi_b >= BIG
        return Bounded(v, err, a.mag * b.mag, 1, wild)

    __rmul__ = __mul__

    @_binary
    def __truediv__(a, b):
        """Division by a count (int) or by a Bounded."""
        wild = a.wild or b.wild
        nan = Bounded(math.nan, Fraction(0), INF, 1, wild)
        if not _finite(b.v):
            if math.isnan(b.v) or not _finite(a.v):
                return nan
            return Bounded(Fraction(0), TINY, Fraction(0), 1, wild)  # finite / inf
        if b._around_zero():
            if b.v == 0 and not b.err and _finite(a.v) and a.v == 0 and not a.err:
                return nan  # 0 / 0
            if not _finite(a.v):
                return Bounded(
                    math.nan, Fraction(0), INF, 1, True
                )  # +-inf, NaN: signs decide
            return ANYTHING  # b may be 0, +-0 or tiny: any finite, inf, NaN
        if not _finite(a.v):
            return Bounded(a.v * _sign(b.v), Fraction(0), INF, 1, wild)
        v = a.v / b.v
        lo_b = abs(b.v) - b.err
        spread = (a.err + abs(v) * b.err) / lo_b
        err = spread + 2 * U * (abs(v) + spread) + TINY
        return Bounded(v, err, a.mag / abs(b.v), a.n, wild or abs(v) + err >= BIG)

    # -- functions
    def sqrt(self):
        if not _finite(self.v):
            return Bounded(
                math.sqrt(self.v) if self.v > 0 else math.nan,
                Fraction(0),
                INF,
                1,
                self.wild or self.v < 0,
            )
        if self.v < 0 and not self._around_zero():
            return Bounded(math.nan, Fraction(0), INF, 1, self.wild)
        x = max(self.v, Fraction(0))
        s = Fraction(math.sqrt(float(x))) if x < BIG else Fraction(math.isqrt(int(x)))
        # |sqrt(x + d) - sqrt(x)| <= sqrt(|d|); the float sqrt and the conversion: 3 ulp
        err = _sqrt_up(self.err) + 3 * U * s + TINY
        return Bounded(
            s,
            err,
            _sqrt_up(self.mag) if _finite(self.mag) else INF,
            1,
            self.wild or self._around_zero() and self.v < 0,
        )

    def tanh(self):
        if not _finite(self.v):
            return Bounded(math.tanh(self.v), Fraction(0), Fraction(1), 1, self.wild)
        t = Fraction(math.tanh(float(self.v)) if abs(self.v) < 100 else _sign(self.v))
        # tanh is 1-Lipschitz; float(v) costs u|v| before it; the libm tanh a few ulp
        err = self.err + U * abs(self.v) + 4 * U + TINY
        if self.wild:  # a float evaluation may have reached +-inf (tanh +-1) or NaN
            err = Fraction(2)
        return Bounded(t, err, Fraction(1), 1, self.wild)

    def __abs__(self):
        v = abs(self.v)
        return Bounded(v, self.err, self.mag, self.n, self.wild)

    def pow(self, p):
        """|self| ** p for a float p (norms): evaluated with 200-bit mpmath, the bound from
        the values at the ends of [|v| - err, |v| + err], 4 ulp for the libm pow."""
        a = abs(self)
        if not _finite(a.v):
            return Bounded(
                math.nan if math.isnan(a.v) else (INF if p > 0 else Fraction(0)),
                Fraction(0),
                INF,
                1,
                a.wild,
            )
        lo, hi = max(a.v - a.err, Fraction(0)), a.v + a.err
        if p < 0 and lo == 0:
            if a.v == 0 and not a.err:
                return Bounded(INF, Fraction(0), INF, 1, a.wild)
            return Bounded(math.nan, Fraction(0), INF, 1, True)
        v, vlo, vhi = (_mpow(t, p) for t in (a.v, lo, hi))
        err = max(abs(vhi - v), abs(v - vlo)) * (1 + 8 * U) + 4 * U * v + TINY
        return Bounded(v, err, v + err, 1, a.wild or v + err >= BIG)


def _mpow(x, p):
    """x ** p for a Fraction x >= 0, as a Fraction (200-bit mpmath; never overflows)."""
    import mpmath

    if x == 0:
        return Fraction(0) if p > 0 else Fraction(2) ** 2000
    with mpmath.workprec(200):
        r = mpmath.power(mpmath.mpf(x.numerator) / x.denominator, p)
        man, exp = r.man_exp
        return Fraction(int(man)) * Fraction(2) ** int(exp)


HUGE = Fraction(2) ** 2000
ANYTHING = Bounded(Fraction(0), HUGE, HUGE, 1, True)


def _sqrt_up(x):
    """An upper bound of sqrt(x) for a Fraction x >= 0."""
    if x <= 0:
        return Fraction(0)
    num, den = x.numerator, x.denominator
    # sqrt(num/den) = sqrt(num*den)/den; isqrt rounds down, +1 rounds up
    return Fraction(math.isqrt(num * den) + 1, den)


def lift(arr):
    """A float ndarray as an object array of exact Bounded values (no error)."""
    arr = np.asarray(arr, dtype=np.float64)
    out = np.empty(arr.shape, dtype=object)
    for i, x in np.ndenumerate(arr):
        out[i] = Bounded(float(x))
    return out


def as_bounded(x):
    return x if isinstance(x, Bounded) else Bounded(x)


def admits(ref, x):
    """Whether the float x is an acceptable float evaluation of the Bounded ref (a tuple of
    them: of any one)."""
    if isinstance(ref, tuple):
        return any(admits(r, x) for r in ref)
    ref = as_bounded(ref)
    x = float(x)
    if not math.isfinite(x):
        if ref.wild:
            return True
        if _finite(ref.v):  # the exact value may round to inf
            return abs(ref.v) + 2 * ref.err >= BIG and (
                math.isinf(x) and (x > 0) == (ref.v > 0)
            )
        return (math.isnan(x) and math.isnan(ref.v)) or x == ref.v
    if not _finite(ref.v):
        return False
    # slack 2 on the propagated bound, plus the final rounding to a double
    return abs(Fraction(x) - ref.v) <= 2 * ref.err + U * abs(ref.v) + TINY


def violations(ref_arr, arr, limit=3):
    """Up to ``limit`` (index, value, reference) where arr is not admitted by ref_arr."""
    ref_arr = np.asarray(ref_arr, dtype=object)
    arr = np.asarray(arr, dtype=np.float64)
    assert ref_arr.shape == arr.shape, (ref_arr.shape, arr.shape)
    bad = []
    for i, x in np.ndenumerate(arr):
        if not admits(ref_arr[i], x):
            r = ref_arr[i]
            bad.append((i, float(x), r if isinstance(r, tuple) else as_bounded(r)))
            if len(bad) >= limit:
                break
    return bad
