"""Optimizer machinery: state_dict round trips, param groups, zero_grad, closures, errors.
Runs without torch."""

import warnings

import numpy as np
import pytest
from optim_problems import make_params, make_problem, set_grads

import autodiff as ad
from autodiff import optim

ALL = [
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True)),
    (optim.Adagrad, dict(lr=0.3, lr_decay=0.01)),
    (optim.Adadelta, dict(weight_decay=0.01)),
    (optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.5)),
    (optim.Adam, dict(lr=0.1, amsgrad=True)),
    (optim.AdamW, dict(lr=0.1)),
    (optim.Rprop, dict(lr=0.05)),
]
IDS = [c.__name__ for c, _ in ALL]


def _train(opt, X, Y, w, b, steps):
    for _ in range(steps):
        opt.zero_grad()
        set_grads(X, Y, w, b)
        opt.step()


def _trained(opt_class, steps, **options):
    """``opt_class`` over fresh parameters (w, b) of the least-squares problem, after
    ``steps`` steps; returns (opt, X, Y, w, b)."""
    X, Y, w0, b0 = make_problem()
    w, b = make_params(w0, b0)
    opt = opt_class([w, b], **options)
    _train(opt, X, Y, w, b, steps)
    return opt, X, Y, w, b


def _resumed(opt_class, w, b, state_dict, **options):
    """A new ``opt_class`` over copies of w and b, loaded from ``state_dict``; returns
    (resumed, w2, b2)."""
    w2, b2 = make_params(w._data, b._data)
    resumed = opt_class([w2, b2], **options)
    resumed.load_state_dict(state_dict)
    return resumed, w2, b2


def _assert_plain(value, where="state_dict"):
    """Only dicts, lists, numbers, strings, None, bools and ndarrays."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, (str, int)), f"{where}: key {k!r}"
            _assert_plain(v, f"{where}[{k!r}]")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _assert_plain(v, f"{where}[{i}]")
    else:
        assert value is None or isinstance(value, (bool, int, float, str, np.ndarray)), \
            f"{where} is {type(value).__name__}"


@pytest.mark.parametrize("opt_class,options", ALL, ids=IDS)
def test_state_dict_round_trip_resumes_bit_for_bit(opt_class, options):
    opt, X, Y, w, b = _trained(opt_class, 5, **options)
    saved = opt.state_dict()
    _assert_plain(saved)
    assert sorted(saved["state"]) == [0, 1]
    assert saved["param_groups"][0]["params"] == [0, 1]

    # the loaded groups replace the options given to the constructor
    resumed, w2, b2 = _resumed(opt_class, w, b, saved, lr=123.0)
    assert resumed.param_groups[0]["lr"] == options.get("lr", opt.defaults["lr"])

    _train(opt, X, Y, w, b, 5)
    _train(resumed, X, Y, w2, b2, 5)
    assert np.array_equal(w._data, w2._data) and np.array_equal(b._data, b2._data)
    for key, value in opt.state[w].items():
        assert np.array_equal(value, resumed.state[w2][key]), key
    assert not np.array_equal(w._data, make_problem()[2])


@pytest.mark.parametrize("opt_class,options", ALL, ids=IDS)
def test_state_dict_is_a_snapshot(opt_class, options):
    opt, X, Y, w, b = _trained(opt_class, 2, **options)
    saved = opt.state_dict()
    copies = {k: np.copy(v) for k, v in saved["state"][0].items()}
    _train(opt, X, Y, w, b, 2)
    for k, v in copies.items():
        assert np.array_equal(saved["state"][0][k], v), k


def test_load_state_dict_accepts_string_keys_and_list_betas():
    """As written by an .npz checkpoint: integer keys may come back as strings."""
    opt, X, Y, w, b = _trained(optim.Adam, 3, lr=0.1, betas=(0.8, 0.95))
    saved = opt.state_dict()
    assert saved["param_groups"][0]["betas"] == [0.8, 0.95]
    saved["state"] = {str(k): v for k, v in saved["state"].items()}
    resumed, w2, b2 = _resumed(optim.Adam, w, b, saved)
    assert resumed.param_groups[0]["betas"] == (0.8, 0.95)
    assert resumed.state[w2]["step"] == 3
    np.testing.assert_array_equal(resumed.state[b2]["exp_avg"], opt.state[b]["exp_avg"])


def test_load_state_dict_casts_to_parameter_dtype_and_copies():
    opt, X, Y, w, b = _trained(optim.Adam, 2, lr=0.1)
    saved = opt.state_dict()
    w32 = ad.Tensor(w._data.astype(np.float32), requires_grad=True)
    b32 = ad.Tensor(b._data.astype(np.float32), requires_grad=True)
    resumed = optim.Adam([w32, b32])
    resumed.load_state_dict(saved)
    assert resumed.state[w32]["exp_avg"].dtype == np.float32
    assert resumed.state[w32]["step"] == 2.0
    resumed.state[b32]["exp_avg"][...] = 0
    assert np.any(saved["state"][1]["exp_avg"] != 0)


def test_load_state_dict_errors():
    opt, X, Y, w, b = _trained(optim.SGD, 1, lr=0.1, momentum=0.9)
    saved = opt.state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [w]}, {"params": [b]}], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([w], lr=0.1).load_state_dict(saved)
    other_w, other_b = make_params(w._data.T.copy(), b._data)
    with pytest.raises(ValueError, match=r"momentum_buffer.*shape \(5, 3\).*\(3, 5\)"):
        optim.SGD([other_w, other_b], lr=0.1).load_state_dict(saved)


def test_sgd_without_momentum_keeps_no_state():
    opt = _trained(optim.SGD, 2, lr=0.1)[0]
    assert opt.state_dict()["state"] == {}


def test_adagrad_state_created_in_constructor():
    w, b = make_params(*make_problem()[2:])
    opt = optim.Adagrad([w, b], initial_accumulator_value=0.5)
    state = opt.state_dict()["state"]
    assert state[0]["step"] == 0 and np.all(state[0]["sum"] == 0.5)


def test_param_groups_take_defaults_and_own_options():
    X, Y, w0, b0 = make_problem()
    w, b = make_params(w0, b0)
    opt = optim.SGD([{"params": [w]}, {"params": b, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    assert [g["momentum"] for g in opt.param_groups] == [0.9, 0.9]
    assert opt.param_groups[1]["params"][0] is b
    set_grads(X, Y, w, b)
    gw, gb = w.grad._data.copy(), b.grad._data.copy()
    opt.step()
    np.testing.assert_allclose(w._data, w0 - 0.1 * gw, rtol=1e-14)
    np.testing.assert_allclose(b._data, b0 - 0.5 * gb, rtol=1e-14)
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]


def test_add_param_group_fills_defaults_and_is_stepped():
    X, Y, w0, b0 = make_problem()
    w, b = make_params(w0, b0)
    opt = optim.Adagrad([w], lr=0.2)
    opt.add_param_group({"params": [b], "lr_decay": 0.5})
    group = opt.param_groups[1]
    assert group["lr"] == 0.2 and group["lr_decay"] == 0.5 and group["eps"] == 1e-10
    set_grads(X, Y, w, b)
    opt.step()
    assert opt.state[b]["step"] == 1.0 and not np.array_equal(b._data, b0)


def test_named_parameters_are_accepted():
    w, b = make_params(*make_problem()[2:])
    opt = optim.Adam([("weight", w), ("bias", b)])
    assert opt.param_groups[0]["param_names"] == ["weight", "bias"]
    params = opt.param_groups[0]["params"]
    assert len(params) == 2 and params[0] is w and params[1] is b
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]


def test_generator_of_parameters_is_accepted():
    w, b = make_params(*make_problem()[2:])
    opt = optim.SGD((p for p in [w, b]), lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 2


def test_parameters_without_grad_are_skipped():
    X, Y, w0, b0 = make_problem()
    w, b = make_params(w0, b0)
    opt = optim.Adam([w, b], lr=0.1)
    set_grads(X, Y, w, b)
    b.grad = None
    opt.step()
    assert np.array_equal(b._data, b0) and not np.array_equal(w._data, w0)
    assert b not in opt.state and w in opt.state


def test_zero_grad():
    X, Y, w0, b0 = make_problem()
    w, b = make_params(w0, b0)
    opt = optim.SGD([w, b], lr=0.1)
    set_grads(X, Y, w, b)
    grad_w = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad_w and np.all(w.grad._data == 0) and np.all(b.grad._data == 0)
    opt.zero_grad()
    assert w.grad is None and b.grad is None
    opt.zero_grad()  # no gradients: nothing to do


def test_step_returns_closure_loss_and_closure_runs_with_grad_enabled():
    X, Y, w0, b0 = make_problem()
    w, b = make_params(w0, b0)
    opt = optim.SGD([w, b], lr=0.1)
    seen = []

    def closure():
        seen.append(ad.is_grad_enabled())
        return set_grads(X, Y, w, b)

    with ad.no_grad():
        loss = opt.step(closure)
    assert seen == [True]
    assert loss == pytest.approx(float(np.mean((X @ w0 + b0 - Y) ** 2)), rel=1e-14)
    assert opt.step() is None


def test_repr_lists_group_options():
    w, b = make_params(*make_problem()[2:])
    text = repr(optim.SGD([w, b], lr=0.25, momentum=0.5))
    assert text.startswith("SGD (") and "Parameter Group 0" in text
    assert "lr: 0.25" in text and "momentum: 0.5" in text


# ---- errors ----------------------------------------------------------------------------

@pytest.mark.parametrize("opt_class", [c for c, _ in ALL], ids=IDS)
def test_negative_lr_is_rejected(opt_class):
    w, _ = make_params(*make_problem()[2:])
    with pytest.raises(ValueError, match="Invalid learning rate: -0.1"):
        opt_class([w], lr=-0.1)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        opt_class([{"params": [w], "lr": -1}], lr=0.1)


@pytest.mark.parametrize("opt_class,options,message", [
    (optim.Adam, dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (optim.AdamW, dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5"),
    (optim.Adam, dict(eps=-1e-8), "Invalid epsilon value"),
    (optim.Adam, dict(weight_decay=-1), "Invalid weight_decay value: -1"),
    (optim.SGD, dict(momentum=-0.5), "Invalid momentum value: -0.5"),
    (optim.SGD, dict(weight_decay=-0.5), "Invalid weight_decay value"),
    (optim.SGD, dict(nesterov=True), "Nesterov momentum requires a momentum"),
    (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1),
     "Nesterov momentum requires a momentum and zero dampening"),
    (optim.Adagrad, dict(lr_decay=-1), "Invalid lr_decay value"),
    (optim.Adagrad, dict(initial_accumulator_value=-1), "Invalid initial_accumulator_value"),
    (optim.Adadelta, dict(rho=1.5), "Invalid rho value: 1.5"),
    (optim.RMSprop, dict(alpha=-0.1), "Invalid alpha value"),
    (optim.RMSprop, dict(momentum=-0.1), "Invalid momentum value"),
    (optim.Rprop, dict(etas=(1.5, 1.2)), "Invalid eta values: 1.5, 1.2"),
    (optim.Rprop, dict(step_sizes=(1.0, 0.1)), "Invalid step_sizes values"),
])
def test_bad_hyperparameters_are_rejected(opt_class, options, message):
    w, _ = make_params(*make_problem()[2:])
    with pytest.raises(ValueError, match=message):
        opt_class([w], **options)


def test_bad_params_arguments():
    w, b = make_params(*make_problem()[2:])
    with pytest.raises(TypeError, match="iterable of Tensors or dicts"):
        optim.SGD(w, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors, but one of the params is"):
        optim.SGD([w, np.zeros(3)], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        optim.SGD([{"params": {w}}], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [w, b]}, {"params": [b]}], lr=0.1)
    opt = optim.SGD([w], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [w]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([b])
    with pytest.raises(ValueError, match="required optimization parameter lr"):
        optim.Optimizer([w], {"lr": optim.required})
    with pytest.warns(UserWarning, match="duplicate parameters"):
        optim.SGD([w, w], lr=0.1)


def test_non_leaf_tensor_is_rejected():
    w, _ = make_params(*make_problem()[2:])
    non_leaf = w * 2.0
    assert not non_leaf.is_leaf
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        optim.SGD([non_leaf], lr=0.1)
    non_leaf.retain_grad()  # as in PyTorch, a non-leaf that keeps its .grad is allowed
    assert optim.SGD([non_leaf], lr=0.1).param_groups[0]["params"][0] is non_leaf


def test_base_optimizer_step_is_abstract():
    w, _ = make_params(*make_problem()[2:])
    with pytest.raises(NotImplementedError):
        optim.Optimizer([w], {"lr": 0.1}).step()


def test_no_warnings_in_a_plain_training_loop():
    opt, X, Y, w, b = _trained(optim.Adam, 0, lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            _train(opt, X, Y, w, b, 1)
            sched.step()


def _as_if_from_npz(value):
    """What a file round trip may give back: string keys, 0-d arrays for numbers, arrays
    for lists of numbers."""
    if isinstance(value, dict):
        return {str(k): _as_if_from_npz(v) for k, v in value.items()}
    if isinstance(value, list) and value and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        return np.array(value)
    if isinstance(value, list):
        return [_as_if_from_npz(v) for v in value]
    if isinstance(value, (bool, int, float)):
        return np.array(value)
    return value


@pytest.mark.parametrize("opt_class,options", ALL, ids=IDS)
def test_round_trip_through_file_like_values(opt_class, options):
    opt, X, Y, w, b = _trained(opt_class, 3, **options)
    resumed, w2, b2 = _resumed(opt_class, w, b, _as_if_from_npz(opt.state_dict()))
    group = resumed.param_groups[0]
    for key, value in opt.param_groups[0].items():
        if key != "params":
            assert group[key] == value and type(group[key]) is type(value), key
    _train(opt, X, Y, w, b, 3)
    _train(resumed, X, Y, w2, b2, 3)
    assert np.array_equal(w._data, w2._data) and np.array_equal(b._data, b2._data)


def test_deepcopy_of_optimizer_keeps_state_with_copied_parameters():
    import copy
    opt, X, Y, w, b = _trained(optim.Adam, 2, lr=0.1)
    clone = copy.deepcopy(opt)
    w2, b2 = clone.param_groups[0]["params"]
    assert w2 is not w and w2 in clone.state and w not in clone.state
    np.testing.assert_array_equal(clone.state[w2]["exp_avg"], opt.state[w]["exp_avg"])
    _train(opt, X, Y, w, b, 2)
    _train(clone, X, Y, w2, b2, 2)
    assert np.array_equal(w._data, w2._data)
