"""Forward + backward of a few composite ops against PyTorch (float32): attention, einsum,
sort/topk, erf, cumprod, interpolate.

Run: ``python -m bench.ops`` (not in ``python -m bench``'s default list).  No target: it shows
where these ops stand, not a promise.
"""
import numpy as np

from bench._timing import compare, print_table, row, setup_threads


def main():
    torch = setup_threads()
    import autodiff as ad
    import autodiff.nn.functional as F
    from autodiff import nn

    rng = np.random.default_rng(0)

    def both(*shape):
        a = rng.standard_normal(shape).astype(np.float32)
        t = torch.tensor(a, requires_grad=True) if torch is not None else None
        return ad.tensor(a, requires_grad=True), t

    m = nn.MultiheadAttention(64, 4, batch_first=True)
    tm = torch.nn.MultiheadAttention(64, 4, batch_first=True) if torch is not None else None
    tF = torch.nn.functional if torch is not None else None
    xa, xt = both(32, 20, 64)
    qa, qt = both(32, 4, 20, 16)
    aa, at = both(32, 64, 128)
    ba, bt = both(32, 128, 64)
    sa, st = both(256, 512)
    ia, it = both(16, 16, 32, 32)
    cases = [
        ("MultiheadAttention (32,20,64) h4", lambda: m(xa, xa, xa)[0].sum().backward(),
         lambda: tm(xt, xt, xt)[0].sum().backward()),
        ("sdpa causal (32,4,20,16)",
         lambda: F.scaled_dot_product_attention(qa, qa, qa, is_causal=True).sum().backward(),
         lambda: tF.scaled_dot_product_attention(qt, qt, qt, is_causal=True).sum().backward()),
        ("einsum bij,bjk->bik", lambda: ad.einsum("bij,bjk->bik", aa, ba).sum().backward(),
         lambda: torch.einsum("bij,bjk->bik", at, bt).sum().backward()),
        ("sort (256,512) dim 1", lambda: sa.sort(1).values.sum().backward(),
         lambda: st.sort(1).values.sum().backward()),
        ("topk 5 (256,512)", lambda: sa.topk(5).values.sum().backward(),
         lambda: st.topk(5).values.sum().backward()),
        ("erf (256,512)", lambda: sa.erf().sum().backward(), lambda: st.erf().sum().backward()),
        ("cumprod (256,512)", lambda: sa.cumprod(1).sum().backward(),
         lambda: st.cumprod(1).sum().backward()),
        ("interpolate bilinear x2 (16,16,32,32)",
         lambda: F.interpolate(ia, scale_factor=2, mode="bilinear").sum().backward(),
         lambda: tF.interpolate(it, scale_factor=2, mode="bilinear").sum().backward()),
        ("interpolate nearest x2 (16,16,32,32)",
         lambda: F.interpolate(ia, scale_factor=2).sum().backward(),
         lambda: tF.interpolate(it, scale_factor=2).sum().backward()),
    ]
    rows = []
    for name, ours, theirs in cases:
        r = compare({"ours": ours, "torch": theirs if torch is not None else None}, rounds=7)
        rows.append(row(name, r))
    print_table("composite ops, forward + backward, float32", rows)


if __name__ == "__main__":
    main()
