"""Worker of the Hogwild test (a module of its own so that ``spawn`` can import it)."""
from __future__ import annotations

import autodiff as torch
from autodiff import optim


def train(rank, model, steps, queue):
    """A few SGD steps on the shared model; reports the weights it saw at the end."""
    torch.manual_seed(100 + rank)
    opt = optim.SGD(model.parameters(), lr=0.05)
    x = torch.randn(16, 3)
    y = x.sum(1, keepdim=True)
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
    queue.put((rank, model.weight.detach().numpy().copy()))


def add_from_queue(queue):
    """Receive a shared tensor through a queue and update it in place."""
    t = queue.get(timeout=60)
    assert t.is_shared()
    with torch.no_grad():
        t.add_(3.0)
