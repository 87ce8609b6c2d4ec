"""Optimizers and learning-rate schedulers with PyTorch's names, defaults and update order.

``optim`` needs only the engine (``autodiff``): parameters are ``autodiff.Tensor`` leaves,
updated in place on ``.data`` with NumPy.
"""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer, required
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "required", "SGD", "Adagrad", "Adadelta", "RMSprop", "Adam",
           "AdamW", "Rprop", "lr_scheduler"]
