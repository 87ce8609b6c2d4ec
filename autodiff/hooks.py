"""Hooks: ``RemovableHandle`` (what every ``register_*hook`` returns) and the engine's calls
of tensor hooks, ``retain_grad``, post-accumulate hooks and node hooks during backward."""
from __future__ import annotations


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, store):
        self._store = store
        RemovableHandle._next_id += 1
        self.id = RemovableHandle._next_id

    def remove(self):
        self._store.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def run_post_accumulate_hooks(t):
    """``Tensor.register_post_accumulate_grad_hook``: ``hook(t)`` once ``t.grad`` holds the
    gradient this pass accumulated (a returned value is an error, as in PyTorch)."""
    for hook in list(t._post_acc_hooks.values()):
        if hook(t) is not None:
            raise RuntimeError("post accumulate grad hooks must return None (they run after "
                               "the gradient was accumulated into .grad)")


def run_hooks(hooks, g):
    for h in list(hooks.values()):
        r = h(g)
        if r is not None:
            if r is not g:
                check_hook_result(h, g, r)
            g = r
    return g


def check_hook_result(hook, g, r):
    """A tensor hook may replace a gradient only by a Tensor of its shape and dtype (as
    PyTorch: a wrong shape would otherwise be broadcast into .grad or the optimizer)."""
    from .tensor import Tensor  # (tensor imports the engine)
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(r, Tensor):
        raise TypeError(f"expected Tensor, but hook '{name}' returned '{type(r).__name__}'")
    if r.shape != g.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value (was "
                           f"{tuple(g.shape)}, got {tuple(r.shape)})")
    if r.dtype != g.dtype:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {g.dtype} got "
                           f"{r.dtype})")



def output_hooks(node, g, capture, results, create_graph):
    """Before a node runs: the tensor hooks on its outputs (``Tensor.register_hook``), then
    ``retain_grad`` and ``ad.grad`` captures see the (hooked) gradient of each output."""
    multi = node.n_outputs != 1
    grads = g if multi else [g]
    if node.pre_hooks:
        for out_idx, hooks in node.pre_hooks.items():
            if grads[out_idx] is not None and hooks:
                grads[out_idx] = run_hooks(hooks, grads[out_idx])
    if node.retained:
        for out_idx, ref in node.retained.items():
            t = ref()
            if t is not None and grads[out_idx] is not None:
                t._accumulate_grad(grads[out_idx], create_graph)
    if capture is not None and node in capture:
        for i, out_idx in capture[node]:
            results[i] = grads[out_idx]
    return grads if multi else grads[0]


def post_hooks(node, grads, g):
    """``Node.register_hook``: ``hook(grad_inputs, grad_outputs)`` after the node ran."""
    for h in list(node._post_hooks.values()):
        h(tuple(grads), tuple(g) if node.n_outputs != 1 else (g,))
