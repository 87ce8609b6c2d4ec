"""The corpus scripts start with ``import torch``, as the PyTorch code they imitate does. They
are run by test_pytorch_scripts.py in child processes (``torch`` bound to autodiff, or real
torch), never imported by pytest: naming them here keeps collection free of torch even if
``python_files`` is widened or a script is renamed ``test_*``."""
import pathlib

_RUNNERS = {"conftest.py", "run_corpus.py", "test_pytorch_scripts.py"}
collect_ignore = [str(p) for p in pathlib.Path(__file__).parent.rglob("*.py")
                  if p.name not in _RUNNERS]
