"""Learning-rate schedulers, as ``torch.optim.lr_scheduler``.

A scheduler changes ``group["lr"]`` of its optimizer's parameter groups. Call
``optimizer.step()`` first, then ``scheduler.step()`` (once per epoch, or per batch for
per-iteration schedules). Constructing a scheduler sets ``group["initial_lr"]`` (if not
set yet) and applies the schedule's value for epoch 0. Every scheduler takes the
``optimizer`` first and, except ``ReduceLROnPlateau``, ``last_epoch`` last (see
``LRScheduler``).
"""

from .annealing import CosineAnnealingLR, CosineAnnealingWarmRestarts, OneCycleLR
from .multiplicative import ConstantLR, ExponentialLR, LambdaLR, LinearLR, MultiStepLR, StepLR
from .plateau import ReduceLROnPlateau
from .scheduler import LRScheduler

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "ExponentialLR", "CosineAnnealingLR",
           "ReduceLROnPlateau", "MultiStepLR", "LinearLR", "ConstantLR",
           "CosineAnnealingWarmRestarts", "OneCycleLR"]

# the classes' public home is this package, as in torch (``StepLR.__module__`` is
# ``torch.optim.lr_scheduler``): reprs, pickles and docs name it, not the submodule
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
