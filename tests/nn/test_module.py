"""nn.Module core: registration, walkers, state_dict round trips and errors, modes, hooks,
name scopes, dtype casts, containers, repr (without torch; torch parity lives in
test_torch_module.py)."""
from collections import OrderedDict

import numpy as np
import pytest

import autodiff as ad
from autodiff import grad_mode, nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bn = nn.BatchNorm1d(4)
        self.register_buffer("scale", ad.ones(4))
        self.register_buffer("cache", ad.zeros(2), persistent=False)
        self.alpha = nn.Parameter(ad.tensor([0.5]))

    def forward(self, x):
        return self.bn(self.fc(x)) * self.scale * self.alpha


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Sequential(nn.ReLU(), nn.Linear(4, 2))

    def forward(self, x):
        return self.head(self.block(x))


def test_registration_and_walkers_order():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["block.alpha", "block.fc.weight", "block.fc.bias", "block.bn.weight",
                     "block.bn.bias", "head.1.weight", "head.1.bias"]
    assert len(list(net.parameters())) == 7
    assert [n for n, _ in net.named_buffers()] == [
        "block.scale", "block.cache", "block.bn.running_mean", "block.bn.running_var",
        "block.bn.num_batches_tracked"]
    assert [n for n, _ in net.named_children()] == ["block", "head"]
    assert [n for n, _ in net.named_modules()] == ["", "block", "block.fc", "block.bn", "head",
                                                   "head.0", "head.1"]
    assert [type(m).__name__ for m in net.modules()][:2] == ["Net", "Block"]
    assert [n for n, _ in net.block.named_parameters(prefix="b", recurse=False)] == ["b.alpha"]
    assert net.get_submodule("head.1") is net.head[1]
    assert net.get_parameter("block.fc.bias") is net.block.fc.bias
    with pytest.raises(AttributeError):
        net.get_submodule("head.7")


def test_state_dict_keys_values_and_non_persistent():
    net = Net()
    sd = net.state_dict()
    assert list(sd) == ["block.alpha", "block.scale", "block.fc.weight", "block.fc.bias",
                        "block.bn.weight", "block.bn.bias", "block.bn.running_mean",
                        "block.bn.running_var", "block.bn.num_batches_tracked",
                        "head.1.weight", "head.1.bias"]
    assert "block.cache" not in sd
    assert all(isinstance(v, ad.Tensor) and not v.requires_grad for v in sd.values())
    assert sd["block.bn.num_batches_tracked"].dtype == np.int64
    # detached but sharing memory (as PyTorch)
    assert np.shares_memory(sd["block.fc.weight"]._data, net.block.fc.weight._data)
    kv = net.state_dict(keep_vars=True)
    assert kv["block.fc.weight"] is net.block.fc.weight
    assert list(net.state_dict(prefix="m.")) == ["m." + k for k in sd]


def test_shared_parameter_counted_once():
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_load_state_dict_round_trip_numpy_and_tensors():
    ad.manual_seed(1)
    a, b = Net(), Net()
    a.block.bn.running_mean._data[:] = [1, 2, 3, 4]
    sd = {k: v.numpy().copy() for k, v in a.state_dict().items()}
    w_obj = b.block.fc.weight
    res = b.load_state_dict(sd)
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert b.block.fc.weight is w_obj  # copied in place: optimizers keep working
    for k, v in b.state_dict().items():
        np.testing.assert_array_equal(v._data, sd[k])
    c = Net()
    c.load_state_dict(a.state_dict())
    x = ad.randn(5, 3)
    a.eval(), c.eval()
    np.testing.assert_array_equal(a(x)._data, c(x)._data)


def test_load_state_dict_reports_every_problem_and_changes_nothing():
    net = Net()
    before = {k: v._data.copy() for k, v in net.state_dict().items()}
    sd = {k: v.numpy().copy() + 1 for k, v in Net().state_dict().items()}
    del sd["block.alpha"], sd["head.1.bias"]
    sd["extra.weight"] = np.zeros(3)
    sd["bogus"] = np.zeros(1)
    sd["block.fc.weight"] = np.zeros((5, 3))
    sd["head.1.weight"] = np.zeros((2, 5))
    with pytest.raises(RuntimeError) as info:
        net.load_state_dict(sd)
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for Net:")
    for key in ["block.alpha", "head.1.bias", "extra.weight", "bogus", "block.fc.weight",
                "head.1.weight"]:
        assert f'{key}' in msg, key
    assert "Missing key(s)" in msg and "Unexpected key(s)" in msg and "size mismatch" in msg
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v._data, before[k])
    # strict=False: shape errors still raise, nothing changed
    with pytest.raises(RuntimeError, match="size mismatch for block.fc.weight"):
        net.load_state_dict(sd, strict=False)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v._data, before[k])
    sd["block.fc.weight"] = np.zeros((4, 3))
    sd["head.1.weight"] = np.zeros((2, 4))
    missing, unexpected = net.load_state_dict(sd, strict=False)
    assert missing == ["block.alpha", "head.1.bias"]
    assert unexpected == ["extra.weight", "bogus"]
    np.testing.assert_array_equal(net.block.fc.weight._data, 0)
    np.testing.assert_array_equal(net.block.alpha._data, before["block.alpha"])


def test_train_eval_zero_grad_requires_grad():
    net = Net()
    assert net.training and net.block.bn.training
    net.eval()
    assert not net.training and not net.block.bn.training and not net.head[0].training
    net.train()
    assert net.block.bn.training
    net(ad.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(np.all(p.grad._data == 0) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    with pytest.raises(ValueError):
        net.train("yes")


def test_apply_visits_children_first():
    net = Net()
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "BatchNorm1d", "Block", "ReLU", "Linear", "Sequential", "Net"]


def test_double_float_to_keep_parameter_objects():
    net = Net()
    w = net.block.fc.weight
    net.double()
    assert net.block.fc.weight is w and w.dtype == np.float64
    assert net.block.bn.running_var.dtype == np.float64
    assert net.block.bn.num_batches_tracked.dtype == np.int64
    out = net(ad.randn(4, 3, dtype=ad.float64))
    assert out.dtype == np.float64
    net.to(ad.float32)
    assert w.dtype == np.float32
    assert net.to("cpu") is net and net.cpu() is net
    for dev in ("cuda", "cuda:0", "mps"):
        with pytest.raises(RuntimeError, match="CPU only"):
            net.to(dev)
    with pytest.raises(RuntimeError):
        net.to(device="cuda")
    assert net.to("cpu", ad.float64).block.fc.weight.dtype == np.float64
    assert net.to(device="cpu", dtype=ad.float32).block.fc.weight.dtype == np.float32
    with pytest.raises(TypeError):
        net.to(np.int32)


def test_setattr_rules():
    m = nn.Module()
    m.w = nn.Parameter(ad.zeros(2))
    assert "w" in m._parameters
    with pytest.raises(TypeError):
        m.w = ad.zeros(2)  # a plain Tensor over a parameter
    m.w = None
    assert m.w is None and list(m.parameters()) == []
    m.register_buffer("b", ad.zeros(1))
    m.b = ad.ones(1)
    assert m._buffers["b"]._data[0] == 1
    with pytest.raises(TypeError):
        m.register_buffer("c", np.zeros(1))
    with pytest.raises(KeyError):
        m.register_buffer("a.b", ad.zeros(1))
    m.child = nn.Linear(1, 1)
    with pytest.raises(TypeError):
        m.child = 3
    del m.child
    assert "child" not in m._modules
    m.buf = nn.Buffer(ad.zeros(3))
    assert [n for n, _ in m.named_buffers()] == ["b", "buf"]
    with pytest.raises(AttributeError):
        m.nothing
    with pytest.raises(NotImplementedError):
        m(1)


def test_parameter_basics():
    p = nn.Parameter(ad.tensor([1.0, 2.0]))
    assert p.requires_grad and p.is_leaf and isinstance(p, ad.Tensor)
    assert repr(p).startswith("Parameter containing:\ntensor([1., 2.]")
    t = ad.tensor([3.0])
    assert np.shares_memory(nn.Parameter(t)._data, t._data)
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    y = (p * 2).sum()
    assert type(p * 2) is ad.Tensor
    y.backward()
    np.testing.assert_array_equal(p.grad._data, [2.0, 2.0])


def test_hooks_and_handles():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out * 2)
    x = ad.ones(3, 2)
    out = lin(x)
    np.testing.assert_allclose(out._data, np.broadcast_to(lin.bias._data * 2, (3, 2)))
    assert calls == [ad.Size([3, 2])]
    h1.remove(), h2.remove()
    np.testing.assert_allclose(lin(x)._data, x._data @ lin.weight._data.T + lin.bias._data,
                               rtol=1e-6)
    assert len(calls) == 1


def test_call_records_name_scope():
    net = Net()
    seen = []

    def spy(m, args, out):
        seen.append(list(grad_mode._state.scope))
    net.block.fc.register_forward_hook(spy)
    out = net(ad.randn(4, 3))
    assert seen == [["Net", "Net/block"]]  # forward hooks run after the module's scope closed
    node = out.grad_fn
    scopes = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if n is None:
            continue
        s = getattr(n, "scope", None)
        if s:
            scopes.add(s)
        stack.extend(e[0] for e in getattr(n, "next_functions", ()) if e is not None)
    assert "Net/block/fc" in scopes and "Net/head/1" in scopes and "Net/block/bn" in scopes
    # an unregistered module is scoped by its class name
    y = nn.Linear(2, 2)(ad.randn(1, 2, requires_grad=True))
    assert y.grad_fn.scope.endswith("Linear")


def test_sequential_container_api():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and seq[0] is a and seq[-1] is c
    assert list(seq) == [a, b, c]
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    seq.append(nn.Sigmoid())
    assert len(seq) == 4 and isinstance(seq[3], nn.Sigmoid)
    del seq[3]
    assert len(seq) == 3
    named = nn.Sequential(OrderedDict([("fc", a), ("act", b)]))
    assert [n for n, _ in named.named_children()] == ["fc", "act"]
    assert named.fc is a
    x = ad.randn(4, 2)
    np.testing.assert_allclose(seq(x)._data, c(b(a(x)))._data)
    with pytest.raises(IndexError):
        seq[5]


def test_modulelist_moduledict():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    ml.append(nn.ReLU())
    assert len(ml) == 4 and [n for n, _ in ml.named_parameters()][:2] == ["0.weight", "0.bias"]
    ml.extend([nn.Tanh()])
    assert isinstance(ml[-1], nn.Tanh)
    assert len(ml[1:3]) == 2
    md = nn.ModuleDict({"enc": nn.Linear(2, 3), "dec": nn.Linear(3, 2)})
    assert list(md.keys()) == ["enc", "dec"] and "enc" in md
    assert [n for n, _ in md.named_parameters()] == ["enc.weight", "enc.bias", "dec.weight",
                                                     "dec.bias"]
    md["act"] = nn.ReLU()
    assert len(md) == 3
    assert md.pop("act").__class__ is nn.ReLU and len(md) == 2


def test_repr_nested_format():
    net = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Dropout(0.2)))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Dropout(p=0.2, inplace=False)\n"
        "  )\n"
        ")")
    ml = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU()])
    assert repr(ml) == ("ModuleList(\n"
                        "  (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)\n"
                        "  (2): ReLU()\n"
                        ")")


def test_deepcopy_is_independent():
    import copy
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    m(ad.randn(4, 2)).sum().backward()
    c = copy.deepcopy(m)
    assert isinstance(c[0].weight, nn.Parameter) and c[0].weight is not m[0].weight
    assert not np.shares_memory(c[0].weight._data, m[0].weight._data)
    c[1].running_mean._data[:] = 5
    assert not np.any(m[1].running_mean._data == 5)
    for (k, v), (_, w) in zip(m.state_dict().items(), c.state_dict().items()):
        if k != "1.running_mean":
            np.testing.assert_array_equal(v._data, w._data, err_msg=k)


def test_double_backward_through_model_gradient_penalty():
    """A gradient penalty ||d out / d x||^2 differentiated w.r.t. the weights (WGAN-GP style)
    matches central differences."""
    ad.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    x = ad.randn(5, 3, dtype=ad.float64, requires_grad=True)

    def penalty(w0):
        out = net(x).sum()
        g, = ad.grad(out, x, create_graph=True)
        return (g * g).sum()

    p = penalty(None)
    p.backward()
    analytic = net[0].weight.grad._data.copy()
    eps = 1e-6
    num = np.zeros_like(analytic)
    w = net[0].weight._data
    for i in np.ndindex(w.shape):
        old = w[i]
        w[i] = old + eps
        fp = penalty(None).item()
        w[i] = old - eps
        fm = penalty(None).item()
        w[i] = old
        num[i] = (fp - fm) / (2 * eps)
    np.testing.assert_allclose(analytic, num, rtol=1e-5, atol=1e-8)


def test_parameter_list_and_dict():
    pl = nn.ParameterList([ad.zeros(2, 3), nn.Parameter(ad.ones(1))])
    assert len(pl) == 2 and isinstance(pl[0], nn.Parameter) and pl[0].requires_grad
    pl.append(ad.ones(4))
    m = nn.Module()
    m.pl = pl
    m.pd = nn.ParameterDict({"a": ad.ones(2)})
    assert list(m.state_dict()) == ["pl.0", "pl.1", "pl.2", "pd.a"]
    assert len(list(m.parameters())) == 4 and "a" in m.pd
    with pytest.raises(TypeError):
        pl.append(3.0)


def test_zero_grad_in_place_keeps_grad_object():
    lin = nn.Linear(2, 2)
    lin(ad.ones(1, 2)).sum().backward()
    g = lin.weight.grad
    lin.zero_grad(set_to_none=False)
    assert lin.weight.grad is g and np.all(g._data == 0)


def test_batchnorm_state_without_num_batches_tracked_loads():
    """As PyTorch (state dicts without version metadata): the counter keeps its value."""
    bn = nn.BatchNorm1d(3)
    bn(ad.randn(4, 3))
    sd = {k: v.numpy().copy() for k, v in nn.BatchNorm1d(3).state_dict().items()
          if k != "num_batches_tracked"}
    res = bn.load_state_dict(sd)
    assert res.missing_keys == [] and int(bn.num_batches_tracked._data) == 1
    del sd["running_var"]
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "running_var"'):
        bn.load_state_dict(sd)


def test_shape_error_names_the_layer_as_the_user_knows_it():
    import autodiff as ad
    from autodiff import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(8, 16)
            self.fc2 = nn.Linear(32, 4)  # wrong: fc1 gives 16 features
            self.conv = nn.Sequential(nn.Conv2d(3, 4, 3))

        def forward(self, x):
            return self.fc2(self.fc1(x))

    model = Net()
    with pytest.raises(ValueError) as info:
        model(ad.randn(5, 8))
    msg = str(info.value)
    assert msg.startswith("linear: ")  # the op's own message comes first
    assert msg.count("[in ") == 1  # named once, by the innermost module
    assert "[in Net.fc2: Linear(in_features=32, out_features=4, bias=True)]" in msg
    # called directly, a submodule is named from its own attribute name
    with pytest.raises(ValueError, match=r"conv2d: .*\[in conv\.0: Conv2d\(3, 4"):
        model.conv(ad.randn(1, 2, 6, 6))
    # with hooks (the slower path) too; a root layer names itself by its class
    model.fc2.register_forward_hook(lambda m, a, out: None)
    with pytest.raises(ValueError, match=r"\[in Net\.fc2: Linear"):
        model(ad.randn(5, 8))
    with pytest.raises(TypeError, match=r"\[in Linear: Linear\(in_features=8"):
        nn.Linear(8, 16)(ad.randn(2, 8), 3)
    assert float(model.fc1(ad.ones(1, 8)).sum().item()) == pytest.approx(
        float((model.fc1.weight.detach().numpy().sum(1) + model.fc1.bias.detach().numpy()).sum()),
        rel=1e-5)
