"""``import torch`` gives ``autodiff``, and ``import torch.X`` gives ``autodiff.X`` -- nothing
else. The porting corpus runs with this directory first on ``PYTHONPATH``, so a script runs
byte for byte as written for PyTorch, and real torch cannot be imported by accident.

This is the same as writing ``autodiff`` for ``torch`` in every import statement (``import
autodiff as torch``, ``import autodiff.nn as nn``, ``from autodiff.utils.data import
DataLoader``): ``torch.X`` is whatever module object ``import autodiff.X`` gives, so any name
autodiff lacks fails as it would for a user. It adds no names or fallbacks of its own.
Because the redirection lives in an importable package (not in the test process), child
processes started with ``spawn`` (PyTorch's Hogwild example) get it too.
"""
import importlib
import importlib.abc
import importlib.util
import sys


class _AutodiffAsTorch(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``torch`` and ``torch.*``; loads them as the modules ``autodiff`` and
    ``autodiff.*``."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "torch" or fullname.startswith("torch."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module("autodiff" + spec.name[len("torch"):])
        spec.loader_state = module.__spec__   # the import system sets __spec__ = spec next
        return module

    def exec_module(self, module):
        module.__spec__ = module.__spec__.loader_state


sys.meta_path.insert(0, _AutodiffAsTorch())
sys.modules[__name__] = importlib.import_module("autodiff")
