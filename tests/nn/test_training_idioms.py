"""Everyday PyTorch idioms of training scripts, each against torch 2.13 (float64 where
numeric): no_grad on methods, inference_mode, post-accumulate-grad hooks, module backward
hooks, named_modules(remove_duplicate=), ParameterList/ParameterDict, scaled_dot_product_attention
(is_causal=), weight_norm (parametrization and the old form), masked_fill_ with broadcast
masks, F.normalize / cosine_similarity / pairwise_distance, pad_sequence, process settings."""
from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn


def _t(lib, a, rg=False):
    return lib.tensor(np.asarray(a, dtype=np.float64), requires_grad=rg)


def _assert_same(ours, theirs, atol):
    """The (value, grad, grad or None) triples of both libraries agree."""
    for p, q in zip(ours, theirs):
        if p is None or q is None:
            assert p is None and q is None
        else:
            np.testing.assert_allclose(p, q, rtol=1e-10, atol=atol)


def test_no_grad_on_methods_and_inference_mode():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        @ad.no_grad()
        def predict(self, x):
            return self.lin(x)

        @ad.inference_mode()
        def infer(self, x):
            return self.lin(x)

        def forward(self, x):
            return self.lin(x)

    m = M()
    x = ad.ones(1, 2)
    assert not m.predict(x).requires_grad and not m.infer(x).requires_grad
    assert m(x).requires_grad and ad.is_grad_enabled()
    with ad.inference_mode():
        assert not m(x).requires_grad
    with ad.inference_mode(False):
        assert m(x).requires_grad

    @ad.inference_mode
    def bare():
        return m(x).requires_grad
    assert bare() is False


def test_post_accumulate_grad_hook_as_torch():
    torch = pytest.importorskip("torch")
    logs = []
    for lib in (ad, torch):
        w = _t(lib, [1.0, 2.0], True)
        log = []
        h = w.register_post_accumulate_grad_hook(lambda p: log.append(p.grad.numpy().copy()))
        (w * w).sum().backward()
        (w * 3).sum().backward()
        h.remove()
        (w * 3).sum().backward()
        logs.append(log)
        with pytest.raises(RuntimeError):
            (w * 2).register_post_accumulate_grad_hook(lambda p: None)
    assert len(logs[0]) == len(logs[1]) == 2
    for a, b in zip(*logs):
        np.testing.assert_array_equal(a, b)


def _hooked(lib, tnn, x_requires_grad):
    lin = tnn.Linear(3, 2).double()
    with lib.no_grad():
        lin.weight.copy_(_t(lib, [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
        lin.bias.copy_(_t(lib, [0.5, -0.5]))
    log = []

    def arr(g):
        return None if g is None else g.detach().numpy().tolist()
    lin.register_full_backward_pre_hook(lambda m, go: log.append(("pre", [arr(g) for g in go])))
    lin.register_full_backward_hook(
        lambda m, gi, go: log.append(("post", [arr(g) for g in gi], [arr(g) for g in go])))
    x = _t(lib, [[1.0, 2.0, 3.0]], x_requires_grad)
    (lin(x) ** 2).sum().backward()
    return log, None if x.grad is None else x.grad.numpy().tolist()


@pytest.mark.parametrize("x_requires_grad", [True, False])
def test_module_full_backward_hooks_as_torch(x_requires_grad):
    torch = pytest.importorskip("torch")
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _hooked(torch, torch.nn, x_requires_grad)
    assert _hooked(ad, nn, x_requires_grad) == theirs


def test_backward_hook_can_replace_grad_input():
    lin = nn.Linear(2, 2)
    lin.register_full_backward_hook(lambda m, gi, go: tuple(g * 0 for g in gi))
    x = ad.ones(1, 2, requires_grad=True)
    lin(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 0.0]])
    assert lin.weight.grad is not None and lin.weight.grad.numpy().any()


def test_named_modules_remove_duplicate_as_torch():
    torch = pytest.importorskip("torch")

    def names(tnn, remove):
        lin = tnn.Linear(2, 2)
        s = tnn.Sequential(lin, tnn.ReLU(), lin)
        return [n for n, _ in s.named_modules(remove_duplicate=remove)], \
            [n for n, _ in s.named_parameters(remove_duplicate=remove)]
    for remove in (True, False):
        assert names(nn, remove) == names(torch.nn, remove)


def test_parameter_containers_as_torch():
    torch = pytest.importorskip("torch")

    def build(lib, tnn):
        p = tnn.ParameterDict({"a": tnn.Parameter(lib.ones(2))})
        p["b"] = tnn.Parameter(lib.zeros(1))
        p.update({"c": tnn.Parameter(lib.ones(1))})
        r = [list(p.keys()), "a" in p, tuple(p.pop("c").shape), len(p), p.get("zz"),
             tuple(p.setdefault("d", tnn.Parameter(lib.ones(3))).shape),
             list(p.copy().keys()), list(p.fromkeys(["x", "y"]).keys()), p.popitem()[0],
             list(reversed(p)), list((p | {"e": tnn.Parameter(lib.ones(1))}).keys())]
        lst = tnn.ParameterList([tnn.Parameter(lib.ones(2))])
        lst += [tnn.Parameter(lib.ones(2, 3))]
        lst.append(tnn.Parameter(lib.ones(1)))
        r += [len(lst), [n for n, _ in lst.named_parameters()], tuple(lst[-1].shape),
              [tuple(q.shape) for q in lst[1:]]]
        return r
    assert build(ad, nn) == build(torch, torch.nn)


@pytest.mark.parametrize("kw", [dict(is_causal=True), dict(is_causal=False),
                                dict(is_causal=True, scale=0.3), dict(attn_mask="bool")])
def test_scaled_dot_product_attention_as_torch(kw):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal((2, 3, 5, 4)) for _ in range(3))
    mask = rng.random((5, 5)) > 0.3
    np.fill_diagonal(mask, True)
    res = []
    for lib, f in ((ad, F.scaled_dot_product_attention),
                   (torch, torch.nn.functional.scaled_dot_product_attention)):
        tq, tk, tv = (_t(lib, a, True) for a in (q, k, v))
        kwl = dict(kw)
        if kwl.get("attn_mask") == "bool":
            kwl["attn_mask"] = lib.tensor(mask)
        out = f(tq, tk, tv, **kwl)
        (out * out).sum().backward()
        res.append([out.detach().numpy()] + [t.grad.numpy() for t in (tq, tk, tv)])
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_weight_norm_parametrization_as_torch():
    torch = pytest.importorskip("torch")
    from torch.nn.utils import parametrizations as TP

    from autodiff.nn.utils import parametrizations as P
    res = []
    for lib, tnn, wn in ((ad, nn, P.weight_norm), (torch, torch.nn, TP.weight_norm)):
        m = tnn.Linear(3, 2).double()
        with lib.no_grad():
            m.weight.copy_(_t(lib, [[1.0, 2.0, 3.0], [-4.0, 5.0, 0.5]]))
            m.bias.zero_()
        wn(m)
        x = _t(lib, [[1.0, -1.0, 2.0], [0.5, 0.25, -3.0]])
        y = (m(x) ** 2).sum()
        y.backward()
        sd = m.state_dict()
        pw = m.parametrizations.weight
        res.append((sorted(sd), [sd[k].detach().numpy() for k in sorted(sd)], y.item(),
                    pw.original0.grad.numpy(), pw.original1.grad.numpy(), type(m).__name__,
                    m.weight.detach().numpy()))
    a, b = res
    assert a[0] == b[0] and a[5] == b[5]
    for x, y in zip(a[1], b[1]):
        np.testing.assert_allclose(x, y, rtol=1e-12)
    for i in (2, 3, 4, 6):
        np.testing.assert_allclose(a[i], b[i], rtol=1e-12)
    # a checkpoint of the parametrized module loads into a fresh one
    fresh = P.weight_norm(nn.Linear(3, 2).double())
    fresh.load_state_dict({k: ad.tensor(v) for k, v in zip(a[0], a[1])})
    np.testing.assert_allclose(fresh.weight.detach().numpy(), a[6], rtol=1e-12)
    # assigning the weight goes through right_inverse; removing leaves a plain Parameter
    from autodiff.nn.utils import parametrize
    fresh.weight = ad.tensor([[3.0, 0.0, 4.0], [0.0, 1.0, 0.0]], dtype=ad.float64)
    np.testing.assert_allclose(fresh.parametrizations.weight.original0.detach().numpy(),
                               [[5.0], [1.0]])
    parametrize.remove_parametrizations(fresh, "weight")
    assert type(fresh) is nn.Linear and isinstance(fresh.weight, nn.Parameter)
    assert sorted(fresh.state_dict()) == ["bias", "weight"]


def test_old_weight_norm_as_torch():
    torch = pytest.importorskip("torch")
    res = []
    for lib, tnn in ((ad, nn), (torch, torch.nn)):
        m = tnn.Linear(3, 2).double()
        with lib.no_grad():
            m.weight.copy_(_t(lib, [[1.0, 2.0, 3.0], [-4.0, 5.0, 0.5]]))
            m.bias.zero_()
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tnn.utils.weight_norm(m)
        y = (m(_t(lib, [[1.0, -1.0, 2.0]])) ** 2).sum()
        y.backward()
        res.append((sorted(n for n, _ in m.named_parameters()), y.item(),
                    m.weight_g.grad.numpy(), m.weight_v.grad.numpy()))
        tnn.utils.remove_weight_norm(m)
        assert sorted(n for n, _ in m.named_parameters()) == ["bias", "weight"]
    a, b = res
    assert a[0] == b[0]
    for i in (1, 2, 3):
        np.testing.assert_allclose(a[i], b[i], rtol=1e-12)


def test_masked_fill_broadcast_as_torch():
    torch = pytest.importorskip("torch")
    for mask in ([True, False, True, False], [[True], [False], [True]],
                 [[[True, False, False, True]]]):
        outs = []
        for lib in (ad, torch):
            x = lib.zeros(2, 3, 4)
            r = x.masked_fill_(lib.tensor(mask), 1.5)
            assert r is x
            y = lib.arange(24.0).reshape(2, 3, 4).masked_fill(lib.tensor(mask), float("-inf"))
            outs.append((x.numpy().copy(), y.numpy()))
        np.testing.assert_array_equal(outs[0][0], outs[1][0])
        np.testing.assert_array_equal(outs[0][1], outs[1][1])


def test_normalize_cosine_pairwise_as_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
    a[1] = 0.0
    cases = [
        (lambda f, x, y: f.normalize(x, dim=1)), (lambda f, x, y: f.normalize(x, p=1, dim=0)),
        (lambda f, x, y: f.cosine_similarity(x, y)),
        (lambda f, x, y: f.cosine_similarity(x, y[:1], dim=-1)),
        (lambda f, x, y: f.pairwise_distance(x, y)),
        (lambda f, x, y: f.pairwise_distance(x, y, p=1, keepdim=True)),
    ]
    for case in cases:
        res = []
        for lib, f in ((ad, F), (torch, torch.nn.functional)):
            x, y = _t(lib, a, True), _t(lib, b, True)
            out = case(f, x, y)
            (out * _t(lib, np.arange(out.numel()).reshape(tuple(out.shape)) + 1.0)).sum() \
                .backward()
            res.append((out.detach().numpy(), x.grad.numpy(),
                        None if y.grad is None else y.grad.numpy()))
        _assert_same(*res, atol=1e-14)


def test_pad_sequence_as_torch():
    torch = pytest.importorskip("torch")
    seqs = [np.arange(6.0).reshape(3, 2), np.arange(2.0).reshape(1, 2) + 10]
    for kw in (dict(), dict(batch_first=True), dict(batch_first=True, padding_value=-1.0),
               dict(padding_side="left")):
        ours = nn.utils.rnn.pad_sequence([ad.tensor(s) for s in seqs], **kw)
        theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], **kw)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_process_settings_and_constants():
    torch = pytest.importorskip("torch")
    for name in ("inf", "nan", "pi", "e"):
        a, b = getattr(ad, name), getattr(torch, name)
        assert (a == b) or (a != a and b != b)
    n = ad.get_num_threads()
    ad.set_num_threads(1)
    assert ad.get_num_threads() == 1
    ad.set_num_threads(n)
    ad.use_deterministic_algorithms(True)
    assert ad.are_deterministic_algorithms_enabled()
    ad.use_deterministic_algorithms(False)
    ad.set_printoptions(precision=2)
    try:
        assert repr(ad.tensor([1.23456])) == "tensor([1.23])"
    finally:
        ad.set_printoptions(profile="default")
    assert repr(ad.tensor([1.23456])) == "tensor([1.2346])"


def test_kl_div_as_torch():
    torch = pytest.importorskip("torch")
    import warnings
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((4, 5))
    target = rng.dirichlet(np.ones(5), size=4)
    target[0, 1] = 0.0
    for kw in (dict(reduction="batchmean"), dict(reduction="sum"), dict(reduction="none"),
               dict(reduction="mean"), dict(reduction="batchmean", log_target=True)):
        res = []
        for lib, f, cls in ((ad, F.kl_div, nn.KLDivLoss),
                            (torch, torch.nn.functional.kl_div, torch.nn.KLDivLoss)):
            x = _t(lib, logits, True)
            inp = lib.log_softmax(x, 1)
            tgt = _t(lib, np.log(target + 1e-3) if kw.get("log_target") else target)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = f(inp, tgt, **kw)
                out2 = cls(**kw)(inp, tgt)
            out.sum().backward()
            res.append((out.detach().numpy(), out2.detach().numpy(), x.grad.numpy()))
        for a, b in zip(*res):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)


def test_small_functions_as_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 5, 3))
    v = rng.standard_normal((3, 4))
    cases = [
        (lambda l, x, y: l.cdist(x, y)), (lambda l, x, y: l.cdist(x, y, p=1.0)),
        (lambda l, x, y: x.clamp_min(0.1) + l.clamp_max(x, -0.2)),
        (lambda l, x, y: l.linalg.norm(x)), (lambda l, x, y: l.linalg.vector_norm(x, 3, dim=-1)),
        (lambda l, x, y: l.linalg.norm(x, dim=1)),
        (lambda l, x, y: l.linalg.matrix_norm(x)),
    ]
    for case in cases:
        res = []
        for lib in (ad, torch):
            x, y = _t(lib, a, True), _t(lib, b, True)
            out = case(lib, x, y)
            out.sum().backward()
            res.append((out.detach().numpy(), x.grad.numpy(),
                        None if y.grad is None else y.grad.numpy()))
        _assert_same(*res, atol=1e-12)
    for lib in (ad, torch):
        t = lib.tensor(v > 0)
        assert lib.nonzero(t).numpy().tolist() == np.argwhere(v > 0).tolist()
        assert lib.argwhere(t).numpy().tolist() == np.argwhere(v > 0).tolist()
    assert ad.zeros(size=(2, 3)).shape == torch.zeros(size=(2, 3)).shape
    assert ad.randn(size=(2, 3)).shape == (2, 3) and ad.ones(size=[4]).shape == (4,)


def test_legacy_tensor_types_as_torch():
    torch = pytest.importorskip("torch")
    for name in ("FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor",
                 "BoolTensor"):
        ours, theirs = getattr(ad, name), getattr(torch, name)
        a, b = ours([1, 0, 2]), theirs([1, 0, 2])
        assert str(a.dtype) == str(b.dtype).replace("torch.", "autodiff.")
        assert a.type() == b.type().replace("torch.", "autodiff.")
        assert isinstance(a, ours) and not isinstance(a, ad.HalfTensor if name != "HalfTensor"
                                                       else ad.FloatTensor)
        assert ours(2, 3).shape == theirs(2, 3).shape
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    x = ad.tensor([1.5, 2.5])
    assert x.type(ad.LongTensor).dtype == ad.int64
    assert x.type("torch.DoubleTensor").dtype == ad.float64
    assert x.type(ad.float16).dtype == ad.float16


def test_searchsorted_bucketize_isin_as_torch():
    torch = pytest.importorskip("torch")
    seq = np.array([1.0, 3.0, 3.0, 5.0, 7.0])
    rows = np.array([[1.0, 2.0, 8.0], [0.0, 4.0, 4.0]])
    vals = np.array([[3.0, 0.5, 7.0, 9.0], [4.0, 4.0, -1.0, 2.0]])
    cases = [
        lambda l: l.searchsorted(l.tensor(seq), l.tensor(vals)),
        lambda l: l.searchsorted(l.tensor(seq), l.tensor(vals), right=True),
        lambda l: l.searchsorted(l.tensor(seq), l.tensor(vals), side="right", out_int32=True),
        lambda l: l.searchsorted(l.tensor(rows), l.tensor(vals[:, :3])),
        lambda l: l.searchsorted(l.tensor(seq), l.tensor(3.0)),
        lambda l: l.bucketize(l.tensor(vals), l.tensor(seq)),
        lambda l: l.bucketize(l.tensor(vals), l.tensor(seq), right=True),
        lambda l: l.isin(l.tensor([1, 2, 3, 4]), l.tensor([2, 4, 9])),
        lambda l: l.isin(l.tensor([1, 2, 3, 4]), l.tensor([2, 4, 9]), invert=True),
    ]
    for case in cases:
        a, b = case(ad), case(torch)
        assert str(a.dtype) == str(b.dtype).replace("torch.", "autodiff."), case
        np.testing.assert_array_equal(a.numpy(), b.numpy())
