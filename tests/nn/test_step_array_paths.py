"""Session 8's array paths of the small models: BCEWithLogits.backward_arrays (the engine's
path without create_graph) gives bit for bit what its differentiable backward gives, and
torch's values, gradients and double backward; _launch.matmul's outer product (inner
dimension 1) equals np.matmul bit for bit, special values included; the cached kernel
constants keep -0.0 and 0.0 apart."""
import numpy as np
import pytest

import autodiff as ad
from autodiff.kernels import _launch
from autodiff.kernels import elementwise as KE
from autodiff.ops import loss as loss_ops
from nn import functional as F

RNG = np.random.default_rng(19)


def _logits(shape, dtype):
    a = (RNG.standard_normal(shape) * 4).astype(dtype)
    flat = a.reshape(-1)
    flat[:4] = [0.0, -0.0, 40.0, -40.0][:flat.size]
    return a


def _grads(x, t, reduction, create_graph, seed=None):
    xt = ad.tensor(x, requires_grad=True)
    tt = ad.tensor(t, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(xt, tt, reduction=reduction)
    g = None if seed is None else ad.tensor(seed)
    if loss.ndim and g is None:
        g = ad.ones_like(loss)
    gx, gt = ad.grad(loss, (xt, tt), g, create_graph=create_graph)
    return loss._data, gx._data, gt._data


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(128, 1), (3, 5), (7,)])
def test_bce_backward_arrays_equal_backward_bit_for_bit(shape, reduction, dtype):
    x, t = _logits(shape, dtype), RNG.uniform(0, 1, shape).astype(dtype)
    seed = (RNG.standard_normal(shape).astype(dtype) if reduction == "none" else None)
    _, gx_arrays, gt_arrays = _grads(x, t, reduction, False, seed)   # backward_arrays
    _, gx_tensor, gt_tensor = _grads(x, t, reduction, True, seed)    # backward (recorded)
    assert gx_arrays.dtype == gx_tensor.dtype == dtype
    np.testing.assert_array_equal(gx_arrays, gx_tensor)
    np.testing.assert_array_equal(gt_arrays, gt_tensor)
    assert np.array_equal(np.signbit(gx_arrays), np.signbit(gx_tensor))


def test_bce_backward_arrays_is_the_path_taken_without_create_graph(monkeypatch):
    calls = []
    real = loss_ops.BCEWithLogits.backward_arrays

    def spy(ctx, g):
        calls.append(g.shape)
        return real(ctx, g)

    monkeypatch.setattr(loss_ops.BCEWithLogits, "backward_arrays", staticmethod(spy))
    x = ad.tensor(_logits((4, 1), np.float32), requires_grad=True)
    F.binary_cross_entropy_with_logits(x, ad.ones_like(x)).backward()
    assert calls == [()]
    assert x.grad is not None and x.grad.shape == (4, 1)


@pytest.mark.parametrize("xdt, tdt", [(np.float32, np.float64), (np.float64, np.float32)])
def test_bce_backward_arrays_mixed_dtypes_follow_backward(xdt, tdt):
    x, t = _logits((6, 2), xdt), RNG.uniform(0, 1, (6, 2)).astype(tdt)
    _, gx_a, gt_a = _grads(x, t, "mean", False)
    _, gx_t, gt_t = _grads(x, t, "mean", True)
    assert gx_a.dtype == gx_t.dtype and gt_a.dtype == gt_t.dtype
    np.testing.assert_array_equal(gx_a, gx_t)
    np.testing.assert_array_equal(gt_a, gt_t)


def test_bce_backward_arrays_zero_dim_input():
    x = ad.tensor(np.float32(-1.5), requires_grad=True)
    t = ad.tensor(np.float32(0.25), requires_grad=True)
    F.binary_cross_entropy_with_logits(x, t).backward()
    s = 1 / (1 + np.exp(np.float32(1.5)))
    np.testing.assert_allclose(x.grad._data, s - np.float32(0.25), rtol=1e-6)
    np.testing.assert_allclose(t.grad._data, 1.5, rtol=1e-6)
    assert x.grad.shape == () and x.grad.dtype == np.float32


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_bce_with_logits_matches_torch_forward_backward_double_backward(reduction):
    torch = pytest.importorskip("torch")
    x0, t0 = _logits((16, 1), np.float64), RNG.uniform(0, 1, (16, 1))
    x, t = ad.tensor(x0, requires_grad=True), ad.tensor(t0, requires_grad=True)
    xt, tt = torch.tensor(x0, requires_grad=True), torch.tensor(t0, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, t, reduction=reduction)
    want = torch.nn.functional.binary_cross_entropy_with_logits(xt, tt, reduction=reduction)
    np.testing.assert_allclose(loss._data, want.detach().numpy(), rtol=1e-12, atol=1e-14)
    # backward (the array path) against torch
    seed = RNG.standard_normal(loss.shape)
    loss.backward(ad.tensor(seed))
    want.backward(torch.tensor(seed))
    np.testing.assert_allclose(x.grad._data, xt.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(t.grad._data, tt.grad.numpy(), rtol=1e-12, atol=1e-15)
    # double backward: d/dx of sum(dL/dx * v)
    v = RNG.standard_normal(x0.shape)
    x2, xt2 = ad.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    (gx,) = ad.grad(F.binary_cross_entropy_with_logits(x2, ad.tensor(t0), reduction=reduction)
                    .sum(), x2, create_graph=True)
    (gxt,) = torch.autograd.grad(torch.nn.functional.binary_cross_entropy_with_logits(
        xt2, torch.tensor(t0), reduction=reduction).sum(), xt2, create_graph=True)
    (ggx,) = ad.grad((gx * ad.tensor(v)).sum(), x2)
    (ggxt,) = torch.autograd.grad((gxt * torch.tensor(v)).sum(), xt2)
    np.testing.assert_allclose(ggx._data, ggxt.numpy(), rtol=1e-10, atol=1e-15)


def test_gan_step_losses_and_gradients_match_torch():
    """The discriminator's step of the GAN (LeakyReLU MLP ending in Linear(64, 1), BCE with
    logits): the outer-product input gradient and the BCE array path, against torch."""
    torch = pytest.importorskip("torch")
    import nn
    D = nn.Sequential(nn.Linear(2, 64), nn.LeakyReLU(0.2), nn.Linear(64, 64),
                      nn.LeakyReLU(0.2), nn.Linear(64, 1))
    TD = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.LeakyReLU(0.2),
                             torch.nn.Linear(64, 64), torch.nn.LeakyReLU(0.2),
                             torch.nn.Linear(64, 1))
    with torch.no_grad():
        for ours, theirs in zip(D.parameters(), TD.parameters()):
            theirs.copy_(torch.from_numpy(ours._data))
    r = RNG.standard_normal((128, 2)).astype(np.float32)
    f = RNG.standard_normal((128, 2)).astype(np.float32)
    fake, fake_t = ad.tensor(f, requires_grad=True), torch.tensor(f, requires_grad=True)
    bce, tbce = F.binary_cross_entropy_with_logits, torch.nn.functional.binary_cross_entropy_with_logits
    dr, df = D(ad.tensor(r)), D(fake)
    loss = bce(dr, ad.ones_like(dr)) + bce(df, ad.zeros_like(df))
    tr, tf = TD(torch.from_numpy(r)), TD(fake_t)
    tloss = tbce(tr, torch.ones_like(tr)) + tbce(tf, torch.zeros_like(tf))
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(loss._data, tloss.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(fake.grad._data, fake_t.grad.numpy(), rtol=1e-4, atol=1e-7)
    for ours, theirs in zip(D.parameters(), TD.parameters()):
        np.testing.assert_allclose(ours.grad._data, theirs.grad.numpy(), rtol=1e-4, atol=1e-7)


# --------------------------------------------------------------------- outer-product matmul


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, n", [(128, 64), (1, 1), (3, 5), (1000, 300), (7, 1)])
def test_outer_product_equals_numpy_matmul_bit_for_bit(m, n, dtype):
    g = RNG.standard_normal((m, 1)).astype(dtype)
    w = RNG.standard_normal((1, n)).astype(dtype)
    g[::7] = -0.0
    g[1::11] = np.inf
    g[2::17] = -np.inf
    w[0, ::5] = 0.0
    w[0, 1::13] = np.nan
    w[0, 3::9] = -0.0
    with np.errstate(all="ignore"):
        want = np.matmul(g, w)
        got = _launch.matmul(g, w)
    assert got.dtype == want.dtype and got.shape == want.shape
    bits = np.uint32 if dtype == np.float32 else np.uint64
    np.testing.assert_array_equal(got.view(bits), want.view(bits))
    # a product of -0.0 comes out +0.0, as BLAS's sum from +0.0
    assert not np.signbit(got[::7][np.isfinite(got[::7])]).any()


def test_outer_product_path_leaves_other_shapes_to_blas():
    # inner dimension not 1, a transposed view, a mismatch, mixed dtypes: np.matmul's result
    # or its error, unchanged
    a = RNG.standard_normal((5, 1)).astype(np.float32)
    b = RNG.standard_normal((1, 4))
    np.testing.assert_array_equal(_launch.matmul(a, b), np.matmul(a, b))  # float32 @ float64
    wt = RNG.standard_normal((4, 1)).astype(np.float32).T
    np.testing.assert_array_equal(_launch.matmul(a, wt), np.matmul(a, wt))
    with pytest.raises(ValueError):
        _launch.matmul(RNG.standard_normal((5, 3)), RNG.standard_normal((1, 3)))


def test_linear_with_one_input_feature_matches_torch():
    torch = pytest.importorskip("torch")
    import nn
    lin = nn.Linear(1, 8)
    tl = torch.nn.Linear(1, 8)
    with torch.no_grad():
        tl.weight.copy_(torch.from_numpy(lin.weight._data))
        tl.bias.copy_(torch.from_numpy(lin.bias._data))
    x0 = RNG.standard_normal((32, 1)).astype(np.float32)
    x, xt = ad.tensor(x0, requires_grad=True), torch.tensor(x0, requires_grad=True)
    y, yt = lin(x), tl(xt)
    np.testing.assert_allclose(y._data, yt.detach().numpy(), rtol=1e-6, atol=1e-7)
    (y * y).sum().backward()
    (yt * yt).sum().backward()
    np.testing.assert_allclose(x.grad._data, xt.grad.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lin.weight.grad._data, tl.weight.grad.numpy(), rtol=1e-5)


# --------------------------------------------------------------------- cached kernel constants


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_leaky_relu_slope_signed_zeros_stay_apart(dtype):
    a = -np.abs(RNG.standard_normal(256)).astype(dtype) - 0.5
    for slope in (0.0, -0.0, 0.0, -0.0):
        out, scale = KE.leaky_relu_forward(a, slope)
        want, want_scale = KE.leaky_relu_forward_ref(a, slope)
        assert np.array_equal(np.signbit(out), np.signbit(want))
        assert np.array_equal(np.signbit(scale), np.signbit(want_scale))
        assert np.signbit(out).all() == (slope == 0 and not np.signbit(slope))


@pytest.mark.parametrize("slope", [0.2, 1, np.float32(0.2), np.float64(0.3), -2.5])
def test_leaky_relu_kernel_constants_in_the_array_dtype(slope):
    a = RNG.standard_normal((128, 64)).astype(np.float32)
    out, scale = KE.leaky_relu_forward(a, slope)
    want, want_scale = KE.leaky_relu_forward_ref(a, slope)
    assert out.dtype == scale.dtype == np.float32
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(scale, want_scale)
