"""The public names of nn, nn.functional, nn.init and nn.utils that the contract lists exist
and are what they claim (classes are Modules, functions are callables)."""
import inspect

import pytest

from autodiff import nn
import autodiff.nn.functional as F
from autodiff.nn import init, utils

LAYERS = """Identity Linear Flatten Unflatten Conv1d Conv2d ConvTranspose2d MaxPool1d MaxPool2d
AvgPool2d Dropout BatchNorm1d BatchNorm2d LayerNorm Embedding RNN LSTM GRU RNNCell LSTMCell
GRUCell ReLU LeakyReLU ELU SELU GELU Sigmoid Tanh Softplus Softmax LogSoftmax MSELoss L1Loss
HuberLoss CrossEntropyLoss NLLLoss BCELoss BCEWithLogitsLoss MultiMarginLoss Sequential
ModuleList ModuleDict""".split()

FUNCTIONAL = """linear conv1d conv2d conv_transpose2d max_pool1d max_pool2d avg_pool2d dropout
softmax log_softmax batch_norm layer_norm embedding one_hot pad relu leaky_relu elu selu gelu
sigmoid tanh softplus mse_loss l1_loss huber_loss smooth_l1_loss cross_entropy nll_loss
binary_cross_entropy binary_cross_entropy_with_logits multi_margin_loss""".split()

INIT = """uniform_ normal_ zeros_ ones_ constant_ xavier_uniform_ xavier_normal_ kaiming_uniform_
kaiming_normal_ trunc_normal_ orthogonal_ calculate_gain _calculate_fan_in_and_fan_out""".split()


@pytest.mark.parametrize("name", LAYERS)
def test_layer_exists_and_is_module(name):
    cls = getattr(nn, name)
    assert inspect.isclass(cls) and issubclass(cls, nn.Module)


@pytest.mark.parametrize("name", FUNCTIONAL)
def test_functional_exists(name):
    assert callable(getattr(F, name))
    assert name in F.__all__


def test_init_utils_and_checkpoint_exist():
    for name in INIT:
        assert callable(getattr(init, name))
    for name in ("clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
                 "vector_to_parameters", "grad_norms"):
        assert callable(getattr(utils, name))
    assert callable(nn.save) and callable(nn.load)
    assert issubclass(nn.Parameter, __import__("autodiff").Tensor)
    assert nn.models.MLP is not None


@pytest.mark.parametrize("name,kw", [("Linear", dict(in_features=3, out_features=2)),
                                     ("Conv2d", dict(in_channels=1, out_channels=2,
                                                     kernel_size=3))])
def test_pytorch_keyword_names(name, kw):
    assert getattr(nn, name)(**kw) is not None
