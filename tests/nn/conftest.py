"""Make ``import nn`` mean the package, not this test folder (see tests/optim/conftest.py),
and make the helpers module importable."""

import pathlib
import sys

ROOT = str(pathlib.Path(__file__).resolve().parents[2])
HERE = str(pathlib.Path(__file__).resolve().parent)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
if HERE not in sys.path:
    sys.path.append(HERE)
_module = sys.modules.get("nn")
if _module is not None and getattr(_module, "__file__", None) is None:
    del sys.modules["nn"]  # a namespace package picked up from tests/
