"""detect_anomaly: NaN/inf in backward names the op and the user line that created it."""
import numpy as np
import pytest

import autodiff as ad


def test_nan_in_backward_names_op_and_creation_line():
    x = ad.tensor(np.array([0.0, 1.0]), requires_grad=True)
    with ad.detect_anomaly():
        y = x.sqrt()  # CREATION-LINE-MARK
        loss = y.sum()
        with np.errstate(divide="ignore"), pytest.raises(RuntimeError) as info:
            loss.backward()
    msg = str(info.value)
    assert "SqrtBackward" in msg and "nan or inf" in msg
    assert f"{__file__}:" in msg
    line = next(i for i, s in enumerate(open(__file__).read().splitlines(), 1)
                if "CREATION-LINE-MARK" in s and "sqrt" in s)
    assert f"{__file__}:{line}" in msg
    assert "x.sqrt()" in msg


def test_without_anomaly_mode_nan_passes_silently_and_no_stack_recorded():
    x = ad.tensor(np.array([0.0, 1.0]), requires_grad=True)
    y = x.sqrt()
    assert y.grad_fn.stack is None
    with np.errstate(divide="ignore"):
        y.sum().backward()
    assert np.isinf(x.grad._data[0])


def test_stack_recorded_only_in_anomaly_mode():
    x = ad.tensor([1.0], requires_grad=True)
    with ad.detect_anomaly():
        y = x * 2
        assert ad.is_anomaly_enabled()
    assert not ad.is_anomaly_enabled()
    z = x * 2
    assert y.grad_fn.stack is not None and z.grad_fn.stack is None
    assert y.grad_fn.stack[-1].filename == __file__


def test_finite_backward_passes_in_anomaly_mode():
    x = ad.tensor(np.array([4.0]), requires_grad=True)
    with ad.detect_anomaly():
        (x.sqrt() * 3).sum().backward()
    np.testing.assert_allclose(x.grad._data, [0.75])


def test_anomaly_in_custom_function():
    class BadLog(ad.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.log()

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g / (x * 0)

    x = ad.tensor(np.array([2.0]), requires_grad=True)
    with ad.detect_anomaly():
        y = BadLog.apply(x)
        with np.errstate(divide="ignore"), pytest.raises(RuntimeError, match="BadLogBackward"):
            y.sum().backward()


def test_decorator_and_set_detect_anomaly():
    @ad.detect_anomaly()
    def f():
        return ad.is_anomaly_enabled()

    assert f() and not ad.is_anomaly_enabled()
    from autodiff.grad_mode import set_detect_anomaly
    with set_detect_anomaly(True):
        assert ad.is_anomaly_enabled()
    assert not ad.is_anomaly_enabled()
