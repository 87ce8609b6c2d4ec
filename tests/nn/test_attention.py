"""nn.MultiheadAttention and F.scaled_dot_product_attention against PyTorch (float64:
outputs, attention weights, gradients of inputs and parameters) and against central
differences."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn
from tests.torch_parity import values_and_grads

MHA_CONFIGS = [
    dict(name="seq_first"),
    dict(name="batch_first", batch_first=True),
    dict(name="unbatched", unbatched=True),
    dict(name="kpm_bool", batch_first=True, kpm="bool"),
    dict(name="kpm_float", kpm="float"),
    dict(name="attn_bool_2d", batch_first=True, attn="bool2"),
    dict(name="attn_float_3d", attn="float3"),
    dict(name="both_masks", batch_first=True, attn="bool2", kpm="bool"),
    dict(name="causal_hint", batch_first=True, attn="causal", is_causal=True),
    dict(name="per_head_weights", batch_first=True, average=False),
    dict(name="no_weights", need_weights=False),
    dict(name="kdim_vdim", batch_first=True, kdim=5, vdim=3),
    dict(name="no_bias", bias=False),
    dict(name="bias_kv_zero_attn", batch_first=True, add_bias_kv=True, add_zero_attn=True,
         kpm="bool", attn="bool2"),
    dict(name="unbatched_masks", unbatched=True, attn="float2", kpm="bool"),
]

E, H, N, L, S = 8, 2, 3, 4, 5


def _mha_inputs(cfg, rng):
    kdim, vdim = cfg.get("kdim", E), cfg.get("vdim", E)
    if cfg.get("unbatched"):
        shapes = [(L, E), (S, kdim), (S, vdim)]
    elif cfg.get("batch_first"):
        shapes = [(N, L, E), (N, S, kdim), (N, S, vdim)]
    else:
        shapes = [(L, N, E), (S, N, kdim), (S, N, vdim)]
    arrays = [rng.standard_normal(s) for s in shapes]
    masks = {}
    n = 1 if cfg.get("unbatched") else N
    if cfg.get("kpm") == "bool":
        kpm = np.zeros((n, S), dtype=bool)
        kpm[:, -1] = True
        kpm[0, 1] = True
        masks["key_padding_mask"] = kpm[0] if cfg.get("unbatched") else kpm
    elif cfg.get("kpm") == "float":
        masks["key_padding_mask"] = rng.uniform(-1, 0, (n, S))
    attn = cfg.get("attn")
    if attn == "bool2":
        am = np.zeros((L, S), dtype=bool)
        am[0, :2] = True
        masks["attn_mask"] = am
    elif attn == "float2":
        masks["attn_mask"] = rng.uniform(-1, 1, (L, S))
    elif attn == "float3":
        masks["attn_mask"] = rng.uniform(-1, 1, (N * H, L, S))
    elif attn == "causal":
        masks["attn_mask"] = np.triu(np.ones((L, S), dtype=bool), 1)
    return arrays, masks


def _build(cfg, torch):
    kw = dict(bias=cfg.get("bias", True), add_bias_kv=cfg.get("add_bias_kv", False),
              add_zero_attn=cfg.get("add_zero_attn", False), kdim=cfg.get("kdim"),
              vdim=cfg.get("vdim"), batch_first=cfg.get("batch_first", False))
    ours = nn.MultiheadAttention(E, H, dtype=ad.float64, **kw)
    theirs = torch.nn.MultiheadAttention(E, H, dtype=torch.float64, **kw)
    sd = {k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()}
    assert sorted(sd) == sorted(ours.state_dict())
    ours.load_state_dict(sd)
    return ours, theirs


@pytest.mark.parametrize("cfg", MHA_CONFIGS, ids=[c["name"] for c in MHA_CONFIGS])
def test_multihead_attention_matches_torch(cfg):
    torch = pytest.importorskip("torch")
    ours, theirs = _build(cfg, torch)
    arrays, masks = _mha_inputs(cfg, np.random.default_rng(0))
    xs = [ad.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    fkw = dict(need_weights=cfg.get("need_weights", True),
               average_attn_weights=cfg.get("average", True),
               is_causal=cfg.get("is_causal", False))
    out, w = ours(*xs, **{k: ad.tensor(v) for k, v in masks.items()}, **fkw)
    tout, tw = theirs(*ts, **{k: torch.tensor(v) for k, v in masks.items()}, **fkw)
    np.testing.assert_allclose(out._data, tout.detach().numpy(), rtol=1e-6, atol=1e-12)
    if tw is None:
        assert w is None
    else:
        assert w.shape == tuple(tw.shape)
        np.testing.assert_allclose(w._data, tw.detach().numpy(), rtol=1e-6, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(out.shape)
    loss = (out * ad.tensor(g)).sum() + (w.sum() if w is not None else 0)
    tloss = (tout * torch.tensor(g)).sum() + (tw.sum() if tw is not None else 0)
    loss.backward()
    tloss.backward()
    for x, t in zip(xs, ts):
        np.testing.assert_allclose(x.grad._data, t.grad.numpy(), rtol=1e-6, atol=1e-12)
    tparams = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad._data, tparams[name].grad.numpy(), rtol=1e-6,
                                   atol=1e-12, err_msg=name)


def test_multihead_attention_gradcheck_and_init():
    ad.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, dtype=ad.float64, batch_first=True)
    assert m.in_proj_weight.shape == (12, 4) and m.out_proj.weight.shape == (4, 4)
    assert np.all(m.in_proj_bias._data == 0) and np.all(m.out_proj.bias._data == 0)
    bound = np.sqrt(6.0 / (12 + 4))  # xavier_uniform_ on (3E, E)
    assert np.abs(m.in_proj_weight._data).max() <= bound
    rng = np.random.default_rng(0)
    q = ad.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    kv = ad.tensor(rng.standard_normal((2, 2, 4)), requires_grad=True)
    assert ad.gradcheck(lambda a, b: m(a, b, b)[0], (q, kv))
    assert ad.gradgradcheck(lambda a, b: m(a, b, b)[0], (q, kv), atol=1e-5, rtol=1e-4)


def test_multihead_attention_dropout_and_errors():
    m = nn.MultiheadAttention(4, 2, dropout=0.5)
    x = ad.randn(3, 2, 4)
    ad.manual_seed(0)
    a = m(x, x, x)[0]
    ad.manual_seed(0)
    b = m(x, x, x)[0]
    ad.manual_seed(1)
    c = m(x, x, x)[0]
    np.testing.assert_array_equal(a._data, b._data)
    assert not np.allclose(a._data, c._data)
    m.eval()
    np.testing.assert_array_equal(m(x, x, x)[0]._data, m(x, x, x)[0]._data)
    with pytest.raises(ValueError, match="divisible"):
        nn.MultiheadAttention(5, 2)
    with pytest.raises(RuntimeError, match="attn_mask"):
        m(x, x, x, is_causal=True)
    with pytest.raises(ValueError, match="attn_mask"):
        m(x, x, x, attn_mask=ad.zeros(2, 2))
    with pytest.raises(ValueError, match="key_padding_mask"):
        m(x, x, x, key_padding_mask=ad.zeros(3, 3, dtype=ad.bool))


SDPA = [
    dict(name="plain"),
    dict(name="bool_mask", mask="bool"),
    dict(name="float_mask", mask="float"),
    dict(name="causal", is_causal=True),
    dict(name="causal_rect", is_causal=True, S=6),
    dict(name="scale", scale=0.3),
    dict(name="gqa", gqa=True),
    dict(name="fully_masked_row", mask="dead"),
    dict(name="3d", three=True),
]


@pytest.mark.parametrize("cfg", SDPA, ids=[c["name"] for c in SDPA])
def test_sdpa_matches_torch(cfg):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    Lq, Sk = 4, cfg.get("S", 5)
    hq = 4 if cfg.get("gqa") else 2
    lead = (3,) if cfg.get("three") else (2,)
    qs = lead + ((hq,) if not cfg.get("three") else ()) + (Lq, 6)
    ks = lead + ((2,) if not cfg.get("three") else ()) + (Sk, 6)
    vs = ks[:-1] + (3,)
    arrays = [rng.standard_normal(s) for s in (qs, ks, vs)]
    kw = dict(is_causal=cfg.get("is_causal", False), scale=cfg.get("scale"),
              enable_gqa=cfg.get("gqa", False))
    mask = None
    if cfg.get("mask") == "bool":
        mask = rng.random((Lq, Sk)) > 0.3
        mask[:, 0] = True
    elif cfg.get("mask") == "float":
        mask = rng.standard_normal((Lq, Sk))
    elif cfg.get("mask") == "dead":
        mask = np.ones((Lq, Sk), dtype=bool)
        mask[1] = False
    values_and_grads(
        lambda *xs: F.scaled_dot_product_attention(
            *xs, attn_mask=None if mask is None else ad.tensor(mask), **kw),
        lambda *ts: torch.nn.functional.scaled_dot_product_attention(
            *ts, attn_mask=None if mask is None else torch.tensor(mask), **kw),
        arrays, torch)


def test_sdpa_gradcheck_dropout_and_errors():
    rng = np.random.default_rng(0)
    q, k, v = (ad.tensor(rng.standard_normal(s), requires_grad=True)
               for s in ((2, 3, 4), (2, 5, 4), (2, 5, 2)))
    assert ad.gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True),
                        (q, k, v))
    assert ad.gradgradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c), (q, k, v),
                            atol=1e-5, rtol=1e-4)
    ad.manual_seed(0)
    d = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert not np.allclose(d.data, F.scaled_dot_product_attention(q, k, v)._data)
    with pytest.raises(ValueError, match="do not fit"):
        F.scaled_dot_product_attention(q, k, q)
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(q, k, v, attn_mask=ad.ones(3, 5, dtype=ad.bool),
                                       is_causal=True)


def test_functional_mha_positional_signature_matches_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = _build(dict(), torch)
    x = np.random.default_rng(0).standard_normal((L, N, E))
    args = lambda lib, m, t: (t, t, t, E, H, m.in_proj_weight, m.in_proj_bias, None, None,  # noqa
                              False, 0.0, m.out_proj.weight, m.out_proj.bias)
    out, w = F.multi_head_attention_forward(*args(ad, ours, ad.tensor(x)), training=False)
    tout, tw = torch.nn.functional.multi_head_attention_forward(
        *args(torch, theirs, torch.tensor(x)), training=False)
    np.testing.assert_allclose(out._data, tout.detach().numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(w._data, tw.detach().numpy(), rtol=1e-6, atol=1e-12)
    with pytest.raises(ValueError, match="embedding dimension"):
        F.multi_head_attention_forward(*args(ad, ours, ad.tensor(x[..., :4])))
