"""Make ``import optim`` mean the package, not this test folder.

Run as ``pytest`` (not ``python -m pytest``), the repo root is not on ``sys.path`` while
``tests/`` is (it holds a conftest.py), so ``tests/optim`` would be imported as an empty
namespace package named ``optim``. Putting the root first restores the real package.
"""

import pathlib
import sys

ROOT = str(pathlib.Path(__file__).resolve().parents[2])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
_module = sys.modules.get("optim")
if _module is not None and getattr(_module, "__file__", None) is None:
    del sys.modules["optim"]  # a namespace package picked up from tests/
