"""Timing of a few porting ops against PyTorch (forward + backward, float32).

    .venv/bin/python tests/porting/bench_porting.py

Prints our median time / torch's median time (below 1 = faster than torch), measured in
alternating rounds with a short gap between candidates (see PERF-NOTES). Not a test: no
assertions; on a loaded shared machine the ratios move a lot.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))

import numpy as np  # noqa: E402
import torch  # noqa: E402

import autodiff as ad  # noqa: E402
import nn  # noqa: E402
import nn.functional as F  # noqa: E402


def ratio(ours, theirs, rounds=15):
    ours()
    theirs()
    t_o, t_t = [], []
    for _ in range(rounds):
        for fn, acc in ((ours, t_o), (theirs, t_t)):
            time.sleep(0.01)
            t = time.perf_counter()
            fn()
            acc.append(time.perf_counter() - t)
    return np.median(t_o) / np.median(t_t), np.median(t_o)


def both(a):
    return ad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def main():
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)
    f32 = lambda *s: rng.standard_normal(s).astype(np.float32)  # noqa: E731
    cases = []

    m = nn.MultiheadAttention(64, 4, batch_first=True)
    tm = torch.nn.MultiheadAttention(64, 4, batch_first=True)
    xa, xt = both(f32(32, 20, 64))
    cases.append(("MultiheadAttention (32,20,64) h4", lambda: m(xa, xa, xa)[0].sum().backward(),
                  lambda: tm(xt, xt, xt)[0].sum().backward()))
    qa, qt = both(f32(32, 4, 20, 16))
    cases.append(("sdpa causal (32,4,20,16)",
                  lambda: F.scaled_dot_product_attention(qa, qa, qa, is_causal=True).sum().backward(),
                  lambda: torch.nn.functional.scaled_dot_product_attention(
                      qt, qt, qt, is_causal=True).sum().backward()))
    aa, at = both(f32(32, 64, 128))
    ba, bt = both(f32(32, 128, 64))
    cases.append(("einsum bij,bjk->bik", lambda: ad.einsum("bij,bjk->bik", aa, ba).sum().backward(),
                  lambda: torch.einsum("bij,bjk->bik", at, bt).sum().backward()))
    sa, st = both(f32(256, 512))
    cases.append(("sort (256,512) dim 1", lambda: sa.sort(1).values.sum().backward(),
                  lambda: st.sort(1).values.sum().backward()))
    cases.append(("topk 5 (256,512)", lambda: sa.topk(5).values.sum().backward(),
                  lambda: st.topk(5).values.sum().backward()))
    cases.append(("erf (256,512)", lambda: sa.erf().sum().backward(),
                  lambda: st.erf().sum().backward()))
    cases.append(("cumprod (256,512)", lambda: sa.cumprod(1).sum().backward(),
                  lambda: st.cumprod(1).sum().backward()))
    ia, it = both(f32(16, 16, 32, 32))
    cases.append(("interpolate bilinear x2 (16,16,32,32)",
                  lambda: F.interpolate(ia, scale_factor=2, mode="bilinear").sum().backward(),
                  lambda: torch.nn.functional.interpolate(it, scale_factor=2,
                                                          mode="bilinear").sum().backward()))
    cases.append(("interpolate nearest x2 (16,16,32,32)",
                  lambda: F.interpolate(ia, scale_factor=2).sum().backward(),
                  lambda: torch.nn.functional.interpolate(it, scale_factor=2).sum().backward()))
    for name, ours, theirs in cases:
        r, t = ratio(ours, theirs)
        print(f"{name:40s} ours/torch {r:6.2f}   ours {t * 1e3:8.2f} ms")


if __name__ == "__main__":
    main()
