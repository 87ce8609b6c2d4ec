"""Method forms made from an op: its in-place form and its operator pair, so a mixin says
which op a method is in one line (``exp_ = in_place(unary.exp)``, ``__add__, __radd__ =
operators("add", Add.apply)``)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import inplace
from ..types import TensorLike

if TYPE_CHECKING:  # (autodiff.tensor sets it here too, for typing.get_type_hints)
    from ..tensor import Tensor


def in_place(fn: Callable[..., Any]) -> Callable[[Any], Any]:
    """The in-place method of the one-input op ``fn``: ``t.exp_()`` writes ``exp(t)`` into
    ``t``'s own array and returns ``t`` (``autodiff.inplace``: the version counter goes up and,
    when recording, ``t`` takes the new node)."""
    name = fn.__name__ + "_"

    def method(self) -> Tensor:
        return inplace.inplace(self, fn)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = f"``{fn.__name__}`` in place."
    return method


def operators(name: str, fn: Callable[[Any, Any], Any]) -> tuple[Callable[[Any, Any], Any],
                                                                 Callable[[Any, Any], Any]]:
    """``(__name__, __rname__)``, the two methods of a binary operator: ``t + u`` is
    ``fn(t, u)`` and, when ``u`` is a number or array, ``u + t`` is ``fn(u, t)``."""
    def forward(self, other: TensorLike) -> Tensor:
        return fn(self, other)

    def reflected(self, other: TensorLike) -> Tensor:
        return fn(other, self)

    forward.__name__ = forward.__qualname__ = f"__{name}__"
    reflected.__name__ = reflected.__qualname__ = f"__r{name}__"
    return forward, reflected
