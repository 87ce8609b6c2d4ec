"""Tensor methods of arithmetic and comparison: the operators (``+``, ``*``, ``==``, ``&``...),
``add``, ``mul``, ``eq``..., and the in-place forms (``+=``, ``add_``: the result is written
into the tensor's own array and its version counter goes up, see ``autodiff.inplace``)."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .. import inplace
from ..ops.elementwise import arithmetic, compare, unary
from ..ops.elementwise.arithmetic import Add, Div, Mul, Neg, Pow, Sub
from ..types import TensorLike

if TYPE_CHECKING:
    from ..tensor import Tensor


class ArithmeticMethods:
    """Mixin of ``Tensor`` (no state of its own)."""

    __slots__ = ()

    def __add__(self, other: TensorLike) -> Tensor:
        return Add.apply(self, other)

    def __radd__(self, other: TensorLike) -> Tensor:
        return Add.apply(other, self)

    def __sub__(self, other: TensorLike) -> Tensor:
        return Sub.apply(self, other)

    def __rsub__(self, other: TensorLike) -> Tensor:
        return Sub.apply(other, self)

    def __mul__(self, other: TensorLike) -> Tensor:
        return Mul.apply(self, other)

    def __rmul__(self, other: TensorLike) -> Tensor:
        return Mul.apply(other, self)

    def __truediv__(self, other: TensorLike) -> Tensor:
        return Div.apply(self, other)

    def __rtruediv__(self, other):
        if other.__class__ in (float, int):
            # number / tensor is reciprocal(tensor) * number, as in PyTorch (same values;
            # the gradient is PyTorch's bit for bit)
            return Mul.apply(arithmetic.reciprocal(self), other)
        return Div.apply(other, self)

    def __pow__(self, other: TensorLike) -> Tensor:
        return Pow.apply(self, other)

    def __rpow__(self, other: TensorLike) -> Tensor:
        return Pow.apply(other, self)

    def __neg__(self) -> Tensor:
        return Neg.apply(self)

    def __pos__(self):
        return self

    __abs__ = unary.abs
    __floordiv__ = arithmetic.floor_divide

    def __rfloordiv__(self, other):
        return arithmetic.floor_divide(other, self)

    __mod__ = arithmetic.remainder

    def __rmod__(self, other):
        return arithmetic.remainder(other, self)

    __eq__ = compare.eq
    __ne__ = compare.ne
    __lt__ = compare.lt
    __le__ = compare.le
    __gt__ = compare.gt
    __ge__ = compare.ge

    def __and__(self, other):
        if self.dtype == np.bool_:
            return compare.logical_and(self, other)
        return compare.bitwise_and(self, other)

    def __or__(self, other):
        if self.dtype == np.bool_:
            return compare.logical_or(self, other)
        return compare.bitwise_or(self, other)

    __xor__ = compare.logical_xor

    def __invert__(self):
        return compare.logical_not(self) if self.dtype == np.bool_ else compare.bitwise_not(self)

    def __iadd__(self, other):
        return inplace.inplace(self, arithmetic.add, other)

    def __isub__(self, other):
        return inplace.inplace(self, arithmetic.sub, other)

    def __imul__(self, other):
        return inplace.inplace(self, arithmetic.mul, other)

    def __itruediv__(self, other):
        return inplace.inplace(self, arithmetic.div, other)

    def add_(self, other, alpha=1):
        value = other if alpha == 1 else arithmetic.mul(other, alpha)
        return inplace.inplace(self, arithmetic.add, value)

    def sub_(self, other, alpha=1):
        value = other if alpha == 1 else arithmetic.mul(other, alpha)
        return inplace.inplace(self, arithmetic.sub, value)

    def mul_(self, other):
        return inplace.inplace(self, arithmetic.mul, other)

    def div_(self, other):
        return inplace.inplace(self, arithmetic.div, other)

    def pow_(self, other):
        return inplace.inplace(self, arithmetic.pow, other)

    def zero_(self):
        return inplace.inplace_fill(self, 0)

    fill_ = inplace.inplace_fill

    def copy_(self, src):
        return inplace.inplace(self, arithmetic.copy_from, src)

    def add(self, other, alpha=1):
        return arithmetic.add(self, other if alpha == 1 else arithmetic.mul(other, alpha))

    def sub(self, other, alpha=1):
        return arithmetic.sub(self, other if alpha == 1 else arithmetic.mul(other, alpha))

    mul = arithmetic.mul
    div = true_divide = arithmetic.div
    pow = arithmetic.pow
    neg = arithmetic.neg

    def square(self):
        return Mul.apply(self, self)

    reciprocal = arithmetic.reciprocal
    floor_divide = arithmetic.floor_divide
    remainder = arithmetic.remainder
    eq = compare.eq
    ne = compare.ne
    lt = compare.lt
    le = compare.le
    gt = compare.gt
    ge = compare.ge
    fmod = arithmetic.fmod
    lerp = arithmetic.lerp

    logical_and = compare.logical_and
    logical_or = compare.logical_or
    logical_xor = compare.logical_xor
    logical_not = compare.logical_not
    greater = compare.gt
    greater_equal = compare.ge
    less = compare.lt
    less_equal = compare.le
    not_equal = compare.ne
    isclose = compare.isclose
    allclose = compare.allclose
    equal = compare.equal

    def square_(self):
        return inplace.inplace(self, arithmetic.square)

    def neg_(self):
        return inplace.inplace(self, arithmetic.neg)

    def reciprocal_(self):
        return inplace.inplace(self, arithmetic.reciprocal)

    def lerp_(self, end, weight):
        return inplace.inplace(self, arithmetic.lerp, end, weight)
