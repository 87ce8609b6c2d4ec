"""Layers and functional forms without torch: values against NumPy reference formulas and
gradients (inputs and parameters) by ``ad.gradcheck`` in float64; double backward by
``ad.gradgradcheck`` for the composed ops; dropout; errors."""
import math

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn

RNG = np.random.default_rng(0)


def _t(a, grad=True):
    return ad.tensor(np.array(a, dtype=np.float64), requires_grad=grad)


def _check_module(module, x):
    """gradcheck with respect to the input and every parameter, float64."""
    module.double()
    params = list(module.parameters())
    n = len(params)

    def fn(xx, *ps):
        return module(xx)
    assert ad.gradcheck(fn, (x, *params), atol=1e-7, rtol=1e-5)
    return n


# ---------------------------------------------------------------- NumPy references


def conv2d_ref(x, w, b, stride, pad, dil, groups):
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    Ho = (H + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    Wo = (W + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((N, O, Ho, Wo))
    og = O // groups
    for o in range(O):
        g = o // og
        for i in range(Ho):
            for j in range(Wo):
                patch = xp[:, g * Cg:(g + 1) * Cg,
                           i * stride[0]:i * stride[0] + dil[0] * (kh - 1) + 1:dil[0],
                           j * stride[1]:j * stride[1] + dil[1] * (kw - 1) + 1:dil[1]]
                out[:, o, i, j] = np.sum(patch * w[o], axis=(1, 2, 3))
    return out if b is None else out + b[None, :, None, None]


def conv_transpose2d_ref(x, w, b, stride, pad, out_pad, dil):
    N, C, H, W = x.shape
    _, O, kh, kw = w.shape
    Hf = (H - 1) * stride[0] + dil[0] * (kh - 1) + 1 + out_pad[0]
    Wf = (W - 1) * stride[1] + dil[1] * (kw - 1) + 1 + out_pad[1]
    full = np.zeros((N, O, Hf, Wf))
    for i in range(H):
        for j in range(W):
            for a in range(kh):
                for c in range(kw):
                    full[:, :, i * stride[0] + a * dil[0], j * stride[1] + c * dil[1]] += \
                        x[:, :, i, j] @ w[:, :, a, c]
    out = full[:, :, pad[0]:Hf - pad[0], pad[1]:Wf - pad[1]]
    return out + b[None, :, None, None]


def pool2d_ref(x, k, s, p, fn, fill):
    N, C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    Ho, Wo = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = fn(xp[:, :, i * s:i * s + k, j * s:j * s + k], axis=(2, 3))
    return out


# ---------------------------------------------------------------- layers


def test_linear_value_and_grads():
    lin = nn.Linear(4, 3)
    x = _t(RNG.standard_normal((2, 5, 4)))
    _check_module(lin, x)
    np.testing.assert_allclose(lin(x)._data, x._data @ lin.weight._data.T + lin.bias._data,
                               rtol=1e-12)


@pytest.mark.parametrize("kw", [dict(), dict(stride=(2, 1), padding=(1, 2)),
                                dict(dilation=2, groups=2), dict(padding="same", bias=False)])
def test_conv2d_value_and_grads(kw):
    conv = nn.Conv2d(2, 4, (3, 2) if kw.get("padding") != "same" else 3, **kw).double()
    x = _t(RNG.standard_normal((2, 2, 6, 5)))
    w, b = conv.weight._data, None if conv.bias is None else conv.bias._data
    pad = (1, 1) if kw.get("padding") == "same" else conv.padding
    ref = conv2d_ref(x._data, w, b, conv.stride, pad, conv.dilation, conv.groups)
    np.testing.assert_allclose(conv(x)._data, ref, rtol=1e-10, atol=1e-12)
    x_small = _t(RNG.standard_normal((1, 2, 5, 4)))
    _check_module(conv, x_small)


def test_conv1d_value_and_grads():
    conv = nn.Conv1d(2, 3, 3, stride=2, padding=1).double()
    x = _t(RNG.standard_normal((2, 2, 7)))
    ref = conv2d_ref(x._data[:, :, None], conv.weight._data[:, :, None], conv.bias._data,
                     (1, 2), (0, 1), (1, 1), 1)[:, :, 0]
    np.testing.assert_allclose(conv(x)._data, ref, rtol=1e-10)
    _check_module(conv, x)


@pytest.mark.parametrize("mode,np_mode", [("reflect", "reflect"), ("replicate", "edge"),
                                          ("circular", "wrap")])
def test_conv_padding_modes(mode, np_mode):
    conv = nn.Conv2d(1, 2, 3, padding=(1, 2), padding_mode=mode).double()
    x = _t(RNG.standard_normal((1, 1, 4, 5)))
    xp = np.pad(x._data, ((0, 0), (0, 0), (1, 1), (2, 2)), mode=np_mode)
    ref = conv2d_ref(xp, conv.weight._data, conv.bias._data, (1, 1), (0, 0), (1, 1), 1)
    np.testing.assert_allclose(conv(x)._data, ref, rtol=1e-10)
    _check_module(conv, x)


def test_conv_transpose2d_value_and_grads():
    conv = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1, output_padding=1).double()
    x = _t(RNG.standard_normal((1, 2, 3, 3)))
    ref = conv_transpose2d_ref(x._data, conv.weight._data, conv.bias._data, (2, 2), (1, 1),
                               (1, 1), (1, 1))
    out = conv(x)
    assert out.shape == (1, 3, 6, 6)
    np.testing.assert_allclose(out._data, ref, rtol=1e-10)
    _check_module(conv, x)


def test_pools_values_and_grads():
    x = _t(RNG.standard_normal((2, 2, 6, 6)))
    np.testing.assert_allclose(nn.MaxPool2d(3, 2, 1)(x)._data,
                               pool2d_ref(x._data, 3, 2, 1, np.max, -np.inf), rtol=1e-12)
    np.testing.assert_allclose(nn.AvgPool2d(2)(x)._data,
                               pool2d_ref(x._data, 2, 2, 0, np.mean, 0), rtol=1e-12)
    np.testing.assert_allclose(nn.AvgPool2d(3, 2, 1)(x)._data,
                               pool2d_ref(x._data, 3, 2, 1, np.sum, 0) / 9, rtol=1e-12)
    x1 = _t(RNG.standard_normal((2, 3, 8)))
    np.testing.assert_allclose(nn.MaxPool1d(2)(x1)._data, x1._data.reshape(2, 3, 4, 2).max(-1))
    for m, inp in ((nn.MaxPool2d(2), x), (nn.AvgPool2d(3, 2, 1), x), (nn.MaxPool1d(3, 2), x1)):
        assert ad.gradcheck(m, (inp,), atol=1e-7, rtol=1e-5)


def test_batchnorm_training_eval_and_running_stats():
    bn = nn.BatchNorm2d(3, momentum=0.2).double()
    bn.weight._data[:] = [1.0, 2.0, 0.5]
    bn.bias._data[:] = [0.0, -1.0, 3.0]
    x = _t(RNG.standard_normal((4, 3, 2, 2)) * 2 + 1)
    out = bn(x)
    mean = x._data.mean(axis=(0, 2, 3))
    var = x._data.var(axis=(0, 2, 3))
    shape = (1, 3, 1, 1)
    ref = (x._data - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + 1e-5) \
        * bn.weight._data.reshape(shape) + bn.bias._data.reshape(shape)
    np.testing.assert_allclose(out._data, ref, rtol=1e-10)
    np.testing.assert_allclose(bn.running_mean._data, 0.2 * mean, rtol=1e-12)
    np.testing.assert_allclose(bn.running_var._data, 0.8 + 0.2 * var * 16 / 15, rtol=1e-12)
    assert int(bn.num_batches_tracked._data) == 1
    bn.eval()
    ref_eval = (x._data - bn.running_mean._data.reshape(shape)) / np.sqrt(
        bn.running_var._data.reshape(shape) + 1e-5) * bn.weight._data.reshape(shape) \
        + bn.bias._data.reshape(shape)
    np.testing.assert_allclose(bn(x)._data, ref_eval, rtol=1e-10)
    assert int(bn.num_batches_tracked._data) == 1
    # gradients in both modes (training mode: the statistics depend on x)
    assert ad.gradcheck(lambda a, w, b: bn(a), (x, bn.weight, bn.bias), atol=1e-7, rtol=1e-5)
    bn.train()
    xs = _t(RNG.standard_normal((3, 3, 2, 1)))
    assert ad.gradcheck(lambda a, w, b: bn(a), (xs, bn.weight, bn.bias), atol=1e-7, rtol=1e-5)


def test_batchnorm_cumulative_momentum_and_no_tracking():
    bn = nn.BatchNorm1d(2, momentum=None).double()
    xs = [RNG.standard_normal((5, 2)) for _ in range(3)]
    for a in xs:
        bn(ad.tensor(a))
    np.testing.assert_allclose(bn.running_mean._data, np.mean([a.mean(0) for a in xs], 0),
                               rtol=1e-12)
    np.testing.assert_allclose(bn.running_var._data, np.mean([a.var(0, ddof=1) for a in xs], 0),
                               rtol=1e-12)
    free = nn.BatchNorm1d(2, track_running_stats=False)
    assert free.running_mean is None and list(free.state_dict()) == ["weight", "bias"]
    free.eval()  # without buffers eval still uses batch statistics (as PyTorch)
    out = free(ad.tensor(xs[0]))
    np.testing.assert_allclose(out._data.mean(0), 0, atol=1e-6)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(2)(ad.randn(1, 2))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(2)(ad.randn(3, 2))


def test_layernorm_value_and_grads():
    ln = nn.LayerNorm((2, 3)).double()
    ln.weight._data[:] = RNG.standard_normal((2, 3))
    ln.bias._data[:] = RNG.standard_normal((2, 3))
    x = _t(RNG.standard_normal((3, 2, 3)))
    a = x._data
    mu = a.mean(axis=(1, 2), keepdims=True)
    var = a.var(axis=(1, 2), keepdims=True)
    ref = (a - mu) / np.sqrt(var + 1e-5) * ln.weight._data + ln.bias._data
    np.testing.assert_allclose(ln(x)._data, ref, rtol=1e-10)
    _check_module(ln, x)
    with pytest.raises(ValueError):
        ln(ad.randn(3, 3, 2))


def test_embedding_lookup_padding_grad_and_max_norm():
    emb = nn.Embedding(5, 3, padding_idx=1).double()
    emb.weight._data[1] = 7.0  # a non-zero padding row is returned as is
    idx = ad.tensor([[0, 1, 4], [4, 1, 2]])
    out = emb(idx)
    np.testing.assert_array_equal(out._data, emb.weight._data[idx._data])
    out.sum().backward()
    expected = np.zeros((5, 3))
    np.add.at(expected, idx._data.ravel(), 1.0)
    expected[1] = 0
    np.testing.assert_array_equal(emb.weight.grad._data, expected)
    capped = nn.Embedding(4, 2, max_norm=1.0).double()
    capped.weight._data[:] = [[3.0, 4.0], [0.3, 0.4], [6.0, 8.0], [1.0, 0.0]]
    capped(ad.tensor([0, 1]))
    np.testing.assert_allclose(np.linalg.norm(capped.weight._data[:2], axis=1), [1.0, 0.5],
                               rtol=1e-6)
    np.testing.assert_array_equal(capped.weight._data[2], [6.0, 8.0])  # not looked up
    with pytest.raises(IndexError):
        emb(ad.tensor([5]))
    pre = nn.Embedding.from_pretrained(ad.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert not pre.weight.requires_grad
    np.testing.assert_array_equal(pre(ad.tensor([1]))._data, [[3.0, 4.0]])


def test_flatten_unflatten_identity():
    x = _t(RNG.standard_normal((2, 3, 4)))
    assert nn.Flatten()(x).shape == (2, 12)
    assert nn.Flatten(0, 1)(x).shape == (6, 4)
    assert nn.Unflatten(2, (2, 2))(x).shape == (2, 3, 2, 2)
    assert nn.Identity(3, foo=1)(x) is x


# ---------------------------------------------------------------- activations


def _phi(a):
    return 0.5 * (1 + np.vectorize(math.erf)(a / math.sqrt(2)))


ACTS = [
    ("relu", nn.ReLU(), lambda a: np.maximum(a, 0)),
    ("leaky", nn.LeakyReLU(0.1), lambda a: np.where(a > 0, a, 0.1 * a)),
    ("elu", nn.ELU(0.7), lambda a: np.where(a > 0, a, 0.7 * (np.exp(a) - 1))),
    ("selu", nn.SELU(), lambda a: 1.0507009873554805 * np.where(
        a > 0, a, 1.6732632423543772 * (np.exp(a) - 1))),
    ("gelu", nn.GELU(), lambda a: a * _phi(a)),
    ("gelu_tanh", nn.GELU("tanh"), lambda a: 0.5 * a * (1 + np.tanh(
        math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))),
    ("sigmoid", nn.Sigmoid(), lambda a: 1 / (1 + np.exp(-a))),
    ("tanh", nn.Tanh(), np.tanh),
    ("softplus", nn.Softplus(beta=2, threshold=3), lambda a: np.where(
        2 * a > 3, a, np.log1p(np.exp(2 * a)) / 2)),
    ("silu", nn.SiLU(), lambda a: a / (1 + np.exp(-a))),
    ("logsigmoid", nn.LogSigmoid(), lambda a: -np.log1p(np.exp(-a))),
    ("softmax", nn.Softmax(dim=1), lambda a: np.exp(a) / np.exp(a).sum(1, keepdims=True)),
    ("softmin", nn.Softmin(dim=1), lambda a: np.exp(-a) / np.exp(-a).sum(1, keepdims=True)),
    ("hardtanh", nn.Hardtanh(-0.5, 1.0), lambda a: np.clip(a, -0.5, 1.0)),
    ("relu6", nn.ReLU6(), lambda a: np.clip(a, 0, 6)),
    ("threshold", nn.Threshold(0.2, -1.0), lambda a: np.where(a > 0.2, a, -1.0)),
    ("prelu", nn.PReLU(), lambda a: np.where(a > 0, a, 0.25 * a)),
    ("softsign", nn.Softsign(), lambda a: a / (1 + np.abs(a))),
    ("mish", nn.Mish(), lambda a: a * np.tanh(np.log1p(np.exp(a)))),
    ("hardsigmoid", nn.Hardsigmoid(), lambda a: np.clip(a + 3, 0, 6) / 6),
    ("hardswish", nn.Hardswish(), lambda a: a * np.clip(a + 3, 0, 6) / 6),
    ("logsoftmax", nn.LogSoftmax(dim=1),
     lambda a: a - np.log(np.exp(a).sum(1, keepdims=True))),
]


@pytest.mark.parametrize("name,module,ref", ACTS, ids=[a[0] for a in ACTS])
def test_activation_value_grad_gradgrad(name, module, ref):
    x = _t(RNG.standard_normal((3, 4)) * 2)
    if name in ("hardtanh", "relu6", "threshold", "hardsigmoid", "hardswish"):
        x = _t(np.array([[-7.0, -3.5, -0.7, 0.3], [0.9, 2.5, 4.0, 7.5]]))  # both sides of kinks
    module.double()
    np.testing.assert_allclose(module(x)._data, ref(x._data), rtol=1e-10, atol=1e-14)
    assert ad.gradcheck(module, (x,), atol=1e-7, rtol=1e-5)
    if name in ("hardswish", "selu", "gelu", "gelu_tanh", "sigmoid", "tanh", "softplus", "silu",
                "logsigmoid", "softmax", "softmin", "logsoftmax", "mish", "softsign", "elu"):
        assert ad.gradgradcheck(module, (x,), atol=1e-6, rtol=1e-4)


def test_activation_derivatives_at_kinks_match_pytorch_convention():
    x = _t([0.0, 0.0])
    for fn, expected in ((F.relu, 0.0), (lambda a: F.leaky_relu(a, 0.2), 0.2),
                         (lambda a: F.elu(a, 0.5), 0.5), (F.softplus, 0.5),
                         (lambda a: F.hardtanh(a, 0.0, 1.0), 0.0), (F.softsign, 1.0)):
        x.grad = None
        fn(x).sum().backward()
        np.testing.assert_allclose(x.grad._data, expected, err_msg=str(fn))


def test_hardswish_gradient_at_plus_minus_3_and_nan_as_pytorch():
    # torch 2.13: grad 0 for x <= -3, (2x + 3)/6 inside, 1 for x >= 3 and at NaN (a select)
    x = _t([-3.0, 3.0, -4.0, 4.0, 0.0, 1.5, np.nan])
    y = F.hardswish(x)
    np.testing.assert_allclose(y._data, [0.0, 3.0, 0.0, 4.0, 0.0, 1.125, np.nan])
    y.backward(ad.tensor(np.array([1.0, 1, 1, 1, 1, 2, 1])))
    np.testing.assert_array_equal(x.grad._data, [0.0, 1.0, 0.0, 1.0, 0.5, 2.0, 1.0])
    x = _t([-3.0, -5.0, -np.inf])
    y = F.hardswish(x)  # x * relu6(x + 3) / 6 below -3: -0.0, and NaN at -inf
    np.testing.assert_array_equal(np.signbit(y._data[:2]), [True, True])
    assert np.isnan(y._data[2])
    y.backward(ad.tensor(np.array([np.inf, np.nan, 1.0])))
    np.testing.assert_array_equal(x.grad._data, [0.0, 0.0, 0.0])


def test_abs_gradient_at_nan_is_zero_as_pytorch():
    x = _t([-2.0, 0.0, 3.0, np.nan])
    ad.abs(x).backward(ad.tensor(np.array([1.0, 1, 5, 1])))
    np.testing.assert_array_equal(x.grad._data, [-1.0, 0.0, 5.0, 0.0])


def test_float32_in_float32_out():
    x = ad.randn(3, 4)
    for _, module, _ in ACTS:
        assert module.float()(x).dtype == np.float32
    assert F.dropout(x, 0.5).dtype == np.float32
    assert nn.BatchNorm1d(4)(x).dtype == np.float32
    assert F.binary_cross_entropy_with_logits(x, ad.ones(3, 4)).dtype == np.float32


# ---------------------------------------------------------------- dropout


def test_dropout_inverted_seeded_eval_identity():
    x = ad.ones(200, 100, requires_grad=True)
    ad.manual_seed(5)
    d = nn.Dropout(0.3)
    y = d(x)
    kept = y._data != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.01)
    np.testing.assert_allclose(y._data[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad._data, kept / 0.7, rtol=1e-6)
    ad.manual_seed(5)
    np.testing.assert_array_equal(d(x)._data, y._data)
    d.eval()
    assert d(x) is x
    assert F.dropout(x, 0.5, training=False) is x
    assert np.all(F.dropout(x, 1.0)._data == 0)
    assert F.dropout(x, 0.0) is x
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError):
            nn.Dropout(bad)
        with pytest.raises(ValueError):
            F.dropout(x, bad)


def test_channel_dropout_zeroes_whole_channels():
    x = ad.ones(50, 40, 3, 3, requires_grad=True)
    ad.manual_seed(1)
    y = nn.Dropout2d(0.25)(x)
    per_channel = y._data.reshape(50, 40, 9)
    assert np.all((per_channel == 0).all(-1) | np.isclose(per_channel, 1 / 0.75).all(-1))
    assert (per_channel[..., 0] == 0).mean() == pytest.approx(0.25, abs=0.03)
    y.sum().backward()
    np.testing.assert_allclose(x.grad._data, y._data, rtol=1e-6)
    z = nn.Dropout1d(0.5)(ad.ones(30, 4, 5))._data
    assert np.all((z == 0).all(-1) | (z == 2).all(-1))
    u = F.dropout1d(ad.ones(40, 6), 0.5)._data  # unbatched (C, L)
    assert np.all((u == 0).all(-1) | (u == 2).all(-1))
    d = nn.Dropout2d(0.5).eval()
    assert d(x) is x
    with pytest.warns(UserWarning):
        F.dropout2d(ad.ones(2, 3, 4), 0.5)


def test_adaptive_avg_pool_and_group_norm_reference():
    x = _t(RNG.standard_normal((2, 4, 7, 5)))
    out = F.adaptive_avg_pool2d(x, (3, 2))
    a = x._data
    ref = np.zeros((2, 4, 3, 2))
    for i in range(3):
        for j in range(2):
            h0, h1 = (i * 7) // 3, -(-(i + 1) * 7 // 3)
            w0, w1 = (j * 5) // 2, -(-(j + 1) * 5 // 2)
            ref[:, :, i, j] = a[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    np.testing.assert_allclose(out._data, ref, rtol=1e-12)
    assert ad.gradcheck(lambda v: F.adaptive_avg_pool2d(v, (3, 2)), (x,))
    gn = nn.GroupNorm(2, 4).double()
    gn.weight._data[:] = [1.0, 2.0, 3.0, 4.0]
    g = a.reshape(2, 2, -1)
    ref = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)).reshape(
        a.shape) * gn.weight._data[None, :, None, None]
    np.testing.assert_allclose(gn(x)._data, ref, rtol=1e-10)
    _check_module(gn, _t(RNG.standard_normal((2, 4, 2, 1))))


# ---------------------------------------------------------------- functional extras


def test_one_hot_and_pad():
    oh = F.one_hot(ad.tensor([0, 2, 1]), 4)
    assert oh.dtype == np.int64
    np.testing.assert_array_equal(oh._data, np.eye(4, dtype=np.int64)[[0, 2, 1]])
    assert F.one_hot(ad.tensor([[1], [3]])).shape == (2, 1, 4)
    with pytest.raises(ValueError):
        F.one_hot(ad.tensor([0, 5]), 3)
    with pytest.raises(TypeError):
        F.one_hot(ad.tensor([0.0]))
    x = _t(RNG.standard_normal((2, 3, 4)))
    for mode, np_mode in (("constant", "constant"), ("reflect", "reflect"),
                          ("replicate", "edge"), ("circular", "wrap")):
        out = F.pad(x, (1, 2, 2, 1), mode=mode)
        np.testing.assert_array_equal(out._data, np.pad(x._data, ((0, 0), (2, 1), (1, 2)),
                                                       mode=np_mode))
        assert ad.gradcheck(lambda a: F.pad(a, (1, 2, 2, 1), mode=mode), (x,))
    np.testing.assert_array_equal(F.pad(x, (1, 1), value=3.5)._data[..., 0], 3.5)
    np.testing.assert_array_equal(F.pad(x, (-1, 1))._data,
                                  np.pad(x._data[..., 1:], ((0, 0), (0, 0), (0, 1))))
    with pytest.raises(ValueError):
        F.pad(x, (1, 2, 3))


def test_linear_shape_error_names_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        F.linear(ad.randn(2, 3), ad.randn(4, 5))


@pytest.mark.parametrize("fn", [F.batch_norm, F.layer_norm])
def test_norm_double_backward(fn):
    x = _t(RNG.standard_normal((4, 3)))
    w = _t(RNG.standard_normal(3))
    if fn is F.batch_norm:
        f = lambda a, ww: F.batch_norm(a, None, None, ww, None, training=True)  # noqa: E731
    else:
        f = lambda a, ww: F.layer_norm(a, (3,), ww)  # noqa: E731
    assert ad.gradgradcheck(f, (x, w), atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("shape", [(4,), (2, 4), (2, 5, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_functional_linear_grads_and_double_backward(shape, bias):
    w = _t(RNG.standard_normal((3, 4)))
    b = _t(RNG.standard_normal(3)) if bias else None
    x = _t(RNG.standard_normal(shape))
    np.testing.assert_allclose(F.linear(x, w, b)._data,
                               x._data @ w._data.T + (b._data if bias else 0), rtol=1e-12)
    args = (x, w, b) if bias else (x, w)
    assert ad.gradcheck(lambda *a: F.linear(*a), args)
    assert ad.gradgradcheck(lambda *a: F.linear(*a), args)


def test_elu_expm1_forward_exp_backward_as_pytorch():
    # value alpha*expm1(x): exact near 0, where exp(x) - 1 loses every digit
    x = _t([-1e-10, -50.0, 0.0, 2.0, np.nan])
    y = F.elu(x, alpha=1.3)
    np.testing.assert_allclose(y._data[:4], [1.3 * np.expm1(-1e-10), 1.3 * np.expm1(-50.0), 0.0,
                                            2.0], rtol=1e-15)
    assert np.isnan(y._data[4])
    # slope alpha*exp(x) (not out + alpha, which is 0 at -50 in float32); NaN passes g
    g, = ad.grad(y, x, ad.tensor(np.array([1.0, 1.0, 1.0, 1.0, 3.0])), create_graph=True)
    np.testing.assert_allclose(g._data, [1.3 * np.exp(-1e-10), 1.3 * np.exp(-50.0), 1.3, 1.0, 3.0],
                               rtol=1e-15)
    x32 = ad.tensor(np.array([-50.0], np.float32), requires_grad=True)
    F.elu(x32).backward(ad.ones(1))
    assert x32.grad.dtype == np.float32 and x32.grad._data[0] > 0
    np.testing.assert_allclose(x32.grad._data, [np.exp(np.float32(-50))], rtol=1e-6)
    # second derivative alpha*exp(x) below 0, and 0 at 0 and above (PyTorch's double backward)
    h, = ad.grad(g.sum(), x)
    np.testing.assert_allclose(h._data[:4], [1.3 * np.exp(-1e-10), 1.3 * np.exp(-50.0), 0, 0],
                               rtol=1e-15)
