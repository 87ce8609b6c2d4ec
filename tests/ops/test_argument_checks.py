"""Kernel-backed ops check their geometry in Python before any kernel runs (issue 16).

Every bad argument is an error naming the op: TypeError for a float or bool where PyTorch wants
an int, ValueError for a value out of range. The crash reproducer (conv_transpose2d with a
negative dilation aborted the process) runs in a subprocess in test_crash_subprocess.py.
"""
import numpy as np
import pytest

import autodiff as ad
import autodiff.nn.functional as F
from autodiff import nn


def _x(*shape):
    return ad.randn(*shape)


X4, W, WT = (2, 4, 5, 5), (3, 4, 3, 3), (4, 3, 3, 3)

BAD = [
    # (op name in the message, error, call)
    ("conv2d", TypeError, lambda: F.conv2d(_x(*X4), _x(*W), stride=1.5)),
    ("conv2d", TypeError, lambda: F.conv2d(_x(*X4), _x(*W), stride=True)),
    ("conv2d", TypeError, lambda: F.conv2d(_x(*X4), _x(*W), groups=1.0)),
    ("conv2d", ValueError, lambda: F.conv2d(_x(*X4), _x(*W), stride=0)),
    ("conv2d", ValueError, lambda: F.conv2d(_x(*X4), _x(*W), padding=-1)),
    ("conv2d", ValueError, lambda: F.conv2d(_x(*X4), _x(*W), dilation=0)),
    ("conv2d", ValueError, lambda: F.conv2d(_x(*X4), _x(*W), dilation=-1)),
    ("conv2d", ValueError, lambda: F.conv2d(_x(*X4), _x(*W), groups=0)),
    ("conv2d", ValueError, lambda: F.conv2d(_x(*X4), _x(3, 4, 0, 3))),
    ("conv2d", ValueError, lambda: F.conv2d(_x(*X4), _x(0, 4, 3, 3))),
    ("conv1d", ValueError, lambda: F.conv1d(_x(2, 4, 5), _x(3, 4, 3), stride=0)),
    ("conv1d", ValueError, lambda: F.conv1d(_x(2, 4, 5), _x(3, 4, 3), padding=-1)),
    ("conv1d", TypeError, lambda: F.conv1d(_x(2, 4, 5), _x(3, 4, 3), dilation=2.0)),
    ("conv_transpose2d", ValueError, lambda: F.conv_transpose2d(_x(*X4), _x(*WT), dilation=-1)),
    ("conv_transpose2d", ValueError, lambda: F.conv_transpose2d(_x(*X4), _x(*WT), dilation=0)),
    ("conv_transpose2d", ValueError, lambda: F.conv_transpose2d(_x(*X4), _x(*WT), padding=-1)),
    ("conv_transpose2d", ValueError, lambda: F.conv_transpose2d(_x(*X4), _x(*WT), stride=0)),
    ("conv_transpose2d", ValueError,
     lambda: F.conv_transpose2d(_x(*X4), _x(*WT), output_padding=-1)),
    ("conv_transpose2d", ValueError, lambda: F.conv_transpose2d(_x(*X4), _x(*WT), padding=5)),
    ("conv_transpose2d", TypeError, lambda: F.conv_transpose2d(_x(*X4), _x(*WT), stride=1.5)),
    ("max_pool2d", ValueError, lambda: F.max_pool2d(_x(*X4), 0)),
    ("max_pool2d", TypeError, lambda: F.max_pool2d(_x(*X4), 1.5)),
    ("max_pool2d", ValueError, lambda: F.max_pool2d(_x(*X4), 2, 0)),
    ("max_pool2d", TypeError, lambda: F.max_pool2d(_x(*X4), 2, 1.5)),
    ("max_pool2d", ValueError, lambda: F.max_pool2d(_x(*X4), 2, padding=-1)),
    ("max_pool2d", ValueError, lambda: F.max_pool2d(_x(*X4), 2, padding=2)),
    ("max_pool2d", ValueError, lambda: F.max_pool2d(_x(*X4), 2, dilation=0)),
    ("max_pool2d", ValueError, lambda: F.max_pool2d(_x(*X4), 2, dilation=-1)),
    ("max_pool2d", ValueError, lambda: F.max_pool2d(_x(*X4), 6)),
    ("max_pool2d", ValueError, lambda: F.max_pool2d(_x(2, 0, 4, 4), 2)),
    ("max_pool1d", ValueError, lambda: F.max_pool1d(_x(2, 3, 5), 0)),
    ("max_pool1d", TypeError, lambda: F.max_pool1d(_x(2, 3, 5), 2, 2.0)),
    ("avg_pool2d", ValueError, lambda: F.avg_pool2d(_x(*X4), 0)),
    ("avg_pool2d", ValueError, lambda: F.avg_pool2d(_x(*X4), 2, 0)),
    ("avg_pool2d", ValueError, lambda: F.avg_pool2d(_x(*X4), 2, padding=3)),
    ("avg_pool2d", TypeError, lambda: F.avg_pool2d(_x(*X4), (2, 2.5))),
    ("avg_pool2d", TypeError, lambda: F.avg_pool2d(_x(*X4), 2, divisor_override=1.5)),
    ("adaptive_avg_pool2d", TypeError, lambda: F.adaptive_avg_pool2d(_x(*X4), 1.5)),
    ("Conv2d", TypeError, lambda: nn.Conv2d(4, 3, 3, stride=1.5)),
    ("Conv2d", ValueError, lambda: nn.Conv2d(4, 3, 0)),
    ("Conv2d", ValueError, lambda: nn.Conv2d(4, 3, 3, dilation=-1)),
    ("Conv2d", ValueError, lambda: nn.Conv2d(4, 3, 3, padding=-1)),
    ("Conv1d", ValueError, lambda: nn.Conv1d(4, 3, 3, stride=0)),
    ("ConvTranspose2d", ValueError, lambda: nn.ConvTranspose2d(4, 3, 3, dilation=-1)),
    ("ConvTranspose2d", ValueError, lambda: nn.ConvTranspose2d(4, 3, 3, output_padding=-1)),
    ("max_pool2d", ValueError, lambda: nn.MaxPool2d(2, dilation=0)(_x(*X4))),
    ("avg_pool2d", TypeError, lambda: nn.AvgPool2d(1.5)(_x(*X4))),
]


@pytest.mark.parametrize("op, error, call", BAD, ids=[f"{i}-{c[0]}" for i, c in enumerate(BAD)])
def test_bad_geometry_is_an_error_naming_the_op(op, error, call):
    with pytest.raises(error, match=op):
        call()


def test_torch_rejects_the_same_calls():
    """Every call of the table is an error in PyTorch too (so nothing valid was forbidden)."""
    torch = pytest.importorskip("torch")
    TF = torch.nn.functional
    r = torch.randn
    calls = [
        lambda: TF.conv2d(r(*X4), r(*W), stride=1.5), lambda: TF.conv2d(r(*X4), r(*W), stride=0),
        lambda: TF.conv2d(r(*X4), r(*W), padding=-1), lambda: TF.conv2d(r(*X4), r(*W), dilation=0),
        lambda: TF.conv2d(r(*X4), r(*W), groups=0), lambda: TF.conv2d(r(*X4), r(3, 4, 0, 3)),
        lambda: TF.conv_transpose2d(r(*X4), r(*WT), dilation=-1),
        lambda: TF.conv_transpose2d(r(*X4), r(*WT), padding=-1),
        lambda: TF.conv_transpose2d(r(*X4), r(*WT), stride=0),
        lambda: TF.conv_transpose2d(r(*X4), r(*WT), output_padding=-1),
        lambda: TF.max_pool2d(r(*X4), 0), lambda: TF.max_pool2d(r(*X4), 1.5),
        lambda: TF.max_pool2d(r(*X4), 2, padding=2), lambda: TF.max_pool2d(r(*X4), 2, dilation=-1),
        lambda: TF.max_pool2d(r(*X4), 6), lambda: TF.max_pool2d(r(2, 0, 4, 4), 2),
        lambda: TF.avg_pool2d(r(*X4), 2, padding=3), lambda: TF.max_pool1d(r(2, 3, 5), 0),
    ]
    for i, call in enumerate(calls):
        with pytest.raises((RuntimeError, TypeError, ValueError)):
            call()
            pytest.fail(f"torch accepted call {i}")


@pytest.mark.parametrize("case", [
    dict(stride=2, padding=1, dilation=2), dict(stride=(1, 2), padding=(0, 1), dilation=(2, 1)),
    dict(stride=(2,), padding=[1], dilation=np.int64(1)),
])
def test_valid_geometry_matches_torch(case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(X4), rng.standard_normal(W)
    ours = F.conv2d(ad.tensor(x), ad.tensor(w), **case).detach().numpy()
    tcase = {k: (int(v) if isinstance(v, np.integer) else v) for k, v in case.items()}
    ref = torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), **tcase).numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-10)
