"""The distribution's name and its optional extras, for messages that say what to install.

The import package is ``autodiff``; the distribution is ``autodiff-engine`` (``autodiff``, ``nn``
and ``optim`` are other projects' names on the public package index, so ``pip install autodiff``
would fetch someone else's package).
"""
from __future__ import annotations

import importlib.util

DIST = "autodiff-engine"
# extra -> (import name, what the user knows it as)
EXTRAS = {"data": ("sklearn", "scikit-learn"), "viz": ("matplotlib", "matplotlib")}


def install_hint(*extras: str) -> str:
    """``pip install 'autodiff-engine[data,viz]'``."""
    return f"pip install '{DIST}[{','.join(extras)}]'"


def missing_extras(*extras: str) -> list[str]:
    """The extras among ``extras`` whose package cannot be imported."""
    return [e for e in extras if importlib.util.find_spec(EXTRAS[e][0]) is None]


def missing_message(what: str, *extras: str) -> str | None:
    """One line saying what ``what`` needs and how to install it; None when nothing is missing."""
    missing = missing_extras(*extras)
    if not missing:
        return None
    names = " and ".join(EXTRAS[e][1] for e in missing)
    return f"{what} needs {names}, not installed: {install_hint(*missing)}"
