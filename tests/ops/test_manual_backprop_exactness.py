"""Python numbers are weak scalars, as in PyTorch, so hand-written gradients equal autograd's
bit for bit where PyTorch's do: the manual-backprop exercise of a well-known course (an MLP
language model with batch norm, every gradient written by hand and compared with ``==``),
run with ``import autodiff as torch`` and with torch 2.13. The forward pass, the backward
pass by hand and the list of compared tensors are the corpus script's own
(tests/pytorch_scripts/makemore/mlp_manual_backprop.py, its "Exercise 1"), run here on random
parameters from several seeds."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as adF

SCRIPT = (Path(__file__).resolve().parents[1] / "pytorch_scripts" / "makemore"
          / "mlp_manual_backprop.py")


def _script_exercise():
    """The script's code from its chunked forward pass to the end of its manual backward
    pass, and its ``cmp(name, manual, tensor)`` checks as (name, manual, tensor) names."""
    src = SCRIPT.read_text()
    start, checks = src.index('# forward pass, "chunkated"'), src.index("cmp('logprobs'")
    compared = re.findall(r"^cmp\('(\w+)', (\w+), (\w+)\)$",
                          src[checks:src.index("# Exercise 2")], re.M)
    return compile(src[start:checks], str(SCRIPT), "exec"), compared


def _exercise(torch, F, seed=0):
    rng = np.random.default_rng(seed)
    n_embd, n_hidden, vocab, block, n = 10, 64, 27, 3, 32
    C = torch.tensor(rng.standard_normal((vocab, n_embd)), dtype=torch.float32)
    W1 = torch.tensor(rng.standard_normal((n_embd * block, n_hidden)), dtype=torch.float32) \
        * (5 / 3) / ((n_embd * block) ** 0.5)
    b1 = torch.tensor(rng.standard_normal(n_hidden), dtype=torch.float32) * 0.1
    W2 = torch.tensor(rng.standard_normal((n_hidden, vocab)), dtype=torch.float32) * 0.1
    b2 = torch.tensor(rng.standard_normal(vocab), dtype=torch.float32) * 0.1
    bngain = torch.tensor(rng.standard_normal((1, n_hidden)), dtype=torch.float32) * 0.1 + 1.0
    bnbias = torch.tensor(rng.standard_normal((1, n_hidden)), dtype=torch.float32) * 0.1
    parameters = [C, W1, b1, W2, b2, bngain, bnbias]
    for p in parameters:
        p.requires_grad = True
    Xb = torch.tensor(rng.integers(0, vocab, (n, block)))
    Yb = torch.tensor(rng.integers(0, vocab, n))

    code, compared = _script_exercise()
    names = dict(torch=torch, F=F, C=C, W1=W1, b1=b1, W2=W2, b2=b2, bngain=bngain,
                 bnbias=bnbias, parameters=parameters, Xb=Xb, Yb=Yb, n=n,
                 print=lambda *args: None)
    exec(code, names)
    out = {}
    for name, manual, tensor in compared:
        manual, auto = names[manual].detach().numpy(), names[tensor].grad.numpy()
        out[name] = (bool((manual == auto).all()), float(np.abs(manual - auto).max()))
    return out


def test_manual_gradients_exact_where_torch_is():
    torch = pytest.importorskip("torch")
    import torch.nn.functional as tF
    for seed in (0, 1):
        ours = _exercise(ad, adF, seed)
        theirs = _exercise(torch, tF, seed)
        # the script checks every parameter and every step, down to the log-probabilities
        assert {"C", "W1", "b1", "W2", "b2", "bngain", "bnbias", "logprobs"} <= set(ours)
        assert ours.keys() == theirs.keys()
        for name, (exact, _) in theirs.items():
            o_exact, o_diff = ours[name]
            assert o_diff < 1e-7, (name, ours[name], theirs[name])
            if exact:
                assert o_exact, (name, seed, ours[name], theirs[name])
