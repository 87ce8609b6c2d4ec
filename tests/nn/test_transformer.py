"""nn.Transformer, TransformerEncoder(Layer) and TransformerDecoder(Layer): float64 parity with
PyTorch 2.13 (outputs, input and parameter gradients, both mask kinds, batch_first and
norm_first both ways, state_dict exchange both ways), and without torch: central differences,
masks, init, dropout and errors."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

D, H, FF = 8, 2, 12          # d_model, nhead, dim_feedforward
N, S, T = 3, 5, 4            # batch, source length, target length


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _t(torch, a):
    return torch.from_numpy(np.array(a))


def _sync(ours, theirs, torch):
    """Load torch's parameters into ours (as arrays); both keys and shapes must agree."""
    sd = {k: v.detach().numpy() for k, v in theirs.state_dict().items()}
    assert sorted(sd) == sorted(ours.state_dict())
    ours.load_state_dict(sd)


def _masks(kind, rng, L_, S_):
    """(attn mask (L, S), key padding mask (N, S)) of ``kind`` 'bool' / 'float' / None."""
    if kind is None:
        return None, None
    allowed = rng.random((L_, S_)) < 0.7
    allowed[:, 0] = True                       # no fully masked rows
    pad = np.zeros((N, S_), dtype=bool)
    pad[0, -2:] = True
    pad[1, -1] = True
    if kind == "bool":
        return ~allowed, pad
    return (np.where(allowed, rng.normal(size=(L_, S_)), -np.inf),
            np.where(pad, -np.inf, rng.normal(size=(N, S_)) * 0.3))


def _compare(out_ours, out_theirs, ours, theirs, inputs_ours, inputs_theirs, rng):
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    w = rng.normal(size=tuple(out_ours.shape))
    (out_ours * ad.tensor(w)).sum().backward()
    (out_theirs * out_theirs.new_tensor(w)).sum().backward()
    for a, b in zip(inputs_ours, inputs_theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-11)
    grads = {k: p.grad for k, p in theirs.named_parameters()}
    for k, p in ours.named_parameters():
        assert p.grad is not None, k
        np.testing.assert_allclose(p.grad.numpy(), grads[k].numpy(), rtol=1e-9, atol=1e-11,
                                   err_msg=k)


def _seq(rng, L_, batch_first, unbatched=False):
    if unbatched:
        return rng.normal(size=(L_, D))
    return rng.normal(size=(N, L_, D) if batch_first else (L_, N, D))


ENCODER_CONFIGS = [
    dict(name="post_norm_seq_first_float", masks="float"),
    dict(name="pre_norm_batch_first_bool", batch_first=True, norm_first=True, masks="bool"),
    dict(name="gelu_str_no_bias", activation="gelu", bias=False, masks="bool"),
    dict(name="callable_act_batch_first", activation="tanh_fn", batch_first=True),
    dict(name="causal_hint", batch_first=True, masks="causal", is_causal=True),
    dict(name="unbatched_pre_norm", unbatched=True, norm_first=True),
]


def _activation(cfg, lib):
    act = cfg.get("activation", "relu")
    if act == "tanh_fn":
        return lib.tanh
    return act


@pytest.mark.parametrize("cfg", ENCODER_CONFIGS, ids=lambda c: c["name"])
def test_encoder_matches_torch(torch, cfg):
    rng = np.random.default_rng(1)
    kw = dict(dim_feedforward=FF, dropout=0.0, batch_first=cfg.get("batch_first", False),
              norm_first=cfg.get("norm_first", False), bias=cfg.get("bias", True))
    layer_t = torch.nn.TransformerEncoderLayer(D, H, activation=_activation(cfg, torch), **kw,
                                               dtype=torch.float64)
    theirs = torch.nn.TransformerEncoder(layer_t, 2, norm=torch.nn.LayerNorm(
        D, dtype=torch.float64), enable_nested_tensor=False)
    layer_o = nn.TransformerEncoderLayer(D, H, activation=_activation(cfg, ad), **kw,
                                         dtype=ad.float64)
    ours = nn.TransformerEncoder(layer_o, 2, norm=nn.LayerNorm(D, dtype=ad.float64),
                                 enable_nested_tensor=False)
    _sync(ours, theirs, torch)
    src = _seq(rng, S, kw["batch_first"], cfg.get("unbatched", False))
    mask, kpm = _masks(cfg.get("masks") if cfg.get("masks") != "causal" else None, rng, S, S)
    if cfg.get("masks") == "causal":
        mask = nn.Transformer.generate_square_subsequent_mask(S, dtype=ad.float64).numpy()
    if cfg.get("unbatched"):
        kpm = None if kpm is None else kpm[0]
    x_o = ad.tensor(src, requires_grad=True)
    x_t = _t(torch, src).requires_grad_()
    margs = {}
    if mask is not None:
        margs["mask"] = mask
    if kpm is not None:
        margs["src_key_padding_mask"] = kpm
    if "is_causal" in cfg:
        margs["is_causal"] = cfg["is_causal"]
    out_o = ours(x_o, **{k: (ad.tensor(v) if isinstance(v, np.ndarray) else v)
                         for k, v in margs.items()})
    out_t = theirs(x_t, **{k: (_t(torch, v) if isinstance(v, np.ndarray) else v)
                           for k, v in margs.items()})
    _compare(out_o, out_t, ours, theirs, [x_o], [x_t], rng)


DECODER_CONFIGS = [
    dict(name="post_norm_seq_first_float", masks="float"),
    dict(name="pre_norm_batch_first_bool", batch_first=True, norm_first=True, masks="bool"),
    dict(name="gelu_no_bias_causal", activation="gelu", bias=False, masks="causal"),
    dict(name="unbatched", unbatched=True, batch_first=True),
]


@pytest.mark.parametrize("cfg", DECODER_CONFIGS, ids=lambda c: c["name"])
def test_decoder_matches_torch(torch, cfg):
    rng = np.random.default_rng(2)
    kw = dict(dim_feedforward=FF, dropout=0.0, activation=cfg.get("activation", "relu"),
              batch_first=cfg.get("batch_first", False), norm_first=cfg.get("norm_first", False),
              bias=cfg.get("bias", True))
    theirs = torch.nn.TransformerDecoder(
        torch.nn.TransformerDecoderLayer(D, H, **kw, dtype=torch.float64), 2)
    ours = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, H, **kw, dtype=ad.float64), 2)
    _sync(ours, theirs, torch)
    unb = cfg.get("unbatched", False)
    tgt, mem = _seq(rng, T, kw["batch_first"], unb), _seq(rng, S, kw["batch_first"], unb)
    margs = {}
    if cfg.get("masks") == "causal":
        margs["tgt_mask"] = nn.Transformer.generate_square_subsequent_mask(
            T, dtype=ad.float64).numpy()
        _, margs["memory_key_padding_mask"] = _masks("bool", rng, T, S)
    elif cfg.get("masks"):
        margs["tgt_mask"], margs["tgt_key_padding_mask"] = _masks(cfg["masks"], rng, T, T)
        margs["memory_mask"], margs["memory_key_padding_mask"] = _masks(cfg["masks"], rng, T, S)
    ins_o = [ad.tensor(a, requires_grad=True) for a in (tgt, mem)]
    ins_t = [_t(torch, a).requires_grad_() for a in (tgt, mem)]
    out_o = ours(*ins_o, **{k: ad.tensor(v) for k, v in margs.items()})
    out_t = theirs(*ins_t, **{k: _t(torch, v) for k, v in margs.items()})
    _compare(out_o, out_t, ours, theirs, ins_o, ins_t, rng)


@pytest.mark.parametrize("batch_first,norm_first,kind", [(False, False, "float"),
                                                          (True, True, "bool"),
                                                          (True, False, "bool")])
def test_transformer_matches_torch_and_state_dict_exchange(torch, batch_first, norm_first, kind):
    rng = np.random.default_rng(3)
    kw = dict(d_model=D, nhead=H, num_encoder_layers=2, num_decoder_layers=1,
              dim_feedforward=FF, dropout=0.0, batch_first=batch_first, norm_first=norm_first)
    theirs = torch.nn.Transformer(**kw, dtype=torch.float64)
    ours = nn.Transformer(**kw, dtype=ad.float64)
    # same names and shapes before any exchange
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    # ours -> torch: torch gives our outputs
    ours_sd = {k: torch.from_numpy(v.numpy().copy()) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(ours_sd)
    src, tgt = _seq(rng, S, batch_first), _seq(rng, T, batch_first)
    src_mask, src_kpm = _masks(kind, rng, S, S)
    mem_mask, mem_kpm = _masks(kind, rng, T, S)
    tgt_kpm = np.zeros((N, T), dtype=src_kpm.dtype)
    tgt_kpm[2, -1] = True if kind == "bool" else -np.inf
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(T, dtype=ad.float64)
    margs = dict(src_mask=src_mask, memory_mask=mem_mask, src_key_padding_mask=src_kpm,
                 tgt_key_padding_mask=tgt_kpm, memory_key_padding_mask=mem_kpm)
    ins_o = [ad.tensor(a, requires_grad=True) for a in (src, tgt)]
    ins_t = [_t(torch, a).requires_grad_() for a in (src, tgt)]
    out_o = ours(*ins_o, tgt_mask=tgt_mask, tgt_is_causal=True,
                 **{k: ad.tensor(v) for k, v in margs.items()})
    out_t = theirs(*ins_t, tgt_mask=_t(torch, tgt_mask.numpy()), tgt_is_causal=True,
                   **{k: _t(torch, v) for k, v in margs.items()})
    _compare(out_o, out_t, ours, theirs, ins_o, ins_t, rng)
    # torch -> ours: a fresh model of ours given torch's weights gives torch's outputs
    fresh_t = torch.nn.Transformer(**kw, dtype=torch.float64)
    fresh_o = nn.Transformer(**kw, dtype=ad.float64)
    _sync(fresh_o, fresh_t, torch)
    with ad.no_grad(), torch.no_grad():
        a = fresh_o(ad.tensor(src), ad.tensor(tgt)).numpy()
        b = fresh_t(_t(torch, src), _t(torch, tgt)).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_encoder_eval_padding_gives_zeros_as_torch_nested_path(torch):
    """In eval mode without grad, PyTorch runs a batch_first encoder on a nested tensor when a
    left-aligned key padding mask is given: padded positions come out 0 before the norm."""
    rng = np.random.default_rng(4)
    kw = dict(dim_feedforward=FF, dropout=0.0, batch_first=True)
    theirs = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(D, H, **kw, dtype=torch.float64), 2,
        norm=torch.nn.LayerNorm(D, dtype=torch.float64)).eval()
    ours = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, **kw, dtype=ad.float64), 2,
                                 norm=nn.LayerNorm(D, dtype=ad.float64)).eval()
    _sync(ours, theirs, torch)
    src = rng.normal(size=(N, S, D))
    _, kpm = _masks("bool", rng, S, S)
    with torch.no_grad(), ad.no_grad():
        b = theirs(_t(torch, src), src_key_padding_mask=_t(torch, kpm)).numpy()
        a = ours(ad.tensor(src), src_key_padding_mask=ad.tensor(kpm)).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    # the final norm of a zero row is its bias
    np.testing.assert_allclose(a[0, -1], ours.norm.bias.detach().numpy())
    # with grad the padded positions are computed (and differ from the bias)
    a2 = ours(ad.tensor(src), src_key_padding_mask=ad.tensor(kpm)).detach().numpy()
    b2 = theirs(_t(torch, src), src_key_padding_mask=_t(torch, kpm)).detach().numpy()
    np.testing.assert_allclose(a2, b2, rtol=1e-10, atol=1e-12)
    assert np.abs(a2[0, -1] - a[0, -1]).max() > 1e-3


def test_layer_fully_masked_row_and_mha_need_weights(torch):
    """A query whose keys are all padded gives 0 attention (PyTorch's
    scaled_dot_product_attention path), not NaN; MultiheadAttention with need_weights=True
    gives NaN there, as PyTorch."""
    rng = np.random.default_rng(5)
    theirs = torch.nn.TransformerEncoderLayer(D, H, FF, 0.0, batch_first=True,
                                              dtype=torch.float64)
    ours = nn.TransformerEncoderLayer(D, H, FF, 0.0, batch_first=True, dtype=ad.float64)
    _sync(ours, theirs, torch)
    src = rng.normal(size=(2, S, D))
    kpm = np.zeros((2, S), dtype=bool)
    kpm[0] = True
    x_o, x_t = ad.tensor(src, requires_grad=True), _t(torch, src).requires_grad_()
    out_o = ours(x_o, src_key_padding_mask=ad.tensor(kpm))
    out_t = theirs(x_t, src_key_padding_mask=_t(torch, kpm))
    assert np.isfinite(out_o.detach().numpy()).all()
    _compare(out_o, out_t, ours, theirs, [x_o], [x_t], rng)
    w_o = ours.self_attn(x_o, x_o, x_o, key_padding_mask=ad.tensor(kpm))[0]
    w_t = theirs.self_attn(x_t, x_t, x_t, key_padding_mask=_t(torch, kpm))[0]
    assert np.isnan(w_o.detach().numpy()[0]).all() and np.isnan(w_t.detach().numpy()[0]).all()
    np.testing.assert_allclose(w_o.detach().numpy()[1], w_t.detach().numpy()[1], rtol=1e-10)


def test_generate_square_subsequent_mask_matches_torch(torch):
    for sz in (1, 4):
        ours = nn.Transformer.generate_square_subsequent_mask(sz)
        theirs = torch.nn.Transformer.generate_square_subsequent_mask(sz)
        assert ours.dtype == np.float32 and theirs.dtype == torch.float32
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# ---- without torch ---------------------------------------------------------------------------


def test_generate_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(3, dtype=ad.float64)
    assert m.dtype == np.float64 and not m.requires_grad
    np.testing.assert_array_equal(m.numpy(), [[0, -np.inf, -np.inf], [0, 0, -np.inf],
                                              [0, 0, 0]])


def test_tiny_encoder_layer_gradcheck():
    ad.manual_seed(0)
    rng = np.random.default_rng(6)
    enc = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, dtype=ad.float64)
    src = ad.tensor(rng.normal(size=(3, 1, 4)), requires_grad=True)
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=ad.float64)
    assert ad.gradcheck(lambda x, *p: enc(x, src_mask=mask), (src, *enc.parameters()))


def test_tiny_decoder_layer_gradcheck():
    ad.manual_seed(0)
    rng = np.random.default_rng(7)
    dec = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, norm_first=True, activation="gelu",
                                     batch_first=True, dtype=ad.float64)
    tgt = ad.tensor(rng.normal(size=(2, 2, 4)), requires_grad=True)
    mem = ad.tensor(rng.normal(size=(2, 3, 4)), requires_grad=True)
    kpm = ad.tensor(np.array([[False, False, True], [False, False, False]]))
    assert ad.gradcheck(lambda t, m, *p: dec(t, m, memory_key_padding_mask=kpm),
                        (tgt, mem, *dec.parameters()))


def test_names_shapes_and_init():
    ad.manual_seed(0)
    model = nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=3,
                           dim_feedforward=32)
    sd = model.state_dict()
    assert len(model.encoder.layers) == 2 and len(model.decoder.layers) == 3
    assert sd["encoder.layers.0.self_attn.in_proj_weight"].shape == (48, 16)
    assert sd["encoder.layers.1.linear1.weight"].shape == (32, 16)
    assert sd["decoder.layers.2.multihead_attn.out_proj.weight"].shape == (16, 16)
    assert sd["decoder.layers.0.norm3.bias"].shape == (16,)
    assert sd["encoder.norm.weight"].shape == sd["decoder.norm.bias"].shape == (16,)
    assert sum(p.numel() for p in model.parameters()) == (
        2 * (4 * 16 * 16 + 4 * 16 + 2 * 16 * 32 + 32 + 16 + 4 * 16)
        + 3 * (8 * 16 * 16 + 8 * 16 + 2 * 16 * 32 + 32 + 16 + 6 * 16) + 4 * 16)
    # xavier_uniform_ on every matrix: bound sqrt(6 / (fan_in + fan_out))
    for name, p in model.named_parameters():
        a = p.detach().numpy()
        if a.ndim > 1:
            bound = np.sqrt(6.0 / sum(a.shape))
            assert np.abs(a).max() <= bound and np.abs(a).max() > 0.8 * bound, name
    # layers cloned, not shared
    w0 = model.encoder.layers[0].linear1.weight
    w1 = model.encoder.layers[1].linear1.weight
    assert w0 is not w1 and not np.array_equal(w0.detach().numpy(), w1.detach().numpy())
    assert np.all(sd["encoder.layers.0.self_attn.in_proj_bias"].detach().numpy() == 0)
    assert model.encoder.layers[0].dropout.p == 0.1 and model.batch_first is False
    # bias=False drops every bias, LayerNorm's too
    nb = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                        dim_feedforward=8, bias=False)
    assert not [k for k in nb.state_dict() if "bias" in k]


def test_custom_encoder_decoder_and_dtype():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 8, 0.0), 1)
    dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 8, 0.0), 1)
    model = nn.Transformer(d_model=8, nhead=2, custom_encoder=enc, custom_decoder=dec)
    assert model.encoder is enc and model.decoder is dec
    out = model(ad.randn(5, 2, 8), ad.randn(3, 2, 8))
    assert out.shape == (3, 2, 8) and out.dtype == np.float32
    layer = nn.TransformerEncoderLayer(8, 2, 8, 0.0, batch_first=True, dtype=ad.float64)
    assert all(p.dtype == np.float64 for p in layer.parameters())
    assert layer(ad.randn(2, 5, 8, dtype=ad.float64)).dtype == np.float64


def test_dropout_acts_only_in_training():
    ad.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5)
    x = ad.randn(4, 2, 8)
    a, b = layer(x).detach().numpy(), layer(x).detach().numpy()
    assert np.abs(a - b).max() > 1e-3
    layer.eval()
    c, d = layer(x).detach().numpy(), layer(x).detach().numpy()
    np.testing.assert_array_equal(c, d)
    layer.dropout1.p = layer.dropout2.p = layer.dropout.p = layer.self_attn.dropout = 0.0
    layer.train()
    np.testing.assert_allclose(layer(x).detach().numpy(), c, rtol=1e-6, atol=1e-6)


def test_errors():
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nn.TransformerEncoderLayer(8, 2, activation="tanh")
    with pytest.raises(RuntimeError, match="relu/gelu"):
        nn.TransformerDecoderLayer(8, 2, activation="swish")
    model = nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                           dim_feedforward=8)
    with pytest.raises(RuntimeError, match="batch number"):
        model(ad.randn(5, 2, 8), ad.randn(3, 3, 8))
    with pytest.raises(RuntimeError, match="d_model"):
        model(ad.randn(5, 2, 8), ad.randn(3, 2, 6))
    layer = nn.TransformerEncoderLayer(8, 2, 8)
    with pytest.raises(TypeError, match="src_key_padding_mask"):
        layer(ad.randn(5, 2, 8), src_key_padding_mask=ad.zeros(2, 5, dtype=ad.int64))
    with pytest.warns(UserWarning, match="mismatched"):
        layer(ad.randn(5, 2, 8), src_mask=nn.Transformer.generate_square_subsequent_mask(5),
              src_key_padding_mask=ad.zeros(2, 5, dtype=ad.bool))
    with pytest.raises(ValueError, match="key_padding_mask"):
        layer(ad.randn(5, 2, 8), src_key_padding_mask=ad.zeros(2, 4, dtype=ad.bool))


def test_activation_flags_and_module_activation():
    assert nn.TransformerEncoderLayer(8, 2).activation_relu_or_gelu == 1
    assert nn.TransformerEncoderLayer(8, 2, activation="gelu").activation_relu_or_gelu == 2
    layer = nn.TransformerEncoderLayer(8, 2, activation=nn.GELU())
    assert layer.activation_relu_or_gelu == 2 and isinstance(layer.activation, nn.GELU)
    assert nn.TransformerEncoderLayer(8, 2, activation=F.silu).activation_relu_or_gelu == 0


def test_mha_causal_hint_without_weights_uses_the_causal_mask_as_torch(torch):
    """With is_causal=True, no key padding mask and need_weights=False PyTorch attends
    causally whatever attn_mask says (the mask is only a hint's witness); with weights it
    uses attn_mask."""
    rng = np.random.default_rng(8)
    theirs = torch.nn.MultiheadAttention(D, H, batch_first=True, dtype=torch.float64)
    ours = nn.MultiheadAttention(D, H, batch_first=True, dtype=ad.float64)
    _sync(ours, theirs, torch)
    x = rng.normal(size=(2, S, D))
    not_causal = np.zeros((S, S), dtype=bool)
    not_causal[:, 1] = True                       # blocks key 1 only
    for need_weights in (False, True):
        a = ours(*(ad.tensor(x),) * 3, attn_mask=ad.tensor(not_causal), is_causal=True,
                 need_weights=need_weights)[0].detach().numpy()
        b = theirs(*(_t(torch, x),) * 3, attn_mask=_t(torch, not_causal), is_causal=True,
                   need_weights=need_weights)[0].detach().numpy()
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    causal = ours(*(ad.tensor(x),) * 3, attn_mask=nn.Transformer.generate_square_subsequent_mask(
        S, dtype=ad.float64), need_weights=False)[0].detach().numpy()
    hinted = ours(*(ad.tensor(x),) * 3, attn_mask=ad.tensor(not_causal), is_causal=True,
                  need_weights=False)[0].detach().numpy()
    np.testing.assert_allclose(hinted, causal, rtol=1e-12)
