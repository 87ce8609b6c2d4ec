"""Python numbers are weak scalars, as in PyTorch, so hand-written gradients equal autograd's
bit for bit where PyTorch's do: the manual-backprop exercise of a well-known course (an MLP
language model with batch norm, every gradient written by hand and compared with ``==``),
run unchanged with ``import autodiff as torch`` and with torch 2.13."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as adF


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

    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = 1 / (n - 1) * (bndiff2).sum(0, keepdim=True)
    bnvar_inv = (bnvar + 1e-5)**-0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum**-1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    for t in [logprobs, probs, counts, counts_sum, counts_sum_inv, norm_logits, logit_maxes,
              logits, h, hpreact, bnraw, bnvar_inv, bnvar, bndiff2, bndiff, hprebn, bnmeani,
              embcat, emb]:
        t.retain_grad()
    loss.backward()

    dlogprobs = torch.zeros_like(logprobs)
    dlogprobs[range(n), Yb] = -1.0 / n
    dprobs = (1.0 / probs) * dlogprobs
    dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
    dcounts = counts_sum_inv * dprobs
    dcounts_sum = (-counts_sum**-2) * dcounts_sum_inv
    dcounts += torch.ones_like(counts) * dcounts_sum
    dnorm_logits = counts * dcounts
    dlogits = dnorm_logits.clone()
    dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
    dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhpreact = (1.0 - h**2) * dh
    dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
    dbnraw = bngain * dhpreact
    dbnbias = dhpreact.sum(0, keepdim=True)
    dbndiff = bnvar_inv * dbnraw
    dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
    dbnvar = (-0.5 * (bnvar + 1e-5)**-1.5) * dbnvar_inv
    dbndiff2 = (1.0 / (n - 1)) * torch.ones_like(bndiff2) * dbnvar
    dbndiff += (2 * bndiff) * dbndiff2
    dhprebn = dbndiff.clone()
    dbnmeani = (-dbndiff).sum(0)
    dhprebn += 1.0 / n * (torch.ones_like(hprebn) * dbnmeani)
    dembcat = dhprebn @ W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    demb = dembcat.view(emb.shape)
    dC = torch.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]

    pairs = dict(logprobs=(dlogprobs, logprobs), probs=(dprobs, probs),
                 counts_sum_inv=(dcounts_sum_inv, counts_sum_inv),
                 counts_sum=(dcounts_sum, counts_sum), counts=(dcounts, counts),
                 norm_logits=(dnorm_logits, norm_logits), logit_maxes=(dlogit_maxes, logit_maxes),
                 logits=(dlogits, logits), h=(dh, h), W2=(dW2, W2), b2=(db2, b2),
                 hpreact=(dhpreact, hpreact), bngain=(dbngain, bngain), bnbias=(dbnbias, bnbias),
                 bnraw=(dbnraw, bnraw), bnvar_inv=(dbnvar_inv, bnvar_inv), bnvar=(dbnvar, bnvar),
                 bndiff2=(dbndiff2, bndiff2), bndiff=(dbndiff, bndiff), bnmeani=(dbnmeani, bnmeani),
                 hprebn=(dhprebn, hprebn), embcat=(dembcat, embcat), W1=(dW1, W1), b1=(db1, b1),
                 emb=(demb, emb), C=(dC, C))
    out = {}
    for name, (d, t) in pairs.items():
        manual = d.detach().numpy() if hasattr(d, "detach") else np.asarray(d)
        auto = t.grad.numpy()
        out[name] = (bool((manual == auto).all()), float(np.abs(manual - auto).max()))
    return out


def test_manual_gradients_exact_where_torch_is():
    torch = pytest.importorskip("torch")
    import torch.nn.functional as tF
    for seed in (0, 1):
        ours = _exercise(ad, adF, seed)
        theirs = _exercise(torch, tF, seed)
        for name, (exact, _) in theirs.items():
            o_exact, o_diff = ours[name]
            assert o_diff < 1e-7, (name, ours[name], theirs[name])
            if exact:
                assert o_exact, (name, seed, ours[name], theirs[name])
