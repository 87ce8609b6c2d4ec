"""Module backward hooks (``register_full_backward_hook`` / ``_pre_hook``), as PyTorch builds
them: identity Functions around the module's Tensor inputs and outputs. The output identity
sees ``grad_output`` (and runs the pre-hooks); the input identity sees ``grad_input`` and runs
the hooks, whose returned tuple replaces it."""
from __future__ import annotations

from autodiff.function import Function
from autodiff.tensor import Tensor


def _tensor_positions(items):
    return [i for i, x in enumerate(items) if isinstance(x, Tensor)]


class _Identity(Function):
    """out_i = x_i; backward hands the gradients to ``callback`` (which may replace them)."""

    @staticmethod
    def forward(ctx, callback, *xs):
        ctx.callback = callback
        return tuple(x.detach() for x in xs) if len(xs) > 1 else xs[0].detach()

    @staticmethod
    def backward(ctx, *grads):
        ctx.set_materialize_grads(False)
        new = ctx.callback(tuple(grads))
        return (None,) + tuple(new)


class BackwardHook:
    """One per module call with backward hooks."""

    def __init__(self, module):
        self.module = module
        self.grad_output = None
        self.n_inputs = 0
        self.input_wrapped = False

    def _run_pre_hooks(self, grads):
        for hook in list(self.module.__dict__.get("_backward_pre_hooks", {}).values()):
            res = hook(self.module, grads)
            if res is not None:
                grads = tuple(res) if isinstance(res, (tuple, list)) else (res,)
        self.grad_output = grads
        if not self.input_wrapped:  # nothing to wait for: run the hooks now (PyTorch: None)
            self._run_hooks((None,) * max(self.n_inputs, 1))
        return grads

    def _run_hooks(self, grads):
        for hook in list(self.module.__dict__.get("_backward_hooks", {}).values()):
            res = hook(self.module, grads, self.grad_output)
            if res is not None:
                res = tuple(res) if isinstance(res, (tuple, list)) else (res,)
                if len(res) != len(grads):
                    raise RuntimeError(f"backward hook returned {len(res)} gradients, expected "
                                       f"{len(grads)}")
                grads = res
        return grads

    def setup_input(self, args):
        pos = _tensor_positions(args)
        self.n_inputs = len(pos)
        if not any(args[i].requires_grad for i in pos):
            return args
        self.input_wrapped = True
        new = _Identity.apply(self._run_hooks, *[args[i] for i in pos])
        new = new if isinstance(new, tuple) else (new,)
        args = list(args)
        for i, t in zip(pos, new):
            args[i] = t
        return tuple(args)

    def setup_output(self, out):
        single = isinstance(out, Tensor)
        outs = (out,) if single else out
        if not isinstance(outs, tuple):
            return out
        pos = _tensor_positions(outs)
        if not any(outs[i].requires_grad for i in pos):
            return out
        new = _Identity.apply(self._run_pre_hooks, *[outs[i] for i in pos])
        new = new if isinstance(new, tuple) else (new,)
        outs = list(outs)
        for i, t in zip(pos, new):
            outs[i] = t
        return outs[0] if single else tuple(outs)
