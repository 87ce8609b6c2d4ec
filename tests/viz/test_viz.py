"""draw_graph: the DOT source it builds (nodes, labels, names, truncation, collapsed modules,
gradient colours, errors) and, where Graphviz's ``dot`` is installed, that it renders."""
from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import autodiff as ad
from autodiff import grad_mode
from autodiff.viz import GraphvizNotFoundError, draw_graph
from autodiff.viz.text import _num

HAVE_DOT = shutil.which("dot") is not None


def node_lines(g):
    """The DOT statements of the drawn tensor/op nodes (not the marker, legend, or edges)."""
    return re.findall(r"^\tn\d+ \[label=<(.*)> .*\]$", g.source, flags=re.M)


def edges(g):
    return re.findall(r"^\t(\w+) -> (\w+)", g.source, flags=re.M)


def bold_names(g):
    return [re.search(r"<b>(.*?)</b>", s).group(1) for s in node_lines(g)]


def small_net():
    w = ad.tensor([[0.5, -1.0], [2.0, 0.25], [1.0, 1.0]], requires_grad=True)
    b = ad.tensor([0.1, -0.2], requires_grad=True)
    x = ad.tensor([[1.0, 2.0, 3.0]])
    y = ((x @ w + b).tanh() ** 2).sum()
    return x, w, b, y


def test_one_node_per_op_and_leaf_with_params_names():
    x, w, b, y = small_net()
    g = draw_graph(y, params={"fc.weight": w, "fc.bias": b})
    names = bold_names(g)
    # MatMul, Add, Tanh, Pow, Sum and the two leaves; x needs no grad so it is not a node
    assert sorted(names) == sorted(["MatMul", "Add", "Tanh", "Pow", "Sum", "fc.weight",
                                    "fc.bias"])
    assert len(edges(g)) == 6
    # leaves carry shape, dtype and (small) values in full
    leaf = next(s for s in node_lines(g) if "<b>fc.weight</b>" in s)
    assert "(3, 2) float32" in leaf
    assert "[[0.5, -1], [2, 0.25], [1, 1]]" in leaf
    # the root is highlighted
    root = next(line for line in g.source.splitlines() if "<b>Sum</b>" in line)
    assert 'penwidth="2.5"' in root and "#ffd966" in root
    assert sum('penwidth="2.5"' in line for line in g.source.splitlines()) == 1


def test_params_accepts_named_parameters_iterator_and_module():
    from autodiff import nn
    ad.manual_seed(0)
    model = nn.Linear(3, 2)
    out = model(ad.randn(4, 3)).sum()
    for params in (model.named_parameters(), dict(model.named_parameters()), model):
        names = bold_names(draw_graph(out, params=params))
        assert "weight" in names and "bias" in names
    with pytest.raises(TypeError, match="params"):
        draw_graph(out, params={"w": np.zeros(3)})
    with pytest.raises(TypeError, match="params"):
        draw_graph(out, params=5)


def test_unnamed_leaves_get_their_role_or_label():
    a = ad.tensor([1.0, 2.0], requires_grad=True)
    out = (a * 3).sum()
    assert "leaf" in bold_names(draw_graph(out))
    from autodiff import nn
    p = nn.Parameter(ad.tensor([1.0, 2.0]))
    assert "parameter" in bold_names(draw_graph((p * a).sum()))


def test_before_backward_says_no_grad_yet_never_zeros_and_after_shows_grads():
    x, w, b, y = small_net()
    before = draw_graph(y, params={"w": w, "b": b})
    leaf_b = next(s for s in node_lines(before) if "<b>b</b>" in s)
    assert "no grad yet" in leaf_b
    assert "grad [" not in before.source and "grad 0" not in before.source
    y.backward()
    after = draw_graph(y, params={"w": w, "b": b})
    assert "no grad yet" not in after.source
    leaf_b = next(s for s in node_lines(after) if "<b>b</b>" in s)
    expected = ", ".join(_num(v) for v in b.grad.detach().numpy())
    assert f"grad [{expected}]" in leaf_b
    # hiding grads and data
    bare = draw_graph(y, params={"w": w, "b": b}, show_grad=False, show_data=False)
    assert "grad" not in bare.source and "data" not in bare.source


def test_freed_graph_draws_structure_without_failing():
    x, w, b, y = small_net()
    n_before = len(node_lines(draw_graph(y)))
    y.backward()  # frees the saved arrays
    with pytest.raises(RuntimeError):
        y.backward()
    g = draw_graph(y)
    assert len(node_lines(g)) == n_before == 7
    assert len(edges(g)) == 6


def test_large_tensors_are_summarised_as_min_mean_max():
    a = ad.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    g = draw_graph((a * a).sum())
    leaf = next(s for s in node_lines(g) if "(3, 4)" in s and "<b>leaf</b>" in s)
    assert "min 0 &#183; mean 5.5 &#183; max 11" in leaf


def test_retained_intermediate_grad_is_shown():
    a = ad.tensor([1.0, -2.0], requires_grad=True)
    h = a * 3
    h.retain_grad()
    out = (h * h).sum()
    g = draw_graph(out)
    assert "no grad yet" in next(s for s in node_lines(g) if "<b>Mul</b>" in s and "[3, -6]" in s)
    out.backward(retain_graph=True)
    g = draw_graph(out)
    assert any("grad [6, -12]" in s for s in node_lines(g))


def test_max_nodes_truncates_breadth_first_with_a_marker():
    a = ad.tensor([1.0], requires_grad=True)
    h = a
    for _ in range(100):
        h = h * 1.01
    out = h.sum()  # 101 ops + 1 leaf
    assert len(node_lines(draw_graph(out))) == 102
    g = draw_graph(out, max_nodes=10)
    assert len(node_lines(g)) == 10
    assert "... 92 more nodes" in g.source
    marker_edges = [e for e in edges(g) if e[0] == "more"]
    assert len(marker_edges) == 1
    # the root is always drawn
    assert "<b>Sum</b>" in g.source
    with pytest.raises(ValueError, match="max_nodes"):
        draw_graph(out, max_nodes=0)


def test_scoped_ops_collapse_into_one_box_per_module():
    ad.manual_seed(0)
    w1 = ad.randn(3, 4, requires_grad=True)
    w2 = ad.randn(4, 2, requires_grad=True)
    x = ad.randn(5, 3)
    params = {"fc1.weight": w1, "fc2.weight": w2}
    with grad_mode.name_scope("Net"):
        with grad_mode.name_scope("fc1"):
            h = (x @ w1).relu()
        with grad_mode.name_scope("fc2"):
            out = (h @ w2).tanh()
    loss = (out ** 2).mean()
    full = draw_graph(loss, params=params)
    assert len(node_lines(full)) == 9  # MatMul Relu MatMul Tanh Pow Mean, 2 leaves, x
    g = draw_graph(loss, params=params, collapse=True)
    boxes = re.findall(r'\[label=<<b>(\w+)</b>.*shape="box3d"', g.source)
    assert sorted(boxes) == ["fc1", "fc2"]
    assert len(node_lines(g)) == 4  # 2 boxes + Pow + Mean; weights and x are inside the boxes
    fc1 = next(s for s in node_lines(g) if "<b>fc1</b>" in s)
    assert "MatMul &#183; Relu" in fc1 and "1 param &#183; 12 values" in fc1
    assert "out (5, 4)" in fc1 and "no grad yet" in fc1 and "in (5, 3) float32" in fc1
    loss.backward(retain_graph=True)
    fc1 = next(s for s in node_lines(draw_graph(loss, params=params, collapse=True))
               if "<b>fc1</b>" in s)
    assert f"grad norm {_num(np.linalg.norm(w1.grad.numpy()))}" in fc1
    # depth 0: the whole model is one box
    g0 = draw_graph(loss, params=params, collapse=0)
    assert re.findall(r'<b>(\w+)</b>.*shape="box3d"', g0.source) == ["Net"]
    assert len(node_lines(g0)) == 3
    with pytest.raises(ValueError, match="collapse"):
        draw_graph(loss, collapse=-1)


def test_collapse_with_nn_modules():
    from autodiff import nn
    ad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(),
                          nn.Linear(8, 2))
    loss = model(ad.randn(3, 4)).sum()
    g = draw_graph(loss, params=dict(model.named_parameters()), collapse=True)
    boxes = sorted(re.findall(r'<b>([\w/]+)</b>.*shape="box3d"', g.source))
    assert boxes == ["0", "1", "2", "3", "4"]
    assert len(node_lines(g)) == 6  # five module boxes + the Sum outside the model
    # given the model itself, boxes name the module types
    g = draw_graph(loss, params=model, collapse=True)
    assert "<b>0</b>: Linear" in g.source and "<b>1</b>: ReLU" in g.source
    g0 = draw_graph(loss, params=model, collapse=0)
    assert "<b>Sequential</b>: Sequential" not in g0.source and "<b>Sequential</b>" in g0.source


def test_collapse_resnet_and_lstm_to_a_handful_of_boxes():
    from autodiff import nn

    class Block(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.conv1, self.bn1 = nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c)
            self.conv2, self.bn2 = nn.Conv2d(c, c, 3, padding=1), nn.BatchNorm2d(c)

        def forward(self, x):
            return (x + self.bn2(self.conv2(self.bn1(self.conv1(x)).relu()))).relu()

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Conv2d(1, 8, 3, padding=1)
            self.layer1 = nn.Sequential(Block(8), Block(8))
            self.layer2 = nn.Sequential(Block(8), Block(8))
            self.fc = nn.Linear(8, 10)

        def forward(self, x):
            return self.fc(self.layer2(self.layer1(self.stem(x))).mean(dim=(2, 3)))

    ad.manual_seed(0)
    model = ResNet()
    loss = model(ad.randn(2, 1, 8, 8)).sum()
    assert len(node_lines(draw_graph(loss, params=model))) > 100
    g = draw_graph(loss, params=model, collapse=True)
    boxes = dict(re.findall(r"<b>([^<]*)</b>: (\w+)", g.source))
    assert boxes == {"stem": "Conv2d", "layer1": "Sequential", "layer2": "Sequential",
                     "fc": "Linear"}
    # the model's own glue op (the mean) and the loss stay ops: 4 boxes + 2 ops
    assert len(node_lines(g)) == 6 and "<b>Mean</b>" in g.source
    g2 = draw_graph(loss, params=model, collapse=2)
    assert sorted(re.findall(r"<b>(layer\d/\d)</b>: Block", g2.source)) == \
        ["layer1/0", "layer1/1", "layer2/0", "layer2/1"]

    class Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(4, 8, num_layers=2, batch_first=True)
            self.head = nn.Linear(8, 1)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.head(out[:, -1])

    model = Seq()
    loss = model(ad.randn(3, 5, 4)).sum()
    g = draw_graph(loss, params=model, collapse=True)
    assert dict(re.findall(r"<b>([^<]*)</b>: (\w+)", g.source)) == {"lstm": "LSTM",
                                                                     "head": "Linear"}
    assert len(node_lines(g)) <= 4
    lstm = next(s for s in node_lines(g) if "<b>lstm</b>" in s)
    assert "8 params" in lstm   # 2 layers x (weight_ih, weight_hh, bias_ih, bias_hh)


def test_grad_color_marks_vanishing_and_exploding_leaves():
    tiny = ad.tensor([1.0, 2.0], requires_grad=True)
    huge = ad.tensor([1.0, 2.0], requires_grad=True)
    fine = ad.tensor([1.0, 2.0], requires_grad=True)
    dead = ad.tensor([1.0, 2.0], requires_grad=True)
    loss = (tiny * 1e-9).sum() + (huge * 1e5).sum() + fine.sum() + (dead * 0.0).sum()
    loss.backward()
    g = draw_graph(loss, params=dict(tiny=tiny, huge=huge, fine=fine, dead=dead),
                   grad_color=True)
    fills = {re.search(r"<b>(\w+)</b>", line).group(1): re.search(r'fillcolor="(#\w+)"',
                                                                  line).group(1)
             for line in g.source.splitlines() if re.match(r"\tn\d+ \[", line)}

    def rgb(c):
        return tuple(int(c[i:i + 2], 16) for i in (1, 3, 5))

    r, _, b = rgb(fills["tiny"])
    assert b > r + 80  # blue: vanishing
    r, _, b = rgb(fills["huge"])
    assert r > b + 80  # red: exploding
    assert fills["dead"] == "#bdbdbd"  # exactly zero: grey
    assert "legend" in g.source and "vanishing" in g.source
    # the edge out of a coloured leaf has the leaf's colour
    assert re.search(fr'-> \w+ \[color="{fills["huge"]}"', g.source)


def test_wrong_input_gets_a_type_error_that_says_what_to_pass():
    from autodiff import nn
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"Module .*model\(x\)"):
        draw_graph(model)
    x, w, b, y = small_net()
    with pytest.raises(TypeError, match="call it first"):
        draw_graph(y.backward)
    with pytest.raises(TypeError, match="plain float"):
        draw_graph(3.0)
    with pytest.raises(TypeError, match="ndarray"):
        draw_graph(np.ones(3))
    with pytest.raises(TypeError, match="every root"):
        draw_graph([y, 2.0])
    with pytest.raises(ValueError, match="empty"):
        draw_graph([])


def test_several_roots_are_one_graph():
    a = ad.tensor([1.0, 2.0], requires_grad=True)
    h = a.exp()
    out1, out2 = h.sum(), (h * 2).mean()
    g = draw_graph((out1, out2), params={"a": a})
    assert sorted(bold_names(g)) == ["Exp", "Mean", "Mul", "Sum", "a"]
    assert sum('penwidth="2.5"' in line for line in g.source.splitlines()) == 2


def test_tensor_without_graph_and_leaf_root():
    c = ad.tensor([1.0, 2.0])
    g = draw_graph(c)
    assert len(node_lines(g)) == 1 and "requires_grad=False" in g.source
    a = ad.tensor([1.0, 2.0], requires_grad=True)
    g = draw_graph(a, params={"a": a})
    assert bold_names(g) == ["a"] and 'penwidth="2.5"' in g.source


def test_multi_output_op_edges_are_numbered():
    a = ad.tensor(np.arange(6.0), requires_grad=True, dtype=ad.float32)
    p, q = ad.split(a, 3)
    out = (p * q).sum()
    g = draw_graph(out)
    assert 'label="out 0"' in g.source and 'label="out 1"' in g.source
    split = next(s for s in node_lines(g) if "<b>Split" in s)
    assert "out 0 (3,) float32" in split and "out 1 (3,) float32" in split


def test_ten_thousand_nodes():
    a = ad.tensor([0.5], requires_grad=True)
    h = a
    leaves = [a]
    for _ in range(3333):
        w = ad.tensor([1.0], requires_grad=True)
        leaves.append(w)
        h = (h * w).tanh()
    out = h.sum()  # 2 * 3333 + 1 ops, 3334 leaves
    g = draw_graph(out)
    assert len(node_lines(g)) == 2 * 3333 + 1 + 3334 == 10001
    assert len(edges(g)) == 10000


def test_deep_chain_is_drawn_iteratively():
    a = ad.tensor([1.0], requires_grad=True)
    h = a
    for _ in range(30_000):
        h = h + 1.0
    g = draw_graph(h, max_nodes=20)
    assert len(node_lines(g)) == 20 and "... 29981 more nodes" in g.source


def test_names_are_escaped_for_dot():
    a = ad.tensor([1.0], requires_grad=True)
    g = draw_graph((a * 2).sum(), params={'w<1> & "b"': a})
    assert "w&lt;1&gt; &amp; &quot;b&quot;" in g.source
    if HAVE_DOT:
        assert g.pipe(format="svg").startswith(b"<?xml")


def scalar_neuron():
    x1 = ad.Scalar(2.0, label="x1")
    w1 = ad.Scalar(-3.0, label="w1")
    b = ad.Scalar(6.8813735870195432, label="b")
    n = x1 * w1 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return x1, w1, b, n, o


def cells_of(g, name):
    """The table cells of the Scalar node whose first cell is ``name``."""
    line = next(s for s in node_lines(g) if re.search(fr"<b>{re.escape(name)}</b>", s))
    return re.findall(r'<td cellpadding="4">(.*?)</td>', line)


def test_scalar_graph_shows_value_and_grad_like_micrograd():
    x1, w1, b, n, o = scalar_neuron()
    g = draw_graph(o)
    assert len(node_lines(g)) == 6  # x1 w1 b, Mul Add Tanh
    assert cells_of(g, "x1") == ["<b>x1</b>", "data 2", '<font color="#999999">no grad yet</font>']
    # before backward a Scalar's .grad reads 0.0, but the drawing says "no grad yet"
    assert "grad 0" not in g.source
    assert cells_of(g, "tanh")[:2] == ["<b>tanh</b> &#8594; o", "data 0.7071"]
    o.backward(retain_graph=True)
    g = draw_graph(o)
    assert "no grad yet" not in g.source
    assert cells_of(g, "w1") == ["<b>w1</b>", "data -3", f"grad {_num(w1.grad)}"]
    assert abs(w1.grad - 2.0 * (1 - 0.5)) < 1e-9   # do/dw1 = x1 * (1 - o^2)
    assert cells_of(g, "+")[1:] == ["data 0.8814", "grad 0.5"]
    assert cells_of(g, "tanh")[2] == "grad 1"


def test_scalar_graph_after_backward_that_freed_it():
    x1, w1, b, n, o = scalar_neuron()
    o.backward()
    g = draw_graph(o)
    assert len(node_lines(g)) == 6
    # the leaves always keep their values and gradients
    assert cells_of(g, "x1") == ["<b>x1</b>", "data 2", f"grad {_num(x1.grad)}"]
    assert cells_of(g, "b") == ["<b>b</b>", "data 6.8814", "grad 0.5"]
    # the root's value is known from the root itself, and intermediate Scalars (which retain
    # their grad) keep value and gradient after the graph is freed
    assert cells_of(g, "tanh")[1:] == ["data 0.7071", "grad 1"]
    assert cells_of(g, "+") == ["<b>+</b> &#8594; n", "data 0.8814", "grad 0.5"]


def test_rendering_without_dot_explains_how_to_install(monkeypatch, tmp_path):
    a = ad.tensor([1.0], requires_grad=True)
    g = draw_graph((a * 2).sum())
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot`
    assert "digraph" in g.source  # the description needs no Graphviz
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz") as e:
        g.pipe(format="svg")
    assert "brew install graphviz" in str(e.value) and "conda" in str(e.value)
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        g.render(tmp_path / "g", format="png")
    import graphviz
    with pytest.raises(graphviz.ExecutableNotFound):
        g.pipe(format="png")
    bundle = g._repr_mimebundle_()
    assert "apt-get install graphviz" in bundle["text/plain"] and "digraph" in bundle["text/plain"]


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz `dot` is not installed")
def test_renders_svg_and_png(tmp_path):
    x, w, b, y = small_net()
    y.backward()
    g = draw_graph(y, params={"w": w, "b": b}, grad_color=True)
    svg = g.pipe(format="svg").decode()
    assert "<svg" in svg and "MatMul" in svg and ">w<" in svg
    path = g.render(tmp_path / "graph", format="png")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    mime = g._repr_mimebundle_()
    assert "image/svg+xml" in mime


def test_export():
    assert ad.draw_graph is draw_graph


# ---- issue 20: layout, inputs, composed ops, module names, Scalar records, saved tensors ----


def _png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def _lenet_step():
    import autodiff.nn.functional as F
    from autodiff import nn
    ad.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                          nn.Linear(84, 10))
    x = ad.randn(4, 1, 28, 28)
    loss = F.cross_entropy(model(x), ad.randint(0, 10, (4,)))
    loss.backward()
    return loss, model, x


def _mlp16_step():
    import autodiff.nn.functional as F
    from autodiff import nn
    ad.manual_seed(0)
    layers = []
    for _ in range(16):
        layers += [nn.Linear(32, 32), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(32, 10))
    x = ad.randn(4, 32)
    loss = F.cross_entropy(model(x), ad.randint(0, 10, (4,)))
    loss.backward()
    return loss, model, x


def _rankdir(g):
    return re.search(r"rankdir=(\w+)", g.source).group(1)


def test_layout_is_chosen_from_the_graphs_shape():
    a, b = ad.Scalar(2.0, label="a"), ad.Scalar(-3.0, label="b")
    assert _rankdir(draw_graph((a * b + 1.0).tanh())) == "LR"   # an expression: reads like one
    for step in (_lenet_step, _mlp16_step):
        loss, model, x = step()
        g = draw_graph(loss, params=model)
        assert _rankdir(g) == "TB"                              # a long chain grows downward
        assert _rankdir(draw_graph(loss, params=model, rankdir="LR")) == "LR"
        assert _rankdir(draw_graph(loss, graph_attr={"rankdir": "LR"})) == "LR"
        if HAVE_DOT:
            # the issue measured 3072 px (LeNet) and 5733 px (MLP) wide strips left to right
            w, h = _png_size(g.pipe(format="png"))
            assert w < 1500 and h > w / 2, (step.__name__, w, h)
            wl, _ = _png_size(draw_graph(loss, params=model, rankdir="LR").pipe(format="png"))
            assert wl > 2 * w
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(a * b, rankdir="XY")


def test_the_batch_a_model_ran_on_is_drawn_and_not_kept_alive():
    import weakref

    from autodiff import nn
    ad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x = ad.randn(5, 3)
    loss = model(x).sum()
    g = draw_graph(loss, params={"x": x, **dict(model.named_parameters())})
    lines = node_lines(g)
    xs = [s for s in lines if s.startswith("<b>x</b>")]
    assert len(xs) == 1 and "(5, 3) float32" in xs[0] and "no graph" not in xs[0]
    ids = re.findall(r"^\t(n\d+) \[label=<(.*)> .*\]$", g.source, flags=re.M)
    xid = next(i for i, s in ids if s.startswith("<b>x</b>"))
    lin = [i for i, s in ids if s.startswith("<b>Linear</b>")]
    assert [d for s, d in edges(g) if s == xid] == [lin[-1]]  # into the first Linear (BFS: last)
    # unnamed, it reads as its role
    assert "<b>input</b>" in draw_graph(loss).source
    # the graph holds the batch only weakly: once backward released what Linear saved and the
    # user dropped x, it is gone and no longer drawn
    loss.backward()
    ref = weakref.ref(x)
    del x, g, xs, lines
    assert ref() is None
    assert "<b>input</b>" not in draw_graph(loss).source


def test_composed_ops_are_named_as_the_user_wrote_them():
    import autodiff.nn.functional as F
    from autodiff import nn
    ad.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.LeakyReLU(0.2), nn.Linear(4, 1))
    loss = F.binary_cross_entropy_with_logits(model(ad.randn(3, 2)), ad.ones(3, 1))
    g = draw_graph(loss, params=model)
    names = bold_names(g)
    assert "LeakyReLU" in names and "BCEWithLogits" in names
    for inner in ("Where", "Softplus", "Neg", "Mean", "Mul", "Add"):
        assert inner not in names, inner
    root = next(s for s in g.source.splitlines() if "penwidth" in s and "label=<" in s)
    assert "<b>BCEWithLogits</b>" in root and "data " + _num(loss.item()) in root
    leaky = next(s for s in node_lines(g) if s.startswith("<b>LeakyReLU</b>"))
    assert "(3, 4) float32" in leaky and "Sequential.1: LeakyReLU" in leaky
    assert " ops: " not in leaky  # LeakyReLU is one fused op
    # a composed function's box lists the ops inside it
    selu = next(s for s in node_lines(draw_graph(F.selu(ad.randn(3, requires_grad=True))))
                if s.startswith("<b>SELU</b>"))
    assert "2 ops: Elu &#183; Mul" in selu
    # collapsed, the model is one box and the loss stays one op named as written
    g0 = draw_graph(loss, params=model, collapse=0)
    assert g0.source.count("box3d") == 1 and "BCEWithLogits" in bold_names(g0)
    assert len(node_lines(g0)) == 2
    # a composed function calling another one is drawn as the outer call
    w = ad.randn(3, requires_grad=True)
    with grad_mode.op_scope("Outer"):
        with grad_mode.op_scope("Inner"):
            z = (w * 2.0).exp()
        z = z.sum()
    assert bold_names(draw_graph(z)) == ["Outer", "leaf"]
    # two calls of one composed function stay two boxes; the result is unchanged
    x = ad.randn(4, requires_grad=True)
    y = F.leaky_relu(ad.tanh(F.leaky_relu(x, 0.1)), 0.1)
    assert bold_names(draw_graph(y)).count("LeakyReLU") == 2
    expect = np.tanh(np.where(x._data > 0, x._data, 0.1 * x._data))
    np.testing.assert_allclose(y._data, np.where(expect > 0, expect, 0.1 * expect), rtol=1e-6)


def test_ops_name_the_module_that_ran_them():
    from autodiff import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(3, 4)
            self.fc2 = nn.Linear(4, 2)

        def forward(self, x):
            return self.fc2(self.fc1(x).relu())

    ad.manual_seed(0)
    model = Net()
    out = model(ad.randn(2, 3)).sum()
    with_types = [s for s in node_lines(draw_graph(out, params=model)) if "<b>Linear</b>" in s]
    assert sorted(re.findall(r"<i>(.*?)</i>", " ".join(with_types))) == \
        ["Net.fc1: Linear", "Net.fc2: Linear"]
    relu = next(s for s in node_lines(draw_graph(out, params=model)) if "<b>Relu</b>" in s)
    assert "<i>Net: Net</i>" not in relu and "<i>Net</i>" in relu   # the model's own forward
    plain = draw_graph(out, params=dict(model.named_parameters())).source
    assert "<i>Net.fc1</i>" in plain and "<i>Net.fc2</i>" in plain


def test_multi_output_nodes_name_their_outputs():
    from autodiff import nn
    ad.manual_seed(0)
    lstm = nn.LSTM(8, 16)
    x = ad.randn(5, 4, 8)  # the batch, held by the user (the graph keeps only weak references)
    out, (h, c) = lstm(x)
    g = draw_graph(out.mean() + h.sum(), params=lstm)
    node = next(s for s in node_lines(g) if s.startswith("<b>LSTMLayer</b>"))
    assert "output (5, 4, 16) float32" in node and "h_n (4, 16) float32" in node
    assert "[1]" not in node and 'label="[' not in g.source
    assert sorted(re.findall(r'label="(\w+)" fontsize="9"', g.source)) == ["h_n", "output"]
    names = bold_names(g)
    assert "input" in names and "weight_ih_l0" in names


def _docs_pictures():
    """docs/make_pictures.py, the script drawing the pictures of docs/."""
    path = Path(__file__).resolve().parents[2] / "docs" / "make_pictures.py"
    spec = importlib.util.spec_from_file_location("make_pictures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_scalar_node_shows_data_and_grad_without_user_references():
    import gc
    import weakref
    pictures = _docs_pictures()
    before = node_lines(draw_graph(pictures.micrograd_neuron()))
    ops = [s for s in before if re.search(r"<b>(&#215;|\+|tanh)", s)]
    assert len(ops) == 5
    assert all("data " in s and "no grad yet" in s for s in ops)
    # docs/graph-scalar.svg: the same neuron drawn after o.backward()
    after = [s for s in node_lines(pictures.scalar_neuron())
             if re.search(r"<b>(&#215;|\+|tanh)", s)]
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", s) for s in after]
    got = sorted((c[0], c[1], c[2]) for c in cells)
    # the values micrograd's lecture shows: x1*w1 = -6, x2*w2 = 0, sum -6, + b = 0.8814, tanh
    assert got == sorted([("<b>&#215;</b>", "data -6", "grad 0.5"),
                          ("<b>&#215;</b>", "data 0", "grad 0.5"),
                          ("<b>+</b>", "data -6", "grad 0.5"),
                          ("<b>+</b>", "data 0.8814", "grad 0.5"),
                          ("<b>tanh</b> &#8594; o", "data 0.7071", "grad 1")])
    # nothing is kept alive: an intermediate Scalar dies with its last reference, the graph
    # with the output (by reference counting, no garbage collector needed)
    gc.disable()
    try:
        a, b = ad.Scalar(1.5), ad.Scalar(2.0)
        mid = a * b
        mid_ref = weakref.ref(mid)
        out = (mid + 1.0).exp()
        node_ref = weakref.ref(mid.grad_fn)
        del mid
        assert mid_ref() is None
        out.backward()
        cell = next(s for s in node_lines(draw_graph(out)) if "<b>&#215;</b>" in s)
        assert f"data {_num(3.0)}" in cell and f"grad {_num(np.exp(4.0))}" in cell
        del out, cell
        assert node_ref() is None
        # held through backward and dropped afterwards: the node still has its gradient
        a = ad.Scalar(2.0)
        e = a * a
        out = e.exp()
        out.backward()
        assert e.grad == np.exp(4.0)
        del e
        cell = next(s for s in node_lines(draw_graph(out)) if "<b>&#215;</b>" in s)
        assert f"data {_num(4.0)}" in cell and f"grad {_num(np.exp(4.0))}" in cell
    finally:
        gc.enable()


def test_show_saved_lists_what_backward_will_use():
    from autodiff import nn
    ad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
    x = ad.randn(5, 3)
    loss = model(x).sum()
    assert "saved" not in draw_graph(loss, params=model).source
    g = draw_graph(loss, params=model, show_saved=True)
    lin = next(s for s in node_lines(g) if s.startswith("<b>Linear</b>"))
    assert "saved input 0 (5, 3) float32" in lin and "saved input 1 (4, 3) float32" in lin
    assert f"saved total {(5 * 3 + 4 * 3) * 4} B" in lin
    tanh = next(s for s in node_lines(g) if s.startswith("<b>Tanh</b>"))
    assert "saved output (5, 4) float32" in tanh
    loss.backward()
    g = draw_graph(loss, params=model, show_saved=True)
    lin = next(s for s in node_lines(g) if s.startswith("<b>Linear</b>"))
    assert "saved: freed by backward()" in lin and "saved input" not in lin


def test_a_custom_functions_ctx_attributes_are_its_own():
    """The engine's note of no-grad arguments (for drawing the batch) must not overwrite what a
    user's Function keeps on ctx, inside a module scope too."""
    class Scale(ad.Function):
        @staticmethod
        def forward(ctx, x, s):
            ctx.inputs = ("mine", 3)
            ctx.save_for_backward(s)
            return x * s

        @staticmethod
        def backward(ctx, g):
            assert ctx.inputs == ("mine", 3)
            (s,) = ctx.saved_tensors
            return g * s, None

    x = ad.tensor([1.0, 2.0], requires_grad=True)
    s = ad.tensor([3.0, 5.0])
    with grad_mode.name_scope("Net"):
        y = Scale.apply(x, s)
    assert sorted(bold_names(draw_graph(y.sum()))) == ["Scale", "Sum", "input", "leaf"]
    y.sum().backward()
    np.testing.assert_allclose(x.grad.detach().numpy(), [3.0, 5.0])
