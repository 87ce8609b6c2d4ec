"""``autodiff.nn`` and ``autodiff.optim`` in a repository checkout, and ``import nn`` /
``import optim`` there as the very same module objects.

The canonical import paths are ``autodiff.nn`` and ``autodiff.optim``. Their sources live in the
repository's top-level folders ``nn/`` and ``optim/``:

* **Installed from a wheel** (``pip install .``): ``setup.py`` maps ``autodiff.nn`` to ``nn/`` and
  ``autodiff.optim`` to ``optim/``, so they are ordinary subpackages (``autodiff/nn/``) and there
  is no top-level ``nn`` or ``optim``: a user's own ``nn.py`` shadows nothing. Nothing here runs.
* **In a checkout** (the tests, the notebooks, ``make install``'s editable install) there is no
  ``autodiff/nn/`` folder. ``install()``, called by ``autodiff/__init__.py``, puts a finder first
  on ``sys.meta_path`` that loads ``autodiff.nn`` from ``../nn`` and ``autodiff.optim`` from
  ``../optim``, the folders beside the ``autodiff`` package that was imported (never another
  copy's). ``import nn`` (the checkout on ``sys.path``) runs ``nn/__init__.py`` under the name
  ``nn``; its first lines call ``alias_toplevel``, which puts ``autodiff.nn`` itself in
  ``sys.modules["nn"]``, and the finder answers ``nn.<sub>`` with ``autodiff.nn.<sub>``. So
  ``nn.Linear is autodiff.nn.Linear``: one copy of each class, whichever spelling came first.

A top-level ``nn`` or ``optim`` that is not the checkout's (a user's own ``nn.py``) is never
touched: the finder aliases ``nn.<sub>`` only while ``sys.modules["nn"] is autodiff.nn``.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys

ALIASED = ("nn", "optim")
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))   # .../autodiff
_ROOT = os.path.dirname(_PACKAGE_DIR)                        # the checkout (or site-packages)


def is_checkout() -> bool:
    """True when nn/ and optim/ sit beside the autodiff package rather than inside it."""
    return all(not os.path.isdir(os.path.join(_PACKAGE_DIR, name))
               and os.path.isfile(os.path.join(_ROOT, name, "__init__.py")) for name in ALIASED)


def source_dirs() -> tuple[str, ...]:
    """The folders holding the library's code, each ending in a separator (for telling library
    frames from the user's in a stack)."""
    dirs = [_PACKAGE_DIR]
    if is_checkout():
        dirs += [os.path.join(_ROOT, name) for name in ALIASED]
    return tuple(d + os.sep for d in dirs)


class _AliasLoader(importlib.abc.Loader):
    """Loads ``nn.<sub>`` as the already canonical module ``autodiff.nn.<sub>``."""

    def __init__(self, canonical: str):
        self.canonical = canonical
        self._spec = None

    def create_module(self, spec):
        module = importlib.import_module(self.canonical)
        self._spec = module.__spec__
        return module

    def exec_module(self, module):
        module.__spec__ = self._spec  # the import system wrote the alias's spec over it


class _CheckoutFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        head, _, rest = fullname.partition(".")
        if head == "autodiff" and rest in ALIASED:
            folder = os.path.join(_ROOT, rest)
            return importlib.util.spec_from_file_location(
                fullname, os.path.join(folder, "__init__.py"), submodule_search_locations=[folder])
        if head in ALIASED and rest:
            canonical = sys.modules.get("autodiff." + head)
            if canonical is not None and sys.modules.get(head) is canonical:
                loader = _AliasLoader("autodiff." + fullname)
                return importlib.machinery.ModuleSpec(fullname, loader)
        return None


_FINDER = _CheckoutFinder()


def install() -> None:
    """In a checkout, put the finder first on ``sys.meta_path`` (once)."""
    if is_checkout() and _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def alias_toplevel(name: str) -> None:
    """Called by ``nn/__init__.py`` (``optim/__init__.py``) when it runs as top-level ``nn``
    (``optim``) from a checkout: the import then binds ``autodiff.nn`` (``autodiff.optim``)
    itself. The rest of that ``__init__`` runs in the discarded module object and only re-binds
    the canonical names."""
    sys.modules[name] = importlib.import_module("autodiff." + name)
