"""nn.models builders: shapes, structure, the GAN step and the contractive penalty (fast)."""
import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.models as M
from autodiff import nn, optim


def test_mlp_shapes_and_layers():
    m = M.MLP(64, [32, 16], 10)
    assert m(ad.randn(5, 1, 8, 8)).shape == (5, 10)
    linears = [l for l in m.modules() if isinstance(l, nn.Linear)]
    assert [(l.in_features, l.out_features) for l in linears] == [(64, 32), (32, 16), (16, 10)]
    assert sum(isinstance(l, nn.ReLU) for l in m.modules()) == 2
    m = M.MLP(3, 4, 2, activation="tanh", dropout=0.5)
    assert any(isinstance(l, nn.Tanh) for l in m.modules())
    assert any(isinstance(l, nn.Dropout) for l in m.modules())
    with pytest.raises(ValueError, match="activation"):
        M.MLP(3, 4, 2, activation="swishy")


def test_lenet_structure_and_shapes():
    m = M.LeNet()
    assert M.CNN is M.LeNet
    kinds = [type(l).__name__ for l in m.features]
    assert kinds == ["Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d"]
    assert m(ad.randn(3, 1, 8, 8)).shape == (3, 10)
    m = M.LeNet(in_channels=3, num_classes=4, image_size=16)
    assert m(ad.randn(2, 3, 16, 16)).shape == (2, 4)
    with pytest.raises(ValueError, match="divisible by 4"):
        M.LeNet(image_size=10)


def test_lstm_classifier_uses_last_hidden_state():
    m = M.LSTMClassifier(input_size=8, hidden_size=12, num_classes=5)
    x = ad.randn(4, 7, 8)
    out = m(x)
    assert out.shape == (4, 5)
    _, (h, _) = m.lstm(x)
    np.testing.assert_allclose(out._data, m.fc(h[-1])._data, rtol=1e-6)
    # the prediction depends on the first time step too (it is carried through the sequence)
    x2 = ad.Tensor(x._data.copy())
    x2._data[:, 0] += 1.0
    assert not np.allclose(m(x2)._data, out._data)


class CountingAdam(optim.Adam):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.steps = 0

    def step(self, closure=None):
        self.steps += 1
        return super().step(closure)


def _snapshot(module):
    return {k: v._data.copy() for k, v in module.named_parameters()}


def test_gan_train_step_k_discriminator_steps_then_one_generator_step():
    ad.manual_seed(0)
    gan = M.GAN(latent_dim=2, data_dim=2, hidden=16)
    d_opt = CountingAdam(gan.discriminator.parameters(), lr=1e-2)
    g_opt = CountingAdam(gan.generator.parameters(), lr=1e-2)
    real = [ad.randn(32, 2) for _ in range(3)]
    g0, d0 = _snapshot(gan.generator), _snapshot(gan.discriminator)
    dl, gl = gan.train_step(real, d_opt, g_opt)
    assert d_opt.steps == 3 and g_opt.steps == 1
    assert isinstance(dl, float) and isinstance(gl, float)
    g1, d1 = _snapshot(gan.generator), _snapshot(gan.discriminator)
    assert all(not np.array_equal(g0[k], g1[k]) for k in g0)
    assert all(not np.array_equal(d0[k], d1[k]) for k in d0)
    # D's requires_grad flags are restored after the generator step
    assert all(p.requires_grad for p in gan.discriminator.parameters())
    with pytest.raises(ValueError):
        gan.train_step([], d_opt, g_opt)


class SnapshotAdam(optim.Adam):
    """Remembers the parameters right after its last step."""

    def step(self, closure=None):
        out = super().step(closure)
        self.after = [p._data.copy() for g in self.param_groups for p in g["params"]]
        return out


def test_gan_generator_step_leaves_discriminator_alone():
    ad.manual_seed(1)
    gan = M.GAN(hidden=8)
    d_opt = SnapshotAdam(gan.discriminator.parameters(), lr=1e-2)
    g_opt = optim.Adam(gan.generator.parameters(), lr=1e-2)
    gan.train_step(ad.randn(16, 2), d_opt, g_opt)
    for p, snap in zip(gan.discriminator.parameters(), d_opt.after):
        np.testing.assert_array_equal(p._data, snap)
        assert p.grad is not None  # D's grads are from its own step, untouched by G's step


def test_nonsaturating_loss_keeps_gradient_where_saturating_loss_vanishes():
    """When D confidently rejects a fake (logit -8, D = 3e-4), -log D(G(z)) still has
    gradient ~1 with respect to the logit; the saturating log(1 - D(G(z))) has ~3e-4."""
    gan = M.GAN(hidden=8)
    logit = ad.Tensor(np.full((4, 1), -8.0), requires_grad=True)

    class Identity(nn.Module):
        def forward(self, x):
            return x

    gan.discriminator = Identity()
    (ns,) = ad.grad(gan.generator_loss(logit), [logit])
    (sat,) = ad.grad(ad.log(1 - logit.sigmoid()).mean(), [logit])
    np.testing.assert_allclose(ns._data, -(1 - 1 / (1 + np.exp(8.0))) / 4, rtol=1e-6)
    assert np.abs(sat._data).max() < 1e-3


def test_mode_coverage():
    centers = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    s = np.concatenate([np.zeros((50, 2)), np.full((50, 2), [10.0, 0.05]), np.full((5, 2), 5.0)])
    covered, quality, counts = M.mode_coverage(s, centers, std=0.1)
    assert covered == 2 and counts.tolist() == [50, 50, 0]
    np.testing.assert_allclose(quality, 100 / 105)


# ---- autoencoders ------------------------------------------------------------------------------
def _closed_form_penalty(W, b, x):
    h = 1 / (1 + np.exp(-(x @ W.T + b)))
    return np.mean(np.sum((h * (1 - h)) ** 2 * np.sum(W ** 2, axis=1), axis=1))


def test_contractive_penalty_matches_sigmoid_closed_form():
    ad.manual_seed(0)
    cae = M.ContractiveAutoencoder(in_features=6, hidden=4).double()
    x = ad.Tensor(np.random.default_rng(0).random((5, 6)))
    W, b = cae.encoder[1].weight._data, cae.encoder[1].bias._data
    pen = cae.penalty(x)
    np.testing.assert_allclose(pen.item(), _closed_form_penalty(W, b, x._data), rtol=1e-10)


def test_jacobian_penalty_matches_per_unit_gradients():
    """The batched one-backward formulation equals summing ||grad h_j||^2 over units."""
    ad.manual_seed(3)
    enc = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3), nn.Sigmoid()).double()
    x = ad.Tensor(np.random.default_rng(1).normal(size=(4, 5)))
    total = 0.0
    for n in range(4):
        xn = ad.Tensor(x._data[n:n + 1], requires_grad=True)
        h = enc(xn)
        for j in range(3):
            (g,) = ad.grad(h[0, j], [xn], retain_graph=True)
            total += float((g._data ** 2).sum())
    np.testing.assert_allclose(M.jacobian_frobenius_sq(enc, x).item(), total / 4, rtol=1e-10)


def test_contractive_penalty_gradient_by_double_backward():
    """d penalty / d (W, b) through ad.grad(create_graph=True) vs central differences."""
    rng = np.random.default_rng(2)
    x = ad.Tensor(rng.random((3, 4)))
    W = ad.Tensor(rng.normal(size=(2, 4)), requires_grad=True)
    b = ad.Tensor(rng.normal(size=(2,)), requires_grad=True)

    def pen(W, b):
        return M.jacobian_frobenius_sq(lambda v: (v @ W.T + b).sigmoid(), x)

    assert ad.gradcheck(pen, (W, b))
    gW, gb = ad.grad(pen(W, b), [W, b])
    eps = 1e-6
    Wp, Wm = W._data.copy(), W._data.copy()
    Wp[1, 2] += eps
    Wm[1, 2] -= eps
    num = (_closed_form_penalty(Wp, b._data, x._data) - _closed_form_penalty(Wm, b._data, x._data))
    np.testing.assert_allclose(gW._data[1, 2], num / (2 * eps), rtol=1e-6)


def test_contractive_loss_parts_and_backward_reaches_encoder_through_penalty():
    ad.manual_seed(0)
    cae = M.ContractiveAutoencoder(8, 3, lam=1.0)
    x = ad.rand(6, 8)
    total, parts = cae.loss(x)
    np.testing.assert_allclose(total.item(), parts["recon"] + parts["penalty"], rtol=1e-5)
    total.backward()
    assert all(p.grad is not None for p in cae.parameters())
    # the penalty alone moves the encoder but not the decoder
    cae.zero_grad()
    cae.penalty(x).backward()
    assert np.abs(cae.encoder[1].weight.grad._data).sum() > 0
    assert all(p.grad is None or np.all(p.grad._data == 0) for p in cae.decoder.parameters())


def test_denoising_corruption_and_loss():
    ad.manual_seed(0)
    dae = M.DenoisingAutoencoder(64, 16, corruption=0.25)
    x = ad.ones(200, 64)
    noisy = dae.corrupt(x)
    frac = (noisy._data == 0).mean()
    assert abs(frac - 0.25) < 0.02 and set(np.unique(noisy._data)) == {0.0, 1.0}
    gauss = M.DenoisingAutoencoder(64, 16, noise_std=0.1).corrupt(ad.zeros(100, 64))
    np.testing.assert_allclose(gauss._data.std(), 0.1, rtol=0.05)
    loss, parts = dae.loss(ad.rand(8, 64))
    assert loss.shape == () and parts["recon"] > 0
    assert dae(ad.rand(3, 1, 8, 8)).shape == (3, 64)
