"""Layer parity with torch 2.13: for each configuration, the same state_dict (copied across as
NumPy arrays) gives the same outputs, input gradients, parameter gradients and (BatchNorm)
running buffers, in float64 (rtol 1e-6) and float32."""
import numpy as np
import pytest

import autodiff as ad
from autodiff import nn

torch = pytest.importorskip("torch")
tnn = torch.nn

# (name, our constructor, torch constructor, input shape, train mode)
CASES = [
    ("linear", lambda: nn.Linear(5, 3), lambda: tnn.Linear(5, 3), (4, 5)),
    ("linear_nobias_3d", lambda: nn.Linear(5, 3, bias=False),
     lambda: tnn.Linear(5, 3, bias=False), (2, 3, 5)),
    ("identity", lambda: nn.Identity(7), lambda: tnn.Identity(7), (2, 3)),
    ("flatten", lambda: nn.Flatten(), lambda: tnn.Flatten(), (2, 3, 4)),
    ("flatten_0_1", lambda: nn.Flatten(0, 1), lambda: tnn.Flatten(0, 1), (2, 3, 4)),
    ("unflatten", lambda: nn.Unflatten(1, (2, 3)), lambda: tnn.Unflatten(1, (2, 3)), (4, 6)),
    ("conv1d", lambda: nn.Conv1d(3, 4, 3), lambda: tnn.Conv1d(3, 4, 3), (2, 3, 9)),
    ("conv1d_s2_p1_d2", lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1, dilation=2),
     lambda: tnn.Conv1d(3, 4, 3, stride=2, padding=1, dilation=2), (2, 3, 11)),
    ("conv1d_groups_nobias", lambda: nn.Conv1d(4, 6, 3, groups=2, bias=False),
     lambda: tnn.Conv1d(4, 6, 3, groups=2, bias=False), (2, 4, 8)),
    ("conv1d_same_even", lambda: nn.Conv1d(3, 2, 4, padding="same"),
     lambda: tnn.Conv1d(3, 2, 4, padding="same"), (2, 3, 7)),
    ("conv1d_reflect", lambda: nn.Conv1d(3, 2, 3, padding=2, padding_mode="reflect"),
     lambda: tnn.Conv1d(3, 2, 3, padding=2, padding_mode="reflect"), (2, 3, 7)),
    ("conv1d_unbatched", lambda: nn.Conv1d(3, 2, 3), lambda: tnn.Conv1d(3, 2, 3), (3, 7)),
    ("conv2d", lambda: nn.Conv2d(3, 4, 3), lambda: tnn.Conv2d(3, 4, 3), (2, 3, 7, 6)),
    ("conv2d_s21_p12", lambda: nn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 2)),
     lambda: tnn.Conv2d(3, 4, (3, 2), stride=(2, 1), padding=(1, 2)), (2, 3, 7, 6)),
    ("conv2d_dil2_groups", lambda: nn.Conv2d(4, 6, 3, dilation=2, groups=2),
     lambda: tnn.Conv2d(4, 6, 3, dilation=2, groups=2), (2, 4, 8, 8)),
    ("conv2d_depthwise", lambda: nn.Conv2d(3, 3, 3, groups=3, padding=1),
     lambda: tnn.Conv2d(3, 3, 3, groups=3, padding=1), (2, 3, 5, 5)),
    ("conv2d_same", lambda: nn.Conv2d(2, 3, (2, 3), padding="same", dilation=(1, 2)),
     lambda: tnn.Conv2d(2, 3, (2, 3), padding="same", dilation=(1, 2)), (2, 2, 6, 7)),
    ("conv2d_valid_nobias", lambda: nn.Conv2d(2, 3, 3, padding="valid", bias=False),
     lambda: tnn.Conv2d(2, 3, 3, padding="valid", bias=False), (2, 2, 5, 5)),
    ("conv2d_circular", lambda: nn.Conv2d(2, 3, 3, padding=1, padding_mode="circular"),
     lambda: tnn.Conv2d(2, 3, 3, padding=1, padding_mode="circular"), (2, 2, 5, 6)),
    ("conv2d_replicate", lambda: nn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="replicate"),
     lambda: tnn.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="replicate"), (2, 2, 5, 6)),
    ("conv2d_same_reflect", lambda: nn.Conv2d(2, 3, 4, padding="same", padding_mode="reflect"),
     lambda: tnn.Conv2d(2, 3, 4, padding="same", padding_mode="reflect"), (1, 2, 6, 6)),
    ("convT2d", lambda: nn.ConvTranspose2d(3, 4, 3), lambda: tnn.ConvTranspose2d(3, 4, 3),
     (2, 3, 4, 5)),
    ("convT2d_s2_p1_op1", lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1,
                                                     output_padding=1),
     lambda: tnn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), (2, 3, 4, 4)),
    ("convT2d_groups_dil_nobias", lambda: nn.ConvTranspose2d(4, 6, (2, 3), groups=2, dilation=2,
                                                             bias=False),
     lambda: tnn.ConvTranspose2d(4, 6, (2, 3), groups=2, dilation=2, bias=False), (2, 4, 3, 4)),
    ("maxpool1d", lambda: nn.MaxPool1d(3, stride=2, padding=1),
     lambda: tnn.MaxPool1d(3, stride=2, padding=1), (2, 3, 9)),
    ("maxpool2d", lambda: nn.MaxPool2d(2), lambda: tnn.MaxPool2d(2), (2, 3, 6, 6)),
    ("maxpool2d_ceil", lambda: nn.MaxPool2d(3, 2, 1, ceil_mode=True),
     lambda: tnn.MaxPool2d(3, 2, 1, ceil_mode=True), (2, 2, 6, 7)),
    ("maxpool2d_dil", lambda: nn.MaxPool2d(2, 1, dilation=2),
     lambda: tnn.MaxPool2d(2, 1, dilation=2), (1, 2, 6, 6)),
    ("avgpool2d", lambda: nn.AvgPool2d(2), lambda: tnn.AvgPool2d(2), (2, 3, 6, 6)),
    ("avgpool2d_pad_nocount", lambda: nn.AvgPool2d(3, 2, 1, count_include_pad=False),
     lambda: tnn.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 2, 7, 6)),
    ("avgpool2d_ceil_div", lambda: nn.AvgPool2d(3, 2, ceil_mode=True, divisor_override=4),
     lambda: tnn.AvgPool2d(3, 2, ceil_mode=True, divisor_override=4), (2, 2, 6, 6)),
    ("adaptive_avg2d", lambda: nn.AdaptiveAvgPool2d((3, 2)),
     lambda: tnn.AdaptiveAvgPool2d((3, 2)), (2, 3, 7, 5)),
    ("adaptive_avg2d_none", lambda: nn.AdaptiveAvgPool2d((3, None)),
     lambda: tnn.AdaptiveAvgPool2d((3, None)), (2, 2, 6, 4)),
    ("adaptive_avg2d_1", lambda: nn.AdaptiveAvgPool2d(1), lambda: tnn.AdaptiveAvgPool2d(1),
     (2, 3, 5, 5)),
    ("adaptive_avg1d", lambda: nn.AdaptiveAvgPool1d(3), lambda: tnn.AdaptiveAvgPool1d(3),
     (2, 3, 7)),
    ("groupnorm", lambda: nn.GroupNorm(2, 4), lambda: tnn.GroupNorm(2, 4), (3, 4, 5)),
    ("groupnorm_noaffine", lambda: nn.GroupNorm(3, 3, eps=1e-3, affine=False),
     lambda: tnn.GroupNorm(3, 3, eps=1e-3, affine=False), (2, 3, 2, 2)),
    ("bn1d_2d", lambda: nn.BatchNorm1d(4), lambda: tnn.BatchNorm1d(4), (8, 4)),
    ("bn1d_3d", lambda: nn.BatchNorm1d(4, momentum=0.3), lambda: tnn.BatchNorm1d(4, momentum=0.3),
     (5, 4, 3)),
    ("bn1d_cumulative", lambda: nn.BatchNorm1d(3, momentum=None),
     lambda: tnn.BatchNorm1d(3, momentum=None), (6, 3)),
    ("bn1d_nobias", lambda: nn.BatchNorm1d(3, bias=False),
     lambda: tnn.BatchNorm1d(3, bias=False), (6, 3)),
    ("bn1d_noaffine", lambda: nn.BatchNorm1d(3, affine=False, eps=1e-3),
     lambda: tnn.BatchNorm1d(3, affine=False, eps=1e-3), (6, 3)),
    ("bn1d_notrack", lambda: nn.BatchNorm1d(3, track_running_stats=False),
     lambda: tnn.BatchNorm1d(3, track_running_stats=False), (6, 3)),
    ("bn2d", lambda: nn.BatchNorm2d(3), lambda: tnn.BatchNorm2d(3), (4, 3, 5, 5)),
    ("layernorm", lambda: nn.LayerNorm(5), lambda: tnn.LayerNorm(5), (4, 5)),
    ("layernorm_2d", lambda: nn.LayerNorm((3, 5), eps=1e-3),
     lambda: tnn.LayerNorm((3, 5), eps=1e-3), (2, 3, 5)),
    ("layernorm_noaffine", lambda: nn.LayerNorm(5, elementwise_affine=False),
     lambda: tnn.LayerNorm(5, elementwise_affine=False), (4, 5)),
    ("layernorm_nobias", lambda: nn.LayerNorm(5, bias=False),
     lambda: tnn.LayerNorm(5, bias=False), (4, 5)),
    ("relu", nn.ReLU, tnn.ReLU, (4, 5)),
    ("leaky_relu", lambda: nn.LeakyReLU(0.2), lambda: tnn.LeakyReLU(0.2), (4, 5)),
    ("elu", lambda: nn.ELU(0.5), lambda: tnn.ELU(0.5), (4, 5)),
    ("selu", nn.SELU, tnn.SELU, (4, 5)),
    ("gelu", nn.GELU, tnn.GELU, (4, 5)),
    ("gelu_tanh", lambda: nn.GELU("tanh"), lambda: tnn.GELU("tanh"), (4, 5)),
    ("sigmoid", nn.Sigmoid, tnn.Sigmoid, (4, 5)),
    ("tanh", nn.Tanh, tnn.Tanh, (4, 5)),
    ("softplus", nn.Softplus, tnn.Softplus, (4, 5)),
    ("softplus_beta_thr", lambda: nn.Softplus(beta=2, threshold=1.5),
     lambda: tnn.Softplus(beta=2, threshold=1.5), (4, 5)),
    ("silu", nn.SiLU, tnn.SiLU, (4, 5)),
    ("logsigmoid", nn.LogSigmoid, tnn.LogSigmoid, (4, 5)),
    ("softmax", lambda: nn.Softmax(dim=1), lambda: tnn.Softmax(dim=1), (3, 4, 2)),
    ("softmin", lambda: nn.Softmin(dim=1), lambda: tnn.Softmin(dim=1), (3, 4)),
    ("hardtanh", lambda: nn.Hardtanh(-0.5, 0.8), lambda: tnn.Hardtanh(-0.5, 0.8), (4, 5)),
    ("relu6", nn.ReLU6, tnn.ReLU6, (4, 5)),
    ("threshold", lambda: nn.Threshold(0.1, -2.0), lambda: tnn.Threshold(0.1, -2.0), (4, 5)),
    ("prelu", nn.PReLU, tnn.PReLU, (4, 5)),
    ("prelu_channels", lambda: nn.PReLU(3, 0.1), lambda: tnn.PReLU(3, 0.1), (2, 3, 4)),
    ("softsign", nn.Softsign, tnn.Softsign, (4, 5)),
    ("mish", nn.Mish, tnn.Mish, (4, 5)),
    ("hardsigmoid", nn.Hardsigmoid, tnn.Hardsigmoid, (4, 5)),
    ("hardswish", nn.Hardswish, tnn.Hardswish, (4, 5)),
    ("logsoftmax", lambda: nn.LogSoftmax(dim=-1), lambda: tnn.LogSoftmax(dim=-1), (3, 4)),
    ("sequential_mlp", lambda: nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2)),
     lambda: tnn.Sequential(tnn.Linear(4, 6), tnn.Tanh(), tnn.Linear(6, 2)), (3, 4)),
    ("cnn", lambda: nn.Sequential(nn.Conv2d(1, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(),
                                  nn.MaxPool2d(2), nn.Flatten(), nn.Linear(12, 2)),
     lambda: tnn.Sequential(tnn.Conv2d(1, 3, 3, padding=1), tnn.BatchNorm2d(3), tnn.ReLU(),
                            tnn.MaxPool2d(2), tnn.Flatten(), tnn.Linear(12, 2)), (2, 1, 4, 4)),
]

DTYPES = [(np.float64, torch.float64, 1e-6, 1e-9), (np.float32, torch.float32, 2e-4, 1e-5)]


def _pair(ours_fn, theirs_fn, dtype, tdtype):
    ours = ours_fn()
    theirs = theirs_fn().to(tdtype)
    if dtype == np.float64:
        ours.double()
    # our state -> theirs, as NumPy arrays (the direction a user would port a model)
    sd = {k: torch.from_numpy(np.array(v.numpy())) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(sd)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for (n, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert tuple(p.shape) == tuple(q.shape), n
    return ours, theirs


# train and eval only differ for BatchNorm (and models holding it)
MODES = [(c, True) for c in CASES] + [(c, False) for c in CASES if c[0].startswith(("bn", "cnn"))]


@pytest.mark.parametrize("dtype,tdtype,rtol,atol", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("name,ours_fn,theirs_fn,shape,train", [c + (t,) for c, t in MODES],
                         ids=[c[0] + ("-train" if t else "-eval") for c, t in MODES])
def test_layer_parity(name, ours_fn, theirs_fn, shape, train, dtype, tdtype, rtol, atol):
    ours, theirs = _pair(ours_fn, theirs_fn, dtype, tdtype)
    ours.train(train)
    theirs.train(train)
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    x_np = rng.standard_normal(shape).astype(dtype)
    if name in ("relu6", "hardsigmoid", "hardswish"):
        x_np *= 5  # reach both clipping ends
    x = ad.tensor(x_np, requires_grad=True)
    xt = torch.tensor(x_np, requires_grad=True)
    for _ in range(2):  # twice: BatchNorm running stats evolve (and momentum=None averages)
        out = ours(x)
        out_t = theirs(xt)
        np.testing.assert_allclose(out._data, out_t.detach().numpy(), rtol=rtol, atol=atol)
        assert out.dtype == dtype
    g = rng.standard_normal(out.shape).astype(dtype)
    out.backward(ad.tensor(g))
    out_t.backward(torch.from_numpy(g))
    np.testing.assert_allclose(x.grad._data, xt.grad.numpy(), rtol=rtol, atol=atol)
    tparams = dict(theirs.named_parameters())
    for n, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad._data, tparams[n].grad.numpy(), rtol=rtol,
                                   atol=atol * 10, err_msg=n)
    tstate = theirs.state_dict()
    for k, v in ours.state_dict().items():
        np.testing.assert_allclose(v._data, tstate[k].numpy(), rtol=rtol, atol=atol, err_msg=k)


@pytest.mark.parametrize("dtype,tdtype,rtol,atol", DTYPES, ids=["f64", "f32"])
@pytest.mark.parametrize("padding_idx,max_norm", [(None, None), (2, None), (-1, None),
                                                  (None, 1.0)])
def test_embedding_parity(padding_idx, max_norm, dtype, tdtype, rtol, atol):
    ours, theirs = _pair(lambda: nn.Embedding(6, 3, padding_idx=padding_idx, max_norm=max_norm),
                         lambda: tnn.Embedding(6, 3, padding_idx=padding_idx,
                                               max_norm=max_norm),
                         dtype, tdtype)
    idx = np.array([[0, 2, 5, 2], [1, 5, 3, 4]])
    out = ours(ad.tensor(idx))
    out_t = theirs(torch.from_numpy(idx))
    np.testing.assert_allclose(out._data, out_t.detach().numpy(), rtol=rtol, atol=atol)
    g = np.random.default_rng(0).standard_normal(out.shape).astype(dtype)
    out.backward(ad.tensor(g))
    out_t.backward(torch.from_numpy(g))
    np.testing.assert_allclose(ours.weight.grad._data, theirs.weight.grad.numpy(), rtol=rtol,
                               atol=atol)
    np.testing.assert_allclose(ours.weight._data, theirs.weight.detach().numpy(), rtol=rtol,
                               atol=atol)


def test_conv_transpose_output_size_parity():
    ours, theirs = _pair(lambda: nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1),
                         lambda: tnn.ConvTranspose2d(2, 3, 3, stride=2, padding=1),
                         np.float64, torch.float64)
    x = np.random.default_rng(1).standard_normal((1, 2, 4, 4))
    out = ours(ad.tensor(x), output_size=(8, 8))
    out_t = theirs(torch.from_numpy(x), output_size=(8, 8))
    assert tuple(out.shape) == tuple(out_t.shape) == (1, 3, 8, 8)
    np.testing.assert_allclose(out._data, out_t.detach().numpy(), rtol=1e-10)
    with pytest.raises(ValueError):
        ours(ad.tensor(x), output_size=(10, 10))


def test_batchnorm_eval_after_training_parity():
    ours, theirs = _pair(lambda: nn.BatchNorm2d(3, momentum=None),
                         lambda: tnn.BatchNorm2d(3, momentum=None), np.float64, torch.float64)
    rng = np.random.default_rng(2)
    for _ in range(3):
        x = rng.standard_normal((4, 3, 2, 2)) * 3 + 1
        ours(ad.tensor(x)), theirs(torch.from_numpy(x))
    ours.eval(), theirs.eval()
    x = rng.standard_normal((2, 3, 2, 2))
    np.testing.assert_allclose(ours(ad.tensor(x))._data,
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-10)
    assert int(ours.num_batches_tracked._data) == 3


@pytest.mark.parametrize("name,ours_fn,theirs_fn", [
    ("linear", lambda: nn.Linear(4, 3), lambda: tnn.Linear(4, 3)),
    ("conv2d", lambda: nn.Conv2d(4, 6, (3, 2), groups=2, bias=False),
     lambda: tnn.Conv2d(4, 6, (3, 2), groups=2, bias=False)),
    ("convT", lambda: nn.ConvTranspose2d(4, 6, 3, groups=2),
     lambda: tnn.ConvTranspose2d(4, 6, 3, groups=2)),
    ("bn", lambda: nn.BatchNorm1d(3), lambda: tnn.BatchNorm1d(3)),
    ("ln", lambda: nn.LayerNorm((2, 3)), lambda: tnn.LayerNorm((2, 3))),
    ("emb", lambda: nn.Embedding(5, 2, padding_idx=1), lambda: tnn.Embedding(5, 2, padding_idx=1)),
    ("dropout", lambda: nn.Dropout(0.3), lambda: tnn.Dropout(0.3)),
    ("pool", lambda: nn.MaxPool2d(3, 2, 1), lambda: tnn.MaxPool2d(3, 2, 1)),
    ("avg", lambda: nn.AvgPool2d(3, 2, 1), lambda: tnn.AvgPool2d(3, 2, 1)),
    ("act", lambda: nn.LeakyReLU(0.2), lambda: tnn.LeakyReLU(0.2)),
    ("gelu", lambda: nn.GELU("tanh"), lambda: tnn.GELU("tanh")),
    ("softplus", lambda: nn.Softplus(2, 10), lambda: tnn.Softplus(2, 10)),
    ("hardtanh", lambda: nn.Hardtanh(-2, 3), lambda: tnn.Hardtanh(-2, 3)),
    ("relu6", lambda: nn.ReLU6(), lambda: tnn.ReLU6()),
    ("prelu", lambda: nn.PReLU(3), lambda: tnn.PReLU(3)),
    ("threshold", lambda: nn.Threshold(0.5, 1.0), lambda: tnn.Threshold(0.5, 1.0)),
    ("mish", lambda: nn.Mish(), lambda: tnn.Mish()),
    ("groupnorm", lambda: nn.GroupNorm(2, 6), lambda: tnn.GroupNorm(2, 6)),
    ("groupnorm_nobias", lambda: nn.GroupNorm(2, 6, bias=False),
     lambda: tnn.GroupNorm(2, 6, bias=False)),
    ("adaptive", lambda: nn.AdaptiveAvgPool2d((2, None)),
     lambda: tnn.AdaptiveAvgPool2d((2, None))),
    ("dropout2d", lambda: nn.Dropout2d(0.2), lambda: tnn.Dropout2d(0.2)),
    ("conv1d_reflect", lambda: nn.Conv1d(2, 2, 3, padding="same", padding_mode="reflect"),
     lambda: tnn.Conv1d(2, 2, 3, padding="same", padding_mode="reflect")),
])
def test_names_shapes_dtypes_and_repr_match(name, ours_fn, theirs_fn):
    ours, theirs = ours_fn(), theirs_fn()
    assert repr(ours) == repr(theirs)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert list(sd) == list(tsd)
    for k in sd:
        assert tuple(sd[k].shape) == tuple(tsd[k].shape), k
        assert str(sd[k].dtype) == str(tsd[k].dtype).replace("torch.", "autodiff."), k


def test_nested_repr_matches_torch():
    ours = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.Sequential(nn.Flatten(), nn.Linear(4, 2)),
                         nn.ModuleList([nn.Tanh(), nn.Tanh(), nn.Sigmoid()]),
                         nn.ModuleDict({"a": nn.Identity()}), nn.Unflatten(1, (2, 1)))
    theirs = tnn.Sequential(tnn.Conv2d(1, 4, 3, padding=1), tnn.BatchNorm2d(4), tnn.ReLU(),
                            tnn.Sequential(tnn.Flatten(), tnn.Linear(4, 2)),
                            tnn.ModuleList([tnn.Tanh(), tnn.Tanh(), tnn.Sigmoid()]),
                            tnn.ModuleDict({"a": tnn.Identity()}), tnn.Unflatten(1, (2, 1)))
    assert repr(ours) == repr(theirs)


def test_state_dict_loads_from_torch_model():
    """The other direction: a torch model's state_dict, as NumPy arrays, loads into ours."""
    theirs = tnn.Sequential(tnn.Linear(3, 5), tnn.BatchNorm1d(5), tnn.ReLU(), tnn.Linear(5, 2))
    theirs.train()
    theirs(torch.randn(8, 3))
    theirs.eval()
    ours = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2)).eval()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    again = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2)).eval()
    again.load_state_dict(theirs.state_dict())  # torch Tensors directly (converted to NumPy)
    for k, v in again.state_dict().items():
        np.testing.assert_array_equal(v._data, theirs.state_dict()[k].numpy())
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(ours(ad.tensor(x))._data,
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("pad,mode,value", [((1, 2), "constant", 0.5), ((1, 0, 2, 1), "reflect",
                                                                        None),
                                            ((2, 1, 0, 1), "replicate", None),
                                            ((1, 1, 1, 1), "circular", None),
                                            ((-1, 2, 1, -1), "constant", None)])
def test_functional_pad_parity(pad, mode, value):
    import autodiff.nn.functional as F
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    a = ad.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    kw = {} if value is None else {"value": value}
    out, out_t = F.pad(a, pad, mode=mode, **kw), torch.nn.functional.pad(b, pad, mode=mode, **kw)
    np.testing.assert_array_equal(out._data, out_t.detach().numpy())
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(ad.tensor(g))
    out_t.backward(torch.from_numpy(g))
    np.testing.assert_allclose(a.grad._data, b.grad.numpy(), rtol=1e-12)


def test_functional_one_hot_embedding_parity():
    import autodiff.nn.functional as F
    idx = np.array([[0, 3], [2, 2]])
    np.testing.assert_array_equal(F.one_hot(ad.tensor(idx), 5)._data,
                                  torch.nn.functional.one_hot(torch.from_numpy(idx), 5).numpy())
    np.testing.assert_array_equal(F.one_hot(ad.tensor(idx))._data,
                                  torch.nn.functional.one_hot(torch.from_numpy(idx)).numpy())
    w = np.random.default_rng(0).standard_normal((4, 3))
    a, b = ad.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    out = F.embedding(ad.tensor(idx), a, padding_idx=2)
    out_t = torch.nn.functional.embedding(torch.from_numpy(idx), b, padding_idx=2)
    np.testing.assert_array_equal(out._data, out_t.detach().numpy())
    out.sum().backward()
    out_t.sum().backward()
    np.testing.assert_array_equal(a.grad._data, b.grad.numpy())
