"""autodiff.optim: optimizers and learning-rate schedulers with PyTorch's names, defaults and
update order.

``autodiff.optim`` needs only the engine: parameters are ``autodiff.Tensor`` leaves, updated in
place with NumPy. In a repository checkout ``import optim`` gives this same module
(autodiff/_aliases.py).
"""

if __name__ != "autodiff.optim":  # `import optim` in a checkout: become autodiff.optim
    import autodiff._aliases
    autodiff._aliases.alias_toplevel(__name__)

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
